"""Settings, read in one place: ``reewatch.toml`` plus ``REEWATCH_*`` environment overrides.

Lookup order for the file: ``--config FILE``, then ``$REEWATCH_CONFIG``, then
``./reewatch.toml``, then the defaults shipped inside the package
(``pipeline/default.toml``).  Environment variables override the file:
``REEWATCH_DB``, ``REEWATCH_DATA_DIR``, ``REEWATCH_MODEL``, and nested fields with a
double underscore (``REEWATCH_FETCH__READ_TIMEOUT_S=5``).

An unknown key in the file, or a ``REEWATCH_*`` variable that is neither a setting nor one of
``OTHER_VARIABLES``, is a ``ConfigError`` naming it and the nearest real key.

Nothing else in the project reads ``os.environ`` for configuration: the CLI loads a
``Settings`` here and passes it (or plain values from it) down.
"""

from __future__ import annotations

import os
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
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
from pipeline.setting_keys import unknown_toml_keys, unknown_variables
from triage.embed import DEFAULT_MODEL, DEFAULT_RUNTIME, use_runtime

DEFAULT_CONFIG_NAME = "reewatch.toml"
ENV_PREFIX = "REEWATCH_"
# Variables with the prefix that are not settings, and who reads each.
OTHER_VARIABLES = {
    "REEWATCH_CONFIG": "the configuration file to read (resolve_config_path)",
    "REEWATCH_UPDATE_SCREENSHOT": "tests/test_digest_render.py, tests/test_ui_browser.py: 1 rewrites "
    "docs/digest-screenshot.png, docs/ui-screenshot.png",
}


class SourceSettings(BaseModel):
    """One configured source (``[[sources]]`` in the TOML)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    kind: SourceKind = "rss"
    url: str
    enabled: bool = True
    # gnews only: resolve each item to the publisher's page (Google's two-step decode), going
    # beyond news.google.com's robots.txt and the feed's terms of use; off: items are leads.
    resolve: bool = False

    def to_record(self) -> Source:
        return Source(name=self.name, kind=self.kind, url=self.url, resolve=self.resolve and self.kind == "gnews")


class UiSettings(BaseModel):
    """The reading room, ``reewatch ui`` (``[ui]``; docs/ui.md)."""

    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"  # any address but loopback needs the token
    port: int = Field(default=8765, ge=1, le=65535)
    # Where the digest's story links point ("" = no links), e.g. "http://127.0.0.1:8765".
    base_url: str = ""
    # Required on every request when set; generated and printed at start for a non-loopback host.
    token: str = ""

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, v: str) -> str:
        if v and not v.startswith(("http://", "https://")):
            raise ValueError(f"ui.base_url must start with http:// or https://, not {v!r}")
        return v.rstrip("/")


class Settings(BaseSettings):
    """All of reewatch's configuration."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
    )

    data_dir: Path = Path("data")
    db: Path = Path("data/reewatch.duckdb")
    model: str = DEFAULT_MODEL
    # How the model runs: "onnx-int8" (ONNX Runtime, feed-forward layers in int8 with a scale per
    # token; triage/onnx_encoder.py) or "torch" (sentence-transformers).  Checked by use_runtime.
    model_runtime: str = DEFAULT_RUNTIME
    # The second (multilingual) encoder: cross-language copies and stories, and relevance of
    # non-English articles through it.  Off: every language is compared by the lexical layers and
    # the English model only (an English-only deployment saves ~15 ms and ~160 MB per run;
    # docs/benchmarks.md).
    multilingual: bool = True
    default_topic: str = "rare-earth-trade"
    topics_dir: Path | None = None
    keep_raw_html: bool = True
    # Pages fetched, extracted, triaged and committed together; up to three batches are in memory
    # at once.  64 keeps the 10k-stored bench ingest under 1.5 GB with its extraction worker
    # (docs/benchmarks.md, peak RSS), at ~0.1 s of Prefect task runs per batch.
    batch_size: int = 64
    # Extract the next batch in a worker process while this one is triaged (extract/pool.py).
    # Off by default: it loses on 2 cores (docs/benchmarks.md); for hosts with cores to spare.
    extract_ahead: bool = False
    # Worker processes that share each batch's extraction with the main one (extract/pool.py).
    # None: one per further core, at most 3 (one on 2 cores); 0: extract in the main process alone.
    extract_workers: int | None = Field(default=None, ge=0, le=64)
    fetch: FetchOptions = Field(default_factory=FetchOptions)
    digest: DigestSettings = Field(default_factory=DigestSettings)
    ui: UiSettings = Field(default_factory=UiSettings)
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
    unknown = set(overrides) - set(Settings.model_fields)
    if unknown:
        raise TypeError(f"load_settings() got overrides that are not settings: {sorted(unknown)}")
    problems = unknown_variables(Settings, list(os.environ), ENV_PREFIX, OTHER_VARIABLES)
    if problems:
        problems.insert(0, f"unknown {ENV_PREFIX}* environment variable(s):")
    path = resolve_config_path(config)
    try:
        with path.open("rb") as fh:
            keys = unknown_toml_keys(Settings, tomllib.load(fh))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    if keys:
        problems += [f"unknown key(s) in {path}:", *keys]
    if problems:
        raise ConfigError("\n".join(problems))
    _active_toml["path"] = path
    try:
        kwargs = {k: v for k, v in overrides.items() if v is not None}
        settings = Settings(**kwargs)
        use_runtime(settings.model_runtime)
        return settings
    except Exception as exc:  # pydantic ValidationError
        raise ConfigError(f"invalid configuration in {path}{_env_note()}: {exc}") from exc
    finally:
        _active_toml["path"] = None


def _env_note() -> str:
    """Which settings variables are set, since a bad value may come from one of them."""
    names = sorted(n for n in os.environ if n.upper().startswith(ENV_PREFIX) and n.upper() not in OTHER_VARIABLES)
    return f" or the environment ({', '.join(names)})" if names else ""
