"""The reewatch error tree.

    ReewatchError                  anything reewatch raises on purpose
    ├── ConfigError                a settings file or option is wrong (says which and how to fix)
    ├── SourceError                a source could not be read (carries source name and URL)
    │   └── FetchError             one HTTP/file request failed (status or error class)
    ├── StoreError                 the database cannot be used
    │   ├── DatabaseLockedError    another process is writing the DuckDB file
    │   ├── SchemaTooNewError      the file was written by a newer reewatch
    │   └── ReadOnlyQueryError     a write statement was sent to ``reewatch query``
    ├── ModelError                 the embedding model cannot be loaded
    └── DeliveryError              a digest could not be delivered to a channel

Every message says what to do next.
"""

from __future__ import annotations


class ReewatchError(Exception):
    """Anything reewatch raises on purpose."""


class ConfigError(ReewatchError):
    """A settings file or option is wrong."""


class SourceError(ReewatchError):
    """A source could not be read."""

    def __init__(self, source: str, url: str, message: str) -> None:
        super().__init__(f"{source}: {url}: {message}")
        self.source = source
        self.url = url


class FetchError(SourceError):
    """One HTTP or file request failed."""

    def __init__(self, source: str, url: str, error_class: str, message: str, status: int | None = None) -> None:
        super().__init__(source, url, f"{error_class}: {message}")
        self.error_class = error_class
        self.status = status


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
