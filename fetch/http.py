"""The HTTP client: timeouts, a streamed size cap, robots.txt, per-host and global
concurrency with a minimum delay, retries with back-off on transient faults, checked
redirects, conditional GET, and file:// replay.

Every request yields a ``FetchAttempt`` for the ``fetches`` log, success or not; no
exception escapes ``Fetcher.get`` for a network fault or a refusal (``FetchRefusedError``
is caught here).  Error classes are ``core.errors.ErrorClass`` members, ``http_<status>``,
or the class name of an httpx error not foreseen by ``classify_error``.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import httpx

from core.errors import ErrorClass, FetchRefusedError, http_error_class
from core.records import FetchAttempt
from fetch.options import FetchOptions
from fetch.politeness import (
    HostGate,
    backoff_s,
    host_delay,
    host_key,
    is_private_host,
    resolves_private,
    retry_after_s,
)
from fetch.robots import ROBOTS_MAX_BYTES, RobotsCache

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Faults that another try cannot mend.
FINAL_ERRORS = frozenset({
    ErrorClass.DNS, ErrorClass.TOO_LARGE, ErrorClass.BAD_SCHEME, ErrorClass.REDIRECT_LOOP, ErrorClass.PRIVATE_REDIRECT,
    ErrorClass.PRIVATE_ADDRESS, ErrorClass.ROBOTS, ErrorClass.ROBOTS_UNREACHABLE,
})
BACKOFF_MAX_S = 30.0


@dataclass(frozen=True)
class Response:
    """A complete (never truncated) body, or the reason there is none."""

    url: str
    final_url: str
    status: int | None
    body: bytes
    headers: dict[str, str]
    attempt: FetchAttempt
    not_modified: bool = False
    # The content type, when it was refused by ``accept`` (the body was not read).
    refused_type: str | None = None

    @property
    def ok(self) -> bool:
        return self.attempt.ok

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def text(self) -> str:
        from fetch.charset import decode_html

        return decode_html(self.body, self.headers.get("content-type", ""))


_FILE_TYPES = {
    ".xml": "application/xml", ".rss": "application/rss+xml", ".atom": "application/atom+xml",
    ".json": "application/json", ".html": "text/html", ".htm": "text/html", ".txt": "text/plain",
    ".gz": "application/gzip",
}
# Types never refused by ``accept``: servers label anything with them, so the body decides.
SNIFF_TYPES = ("", "text/plain", "application/octet-stream", "binary/octet-stream")


def file_path(url: str) -> Path:
    return Path(unquote(urlsplit(url).path))


def read_file_url(url: str, max_bytes: int) -> tuple[int, str, dict[str, str], bytes]:
    """``file://`` URLs from disk (a directory serves its index.html), so recorded corpora replay offline."""
    path = file_path(url)
    if path.is_dir():
        path = path / "index.html"
    if not path.is_file():
        return 404, url, {}, b""
    if path.stat().st_size > max_bytes:
        raise FetchRefusedError(ErrorClass.TOO_LARGE, url, f"file larger than {max_bytes} bytes; cut off")
    ctype = _FILE_TYPES.get(path.suffix.lower(), "application/octet-stream")
    return 200, url, {"content-type": ctype}, path.read_bytes()


def classify_error(exc: BaseException) -> str:
    """A short, stable error class for the fetch log and source health."""
    text = str(exc).lower()
    if isinstance(exc, httpx.ConnectError):
        if "name or service" in text or "name resolution" in text or "nodename" in text or "getaddrinfo" in text:
            return ErrorClass.DNS
        return ErrorClass.CONNECT
    if isinstance(exc, httpx.TimeoutException):
        return ErrorClass.TIMEOUT
    if isinstance(exc, httpx.TooManyRedirects):
        return ErrorClass.REDIRECT_LOOP
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
        return ErrorClass.RESET
    if isinstance(exc, httpx.UnsupportedProtocol):
        return ErrorClass.BAD_SCHEME
    return type(exc).__name__


