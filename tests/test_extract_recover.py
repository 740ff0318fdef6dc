"""extract.recover and the newer furniture rules, on project-written pages and text."""

from __future__ import annotations

from lxml.html import HtmlElement
from trafilatura.utils import load_html

from extract.furniture import strip_furniture
from extract.recover import MIN_RECOVERED_SHARE, recover_paragraphs

FIRST = [
    "The harbour board approved a second loading berth for ore carriers on Tuesday evening.",
    "Dock workers said the queue of ships outside the breakwater had grown for three months.",
]
SECOND = [
    "Engineers expect the new berth to double the tonnage the port can move in a single week.",
    "The board will vote on the dredging contract once the environmental survey is complete.",
]


def _page(second_body: str, extra: str = "") -> HtmlElement:
    first = "".join(f"<p>{t}</p>" for t in FIRST)
    html = (
        "<html><body><main>"
        f"<div class='row'><div class='story-body col'>{first}</div></div>"
        "<div class='ad-slot'><p>Advertisement placeholder text that is long enough to count here.</p></div>"
        f"<div class='row'><div class='story-body col'>{second_body}</div></div>"
        f"{extra}</main></body></html>"
    )
    tree = load_html(html)
    assert tree is not None
    return tree


def test_paragraphs_of_a_split_article_are_put_back_in_document_order() -> None:
    tree = _page("".join(f"<p>{t}</p>" for t in SECOND))
    out = recover_paragraphs(tree, "\n".join(FIRST))
    assert out.split("\n") == FIRST + SECOND


def test_other_containers_comments_links_and_small_additions_stay_out() -> None:
    comment = ("<div class='comment-list'><div class='row'><div class='story-body col'>"
               "<p>Reader comment: I have waited at that breakwater myself for eleven days in a row.</p>"
               "</div></div></div>")
    links = "".join(f"<a href='/s{i}'>Another story headline number {i}</a> " for i in range(4))
    tree = _page("".join(f"<p>{t}</p>" for t in SECOND) + f"<p>{links}</p>", extra=comment)
    out = recover_paragraphs(tree, "\n".join(FIRST))
    assert "Reader comment" not in out and "Another story" not in out and "Advertisement" not in out
    assert all(t in out for t in SECOND)
    # A single short bio-like paragraph is below the share that makes a recovery worth it.
    small = _page("<p>Sam Ortiz covers shipping and ports for the paper from the coast.</p>")
    text = "\n".join(FIRST * 3)
    assert len("Sam Ortiz covers shipping and ports for the paper from the coast.") < MIN_RECOVERED_SHARE * len(text)
    assert recover_paragraphs(small, text) == text


def test_nothing_to_match_leaves_the_text_alone() -> None:
    tree = _page("".join(f"<p>{t}</p>" for t in SECOND))
    assert recover_paragraphs(tree, "Something trafilatura found elsewhere.") == "Something trafilatura found elsewhere."


PROSE2 = "Riders asked for a later last bus on Fridays, and the council agreed to look at it again."
PROSE = ("The council said the new depot would open in the spring, and that bus routes through the "
         "old town would change once the work on the bridge was finished.")


def test_table_of_contents_reading_time_and_buttons_are_dropped() -> None:
    text = "\n".join(["6 min read", "Table of Contents", "Why the depot moved", "What changes for riders",
                      PROSE, "Why the depot moved", PROSE, "What changes for riders", PROSE, "Learn more",
                      "Comments", "Back to blog", "Read more", "Filed under: Transport",
                      "Oops! Something went wrong while submitting the form.",
                      "Start your free 14-day trial, no credit card required."])
    assert strip_furniture(text) == "\n".join([PROSE, "Why the depot moved", PROSE, "What changes for riders",
                                               PROSE])


def test_headline_from_h1_and_author_section_in_the_tail() -> None:
    text = "\n".join(["City News", "Depot opens in spring", PROSE, PROSE2, "About the Author",
                      "Lee Park has written about transport in the region for a decade and lives near the depot."])
    out = strip_furniture(text, title="New bus depot to open in spring - City News", headline="Depot opens in spring")
    assert out == "\n".join(["City News", PROSE, PROSE2])
    # Far from the end, "About the author" is left alone (it is then part of the article).
    long_text = "\n".join(["About the Author", *[PROSE, PROSE2] * 5])
    assert strip_furniture(long_text) == long_text


def test_missed_section_headings_are_put_back_before_their_paragraphs() -> None:
    from extract.interior import recover_headings

    html = (
        "<html><body><article><div class='entry'>"
        f"<p>{FIRST[0]}</p><h2>Why the berth matters</h2><p>{FIRST[1]}</p>"
        f"<h3><a href='/more'>Read the full board report here</a></h3><p>{SECOND[0]}</p>"
        "<aside><h3>Sponsored corner</h3></aside>"
        f"<p>{SECOND[1]}</p><h2>More from the harbour desk</h2>"
        "</div></article></body></html>"
    )
    tree = load_html(html)
    assert tree is not None
    out = recover_headings(tree, "\n".join(FIRST + SECOND))
    # The section heading is back before its paragraph; a linked heading, a heading in an aside and a
    # trailing heading with no kept text after it stay out.
    assert out.split("\n") == [FIRST[0], "Why the berth matters", FIRST[1], *SECOND]
