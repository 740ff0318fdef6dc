"""Text captures (``reewatch import`` with ``url`` + ``text``): furniture cleaned, a real headline or
a flagged generated one, no site clock as the publication date, list pages rejected.

The captures are written for these tests (fictional outlets, people and events), each with one
of the faults a naive scraper leaves in: menu words and a search box above the headline, a site
clock, "ALSO SEE" / "READ MORE" teasers, a link list and a bio at the end, a feed id and a legal
disclaimer, related-article cards about other topics, a standfirst where the headline should be,
and a page that is only other articles' standfirsts.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from core.records import Article, NoArticle
from extract.furniture import strip_furniture
from extract.jsonl import Exported, parse_line
from extract.listing import listing_reason
from extract.text_capture import Capture, article_from_capture, clean_capture, title_is_generated
from extract.textdates import full_dates, is_site_clock, lead_date, mentions

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

MENU_AND_TEASERS = """fbpx

Type to search

Valdoria Offers Cobalt Quota Relief to Win Karesh Port Deal

Talks constructive, envoy says; Valdorian officials expected to lift quotas on refined cobalt in return for berthing rights at Karesh

\u00a0

Cobalt quota talks between Valdoria and Karesh were making progress, Valdorian trade envoy Mirela Ostrand said on Wednesday.

Delegations met for a third day in the lakeside town of Ferrow on a package that would ease quotas on refined cobalt in exchange for long-term berthing rights.

ALSO SEE:\u00a0Karesh Fishing Fleet Returns Early as Storms Batter the Coast

"We went on until late last night and we will go on today," Ostrand told reporters outside the conference hall.

READ MORE: Battery Makers in Valdoria Warn of Cobalt Shortfall

Karesh's harbour authority said it expected a signed text before the end of the month.

Battery makers in both countries have complained that the quotas doubled their costs within a year.

Quotas and berths

The quota system, introduced two years ago, requires exporters to apply for monthly allocations.

\u00a0

ALSO SEE:

Karesh Harbour Expansion Draws Fresh Objections

Valdoria Opens Second Cobalt Refinery in the North

Why Battery Prices Keep Rising in Karesh

\u00a0

Tomas Weller

Tomas Weller is a trade correspondent based in Ferrow since 2011. He previously worked for regional papers along the coast.
"""

SITE_CLOCK = """Wednesday, 03 March 2021 09:41 GMT

Karesh and Valdoria Resume Cobalt Talks in Ferrow

(Harbour Wire) Delegations from Karesh and Valdoria met in Ferrow on Monday to discuss refined cobalt quotas.

Exports of refined cobalt fell 18% in the first five months of 2026, according to customs figures published by Valdoria's statistics office.

Both sides accuse each other of breaking the interim arrangement reached in the spring.

HARBOURWIRE20260512004417ID7700123456

Legal Disclaimer:
Harbour Wire provides the information "as is" without warranty of any kind. We do not accept any responsibility or liability for the accuracy or completeness of the information contained in this article.

Search
"""

CARDS_AND_REPEATS = """logo
Ferrow refiners restart cobalt lines, but slowly

Ferrow refiners restart cobalt lines, but slowly

Harbour Gazette14-03-2026
By Anna Lind and Piet Rosk Ferrow refiners restart cobalt lines, but slowly
FERROW - The threat of idle furnaces along the Ferrow river is receding as the first quota allocations arrive, though refiners say they still cannot plan beyond a month.
About a third of pending allocations have been granted, the refiners' association said, up from a tenth in January.
"We will probably run through April, and the damage will be limited," a plant manager said.
This article was generated from an automated news agency feed without modifications to text.
Orange background

Try Our Assistant

Comments

No comments yet...

Related Articles

Mountain Rail Strike Enters Second Week
Mountain Rail Strike Enters Second Week

Daily Ridge

time12 minutes ago

Mountain Rail Strike Enters Second Week

Train drivers on the northern mountain line extended their strike into a second week on Monday, with no talks scheduled and freight backing up at the border crossings. The union said its members would stay out until the operator withdrew the new rota. The operator said it had offered to reopen negotiations.

Lakeside Festival Cancelled After Flooding
Lakeside Festival Cancelled After Flooding

Evening Post

time40 minutes ago

Lakeside Festival Cancelled After Flooding

