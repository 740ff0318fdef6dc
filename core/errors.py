"""The reewatch error tree, and the error classes of failed fetches.

    ReewatchError                  anything reewatch raises on purpose
    ├── ConfigError                a settings file or option is wrong (says which and how to fix)
    ├── FetchRefusedError          a request or redirect refused outright (carries its ErrorClass
    │                              and URL); fetch/http.py turns it into a failed fetch, it never
    │                              leaves ``Fetcher.get``
    ├── StoreError                 the database cannot be used
    │   ├── DatabaseLockedError    another process is writing the DuckDB file
    │   ├── SchemaTooNewError      the file was written by a newer reewatch
    │   └── ReadOnlyQueryError     a write statement was sent to ``reewatch query``
    ├── ModelError                 the embedding model cannot be loaded
    └── DeliveryError              a digest could not be delivered to a channel

Every message says what to do next.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorClass(StrEnum):
    """Why a fetch or a source read failed: ``fetches.error_class`` and
    ``sources.last_error_class``.  A member equals its string, so stored values and the
    CLI's output are the plain names.  Besides these, an HTTP status is ``http_<status>``
    (``http_error_class``) and an httpx error not foreseen here is its exception class name."""

    DNS = "dns"                                 # the host name did not resolve
    CONNECT = "connect"                         # connection refused or failed
    TIMEOUT = "timeout"                         # no complete answer in time
    RESET = "reset"                             # the server broke off the answer
    TOO_LARGE = "too_large"                     # body (or file) over the size cap
    BAD_SCHEME = "bad_scheme"                   # not http(s), or a redirect to another scheme
    REDIRECT_LOOP = "redirect_loop"             # too many redirects, or back to a URL already seen
    PRIVATE_REDIRECT = "private_redirect"       # a redirect into a private network
    PRIVATE_ADDRESS = "private_address"         # a discovered link whose host resolves into a private network
    ROBOTS = "robots"                           # disallowed by robots.txt
    ROBOTS_UNREACHABLE = "robots_unreachable"   # robots.txt could not be read (5xx, network fault)
    FILE_ERROR = "file_error"                   # a file:// URL that could not be read
    EMPTY_DIRECTORY = "empty_directory"         # a ``file`` source directory without pages
    BAD_FEED = "bad_feed"                       # the source answered, with something that is not a feed
    ERROR = "error"                             # source health: failed, and nothing more is known


def http_error_class(status: int) -> str:
    """The error class of an HTTP status that is not a success (``http_404``)."""
    return f"http_{status}"


class ReewatchError(Exception):
    """Anything reewatch raises on purpose."""


class ConfigError(ReewatchError):
    """A settings file or option is wrong."""


class FetchRefusedError(ReewatchError):
    """A request or redirect refused outright; the message is what the fetch log records."""

    def __init__(self, error_class: ErrorClass, url: str, message: str) -> None:
        super().__init__(message)
        self.error_class = error_class
        self.url = url


class StoreError(ReewatchError):
    """The database cannot be used."""


class DatabaseLockedError(StoreError):
    """Another process holds the DuckDB file for writing."""


class SchemaTooNewError(StoreError):
    """The database was written by a newer reewatch."""


class ReadOnlyQueryError(StoreError):
    """A write statement was sent through the read-only query path."""


class ModelError(ReewatchError):
    """The embedding model cannot be loaded."""


class DeliveryError(ReewatchError):
    """A digest could not be delivered."""
