from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import ConfigError
from pipeline.settings import load_settings, packaged_default_config


def test_packaged_defaults_list_real_sources(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no ./reewatch.toml here
    monkeypatch.delenv("REEWATCH_CONFIG", raising=False)
    s = load_settings()
    assert packaged_default_config().is_file()
    assert len(s.sources) >= 10
    assert {src.kind for src in s.sources} >= {"rss", "gnews", "gdelt"}
    assert all(src.url.startswith("https://") for src in s.sources)
    assert s.db == Path("data/reewatch.duckdb")


def test_toml_then_env_then_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = tmp_path / "r.toml"
    cfg.write_text(
        'db = "x.duckdb"\nmodel = "m1"\n[fetch]\nper_host = 3\n'
        '[[sources]]\nname = "a"\nkind = "rss"\nurl = "https://example.org/feed"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("REEWATCH_MODEL", "m2")
    monkeypatch.setenv("REEWATCH_FETCH__PER_HOST", "5")
    s = load_settings(cfg)
    assert s.db == Path("x.duckdb")
    assert s.model == "m2"
    assert s.fetch.per_host == 5
    assert [x.name for x in s.sources] == ["a"]
    assert load_settings(cfg, db=Path("y.duckdb")).db == Path("y.duckdb")
    monkeypatch.setenv("REEWATCH_DB", "z.duckdb")
    assert load_settings(cfg).db == Path("z.duckdb")


def test_bad_config_names_the_file(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[[sources]]\nname = "a"\nkind = "carrier-pigeon"\nurl = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.toml"):
        load_settings(cfg)
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "missing.toml")


def test_duplicate_source_names_refused(tmp_path: Path) -> None:
    cfg = tmp_path / "dup.toml"
    src = '[[sources]]\nname = "a"\nurl = "https://example.org/feed"\n'
    cfg.write_text(src + src, encoding="utf-8")
    with pytest.raises(ConfigError, match="used twice"):
        load_settings(cfg)
