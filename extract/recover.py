"""Paragraphs trafilatura dropped from the article's own containers: put them back.  Pure.

Some layouts split the article body over several sibling containers of the same kind (an ad
slot or a newsletter box between them: ``<div class="article__body">`` … ad … ``<div
class="article__body">``).  trafilatura picks one of them and the rest of the article is lost.
Here the paragraphs it kept are located in the page; the containers that hold them give a
*signature* (tag and class of the parent and grandparent); a paragraph of the page that
trafilatura missed and that sits in a container with one of those signatures — but not in a
container trafilatura already took from (what it dropped there it dropped on purpose) — is put
back, after the last kept line that precedes it in document order.
"""

from __future__ import annotations

import re

from lxml.html import HtmlElement

# A recovered paragraph has at least this many characters (shorter blocks in article containers are
# bylines, labels and buttons).  Set once, not tuned.
MIN_RECOVER_CHARS = 40
# ... and at most this share of its characters inside links (a link list is not prose).
MAX_LINK_SHARE = 0.3
# The recovered paragraphs are put back only when they add at least this share of the text's length.
# Small recoveries are mostly bios, calls to action and teasers in look-alike containers; large ones
# are the missing halves of split articles.  Measured on all 972 pages (rules above fixed): with no
# share, 63 wcxb-dev pages change, 44 for the worse, mean +0.001; from a share of 0.3 on, 8 pages
# change (2 ScrapingHub split articles +0.37/+0.46, 5 wcxb-dev +0.13 to +0.48, 1 wcxb-dev −0.23).
MIN_RECOVERED_SHARE = 0.3
# Block elements considered as paragraphs.
PARAGRAPH_TAGS = ("p",)

# Reader comments repeat one container signature per comment; never recover from inside them
# (class or id of an ancestor naming comments, replies or a discussion widget).  Without this guard (and
# without the share above) wcxb-dev moved −0.0015: one leaked comment pulled in its whole thread; with it +0.0010.
COMMENT_RE = re.compile(r"comment|disqus|repl(y|ies)|respon(d|se)|discussion|forum|thread", re.IGNORECASE)

Signature = tuple[str, str, str, str]


def _key(text: str) -> str:
    """Whitespace-normalised text: trafilatura keeps a paragraph's characters and only re-flows spaces."""
    return " ".join(text.split())


def _signature(el: HtmlElement) -> Signature | None:
    parent = el.getparent()
    if parent is None:
        return None
    grand = parent.getparent()
    return (str(parent.tag), parent.get("class") or "", str(grand.tag) if grand is not None else "",
            (grand.get("class") or "") if grand is not None else "")


def _in_comments(el: HtmlElement) -> bool:
    return any(COMMENT_RE.search((a.get("class") or "") + " " + (a.get("id") or "")) for a in el.iterancestors())


def _link_chars(el: HtmlElement) -> int:
    return sum(len(a.text_content().strip()) for a in el.iter("a"))


def recover_paragraphs(tree: HtmlElement, text: str) -> str:
    """``text`` (trafilatura's main text of ``tree``) with the missed paragraphs of its containers put back."""
    lines = text.split("\n")
    keys = [_key(line) for line in lines]
    joined = " " + " ".join(keys) + " "
    kept_signatures: set[Signature] = set()
    kept_parents: set[HtmlElement] = set()
    blocks: list[tuple[HtmlElement, str, str, bool]] = []
    for el in tree.iter(*PARAGRAPH_TAGS):
        key = raw = _key(el.text_content())
        if not key:
            continue
        found = f" {key} " in joined
        blocks.append((el, raw, key, found))
        if found:
            sig = _signature(el)
            if sig is not None and sig[1]:
                kept_signatures.add(sig)
                kept_parents.add(el.getparent())
    if not kept_signatures:
        return text
    inserts: dict[int, list[str]] = {}
    line_of = {k: i for i, k in reversed(list(enumerate(keys))) if k}
    anchor = -1
    for el, raw, key, found in blocks:
        if found:
            anchor = _line_index(key, keys, line_of, anchor)
            continue
        if len(raw) < MIN_RECOVER_CHARS or el.getparent() in kept_parents or _signature(el) not in kept_signatures:
            continue
        if _link_chars(el) > MAX_LINK_SHARE * len(raw) or _in_comments(el):
            continue
        inserts.setdefault(anchor, []).append(raw)
    if sum(len(t) for ts in inserts.values() for t in ts) < MIN_RECOVERED_SHARE * len(text):
        return text
    out: list[str] = list(inserts.get(-1, []))
    for i, line in enumerate(lines):
        out.append(line)
        out.extend(inserts.get(i, []))
    return "\n".join(out)


def _line_index(key: str, keys: list[str], line_of: dict[str, int], anchor: int) -> int:
    """The output line holding ``key`` (the first one after ``anchor`` when it repeats)."""
    for i in range(max(anchor, 0), len(keys)):
        if keys[i] and key in keys[i]:
            return i
    return line_of.get(key, anchor)
