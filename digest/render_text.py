"""Plain-text and Markdown renderings of a digest (pure)."""

from __future__ import annotations

import re
from datetime import datetime

from core.records import StoryOutlet
from digest.model import Digest, Entry, outlet_note

# Reasons shown per story ("why it is relevant"), most important first.
MAX_REASONS = 4
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>])")


def _utc(t: datetime) -> str:
    return f"{t:%Y-%m-%d %H:%M} UTC"


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _meta(e: Entry) -> str:
    it = e.item
    return (f"{it.label}, score {it.score:.2f} · first seen {_utc(it.first_seen_at)} · "
            f"{_plural(e.outlet_count, 'outlet')}, {_plural(len(it.outlets), 'article')}")


def headline_line(d: Digest) -> str:
    if d.empty:
        return "Nothing new since the last digest."
    parts = []
    if d.new:
        parts.append(f"{len(d.new)} new stor{'y' if len(d.new) == 1 else 'ies'}")
    if d.updates:
        parts.append(_plural(len(d.updates), "update"))
    return ", ".join(parts) + ", most important first."


def to_markdown(d: Digest) -> str:
    lines = [f"# {_md(d.title)} — {_utc(d.now)}", "", headline_line(d), ""]
    for i, e in enumerate(d.new, 1):
        lines += [f"## {i}. {_md(e.item.headline)}", "", f"*{_meta(e)}*", "", _md(e.summary), ""]
        lines += [f"Also in: {e.also_in}", ""] if e.also_in else []
        lines += [f"- [{_md(o.site)}]({o.url}) — {_md(o.title)}{_note_md(o)}" for o in e.item.outlets]
        if e.item.reasons:
            lines += ["", "Why: " + "; ".join(_md(r) for r in e.item.reasons[:MAX_REASONS])]
        lines += _md_links(d, e)
        lines.append("")
    if d.updates:
        lines += ["## Updates", ""]
        for e in d.updates:
            lines += [f"### {_md(e.item.headline)}", "",
                      f"*{_plural(len(e.new_urls), 'new article')} · {_meta(e)}*", ""]
            lines += [f"- {'**new** ' if o.url in e.new_urls else ''}[{_md(o.site)}]({o.url}) — {_md(o.title)}{_note_md(o)}"
                      for o in e.item.outlets]
            lines += _md_links(d, e)
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def to_text(d: Digest) -> str:
    rule = "=" * 72
    lines = [f"{d.title} — {_utc(d.now)}", rule, headline_line(d), ""]
    for i, e in enumerate(d.new, 1):
        lines += [f"{i}. {e.item.headline}", f"   {_meta(e)}", "", *_wrap(e.summary, "   "), ""]
        lines += [f"   Also in: {e.also_in}"] if e.also_in else []
        lines += [f"   - {o.site}: {o.title}{_note(o)}\n     {o.url}" for o in e.item.outlets]
        if e.item.reasons:
            lines += ["", "   Why: " + "; ".join(e.item.reasons[:MAX_REASONS])]
        lines += _text_links(d, e)
        lines.append("")
    if d.updates:
        lines += ["UPDATES", "-" * 7, ""]
        for e in d.updates:
            lines += [f"* {e.item.headline}", f"   {_plural(len(e.new_urls), 'new article')} · {_meta(e)}"]
            lines += [f"   - {'[new] ' if o.url in e.new_urls else ''}{o.site}: {o.title}{_note(o)}\n     {o.url}"
                      for o in e.item.outlets]
            lines += _text_links(d, e)
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _md_links(d: Digest, e: Entry) -> list[str]:
    """The story's page in the reading room and its "not relevant" link, when ``d.base_url`` is set."""
    sid = e.item.story_id
    return ["", f"[Story page]({d.story_url(sid)}) · [Not relevant]({d.dismiss_url(sid)})"] if d.base_url else []


def _text_links(d: Digest, e: Entry) -> list[str]:
    sid = e.item.story_id
    return ["", f"   Story page: {d.story_url(sid)}", f"   Not relevant? {d.dismiss_url(sid)}"] if d.base_url else []


def _note(o: StoryOutlet) -> str:
    note = outlet_note(o)
    return f" [{note}]" if note else ""


def _note_md(o: StoryOutlet) -> str:
    note = outlet_note(o)
    return f" *({_md(note)})*" if note else ""


def _wrap(text: str, indent: str, width: int = 76) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width=width, initial_indent=indent, subsequent_indent=indent) or [indent]
