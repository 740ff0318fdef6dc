"""The reading room's pages and actions.  A GET only reads (one read-only connection, closed
before the page is sent); a POST is checked for its CSRF token and hands its write to the writer
thread (reewatch/ui/writes.py), then redirects to a page that says "saved" or "queued"."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qsl, urlsplit

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from core.records import LABELS
from reewatch.ui import security
from reewatch.ui.app import UiState
from reewatch.ui.gate import reading
from reewatch.ui.timeline import coverage_svg
from reewatch.ui.views import render, with_params
from reewatch.ui.writes import SAVE_WAIT_S, Job
from store import browse
from store.rollup import default_topic

# A form here is a few hidden fields and a button; anything bigger is not ours.
MAX_FORM_BYTES = 16_384
PER_PAGE = 50
MAX_PAGE = 100_000
SINCE_CHOICES = {"24h": timedelta(hours=24), "3d": timedelta(days=3), "7d": timedelta(days=7), "30d": timedelta(days=30)}
# "new" / "updated" without a "since" are taken over the last day.
STATE_DEFAULT_SINCE = "24h"
VOLUME_DAYS = (7, 30, 90, 365)
MAX_PARAM = 300


def _ui(request: Request) -> UiState:
    return cast(UiState, request.app.state.ui)


def _here(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def _notice(request: Request) -> dict[str, str] | None:
    job_id = request.query_params.get("job")
    job = _ui(request).jobs.get(job_id) if job_id else None
    if job is None:
        return None
    if job.status == "done":
        return {"kind": "ok", "text": job.message}
    if job.status == "failed":
        return {"kind": "error", "text": f"not saved: {job.message}"}
    return {"kind": "queued", "text": f"queued: {_ui(request).writer.queued_note(job)}"}


def _page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = render(template, csrf=request.state.csrf, notice=_notice(request), here=_here(request),
                  path=request.url.path, **context)
    return HTMLResponse(html, status_code=status)


def _param(request: Request, name: str, choices: tuple[str, ...] | None = None) -> str:
    value = request.query_params.get(name, "").strip()
    if len(value) > MAX_PARAM or (value and choices is not None and value not in choices):
        raise HTTPException(400, f"{name} must be one of {', '.join(choices or ())}" if choices else f"{name} is too long")
    return value


def parse_since(value: str, now: datetime) -> datetime | None:
    """``24h``/``3d``/``7d``/``30d`` before ``now``, or a UTC day ``YYYY-MM-DD``; "" is no bound."""
    if not value:
        return None
    if value in SINCE_CHOICES:
        return now - SINCE_CHOICES[value]
    try:
        d = date.fromisoformat(value)
    except ValueError:
        raise HTTPException(400, "since must be 24h, 3d, 7d, 30d or a day YYYY-MM-DD") from None
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def _topic(request: Request, value: str | None) -> str:
    """A topic a label may be given for: one of the loaded profiles (the default when absent)."""
    st = _ui(request)
    topic = value or st.config.default_topic
    if topic not in st.profiles:
        raise HTTPException(400, f"no topic profile named {topic!r}")
    return topic


async def _form(request: Request) -> dict[str, str]:
    """The POSTed form, refused (403) without the session's CSRF token or from another origin."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc.lower() != request.headers.get("host", "").lower():
        raise HTTPException(403, "a form from another site is refused")
    body = b""
    async for chunk in request.stream():  # read no more than a form of ours can be
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise HTTPException(413, "form too large")
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        raise HTTPException(400, "expected a form")
    fields = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    if not security.csrf_ok(request.cookies.get(security.CSRF_COOKIE), fields.get(security.CSRF_FIELD)):
        raise HTTPException(403, "missing or wrong CSRF token: reload the page and try again")
    return fields


def _after(job: Job, target: str) -> RedirectResponse:
    return RedirectResponse(with_params(target, job=job.id), status_code=303)


# --- pages ----------------------------------------------------------------------------------


def home(request: Request) -> Response:
    return RedirectResponse("/stories", status_code=303)


def healthz(request: Request) -> Response:
    """Liveness, and whether the writer has its slot's client ready (Prefect takes seconds to start)."""
    return PlainTextResponse(f"ok\nwriter: {'ready' if _ui(request).writer.ready.is_set() else 'starting'}\n")