def type_accepted(ctype: str, accept: tuple[str, ...] | None) -> bool:
    """Pure: is a response of this content type worth reading?"""
    return accept is None or ctype in SNIFF_TYPES or any(ctype.startswith(a) for a in accept)


def listing_attempt(url: str, source: str, n_files: int) -> FetchAttempt:
    """The fetch-log entry for listing a local directory (a ``file`` source)."""
    return FetchAttempt(source=source, url=url, status=200 if n_files else 404, ok=bool(n_files),
                        error_class=None if n_files else ErrorClass.EMPTY_DIRECTORY,
                        error=None if n_files else "no pages", nbytes=0, ms=0.0, attempts=1, fetched_at=datetime.now(UTC))


@dataclass
class _Answer:
    status: int
    final_url: str
    headers: dict[str, str]
    body: bytes
    refused_type: str | None = None


@dataclass
class Fetcher:
    """An async HTTP client shared by one ingest task (one event loop)."""

    options: FetchOptions = field(default_factory=FetchOptions)
    # Plain data: pass one cache to every Fetcher of a run so robots.txt is read once per host.
    robots: RobotsCache = field(default_factory=RobotsCache)
    # host → next free slot (time.monotonic); share one dict between a run's Fetchers so the
    # minimum delay holds across fetch batches too.
    host_clock: dict[str, float] = field(default_factory=dict)
    _client: httpx.AsyncClient | None = None
    _gate: HostGate | None = None
    _global: asyncio.Semaphore | None = None
    _robots_locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    _dns: dict[str, bool] = field(default_factory=dict)

    async def __aenter__(self) -> Fetcher:
        o = self.options
        self._client = httpx.AsyncClient(
            follow_redirects=False,
            timeout=httpx.Timeout(o.read_timeout_s, connect=o.connect_timeout_s),
            headers={"user-agent": o.agent, "accept-encoding": "gzip, deflate"},
            limits=httpx.Limits(max_connections=o.max_connections, max_keepalive_connections=o.max_connections),
            trust_env=False,
        )
        self._global = asyncio.Semaphore(o.max_connections)
        self._gate = HostGate(o.per_host, self.host_clock)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def is_private(self, url: str) -> bool:
        """Private by literal address, by name (localhost) or by DNS answer."""
        return is_private_host(url) or await resolves_private(urlsplit(url).hostname or "", self._dns)

    async def get(
        self, url: str, source: str, *, etag: str | None = None, last_modified: str | None = None,
        robots: bool = True, accept: tuple[str, ...] | None = None, refuse_private_names: bool = False,
        retry_throttle: bool = True,
    ) -> Response:
        """GET with politeness and retries; never raises for network faults.

        ``robots=False`` skips robots.txt (explicitly configured feeds and APIs);
        ``accept`` lists content-type prefixes worth reading (others: ``refused_type``);
        ``refuse_private_names`` refuses a host *name* that resolves into a private network
        (discovered links: literal private addresses were already judged against their source);
        ``retry_throttle=False`` answers a 429 at once (GDELT: a quick retry prolongs its penalty,
        the caller backs off for minutes instead).
        """
        if self._client is None or self._global is None or self._gate is None:
            raise RuntimeError("use `async with Fetcher()`")
        started = time.perf_counter()
        headers = {}
        if etag:
            headers["if-none-match"] = etag
        if last_modified:
            headers["if-modified-since"] = last_modified
        scheme = urlsplit(url).scheme.lower()
        if scheme == "file":
            return await self._get_file(url, source, started)
        if scheme not in ("http", "https"):
            return self._fail(url, source, started, 0, None, ErrorClass.BAD_SCHEME, f"scheme {scheme!r} is not fetched")
        if refuse_private_names and not is_private_host(url) and await self.is_private(url):
            return self._fail(url, source, started, 0, None, ErrorClass.PRIVATE_ADDRESS,
                              f"{urlsplit(url).hostname} resolves into a private network; refused")
        crawl_delay: float | None = None
        if robots and self.options.obey_robots:
            refusal, crawl_delay = await self._robots_check(url)
            if refusal is not None:
                return self._fail(url, source, started, 0, None, refusal[0], refusal[1])
        delay = host_delay(url, self.options.min_delay_s, crawl_delay, self.options.throttle_private)
        return await self._attempts(url, source, headers, accept, delay, started, retry_throttle)

    async def post(self, url: str, source: str, body: str, *, content_type: str, robots: bool = True) -> Response:
        """One form POST to an API (Google News' batchexecute): the same host gate, minimum delay,
        robots.txt (unless ``robots=False``), timeout and size cap as ``get``; no redirect followed
        and no retry (the caller falls back); never raises for network faults."""
        if self._client is None or self._global is None or self._gate is None:
            raise RuntimeError("use `async with Fetcher()`")
        started = time.perf_counter()
        if urlsplit(url).scheme.lower() not in ("http", "https"):
            return self._fail(url, source, started, 0, None, ErrorClass.BAD_SCHEME, "only http(s) is posted to")
        crawl_delay: float | None = None
        if robots and self.options.obey_robots:
            refusal, crawl_delay = await self._robots_check(url)
            if refusal is not None:
                return self._fail(url, source, started, 0, None, refusal[0], refusal[1])
        delay = host_delay(url, self.options.min_delay_s, crawl_delay, self.options.throttle_private)
        try:
            async with self._gate.semaphore(url):
                await self._gate.wait_turn(url, delay)
                async with self._global:
                    started = time.perf_counter()
                    ans = await asyncio.wait_for(self._post_once(url, body, content_type), self.options.total_timeout_s)
        except TimeoutError:
            return self._fail(url, source, started, 1, None, ErrorClass.TIMEOUT,
                              f"no complete answer within {self.options.total_timeout_s:g} s")
        except FetchRefusedError as exc:
            return self._fail(url, source, started, 1, None, exc.error_class, str(exc))
        except httpx.HTTPError as exc:
            return self._fail(url, source, started, 1, None, classify_error(exc), str(exc) or type(exc).__name__)
        if not 200 <= ans.status < 300:
            return self._fail(url, source, started, 1, ans.status, http_error_class(ans.status), f"HTTP {ans.status}")
        return self._ok(url, ans, source, started, 1)

    async def _post_once(self, url: str, body: str, content_type: str) -> _Answer:
        assert self._client is not None
        async with self._client.stream("POST", url, content=body.encode(), headers={"content-type": content_type}) as resp:
            hdrs = {k.lower(): v for k, v in resp.headers.items()}
            data = await self._read_capped(resp) if 200 <= resp.status_code < 300 else b""
            return _Answer(resp.status_code, url, hdrs, data)

    async def _attempts(
        self, url: str, source: str, headers: dict[str, str], accept: tuple[str, ...] | None, delay: float,
        started: float, retry_throttle: bool = True,
    ) -> Response:
        assert self._gate is not None
        assert self._global is not None
        o = self.options
        attempts = 0
        start_private = await self.is_private(url)
        while True:
            attempts += 1
            status: int | None = None
            wait: float | None = None
            error_class: str  # an ErrorClass, or http_<status>
            try:
                async with self._gate.semaphore(url):
                    await self._gate.wait_turn(url, delay)
                    async with self._global:
                        if attempts == 1:  # the log's ms counts from the first request sent, not the queue
                            started = time.perf_counter()
                        ans = await asyncio.wait_for(self._follow(url, headers, accept, start_private), o.total_timeout_s)
            except TimeoutError:
                error_class, error = ErrorClass.TIMEOUT, f"no complete answer within {o.total_timeout_s:g} s"
            except FetchRefusedError as exc:
                error_class, error = exc.error_class, str(exc)
            except httpx.HTTPError as exc:
                error_class, error = classify_error(exc), str(exc) or type(exc).__name__
            else:
                status = ans.status
                if status == 304:
                    return self._ok(url, ans, source, started, attempts, not_modified=True)
                if 200 <= status < 300:
                    return self._ok(url, ans, source, started, attempts)
                error_class, error = http_error_class(status), f"HTTP {status}"
                if status not in RETRY_STATUSES or (status == 429 and not retry_throttle):
                    return self._fail(url, source, started, attempts, status, error_class, error)
                wait = retry_after_s(ans.headers.get("retry-after"))
                if wait is not None:
                    if wait > o.retry_after_max_s:
                        error += f"; Retry-After {wait:.0f} s is longer than we wait ({o.retry_after_max_s:g} s)"
                        return self._fail(url, source, started, attempts, status, error_class, error)
                    self._gate.defer(url, wait)
            if attempts > o.retries or error_class in FINAL_ERRORS:
                return self._fail(url, source, started, attempts, status, error_class, error)
            await asyncio.sleep(wait if wait is not None else backoff_s(attempts, o.backoff_base_s, BACKOFF_MAX_S))

    async def _follow(
        self, url: str, headers: dict[str, str], accept: tuple[str, ...] | None, start_private: bool
    ) -> _Answer:
        """One request and its redirects, each hop checked (scheme, loops, private networks)."""
        assert self._client is not None
        seen = {url}
        current = url
        for _ in range(self.options.max_redirects + 1):
            async with self._client.stream("GET", current, headers=headers) as resp:
                hdrs = {k.lower(): v for k, v in resp.headers.items()}
                if resp.status_code in REDIRECT_STATUSES and "location" in hdrs:
                    current = await self._next_hop(current, hdrs["location"], url, seen, start_private)
                    continue
                if resp.status_code != 200 and not 200 < resp.status_code < 300:
                    return _Answer(resp.status_code, current, hdrs, b"")
                ctype = hdrs.get("content-type", "").split(";")[0].strip().lower()
                if not type_accepted(ctype, accept):
                    return _Answer(resp.status_code, current, hdrs, b"", refused_type=ctype)
                body = await self._read_capped(resp)
                return _Answer(resp.status_code, current, hdrs, body)
        raise FetchRefusedError(ErrorClass.REDIRECT_LOOP, url, f"more than {self.options.max_redirects} redirects")

    async def _next_hop(self, current: str, location: str, start: str, seen: set[str], start_private: bool) -> str:
        nxt = urljoin(current, location.strip())
        scheme = urlsplit(nxt).scheme.lower()
        if scheme not in ("http", "https"):
            raise FetchRefusedError(ErrorClass.BAD_SCHEME, nxt,
                                    f"redirect to a {scheme or 'relative'!r} URL refused: {nxt[:200]}")
        if nxt in seen:
            raise FetchRefusedError(ErrorClass.REDIRECT_LOOP, nxt, f"redirect loop back to {nxt[:200]}")
        seen.add(nxt)
        same_host = urlsplit(nxt).hostname == urlsplit(start).hostname
        if not (start_private and same_host) and await self.is_private(nxt):
            raise FetchRefusedError(ErrorClass.PRIVATE_REDIRECT, nxt,
                                    f"redirect into a private network refused: {nxt[:200]}")
        return nxt

    async def _read_capped(self, resp: httpx.Response) -> bytes:
        cap = self.options.max_bytes
        declared = resp.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap and not resp.headers.get("content-encoding"):
            raise FetchRefusedError(ErrorClass.TOO_LARGE, str(resp.url),
                                    f"Content-Length {declared} is over {cap} bytes; not loaded")
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.aiter_bytes():
            size += len(chunk)
            if size > cap:
                raise FetchRefusedError(ErrorClass.TOO_LARGE, str(resp.url), f"body larger than {cap} bytes; cut off")
            chunks.append(chunk)
        return b"".join(chunks)

    async def robots_refusal(self, url: str) -> str | None:
        """Why robots.txt keeps us from ``url`` (read once per host, as for a GET), or None
        (``reewatch sources --check`` reports it for a source's links)."""
        refusal, _ = await self._robots_check(url)
        return refusal[1] if refusal else None

    async def _robots_check(self, url: str) -> tuple[tuple[str, str] | None, float | None]:
        origin = host_key(url)
        lock = self._robots_locks.setdefault(origin, asyncio.Lock())
        async with lock:
            rules = await self.robots.rules_for(origin, self._fetch_robots)
        ua = self.options.agent
        if rules.unreachable:
            fault = rules.fault or ErrorClass.ROBOTS_UNREACHABLE
            return (fault, f"{origin}/robots.txt could not be read ({fault}); the host is skipped for now"), None
        if not rules.allowed(url, ua):
            return (ErrorClass.ROBOTS, f"disallowed by {origin}/robots.txt"), None
        return None, rules.crawl_delay(ua)

    async def _fetch_robots(self, robots_url: str) -> tuple[int | None, bytes, str | None]:
        """robots.txt: one attempt, capped at ROBOTS_MAX_BYTES, redirects followed on the same checks."""
        assert self._gate is not None
        assert self._global is not None
        delay = host_delay(robots_url, self.options.min_delay_s, None, self.options.throttle_private)
        try:
            async with self._gate.semaphore(robots_url):
                await self._gate.wait_turn(robots_url, delay)
                async with self._global:
                    ans = await asyncio.wait_for(
                        self._follow(robots_url, {}, None, await self.is_private(robots_url)),
                        self.options.total_timeout_s,
                    )
        except FetchRefusedError as exc:
            return (200, b"", None) if exc.error_class == ErrorClass.TOO_LARGE else (404, b"", None)
        except TimeoutError:
            return None, b"", ErrorClass.TIMEOUT
        except httpx.HTTPError as exc:
            return None, b"", classify_error(exc)
        return ans.status, ans.body[:ROBOTS_MAX_BYTES], None

    async def _get_file(self, url: str, source: str, started: float) -> Response:
        try:
            status, final_url, hdrs, body = await asyncio.to_thread(read_file_url, url, self.options.max_bytes)
        except FetchRefusedError as exc:
            return self._fail(url, source, started, 1, None, exc.error_class, str(exc))
        except OSError as exc:
            return self._fail(url, source, started, 1, None, ErrorClass.FILE_ERROR, str(exc))
        if status != 200:
            return self._fail(url, source, started, 1, status, http_error_class(status), f"no file at {file_path(url)}")
        return self._ok(url, _Answer(status, final_url, hdrs, body), source, started, 1)

    def _ok(self, url: str, ans: _Answer, source: str, started: float, attempts: int, *,
            not_modified: bool = False) -> Response:
        attempt = self._attempt(url, source, started, attempts, ans.status, True, None, None, len(ans.body))
        return Response(url, ans.final_url, ans.status, ans.body, ans.headers, attempt, not_modified, ans.refused_type)

    def _fail(self, url: str, source: str, started: float, attempts: int, status: int | None, error_class: str,
              error: str) -> Response:
        attempt = self._attempt(url, source, started, attempts, status, False, error_class, error, 0)
        return Response(url, url, status, b"", {}, attempt)

    @staticmethod
    def _attempt(url: str, source: str, started: float, attempts: int, status: int | None, ok: bool,
                 error_class: str | None, error: str | None, nbytes: int) -> FetchAttempt:
        return FetchAttempt(
            source=source, url=url, status=status, ok=ok, error_class=error_class, error=error, nbytes=nbytes,
            ms=round((time.perf_counter() - started) * 1000, 1), attempts=attempts, fetched_at=datetime.now(UTC),
        )
