"""Digest composition on a real DuckDB file: one entry per story, ranking, updates, renderings, schedules."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.records import StoryDigestItem, StoryOutlet, TopicScore, TriagedArticle
from digest.alerts import select_alerts
from digest.channels import Channel, check_schedule, is_due
from digest.compose import compose, fill_days, rank, summarize
from digest.render_text import to_markdown, to_text
from digest.run import DigestOptions, run_digest
from digest.settings import DigestSettings
from extract.article import article_from_text
from store import articles as store_articles
from store.db import connect
from store.digests import StoryFilter, pending_stories, updated_stories

NOW = datetime(2025, 6, 10, 8, 0, tzinfo=UTC)
TOPIC = "rare-earth-trade"
Row = tuple[str, str, float, str, float, str, str]

# Original prose written for these tests: (url, story, score, label, hours before NOW, title, text).
ARTICLES: list[Row] = [
    ("https://wire.example/licences", "s-licences", 0.92, "relevant", 5, "Beijing tightens licences for magnet exports",
     "Beijing said on Monday that exporters of rare-earth magnets will need a licence for every shipment. "
     "The commerce ministry listed seven medium and heavy elements covered by the rule. "
     "Carmakers in Europe warned that their stocks would last only a few weeks. Analysts expect delays."),
    ("https://paper.example/licences-copy", "s-licences", 0.90, "relevant", 4, "Magnet exporters face licence rule",
     "Beijing said on Monday that exporters of rare-earth magnets will need a licence for every shipment. "
     "The commerce ministry listed seven medium and heavy elements covered by the rule."),
    ("https://auto.example/line-stops", "s-carmaker", 0.81, "relevant", 30, "Carmaker halts a line for want of magnets",
     "A European carmaker stopped one assembly line after magnet deliveries from China ran late. "
     "The company said the licence queue had grown since April. Workers were sent home for two days."),
    ("https://trade.example/talks", "s-talks", 0.66, "relevant", 60, "Trade talks in London turn to rare earths",
     "Negotiators met in London to discuss export controls on critical minerals. "
     "Both sides described the talks as constructive but gave no date for a deal."),
    ("https://trade.example/gallium", "s-gallium", 0.35, "adjacent", 10, "Gallium prices climb",
     "Gallium prices rose for a third week as buyers looked for non-Chinese supply. "
     "Traders said inventories in Rotterdam were thin."),
    ("https://life.example/band", "s-band", 0.05, "irrelevant", 2, "Band called Rare Earth plays again",
     "The rock band Rare Earth announced a reunion tour across the Midwest this autumn. "
     "Tickets go on sale on Friday."),
]


def triaged(url: str, story: str, score: float, label: str, hours: float, title: str, text: str,
            now: datetime = NOW, dup: str | None = None) -> TriagedArticle:
    art = article_from_text(text, url=url, source="test", fetched_at=now - timedelta(hours=hours), title=title)
    art = replace(art, site_name=url.split("/")[2].split(".")[0].title())
    reasons = (f"mentions {title.split()[0].lower()}", "export-control vocabulary")
    return TriagedArticle(art, (1.0, 0.0, 0.0), dup, story, (TopicScore(TOPIC, score, label, reasons),))  # type: ignore[arg-type]


def build_db(path: Path, now: datetime = NOW, rows: list[Row] | None = None) -> Path:
    """A real DuckDB file holding ``rows`` (default: ARTICLES), stored through save_batch."""
    con = connect(path)
    store_articles.set_meta(con, "default_topic", TOPIC)
    store_articles.save_batch(con, [triaged(*r, now=now) for r in rows or ARTICLES], [], [], model="m", run_id="t")
    con.close()
    return path


def add_article(path: Path, row: Row, now: datetime = NOW) -> None:
    con = connect(path)
    store_articles.save_batch(con, [triaged(*row, now=now)], [], [], model="m", run_id="t2")
    con.close()


def _item(story: str, score: float, hours: float, outlets: int) -> StoryDigestItem:
    return StoryDigestItem(
        story_id=story, headline=story, lead="", score=score, label="relevant", first_seen_at=NOW - timedelta(hours=hours),
        outlets=tuple(StoryOutlet(f"site{i}", f"https://{story}{i}.example/", "t") for i in range(outlets)), reasons=(),
    )


def test_rank_weighs_relevance_recency_and_outlets() -> None:
    fresh_single = _item("fresh", 0.8, 1, 1)
    day_old_three = _item("wide", 0.8, 24, 3)
    stale = _item("stale", 0.9, 24 * 7, 1)
    weak = _item("weak", 0.3, 1, 1)
    assert [i.story_id for i in rank([weak, stale, fresh_single, day_old_three], NOW)] == ["wide", "fresh", "weak", "stale"]


def test_summary_is_two_or_three_sentences_of_the_lead_and_skips_bylines() -> None:
    text = ("By Staff. Beijing said on Monday that magnet exporters need a licence. The rule covers seven elements. "
            "Carmakers warned of shortages. A fourth sentence that must not appear.")
    s = summarize(text)
    assert s.startswith("Beijing said") and "Carmakers warned" in s and "fourth" not in s and "By Staff" not in s
    assert len(summarize("word " * 400)) <= 480


def test_pending_gives_one_entry_per_story_with_every_outlet(tmp_path: Path) -> None:
    con = connect(build_db(tmp_path / "d.duckdb"))
    items = {it.story_id: it for it in pending_stories(con, "c")}
    assert set(items) == {"s-licences", "s-carmaker", "s-talks"}
    lic = items["s-licences"]
    assert lic.headline == "Beijing tightens licences for magnet exports"
    assert [o.url for o in lic.outlets] == ["https://wire.example/licences", "https://paper.example/licences-copy"]
    assert lic.first_seen_at == NOW - timedelta(hours=5) and lic.score == pytest.approx(0.92)
    assert lic.reasons == ("mentions beijing", "export-control vocabulary")
    adj = {it.story_id for it in pending_stories(con, "c", "adjacent")}
    assert adj == {"s-licences", "s-carmaker", "s-talks", "s-gallium"}
    high = pending_stories(con, "c", story_filter=StoryFilter(min_score=0.8))
    assert {it.story_id for it in high} == {"s-licences", "s-carmaker"}
    recent = pending_stories(con, "c", story_filter=StoryFilter(since=NOW - timedelta(hours=24)))
    assert {it.story_id for it in recent} == {"s-licences"}
    assert pending_stories(con, "c", story_filter=StoryFilter(topics=("other-topic",))) == []
    con.close()


def test_markdown_and_text_list_each_story_once_with_links(tmp_path: Path) -> None:
    con = connect(build_db(tmp_path / "d.duckdb"))
    d = compose(pending_stories(con, "c"), NOW, volume={})
    con.close()
    md, txt = to_markdown(d), to_text(d)
    assert [line for line in md.splitlines() if line.startswith("## ")] == [
        "## 1. Beijing tightens licences for magnet exports",
        "## 2. Carmaker halts a line for want of magnets",
        "## 3. Trade talks in London turn to rare earths",
    ]
    assert "[Paper](https://paper.example/licences-copy)" in md and "Why: mentions beijing" in md
    assert "first seen 2025-06-10 03:00 UTC" in md and "Band called" not in md
    assert txt.count("1. Beijing tightens licences") == 1 and "https://auto.example/line-stops" in txt
    assert len(d.volume) == 30 and d.volume[-1][0] == NOW.date()


def test_story_that_gains_an_outlet_comes_back_once_under_updates(tmp_path: Path) -> None:
    db = build_db(tmp_path / "d.duckdb")
    out = tmp_path / "out"
    first = run_digest(db, out, [], now=NOW)
    assert [(r.outcome, r.stories, r.updates) for r in first] == [("sent", 3, 0)]
    later = NOW + timedelta(hours=2)
    add_article(db, ("https://third.example/licences", "s-licences", 0.88, "relevant", 0,
                     "Third outlet on the licence rule", "A third newspaper covered the licence rule in detail today."),
                now=later)
    second = run_digest(db, out, [], now=later)
    assert [(r.outcome, r.stories, r.updates) for r in second] == [("sent", 0, 1)]
    md = Path(second[0].target).read_text(encoding="utf-8")
    assert "## Updates" in md and [ln for ln in md.splitlines() if ln.startswith("#")][1:] == [
        "## Updates", "### Beijing tightens licences for magnet exports"]
    assert "**new** [Third](https://third.example/licences)" in md
    assert "**new** [Wire]" not in md
    assert [r.outcome for r in run_digest(db, out, [], now=later)] == ["nothing-new"]
    con = connect(db)
    assert updated_stories(con, "file", StoryFilter()) == []
    con.close()


def test_channel_filters_and_lookback(tmp_path: Path) -> None:
    db = build_db(tmp_path / "d.duckdb")
    strict = Channel(name="strict", url="file", min_score=0.8)
    res = run_digest(db, tmp_path / "o", [], channels=[strict], options=DigestOptions(settings=DigestSettings(lookback_days=1.0)), now=NOW)
    assert [(r.channel, r.stories) for r in res] == [("strict", 1)]


def test_schedules() -> None:
    t = datetime(2025, 6, 10, 8, 0, tzinfo=UTC)  # a Tuesday
    assert is_due("", t, t) and is_due("always", t, t)
    assert is_due("every 6h", None, t)
    assert not is_due("every 6h", t - timedelta(hours=5), t) and is_due("every 6h", t - timedelta(hours=6), t)
    assert is_due("daily 07:00", t - timedelta(hours=2), t)  # last run 06:00, slot 07:00 passed
    assert not is_due("daily 07:00", t - timedelta(minutes=30), t)  # already ran after 07:00
    assert not is_due("daily 09:00", t - timedelta(hours=20), t)  # yesterday's 09:00 run is the latest
    assert is_due("mon 07:00", t - timedelta(days=2), t) and not is_due("mon 07:00", t - timedelta(hours=20), t)
    assert check_schedule("Daily  07:00") == "daily 07:00"
    with pytest.raises(ValueError, match="unknown digest schedule"):
        check_schedule("at dawn")


def test_alert_selection_respects_threshold_and_rate_limit() -> None:
    items = [_item("a", 0.95, 1, 2), _item("b", 0.9, 1, 1), _item("c", 0.7, 1, 5)]
    assert [i.story_id for i in select_alerts(items, 0.85, [], 3, NOW)] == ["a", "b"]
    assert [i.story_id for i in select_alerts(items, 0.85, [NOW - timedelta(minutes=5)] * 2, 3, NOW)] == ["a"]
    assert select_alerts(items, 0.85, [NOW - timedelta(minutes=5)] * 3, 3, NOW) == []
    assert len(select_alerts(items, 0.85, [NOW - timedelta(hours=2)] * 3, 3, NOW)) == 2
    assert fill_days({NOW.date(): 4}, NOW.date(), 3)[-1] == (NOW.date(), 4)


def test_rows_sent_before_member_urls_were_kept_count_by_member_count(tmp_path: Path) -> None:
    con = connect(build_db(tmp_path / "d.duckdb"))
    con.execute("INSERT INTO digest_items (digest_id, channel, story_id, member_count, sent_at) "
                "VALUES ('old', 'c', 's-licences', 2, ?), ('old', 'c', 's-carmaker', 0, ?)", [NOW, NOW])
    upd = {it.story_id: known for it, known in updated_stories(con, "c", StoryFilter())}
    assert upd == {"s-carmaker": frozenset()}
    assert {it.story_id for it in pending_stories(con, "c")} == {"s-talks"}
    con.close()