def stories(request: Request) -> Response:
    st = _ui(request)
    now = datetime.now(UTC)
    state = _param(request, "state", ("new", "updated"))
    since_value = _param(request, "since") or (STATE_DEFAULT_SINCE if state else "")
    try:
        page_no = min(MAX_PAGE, max(1, int(request.query_params.get("page", "1"))))
    except ValueError:
        raise HTTPException(400, "page must be a number") from None
    q = browse.StoryQuery(
        topic=_param(request, "topic") or None, label=_param(request, "label", LABELS) or None,
        since=parse_since(since_value, now), lang=_param(request, "lang") or None,
        source=_param(request, "source") or None, state=cast(Any, state or None),
        order=cast(Any, _param(request, "order", ("newest", "relevant")) or "newest"), page=page_no, per_page=PER_PAGE,
    )
    with reading(st.config.db, st.gate) as con:
        result = browse.list_stories(con, q)
        facets = _facets(st, con)
        mine = browse.story_analyst_labels(con, [r.story_id for r in result.rows], result.topic)
    topics = sorted(set(st.profiles) | set(facets["topics"]))
    return _page(request, "stories.html.j2", title="Stories", result=result, q=q, since_value=since_value,
                 facets=facets, topics=topics, mine=mine, labels=LABELS, since_choices=tuple(SINCE_CHOICES),
                 can_label=result.topic in st.profiles)


def file_version(db: Path) -> tuple[int, ...]:
    """Changes whenever a write commits: DuckDB appends to ``<db>.wal`` and checkpoints into ``db``."""
    out: list[int] = []
    for f in (db, db.with_name(db.name + ".wal")):
        try:
            st = f.stat()
        except FileNotFoundError:
            out += [0, 0]
            continue
        out += [st.st_mtime_ns, st.st_size]
    return tuple(out)


def _facets(st: UiState, con: Any) -> dict[str, list[str]]:
    version = file_version(st.config.db)
    if st.facets is None or st.facets[0] != version:
        st.facets = (version, browse.facets(con))
    return st.facets[1]


def _member_kind(m: browse.Member) -> str:
    for kind in ("lead", "translation", "copy"):
        if kind in m.marks:
            return kind
    return "original"


def story(request: Request) -> Response:
    st = _ui(request)
    story_id = request.path_params["story_id"]
    with reading(st.config.db, st.gate) as con:
        header = browse.story_header(con, story_id)
        if header is None:
            raise HTTPException(404, "no stored story with this id")
        topic = _param(request, "topic") or default_topic(con)
        members = browse.story_members(con, story_id, topic)
    timeline = Markup(coverage_svg([(m.first_seen_at, m.outlet, _member_kind(m)) for m in members]))
    mine = sorted({m.analyst_label for m in members if m.analyst_label})
    return _page(request, "story.html.j2", title=header.headline, story=header, members=members, topic=topic,
                 timeline=timeline, mine=mine, labels=LABELS, can_label=topic in st.profiles,
                 topics=sorted(st.profiles))


def dismiss(request: Request) -> Response:
    """Where a digest's "not relevant" link lands: a question, not an action (a GET changes nothing)."""
    st = _ui(request)
    story_id = request.path_params["story_id"]
    topic = _topic(request, request.query_params.get("topic"))
    with reading(st.config.db, st.gate) as con:
        header = browse.story_header(con, story_id)
    if header is None:
        raise HTTPException(404, "no stored story with this id")
    return _page(request, "dismiss.html.j2", title="Not relevant?", story=header, topic=topic)


def sources(request: Request) -> Response:
    st = _ui(request)
    rows: list[browse.SourceRow] = []
    if st.config.db.exists():
        with reading(st.config.db, st.gate) as con:
            rows = browse.source_rows(con)
    health = {r.source: r for r in rows}
    configured = [(c, health.get(c.name)) for c in st.config.sources]
    names = {c.name for c in st.config.sources}
    return _page(request, "sources.html.j2", title="Sources", configured=configured,
                 others=[r for r in rows if r.source not in names], now=datetime.now(UTC))


