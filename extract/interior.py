"""Section headings trafilatura skipped inside the article's own containers: put them back.  Pure.

trafilatura drops some headings in the middle of an article (numbered product headings, headings
wrapped in links or styled boxes).  Here the leaf text blocks of the page (paragraphs, headings,
list items, table rows…) are located against its output; the containers of the paragraphs it kept
are the article's.  A heading it missed in one of those containers is put back in document order
when kept text of that container follows it (a heading after the last kept block is the title of a
trailing box: "Related posts"), unless it looks like furniture (mostly links, comments, navigation,
forms, captions).  Other kinds of blocks were tried too and did not help (see RECOVER_TAGS).
"""

from __future__ import annotations

from lxml.html import HtmlElement

from extract.recover import COMMENT_RE

# What is put back: section headings only.  Tried on all 972 pages with every leaf block kind (p, li, h2–h6,
# tr, dt, dd, pre, blockquote) as candidates, each kind alone: headings +0.0021 wcxb-dev shingle F1 (60 pages
# up, 26 down), ScrapingHub unchanged; list items −0.0042 on ScrapingHub (teaser lists inside news article
# containers); paragraphs −0.0004 / −0.0002; table rows and the rest ±0.  A heading must also be followed by
# kept text of its container (53 up, 17 down, all downs under 0.03).
HEADING_TAGS = ("h2", "h3", "h4", "h5", "h6")
# Containers whose headings are never put back (menus, forms, captions, asides).
SKIP_ANCESTORS = frozenset({"nav", "form", "aside", "footer", "header", "figure", "figcaption", "button", "select"})
# Wrappers between a block and the container it belongs to.
WRAPPERS = frozenset({"ul", "ol", "dl", "table", "tbody", "thead", "tfoot", "blockquote"})
# A kept paragraph at least this long (a real paragraph, not a short string that happens to match) marks its
# container as part of the article.  Set once (as MIN_RECOVER_CHARS in extract.recover), not tuned.
MIN_ANCHOR_CHARS = 40
# A heading with more than this share of its text inside links is a teaser, not a section heading (not tuned).
MAX_LINK_SHARE = 0.5


def _norm(text: str) -> str:
    """Lower-cased, all whitespace removed: robust to the spaces trafilatura re-flows between inline tags."""
    return "".join(text.lower().split())


def _container(el: HtmlElement) -> HtmlElement | None:
    """The first ancestor that is not a list, table or quote wrapper: where the block sits in the page."""
    return next((a for a in el.iterancestors() if a.tag not in WRAPPERS), None)


def _furniture(el: HtmlElement, text: str, top: HtmlElement) -> bool:
    links = sum(len(a.text_content().strip()) for a in el.iter("a"))
    if links > MAX_LINK_SHARE * len(text):
        return True
    for a in el.iterancestors():
        if a is top:
            return False
        if a.tag in SKIP_ANCESTORS or COMMENT_RE.search((a.get("class") or "") + " " + (a.get("id") or "")):
            return True
    return False


def recover_headings(tree: HtmlElement, text: str) -> str:
    """``text`` with the headings trafilatura skipped before kept paragraphs of the same container put back."""
    lines = text.split("\n")
    norms = [_norm(line) for line in lines]
    joined = "".join(norms)
    pending: dict[HtmlElement, list[tuple[HtmlElement, str]]] = {}
    inserts: dict[int, list[str]] = {}
    at = 0
    for el in tree.iter("p", *HEADING_TAGS):
        content = el.text_content()
        if el.tag == "p" and len(content) < MIN_ANCHOR_CHARS:
            continue
        norm = _norm(content)
        if not norm or (norm in joined) != (el.tag == "p"):  # kept paragraphs and missed headings
            continue
        container = _container(el)
        if container is None:
            continue
        if el.tag != "p":
            pending.setdefault(container, []).append((el, " ".join(content.split())))
            continue
        waiting = pending.pop(container, None)
        if waiting:
            at = next((i for i in range(at, len(norms)) if norm[:MIN_ANCHOR_CHARS] in norms[i]), at)
            inserts.setdefault(at, []).extend(t for h, t in waiting if not _furniture(h, t, container))
    if not any(inserts.values()):
        return text
    out: list[str] = []
    for i, line in enumerate(lines):
        out.extend(inserts.get(i, []))
        out.append(line)
    return "\n".join(out)
