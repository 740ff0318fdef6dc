"""The reading room's reads (store/browse.py) on a real DuckDB file, and its pure parts: the
guards (reewatch/ui/security.py), the coverage strip, the retrain arithmetic."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from reewatch.ui import security
from reewatch.ui.retrain import Evaluation, evaluate
from reewatch.ui.timeline import coverage_svg
from reewatch.ui.views import with_params
from store import browse
from store.db import connect
from store.labels import add_label, changed_labels
from tests.test_ui_support import DOCS, NOW, TOPIC, XSS_OUTLET, build_ui_db
from triage.head import folds, soft_log_loss


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return build_ui_db(tmp_path / "browse.duckdb")


def _ids(page: browse.StoryPage) -> list[str]:
    return [r.story_id for r in page.rows]


def test_stories_newest_first_with_languages_outlets_and_counts(db: Path) -> None:
    con = connect(db, read_only=True)
    try:
        page = browse.list_stories(con, browse.StoryQuery())
    finally:
        con.close()
    assert page.topic == TOPIC and page.total == 7 and page.pages == 1
    assert _ids(page) == ["s-licences", "s-gallium", "s-carmaker", "s-fonds", "s-talks", "s-tram", "s-xss"]
    lic = page.rows[0]
    assert lic.languages == ("de", "en") and lic.outlets == ("Paper", "Wire", "Zeitung")
    assert (lic.member_count, lic.outlet_count, lic.label, lic.score) == (3, 3, "relevant", 0.92)
    assert lic.first_seen_at == NOW - timedelta(hours=5) and lic.last_updated_at == NOW - timedelta(hours=3)
    assert lic.reasons and lic.headline == "Beijing tightens licences for magnet exports"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (browse.StoryQuery(lang="de"), ["s-licences", "s-fonds"]),
        (browse.StoryQuery(lang="fr"), ["s-carmaker"]),
        (browse.StoryQuery(label="adjacent"), ["s-gallium", "s-xss"]),
        (browse.StoryQuery(source="zeitung"), ["s-licences"]),
        (browse.StoryQuery(since=NOW - timedelta(hours=24)), ["s-licences", "s-gallium"]),
        # first seen 5 h ago, grew 3 h ago: "updated" since 4 h, not "new"
        (browse.StoryQuery(since=NOW - timedelta(hours=4), state="updated"), ["s-licences"]),
        (browse.StoryQuery(since=NOW - timedelta(hours=4), state="new"), []),
        (browse.StoryQuery(since=NOW - timedelta(hours=40), state="new"), ["s-licences", "s-gallium", "s-carmaker"]),
        (browse.StoryQuery(order="relevant", label="relevant"),
         ["s-licences", "s-carmaker", "s-tram", "s-fonds", "s-talks"]),
        (browse.StoryQuery(lang="de", label="adjacent"), []),
    ],
)
def test_story_filters(db: Path, query: browse.StoryQuery, expected: list[str]) -> None:
    con = connect(db, read_only=True)
    try:
        page = browse.list_stories(con, query)
    finally:
        con.close()
    assert _ids(page) == expected and page.total == len(expected)


def test_pages_split_the_archive_without_overlap(db: Path) -> None:
    con = connect(db, read_only=True)
    try:
        pages = [browse.list_stories(con, browse.StoryQuery(page=n, per_page=3)) for n in (1, 2, 3, 4)]
    finally:
        con.close()
    assert [len(p.rows) for p in pages] == [3, 3, 1, 0] and {p.pages for p in pages} == {3}
    seen = [sid for p in pages for sid in _ids(p)]
    assert len(seen) == len(set(seen)) == 7


def test_another_topic_ranks_by_its_own_scores(db: Path) -> None:
    con = connect(db)
    try:
        con.execute("INSERT INTO relevance VALUES ('https://metals.example/gallium', 'critical-minerals', 0.9, "
                    "'relevant', ['gallium'], 'x', now()), ('https://city.example/tram', 'critical-minerals', 0.1, "
                    "'irrelevant', [], 'x', now())")
    finally:
        con.close()
    con = connect(db, read_only=True)
    try:
        page = browse.list_stories(con, browse.StoryQuery(topic="critical-minerals", order="relevant"))
        facets = browse.facets(con)
    finally:
        con.close()
    assert page.topic == "critical-minerals" and _ids(page) == ["s-gallium", "s-tram"]
    assert (page.rows[0].label, page.rows[0].score, page.rows[0].reasons) == ("relevant", 0.9, ("gallium",))
    assert facets["topics"] == ["critical-minerals", TOPIC]
    assert facets["languages"][0] == "en" and set(facets["languages"]) == {"en", "de", "fr"}
    assert set(facets["sources"]) == {d.source for d in DOCS}


def test_story_members_carry_marks_text_and_labels(db: Path) -> None:
    con = connect(db)
    try:
        add_label(con, "https://zeitung.example/lizenzen", TOPIC, "irrelevant")
        if browse.optional_member_columns(con) == browse.OPTIONAL_MEMBER_COLUMNS:
            con.execute("UPDATE documents SET kind = 'lead', paywalled = true WHERE canonical_url = 'https://zeitung.example/lizenzen'")
            con.execute("UPDATE documents SET copy_kind = 'paraphrase' WHERE canonical_url = 'https://paper.example/licences-copy'")
    finally:
        con.close()
    con = connect(db, read_only=True)
    try:
        members = browse.story_members(con, "s-licences", TOPIC)
        header = browse.story_header(con, "s-licences")
        originals = browse.story_originals(con, "s-licences")
        mine = browse.story_analyst_labels(con, ["s-licences", "s-tram"], TOPIC)
        have = browse.optional_member_columns(con)
    finally:
        con.close()
    assert [m.canonical_url for m in members] == ["https://wire.example/licences", "https://paper.example/licences-copy",
                                                  "https://zeitung.example/lizenzen"]
    assert members[0].marks == () and members[1].marks == ("copy",)
    assert members[1].duplicate_of == "https://wire.example/licences" and "licence for every shipment" in members[1].text
    assert members[2].analyst_label == "irrelevant" and members[0].analyst_label is None
    if have == browse.OPTIONAL_MEMBER_COLUMNS:  # a file from before migrations 011 and 013 has none of them
        assert members[2].marks == ("lead", "paywalled") and members[1].copy_kind == "paraphrase"
    assert header is not None and header.languages == ("de", "en")
    assert originals == ["https://wire.example/licences", "https://zeitung.example/lizenzen"]
    assert mine == {"s-licences": ("irrelevant",)}


def test_member_marks_follow_the_columns_a_file_has() -> None:
    assert browse.member_marks(None) == ()
    assert browse.member_marks("https://a.example/") == ("copy",)
    assert browse.member_marks("https://a.example/", "article", False, "translation") == ("translation",)
    assert browse.member_marks("https://a.example/", "article", False, "rewrite") == ("copy",)
    assert browse.member_marks(None, "lead", True) == ("lead", "paywalled")
    assert browse.member_marks(None, "article", False, None) == ()


def test_sources_show_health_back_off_and_backlogs(db: Path) -> None:
    con = connect(db)
    try:
        backlogs = browse.present_columns(con, "sources", ("backlog",)) and browse.present_columns(con, "link_backlog", ("url",))
        if backlogs:
            con.execute("UPDATE sources SET backlog = '[[\"2026-01-01T00:00:00+00:00\", \"2026-01-01T01:00:00+00:00\"]]' "
                        "WHERE name = 'dead-feed'")
            con.execute("INSERT INTO link_backlog VALUES ('wire-feed', 'https://wire.example/a', NULL, NULL, now()), "
                        "('wire-feed', 'https://wire.example/b', NULL, NULL, now())")
    finally:
        con.close()
    con = connect(db, read_only=True)
    try:
        rows = {r.source: r for r in browse.source_rows(con)}
    finally:
        con.close()
    if backlogs:  # a file from before migration 010 records no backlog
        assert (rows["wire-feed"].backlog_links, rows["dead-feed"].backlog_windows) == (2, 1)
        assert rows["dead-feed"].backlog_links == 0 and rows["wire-feed"].backlog_windows is None
    dead = rows["dead-feed"]
    assert (dead.status, dead.consecutive_failures, dead.last_error_class) == ("failing", 4, "http_5xx")
    assert dead.next_attempt_at is not None and dead.next_attempt_at > NOW
    assert rows["wire-feed"].status == "ok" and rows["wire-feed"].articles == 1
    assert rows["zeitung"].status == "not configured"


def test_label_fingerprint_docs_after_and_stored_labels(db: Path) -> None:
    con = connect(db)
    try:
        before = browse.label_fingerprint(con, TOPIC)
        add_label(con, "https://city.example/tram", TOPIC, "irrelevant")
        after = browse.label_fingerprint(con, TOPIC)
        counts = browse.label_counts(con)
        stored = browse.stored_labels(con, TOPIC)
        batches, last = [], ""
        while page := browse.docs_after(con, "m", TOPIC, last, 4):
            batches.append(page)
            last = page[-1][0].canonical_url
    finally:
        con.close()
    assert before != after and counts == {TOPIC: {"irrelevant": 1}}
    assert stored["https://city.example/tram"] == "relevant"
    assert [len(b) for b in batches] == [4, 4, 3]
    urls = [d.canonical_url for b in batches for d, _ in b]
    assert urls == sorted(urls) and len(set(urls)) == len(DOCS)
    first = batches[0][0][0]
    assert first.vector is not None and first.vector.shape == (3,)


def test_changed_labels_counts_moves_only() -> None:
    moves = changed_labels([("relevant", "irrelevant"), ("relevant", "relevant"), (None, "adjacent"),
                            ("relevant", "irrelevant"), ("adjacent", "relevant")])
    assert moves == Counter({("relevant", "irrelevant"): 2, ("unscored", "adjacent"): 1, ("adjacent", "relevant"): 1})
    assert sum(moves.values()) == 4 and changed_labels([]) == Counter()


def test_folds_cover_every_row_once_and_log_loss() -> None:
    parts = folds(7, 5)
    assert len(parts) == 5 and sorted(int(i) for p in parts for i in p) == list(range(7))
    assert [len(p) for p in folds(3, 5)] == [1, 1, 1] and folds(0, 5) == []
    perfect = soft_log_loss(np.array([1.0, 0.0]), np.array([1.0, 0.0]))
    unsure = soft_log_loss(np.array([0.5, 0.5]), np.array([1.0, 0.0]))
    assert perfect < 1e-5 and abs(unsure - np.log(2)) < 1e-9 and soft_log_loss(np.array([]), np.array([])) == 0.0


def test_evaluation_against_labels() -> None:
    e = evaluate(np.array([0.9, 0.3, 0.1, 0.6]), ["relevant", "adjacent", "irrelevant", "irrelevant"])
    assert (e.n, e.agreement) == (4, 0.75) and e.log_loss is not None and e.log_loss > 0
    assert evaluate(np.array([]), []) == Evaluation(0, None, None)


def test_who_needs_a_token() -> None:
    assert security.is_loopback("127.0.0.1") and security.is_loopback("127.0.0.2") and security.is_loopback("::1")
    assert security.is_loopback("localhost") and security.is_loopback("[::1]")
    assert not security.is_loopback("0.0.0.0") and not security.is_loopback("192.168.1.5")
    assert not security.is_loopback("example.org")
    assert not security.needs_token("127.0.0.1", "")
    assert security.needs_token("127.0.0.1", "configured") and security.needs_token("0.0.0.0", "")


def test_token_and_csrf_checks() -> None:
    token = security.new_secret()
    assert len(token) >= 40 and token != security.new_secret()
    assert security.token_ok(token, cookie=None, header=token)
    assert security.token_ok(token, cookie=security.cookie_value(token), header=None)
    assert not security.token_ok(token, cookie=token, header=None), "the cookie holds a derived value, not the token"
    assert not security.token_ok(token, cookie=None, header=None)
    assert not security.token_ok(token, cookie="", header=token[:-1])
    assert security.csrf_ok("abc", "abc") and not security.csrf_ok("abc", "abd")
    assert not security.csrf_ok(None, None) and not security.csrf_ok("", "")


def test_links_redirects_hosts_and_policy() -> None:
    assert security.external_href("https://a.example/x") == "https://a.example/x"
    assert security.external_href("javascript:alert(1)") is None
    assert security.external_href(" JavaScript:alert(1)") is None and security.external_href("data:text/html,x") is None
    assert security.local_path("/story/s-1?topic=t") == "/story/s-1?topic=t"
    for bad in ("//evil.example/", "https://evil.example/", "/\\evil.example", "", None, "stories"):
        assert security.local_path(bad) == "/stories"
    hosts = security.allowed_hosts("127.0.0.1", 8765, "https://news.example:8443")
    assert {"127.0.0.1:8765", "localhost:8765", "news.example:8443"} <= hosts and "evil.example" not in hosts
    policy = security.content_security_policy(security.style_hashes('<svg style="a:b"></svg><p style="a:b">'))
    assert "script-src 'none'" in policy and "unsafe-inline" not in policy and policy.count("'sha256-") == 1
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert with_params("/stories?lang=de&job=1", job="2", page=None) == "/stories?lang=de&job=2"


def test_coverage_strip_escapes_outlets() -> None:
    t = NOW
    svg = coverage_svg([(t, XSS_OUTLET, "original"), (t + timedelta(hours=2), "Wire", "copy"),
                        (t + timedelta(hours=2), "Zeitung", "lead")])
    assert svg.count("<circle") == 3 and "<b " not in svg and "&lt;b onmouseover" in svg
    assert "style=" not in svg and "script" not in svg
    assert coverage_svg([]) == ""


def test_digest_stories_link_to_the_reading_room_only_with_a_base_url(db: Path) -> None:
    from datetime import UTC, datetime

    from digest.render_html import to_html
    from digest.render_text import to_markdown, to_text
    from digest.run import DigestOptions, channel_for_target, compose_for
    from digest.settings import DigestSettings

    settings = DigestSettings(lookback_days=30)
    con = connect(db, read_only=True)
    try:
        linked = compose_for(con, channel_for_target("file"), DigestOptions(settings=settings, base_url="http://h:1"),
                             datetime.now(UTC))
        plain = compose_for(con, channel_for_target("file"), DigestOptions(settings=settings), datetime.now(UTC))
    finally:
        con.close()
    ids = [e.item.story_id for e in linked.new]
    assert ids and "s-licences" in ids
    html, md, text = to_html(linked), to_markdown(linked), to_text(linked)
    for sid in ids:
        for out in (html, md, text):
            assert f"http://h:1/story/{sid}" in out and f"http://h:1/dismiss/{sid}" in out
    assert linked.story_url("a/b c") == "http://h:1/story/a%2Fb%20c"
    assert plain.story_url("s") == "" and "/dismiss/" not in to_html(plain) + to_markdown(plain) + to_text(plain)
