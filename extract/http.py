"""The HTTP client: timeouts, a streamed size cap, per-host and global concurrency,
retries with back-off on transient faults, conditional GET, and file:// replay.

Every request yields a ``FetchAttempt`` for the ``fetches`` log, success or not; no
exception escapes ``Fetcher.get`` for a network fault.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx

from reewatch.records import FetchAttempt

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
BACKOFF_BASE_S = 0.5
BACKOFF_MAX_S = 30.0


@dataclass(frozen=True)
class HttpOptions:
    """Plain values from ``[fetch]`` settings (no settings object below the CLI)."""

    user_agent: str = "reewatch/0.1"
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 20.0
    total_timeout_s: float = 60.0
    max_bytes: int = 5_000_000
    per_host: int = 2
    max_connections: int = 16
    max_redirects: int = 5
    retries: int = 2


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

    @property
    def ok(self) -> bool:
        return self.attempt.ok

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def text(self) -> str:
        from extract.charset import decode_html

        return decode_html(self.body, self.headers.get("content-type", ""))


_FILE_TYPES = {
    ".xml": "application/xml", ".rss": "application/rss+xml", ".atom": "application/atom+xml",
    ".json": "application/json", ".html": "text/html", ".htm": "text/html",
}


def read_file_url(url: str, max_bytes: int) -> tuple[int, str, dict[str, str], bytes]:
    """``file://`` URLs from disk (a directory serves its index.html), so recorded corpora replay offline."""
    path = Path(unquote(urlsplit(url).path))
    if path.is_dir():
        path = path / "index.html"
    if not path.is_file():
        return 404, url, {}, b""
    if path.stat().st_size > max_bytes:
        raise _TooLargeError(f"file larger than {max_bytes} bytes; cut off")
    ctype = _FILE_TYPES.get(path.suffix.lower(), "application/octet-stream")
    return 200, url, {"content-type": ctype}, path.read_bytes()


def classify_error(exc: BaseException) -> str:
    """A short, stable error class for the fetch log and source health."""
    text = str(exc).lower()
    if isinstance(exc, httpx.ConnectError):
        if "name or service" in text or "name resolution" in text or "nodename" in text or "getaddrinfo" in text:
            return "dns"
        return "connect"
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, httpx.TooManyRedirects):
        return "redirect_loop"
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
        return "reset"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return "bad_scheme"
    return type(exc).__name__


@dataclass
class Fetcher:
    """An async HTTP client shared by one ingest run."""

    options: HttpOptions = field(default_factory=HttpOptions)
    _client: httpx.AsyncClient | None = None
    _host_sems: dict[str, asyncio.Semaphore] = field(default_factory=dict)
    _global: asyncio.Semaphore | None = None

    async def __aenter__(self) -> Fetcher:
        o = self.options
        self._client = httpx.AsyncClient(
            follow_redirects=True,
            max_redirects=o.max_redirects,
            timeout=httpx.Timeout(o.read_timeout_s, connect=o.connect_timeout_s),
            headers={"user-agent": o.user_agent, "accept-encoding": "gzip, deflate"},
            limits=httpx.Limits(max_connections=o.max_connections, max_keepalive_connections=o.max_connections),
            trust_env=False,
        )
        self._global = asyncio.Semaphore(o.max_connections)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.aclose()

    def _host_sem(self, url: str) -> asyncio.Semaphore:
        host = urlsplit(url).netloc
        if host not in self._host_sems:
            self._host_sems[host] = asyncio.Semaphore(self.options.per_host)
        return self._host_sems[host]

    async def get(self, url: str, source: str, *, etag: str | None = None, last_modified: str | None = None) -> Response:
        """GET with retries; never raises for network faults."""
        if self._client is None or self._global is None:
            raise RuntimeError("use `async with Fetcher()`")
        headers = {}
        if etag:
            headers["if-none-match"] = etag
        if last_modified:
            headers["if-modified-since"] = last_modified
        started = time.perf_counter()
        attempts = 0
        error_class: str | None = None
        error: str | None = None
        status: int | None = None
        while True:
            attempts += 1
            try:
                async with self._global, self._host_sem(url):
                    status, final_url, resp_headers, body = await asyncio.wait_for(
                        self._stream(url, headers), timeout=self.options.total_timeout_s
                    )
            except TimeoutError:
                error_class, error = "timeout", f"no complete answer within {self.options.total_timeout_s:.0f} s"
            except _TooLargeError as exc:
                error_class, error = "too_large", str(exc)
            except httpx.HTTPError as exc:
                error_class, error = classify_error(exc), str(exc) or type(exc).__name__
            else:
                assert status is not None
                if status == 304:
                    return self._result(url, final_url, status, b"", resp_headers, source, started, attempts, True, None, None, not_modified=True)
                if 200 <= status < 300:
                    return self._result(url, final_url, status, body, resp_headers, source, started, attempts, True, None, None)
                error_class, error = f"http_{status}", f"HTTP {status}"
                if status not in RETRY_STATUSES:
                    return self._result(url, final_url, status, b"", resp_headers, source, started, attempts, False, error_class, error)
                retry_after = _retry_after(resp_headers)
                if retry_after is not None and attempts <= self.options.retries:
                    await asyncio.sleep(min(retry_after, BACKOFF_MAX_S))
                    continue
            if attempts > self.options.retries or error_class in ("dns", "too_large", "bad_scheme", "redirect_loop"):
                return self._result(url, url, status, b"", {}, source, started, attempts, False, error_class, error)
            await asyncio.sleep(min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** (attempts - 1)) * (0.5 + random.random()))

    async def _stream(self, url: str, headers: dict[str, str]) -> tuple[int, str, dict[str, str], bytes]:
        assert self._client is not None
        if url.startswith("file:"):
            return read_file_url(url, self.options.max_bytes)
        async with self._client.stream("GET", url, headers=headers) as resp:
            chunks: list[bytes] = []
            size = 0
            if resp.status_code == 200:
                async for chunk in resp.aiter_bytes():
                    size += len(chunk)
                    if size > self.options.max_bytes:
                        raise _TooLargeError(f"body larger than {self.options.max_bytes} bytes; cut off")
                    chunks.append(chunk)
            return resp.status_code, str(resp.url), {k.lower(): v for k, v in resp.headers.items()}, b"".join(chunks)

    def _result(
        self, url: str, final_url: str, status: int | None, body: bytes, headers: dict[str, str], source: str,
        started: float, attempts: int, ok: bool, error_class: str | None, error: str | None, *, not_modified: bool = False,
    ) -> Response:
        attempt = FetchAttempt(
            source=source, url=url, status=status, ok=ok, error_class=error_class, error=error,
            nbytes=len(body), ms=round((time.perf_counter() - started) * 1000, 1), attempts=attempts,
            fetched_at=datetime.now(UTC),
        )
        return Response(url, final_url, status, body, headers, attempt, not_modified)


class _TooLargeError(Exception):
    pass


def _retry_after(headers: dict[str, str]) -> float | None:
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
