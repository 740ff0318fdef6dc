"""The reading room as an ASGI app (Starlette): the factory, what every request passes through,
and the error pages.  The pages themselves are in reewatch/ui/routes.py.

Every request: the Host header is checked (loopback without a token), then the token (when one
is needed: header, or the cookie a ``?token=`` visit sets), and a per-session CSRF cookie is
issued; every response carries the Content-Security-Policy and its server time
(``Server-Timing: app;dur=…``, what bench/ui.py reads).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from core.errors import DatabaseLockedError, ReewatchError, StoreError
from reewatch.ui import security
from reewatch.ui.gate import Gate
from reewatch.ui.views import render
from reewatch.ui.writes import Background, Jobs, SlotFactory, Writer, warm_writer_slot, writer_slot
from store.db import READ_WAIT_S, connect

if TYPE_CHECKING:
    from triage.profiles import TopicProfile

log = logging.getLogger("reewatch.ui")


@dataclass(frozen=True)
class ConfiguredSource:
    name: str
    kind: str
    url: str
    enabled: bool


@dataclass(frozen=True)
class UiConfig:
    """What the reading room needs from the settings (pipeline/settings.py ``[ui]`` and the rest)."""

    db: Path
    host: str = "127.0.0.1"
    port: int = 8765
    base_url: str = ""
    token: str = ""  # "" : no token asked for (loopback, none configured)
    model: str = ""
    multilingual: bool = True
    topics_dir: Path | None = None
    default_topic: str = "rare-earth-trade"
    sources: tuple[ConfiguredSource, ...] = ()


@dataclass
class UiState:
    config: UiConfig
    gate: Gate
    jobs: Jobs
    writer: Writer
    background: Background
    csp: str
    hosts: frozenset[str]
    profiles: dict[str, TopicProfile] = field(default_factory=dict)
    # The filters' choices (a scan of every article: 55 ms at 1M stored), kept until the file changes.
    facets: tuple[tuple[int, ...], dict[str, list[str]]] | None = None


def _csp() -> str:
    from digest.chart import volume_svg

    # the digest's chart (the Volume page) carries its own style attributes: allowed by hash
    return security.content_security_policy(security.style_hashes(volume_svg([])))


def _upgrade_once(db: Path, gate: Gate) -> None:
    """Open the file read-only once, alone: that applies missing migrations (store.db.connect), which
    must not happen while this process has read-only connections open."""
    if not db.exists():
        return
    with gate.write(), suppress(StoreError):
        connect(db, read_only=True, wait_s=READ_WAIT_S).close()


def create_app(config: UiConfig, *, slot: SlotFactory = writer_slot,
               warm: Callable[[Path], None] | None = warm_writer_slot) -> Starlette:
    """The app for ``config``; ``slot``/``warm`` are the writer slot (a test or bench may pass a no-op)."""
    from reewatch.ui.routes import ROUTES
    from triage.relevance import load_profiles

    gate, jobs = Gate(), Jobs()
    state = UiState(
        config=config, gate=gate, jobs=jobs, writer=Writer(config.db, gate, jobs, slot=slot, warm=warm),
        background=Background(jobs), csp=_csp(),
        hosts=security.allowed_hosts(config.host, config.port, config.base_url),
        profiles={p.name: p for p in load_profiles(config.topics_dir)},
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        _upgrade_once(config.db, gate)
        state.writer.start()
        try:
            yield
        finally:
            state.writer.stop()
            state.background.stop()

    static = Mount("/static", StaticFiles(directory=str(resources.files("reewatch.ui") / "static")), name="static")
    app = Starlette(
        routes=[*ROUTES, static], lifespan=lifespan, middleware=[Middleware(BaseHTTPMiddleware, dispatch=_guard)],
        exception_handlers={HTTPException: _http_error, ReewatchError: _store_error},  # type: ignore[dict-item]
    )
    app.state.ui = state
    return app


def _headers(response: Response, state: UiState, started: float) -> Response:
    response.headers["Content-Security-Policy"] = state.csp
    for k, v in security.SECURITY_HEADERS.items():
        response.headers[k] = v
    if response.headers.get("content-type", "").startswith("text/html"):
        response.headers["Cache-Control"] = "no-store"  # pages carry the CSRF token
    response.headers["Server-Timing"] = f"app;dur={1000 * (time.perf_counter() - started):.1f}"
    return response


async def _guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    started = time.perf_counter()
    state: UiState = request.app.state.ui
    token = state.config.token
    if not token and request.headers.get("host", "").lower() not in state.hosts:
        return _headers(PlainTextResponse("unknown Host header; open the reading room at its loopback address", 421),
                        state, started)
    if token:
        given = request.query_params.get("token")
        if given is not None and security.same(given, token):
            # the token goes into a cookie and out of the address bar (and its history)
            clean = request.url.remove_query_params("token")
            target = security.local_path(clean.path + (f"?{clean.query}" if clean.query else ""), default="/")
            response: Response = RedirectResponse(target, status_code=303)
            response.set_cookie(security.TOKEN_COOKIE, security.cookie_value(token), httponly=True, samesite="strict")
            return _headers(response, state, started)
        if not security.token_ok(token, cookie=request.cookies.get(security.TOKEN_COOKIE),
                                 header=request.headers.get(security.TOKEN_HEADER)):
            page = render("error.html.j2", status=401, title="Token needed",
                          message="This reading room needs its token: open the address printed when it started "
                                  "(…/?token=…), or send the X-Reewatch-Token header.", csrf="", notice=None)
            return _headers(HTMLResponse(page, status_code=401), state, started)
    csrf = request.cookies.get(security.CSRF_COOKIE)
    fresh = None if csrf else security.new_secret()
    request.state.csrf = csrf or fresh
    response = await call_next(request)
    if fresh:
        response.set_cookie(security.CSRF_COOKIE, fresh, httponly=True, samesite="strict")
    return _headers(response, state, started)


async def _http_error(request: Request, exc: HTTPException) -> Response:
    titles = {400: "Bad request", 403: "Refused", 404: "Not found", 413: "Too large"}
    page = render("error.html.j2", status=exc.status_code, title=titles.get(exc.status_code, "Error"),
                  message=str(exc.detail), csrf=getattr(request.state, "csrf", ""), notice=None)
    return HTMLResponse(page, status_code=exc.status_code)


async def _store_error(request: Request, exc: ReewatchError) -> Response:
    busy = isinstance(exc, DatabaseLockedError)
    page = render("error.html.j2", status=503 if busy else 500,
                  title="The database is busy" if busy else "The database cannot be read",
                  message=str(exc), csrf=getattr(request.state, "csrf", ""), notice=None)
    return HTMLResponse(page, status_code=503 if busy else 500)