def volume(request: Request) -> Response:
    from digest.chart import volume_svg
    from digest.compose import fill_days
    from store.digests import daily_relevant_volume

    st = _ui(request)
    days_value = _param(request, "days", tuple(str(d) for d in VOLUME_DAYS)) or "30"
    days = int(days_value)
    now = datetime.now(UTC)
    start = now - timedelta(days=days - 1)
    with reading(st.config.db, st.gate) as con:
        topic = _param(request, "topic") or default_topic(con)
        counts = daily_relevant_volume(con, start.date(), now.date(), (topic,))
    series = fill_days(counts, now.date(), days)
    return _page(request, "volume.html.j2", title="Volume", chart=Markup(volume_svg(series)),
                 rows=list(reversed(series)), total=sum(n for _, n in series), topic=topic, days=days,
                 day_choices=VOLUME_DAYS, topics=sorted(st.profiles))


def retrain(request: Request) -> Response:
    from store.labels import latest_head

    st = _ui(request)
    with reading(st.config.db, st.gate) as con:
        counts = browse.label_counts(con)
        heads = {name: latest_head(con, name, st.config.model) for name in st.profiles}
    return _page(request, "retrain.html.j2", title="Retrain", topics=sorted(st.profiles), counts=counts, heads=heads,
                 labels=LABELS)


def job(request: Request) -> Response:
    st = _ui(request)
    found = st.jobs.get(request.path_params["job_id"])
    if found is None:
        raise HTTPException(404, "no such job (the server keeps the last few hundred since it started)")
    note = st.writer.queued_note(found) if found.status == "queued" else ""
    return _page(request, "job.html.j2", title=found.what, job=found, note=note, refresh=not found.finished)


# --- actions --------------------------------------------------------------------------------


async def label(request: Request) -> Response:
    """Label an article (``url``) or every original of a story (``story``) for a topic."""
    fields = await _form(request)
    st = _ui(request)
    value = fields.get("label", "")
    if value not in LABELS:
        raise HTTPException(400, f"label must be one of {', '.join(LABELS)}")
    topic = _topic(request, fields.get("topic"))
    story_id, url = fields.get("story"), fields.get("url")
    if story_id:
        def originals() -> list[str]:
            with reading(st.config.db, st.gate) as con:
                return browse.story_originals(con, story_id)

        urls = await run_in_threadpool(originals)
        if not urls:
            raise HTTPException(404, "no stored story with this id")
        what = f"label story {story_id} {value}"
    elif url:
        urls, what = [url], f"label {url} {value}"
    else:
        raise HTTPException(400, "say which article (url) or story to label")
    queued = st.writer.submit_label(urls, topic, value, what)
    await run_in_threadpool(queued.done.wait, SAVE_WAIT_S)
    return _after(queued, security.local_path(fields.get("next")))


async def retrain_preview(request: Request) -> Response:
    from reewatch.ui.retrain import preview_retrain

    fields = await _form(request)
    st = _ui(request)
    topic = _topic(request, fields.get("topic"))
    profile = st.profiles[topic]
    queued = st.background.submit(
        "retrain-preview", f"evaluating a retrain of {topic}",
        lambda: ("evaluated", preview_retrain(st.config.db, st.gate, profile, st.config.model,
                                                       multilingual=st.config.multilingual)),
    )
    return RedirectResponse(f"/jobs/{queued.id}", status_code=303)


async def retrain_confirm(request: Request) -> Response:
    from reewatch.ui.retrain import retrain_job

    fields = await _form(request)
    st = _ui(request)
    topic = _topic(request, fields.get("topic"))
    queued = st.writer.submit("retrain", f"retraining {topic} and re-scoring the stored articles",
                              retrain_job(st.profiles[topic], st.config.model, fields.get("fingerprint", ""),
                                          st.config.multilingual))
    return RedirectResponse(f"/jobs/{queued.id}", status_code=303)


ROUTES: list[BaseRoute] = [
    Route("/", home),
    Route("/healthz", healthz),
    Route("/stories", stories),
    Route("/story/{story_id:path}", story),
    Route("/dismiss/{story_id:path}", dismiss),
    Route("/sources", sources),
    Route("/volume", volume),
    Route("/retrain", retrain),
    Route("/jobs/{job_id}", job),
    Route("/label", label, methods=["POST"]),
    Route("/retrain", retrain_preview, methods=["POST"]),
    Route("/retrain/confirm", retrain_confirm, methods=["POST"]),
]
