"""A story's languages in the digest ("Also in: de, ja"), from the stored members' languages,
on a real DuckDB file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from digest.compose import compose
from digest.render_html import to_html
from digest.render_text import to_markdown, to_text
from store.db import connect
from store.digests import pending_stories
from tests.test_views import build_db


def test_story_in_three_languages_shows_the_other_two(tmp_path: Path) -> None:
    db = build_db(tmp_path / "d.duckdb")
    con = connect(db)
    try:
        # the licence story: two English members (one a copy), one German, one Japanese (region subtag)
        con.execute("UPDATE documents SET lang = 'en' WHERE url LIKE 'https://alpha.example/%'")
        con.execute("UPDATE documents SET lang = 'de' WHERE url = 'https://beta.example/licences-copy'")
        con.execute("UPDATE documents SET lang = 'ja-JP' WHERE url = 'https://gamma.example/licence-rules'")
        items = {it.story_id: it for it in pending_stories(con, "email")}
    finally:
        con.close()
    assert items["s-licence"].languages == ("de", "en", "ja")  # one member each: by code
    # a story whose members have no known language shows none
    assert items["s-shortage"].languages == ()
    d = compose(list(items.values()), datetime.now(UTC))
    entry = next(e for e in d.new if e.item.story_id == "s-licence")
    assert entry.also_in == "en, ja"
    assert "Also in: en, ja" in to_text(d)
    assert "Also in: en, ja" in to_markdown(d)
    assert "Also in: en, ja" in to_html(d)
    assert to_text(d).count("Also in:") == 1