Organisers of the lakeside music festival cancelled this year's event after the water level rose above the stage. Ticket holders will be refunded within thirty days, the organisers said in a statement.

DOWNLOAD THE APP

Get Started Now: Download the App

Ready for more? Download our app today and start exploring.
app-storeplay-store
"""

STANDFIRST_FIRST = """Second day of Ferrow talks opens with both sides signalling flexibility on cobalt quotas.
Around the lakeside conference hall in Ferrow, the Valdorian and Karesh delegations settled in for a second day of negotiations on Tuesday. Quotas on refined cobalt remain the main obstacle, with battery makers on both sides pressing for a quick settlement.
Envoy Mirela Ostrand told reporters that the mood was "workmanlike" and that she expected the talks to run into the evening. Her Karesh counterpart declined to comment on the timetable.
The harbour authority in Karesh has made berthing rights conditional on a quota deal, according to two officials familiar with the talks.
"""

LIST_OF_STANDFIRSTS = """The refiner expects to keep its furnaces running "for at least the next two quarters"
Talks constructive, envoy says; quotas on refined cobalt could go in return for berthing rights at Karesh
A third round of quota talks between Valdoria and Karesh opened in Ferrow on Monday. Berthing rights are on the agenda.
Karesh's fishing fleet returned to port early as storms battered the northern coast for a third day
Battery makers warn that cobalt quotas have doubled their costs and threaten plans for new lines
Valdoria's new refinery in the north will process ore from three mines and employ about 400 people
Markets in the region fell on Monday amid concern over the stalled quota talks
Train drivers on the mountain line extended their strike, with freight backing up at the border
Organisers cancelled the lakeside festival after the water rose above the stage and flooded the car park
"""


def _clean(text: str, title: str | None = None) -> Capture:
    return clean_capture(text, fetched_at=NOW, title=title)


def _article(text: str, url: str = "https://harbour.example/a", **kw: object) -> Article:
    art = article_from_capture(text, url=url, source="t", fetched_at=NOW, **kw)  # type: ignore[arg-type]
    assert isinstance(art, Article), art
    return art


def test_menu_words_teasers_link_list_and_bio_leave_the_headline_and_the_article() -> None:
    cap = _clean(MENU_AND_TEASERS)
    assert cap.title == "Valdoria Offers Cobalt Quota Relief to Win Karesh Port Deal"
    assert not cap.title_generated
    lines = cap.text.split("\n")
    assert lines[0].startswith("Talks constructive, envoy says")  # the standfirst opens the text
    for furniture in ("fbpx", "Type to search", "ALSO SEE", "READ MORE", "Harbour Expansion", "Tomas Weller",
                      "correspondent", "Valdoria Offers Cobalt"):
        assert furniture not in cap.text, furniture
    for kept in ("making progress", "third day", "late last night", "signed text", "doubled their costs",
                 "Quotas and berths", "monthly allocations."):
        assert kept in cap.text, kept
    assert cap.published_at is None  # no dateline


def test_site_clock_is_not_the_publication_date_and_tail_notes_go() -> None:
    cap = _clean(SITE_CLOCK)
    assert cap.title == "Karesh and Valdoria Resume Cobalt Talks in Ferrow"
    assert cap.published_at is None  # 2021 clock, the text is about 2026
    for furniture in ("2021", "HARBOURWIRE", "Legal Disclaimer", "without warranty", "Search"):
        assert furniture not in cap.text, furniture
    assert cap.text.endswith("reached in the spring.")


def test_the_same_clock_line_near_the_text_dates_is_its_dateline() -> None:
    dated = SITE_CLOCK.replace("Wednesday, 03 March 2021", "Tuesday, 12 May 2026")
    assert _clean(dated).published_at == datetime(2026, 5, 12, 9, 41, tzinfo=UTC)
    clock = "Wednesday, 03 March 2021 09:41 GMT"
    assert is_site_clock(clock, mentions("in the first five months of 2026"))
    assert not is_site_clock(clock, mentions("nothing dated here"))  # nothing to be far from
    assert not is_site_clock("03 March 2021", mentions("in 2026"))  # no weekday and time: a dateline


def test_dateline_repeats_cards_and_closing_labels() -> None:
    cap = _clean(CARDS_AND_REPEATS)
    assert cap.title == "Ferrow refiners restart cobalt lines, but slowly"
    assert cap.published_at == datetime(2026, 3, 14, tzinfo=UTC)
    assert cap.text.startswith("FERROW - The threat of idle furnaces")
    assert cap.text.endswith('the damage will be limited," a plant manager said.')
    for furniture in ("logo", "Harbour Gazette", "By Anna Lind", "automated news agency feed", "Orange background",
                      "Comments", "Related Articles", "Rail Strike", "Festival", "Download", "app-store"):
        assert furniture not in cap.text, furniture


def test_standfirst_first_capture_gets_a_generated_title_recognisable_in_storage() -> None:
    art = _article(STANDFIRST_FIRST)
    assert art.title == "Second day of Ferrow talks opens with both sides signalling flexibility on cobalt quotas"
    assert _clean(STANDFIRST_FIRST).title_generated
    assert art.text.startswith("Second day of Ferrow talks opens")  # the standfirst stays in the text
    assert title_is_generated(art.title, art.text)
    found = _article(MENU_AND_TEASERS)
    assert not title_is_generated(found.title, found.text)
    long_first = "U.S. officials and " + "very " * 40 + "long standfirst sentence here.\nBody."
    cap = _clean(long_first)
    assert cap.title.endswith("…") and len(cap.title) <= 121 and cap.title.startswith("U.S. officials")
    assert title_is_generated(cap.title, cap.text)


def test_a_list_of_standfirsts_is_no_article() -> None:
    got = article_from_capture(LIST_OF_STANDFIRSTS, url="https://harbour.example/latest", source="t", fetched_at=NOW)
    assert isinstance(got, NoArticle)
    assert got.reason.startswith("listing page: ") and "no article body" in got.reason
    for text in (MENU_AND_TEASERS, SITE_CLOCK, CARDS_AND_REPEATS, STANDFIRST_FIRST):
        assert listing_reason(_clean(text).text) is None
    bullets = "Key points\n" + "\n".join(f"• Point {i} of the plan names a port, a quota and a date for it" for i in range(8))
    assert listing_reason(bullets + "\nThe plan was published on Monday.") is None  # bullets are an article's list
    assert isinstance(article_from_capture("Search\nMenu", url="https://h.example/x", source="t", fetched_at=NOW), NoArticle)


def test_a_capture_that_is_only_a_headline_is_kept_as_a_lead() -> None:
    # an alert's or a spreadsheet's record: a headline, perhaps a dateline, no body
    got = article_from_capture("Valdoria lifts cobalt quota for Karesh refiners", url="https://h.example/a",
                               source="t", fetched_at=NOW)
    assert isinstance(got, Article) and got.kind == "lead"
    assert got.title == got.text == "Valdoria lifts cobalt quota for Karesh refiners"
    dated = article_from_capture("Menu\nMay 28, 2026\nValdoria lifts cobalt quota for Karesh refiners",
                                 url="https://h.example/b", source="t", fetched_at=NOW)
    assert isinstance(dated, Article) and dated.kind == "lead"
    assert dated.published_at == datetime(2026, 5, 28, tzinfo=UTC) and "Menu" not in dated.text
    # a capture with a body stays an article; one with nothing but furniture stays out
    assert _article(MENU_AND_TEASERS).kind == "article"
    headlines = "\n".join(f"Karesh port story number {i} on another matter entirely" for i in range(10))
    for junk in ("Search\nMenu", "Tuesday, 02 January 2024 12:17 GMT", headlines):  # a list of headlines too
        assert isinstance(article_from_capture(junk, url="https://h.example/x", source="t", fetched_at=NOW), NoArticle)


def test_what_the_record_gives_wins() -> None:
    given = datetime(2026, 5, 20, tzinfo=UTC)
    art = _article(CARDS_AND_REPEATS, title="Refiners restart", published_at=given)
    assert (art.title, art.published_at) == ("Refiners restart", given)
    assert "logo" not in art.text and "Related Articles" not in art.text
    # a given title is dropped from the top of the text like a found one
    assert not _article(MENU_AND_TEASERS, title="Valdoria Offers Cobalt Quota Relief to Win Karesh Port Deal").text \
        .startswith("Valdoria Offers")


def test_wire_dateline_at_the_start_of_the_text() -> None:
    text = "FERROW, March 4, 2026 /Harbour Wire/ -- The refiners' association said on Wednesday that allocations had resumed."
    assert lead_date(text) == datetime(2026, 3, 4, tzinfo=UTC)
    assert _clean(text).published_at == datetime(2026, 3, 4, tzinfo=UTC)
    # a date further into the text is an event's, not the article's
    assert _clean("The association said the quota agreed on March 4, 2026 had been extended.").published_at is None


@pytest.mark.parametrize(("text", "day"), [
    ("June 9, 2026", (2026, 6, 9)), ("Jun. 9 2026", (2026, 6, 9)), ("9th of June, 2026", (2026, 6, 9)),
    ("2026-06-09", (2026, 6, 9)), ("Gazette09-06-2026", (2026, 6, 9)), ("09.06.2026", (2026, 6, 9)),
    ("06/30/2026", (2026, 6, 30)), ("30/06/2026", (2026, 6, 30)), ("Sept. 3rd, 2025", (2025, 9, 3)),
])
def test_full_dates(text: str, day: tuple[int, int, int]) -> None:
    assert [d.timetuple()[:3] for _, d in full_dates(text)] == [day]


def test_not_dates() -> None:
    assert full_dates("05/06/2026") == []  # May 6 or 5 June: the text does not say
    assert full_dates("the market 5, 2026") == []
    named = mentions("12,026 tonnes, $2026, 2026% and the first half of 2025")
    assert named.years == (2025,) and named.days == ()


def test_general_furniture_rules_on_extracted_text() -> None:
    text = "\n".join([
        "fbpx", "Type to search", "Tuesday, 04 March 2025 10:02 GMT", "Harbour talks resume in Ferrow.",
        "The delegations met on Monday and will meet again on Thursday.", "HARBOURWIRE20260512004417ID7700123456",
        "The publisher provides this article without warranty of any kind.",
    ])
    assert strip_furniture(text) == "Harbour talks resume in Ferrow.\nThe delegations met on Monday and will meet again on Thursday."


def test_exported_records_are_stored_as_given() -> None:
    line = json.dumps({"url": "https://harbour.example/e", "text": "fbpx\nHeadline here\nBody text.", "story_id": "s-1"})
    rec = parse_line(line, 1, NOW)
    assert isinstance(rec, Exported) and rec.article.text == "fbpx\nHeadline here\nBody text."


@pytest.mark.slow
def test_import_stores_cleaned_captures_and_rejects_the_list(tmp_path: Path) -> None:
    from reewatch.cli import app

    records = [("menu", MENU_AND_TEASERS), ("clock", SITE_CLOCK), ("cards", CARDS_AND_REPEATS),
               ("standfirst", STANDFIRST_FIRST), ("latest", LIST_OF_STANDFIRSTS)]
    file = tmp_path / "captures.jsonl"
    file.write_text("\n".join(json.dumps({"url": f"https://harbour.example/{k}", "text": t}) for k, t in records),
                    encoding="utf-8")
    db = tmp_path / "captures.duckdb"
    res = CliRunner().invoke(app, ["import", str(file), "--db", str(db)])
    assert res.exit_code == 0, res.output
    con = duckdb.connect(str(db), read_only=True)
    try:
        docs = {url.rsplit("/", 1)[1]: (title, text, published) for url, title, text, published in con.execute(
            "SELECT url, title, text, published_at FROM documents").fetchall()}
        seen = dict(con.execute("SELECT url, reason FROM seen_urls WHERE outcome = 'no_article'").fetchall())
    finally:
        con.close()
    assert set(docs) == {"menu", "clock", "cards", "standfirst"}
    assert docs["menu"][0] == "Valdoria Offers Cobalt Quota Relief to Win Karesh Port Deal"
    assert not any(f in docs["menu"][1] for f in ("fbpx", "Type to search", "ALSO SEE", "Tomas Weller"))
    assert docs["clock"][0] == "Karesh and Valdoria Resume Cobalt Talks in Ferrow" and docs["clock"][2] is None
    assert docs["cards"][2] is not None and docs["cards"][2].astimezone(UTC) == datetime(2026, 3, 14, tzinfo=UTC)
    assert "Rail Strike" not in docs["cards"][1]
    title, text, _ = docs["standfirst"]
    assert title_is_generated(title, text)
    assert seen["https://harbour.example/latest"].startswith("listing page: ")
