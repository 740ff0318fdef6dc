from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from core.errors import ConfigError
from digest.settings import DigestSettings
from fetch.options import FetchOptions
from pipeline.setting_keys import unknown_variables
from pipeline.settings import ENV_PREFIX, OTHER_VARIABLES, Settings, load_settings, packaged_default_config
from triage.embed import DEFAULT_MODEL

REPO = Path(__file__).resolve().parents[1]
SHIPPED = [REPO / "reewatch.toml", packaged_default_config()]
VALID = '[[sources]]\nname = "a"\nkind = "rss"\nurl = "https://example.org/feed"\n'


@pytest.fixture(autouse=True)
def _no_settings_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts without REEWATCH_* variables, whatever the shell running pytest has."""
    for name in list(os.environ):
        if name.upper().startswith(ENV_PREFIX):
            monkeypatch.delenv(name)


def _config_error(cfg: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_settings(cfg)
    return str(info.value)


def test_packaged_defaults_list_real_sources(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no ./reewatch.toml here
    s = load_settings()
    assert packaged_default_config().is_file()
    assert len(s.sources) >= 10
    assert {src.kind for src in s.sources} >= {"rss", "gnews", "gdelt"}
    assert all(src.url.startswith("https://") for src in s.sources)
    assert s.db == Path("data/reewatch.duckdb")


def test_toml_then_env_then_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = tmp_path / "r.toml"
    cfg.write_text('db = "x.duckdb"\nmodel = "m1"\n[fetch]\nper_host = 3\n' + VALID, encoding="utf-8")
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
    cfg.write_text("db = \n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.toml is not valid TOML"):
        load_settings(cfg)


def test_duplicate_source_names_refused(tmp_path: Path) -> None:
    cfg = tmp_path / "dup.toml"
    src = '[[sources]]\nname = "a"\nurl = "https://example.org/feed"\n'
    cfg.write_text(src + src, encoding="utf-8")
    with pytest.raises(ConfigError, match="used twice"):
        load_settings(cfg)


def test_misspelt_key_names_key_file_and_nearest(tmp_path: Path) -> None:
    cfg = tmp_path / "typo.toml"
    cfg.write_text('modle = "m1"\n' + VALID, encoding="utf-8")
    msg = _config_error(cfg)
    assert str(cfg) in msg
    assert "modle: did you mean model?" in msg


def test_misspelt_keys_in_sections(tmp_path: Path) -> None:
    cfg = tmp_path / "nested.toml"
    cfg.write_text(
        "[fetch]\ntimeout_s = 5\n"
        "[digest]\nlookback = 3\n"
        '[[digest.channels]]\nname = "ok"\nurl = "file"\n'
        '[[digest.channels]]\nname = "team"\nurl = "file"\nshedule = "daily 07:00"\n'
        '[[sources]]\nname = "a"\nurl = "https://example.org/feed"\nenable = false\n',
        encoding="utf-8",
    )
    msg = _config_error(cfg)
    assert f"unknown key(s) in {cfg}:" in msg
    assert "fetch.timeout_s (timeout_s in [fetch]): did you mean fetch.read_timeout_s (read_timeout_s in [fetch])?" in msg
    assert "digest.lookback (lookback in [digest]): did you mean digest.lookback_days" in msg
    assert (
        "digest.channels.shedule (shedule in [[digest.channels]] #2):"
        " did you mean digest.channels.schedule (schedule in [[digest.channels]])?"
    ) in msg
    assert "sources.enable (enable in [[sources]] #1): did you mean sources.enabled" in msg


def test_key_with_nothing_near_lists_the_real_ones(tmp_path: Path) -> None:
    cfg = tmp_path / "far.toml"
    cfg.write_text("[fetch]\nxyzzy = 1\n", encoding="utf-8")
    msg = _config_error(cfg)
    assert "fetch.xyzzy (xyzzy in [fetch]): not a setting; the keys in [fetch] are " in msg
    assert "read_timeout_s" in msg


def test_unknown_variable_names_it_and_the_nearest(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = tmp_path / "r.toml"
    cfg.write_text(VALID, encoding="utf-8")
    monkeypatch.setenv("REEWATCH_FETCH__TIMEOUT_S", "5")
    monkeypatch.setenv("reewatch_modle", "m2")  # pydantic-settings reads names in any case, so we check them so
    monkeypatch.setenv("REEWATCH_SOURCES__0__URL", "https://example.org/other")
    msg = _config_error(cfg)
    assert "REEWATCH_SOURCES__0__URL (sources.0.url): one item of a list cannot be set alone; set REEWATCH_SOURCES" in msg
    assert "REEWATCH_FETCH__TIMEOUT_S (fetch.timeout_s): did you mean REEWATCH_FETCH__READ_TIMEOUT_S?" in msg
    assert "reewatch_modle (modle): did you mean REEWATCH_MODEL?" in msg
    assert str(cfg) not in msg  # the file is fine


def test_valid_variables_still_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = tmp_path / "r.toml"
    cfg.write_text(VALID, encoding="utf-8")
    monkeypatch.setenv("REEWATCH_CONFIG", str(cfg))
    monkeypatch.setenv("REEWATCH_UPDATE_SCREENSHOT", "0")
    monkeypatch.setenv("REEWATCH_FETCH__READ_TIMEOUT_S", "5")
    monkeypatch.setenv("REEWATCH_DIGEST__LOOKBACK_DAYS", "2")
    monkeypatch.setenv("REEWATCH_EXTRACT_WORKERS", "0")
    monkeypatch.setenv("reewatch_db", "lower.duckdb")
    s = load_settings()
    assert s.fetch.read_timeout_s == 5.0
    assert s.digest.lookback_days == 2.0
    assert s.extract_workers == 0
    assert s.db == Path("lower.duckdb")
    assert [x.name for x in s.sources] == ["a"]


def test_overrides_must_be_settings(tmp_path: Path) -> None:
    cfg = tmp_path / "r.toml"
    cfg.write_text(VALID, encoding="utf-8")
    assert load_settings(cfg, batch_size=3).batch_size == 3
    with pytest.raises(TypeError, match="bach_size"):
        load_settings(cfg, bach_size=3)


def test_model_default_is_the_embedder_default(tmp_path: Path) -> None:
    cfg = tmp_path / "r.toml"
    cfg.write_text(VALID, encoding="utf-8")
    assert Settings.model_fields["model"].default == DEFAULT_MODEL
    assert load_settings(cfg).model == DEFAULT_MODEL


def test_shipped_files_are_one_file() -> None:
    root, packaged = SHIPPED
    assert root.read_bytes() == packaged.read_bytes(), f"{root} and {packaged} differ: edit one, copy it over the other"


@pytest.mark.parametrize("shipped", SHIPPED, ids=["reewatch.toml", "pipeline/default.toml"])
def test_shipped_file_states_the_code_defaults(shipped: Path) -> None:
    """The shipped file is valid and sets only the sources: every other value it writes is the
    default the code defines (FetchOptions, DigestSettings, Settings), so the two cannot drift."""
    s = load_settings(shipped)
    assert s.fetch == FetchOptions()
    assert s.digest == DigestSettings()
    for name, field in Settings.model_fields.items():
        if name not in ("fetch", "digest", "sources"):
            assert getattr(s, name) == field.get_default(call_default_factory=True), name
    written = tomllib.loads(shipped.read_text(encoding="utf-8"))
    assert set(written["fetch"]) == set(FetchOptions.model_fields)  # every [fetch] key is documented there


def _switched_on(text: str) -> tuple[str, int]:
    """``text`` with its commented-out settings (``# key = value``, ``# [[table]]``) uncommented,
    and how many there were.  A comment counts when it is a TOML line on its own."""
    out, n = [], 0
    for line in text.splitlines():
        body = line[1:].strip() if line.startswith("#") else ""
        try:
            is_toml = bool(body) and bool(tomllib.loads(body))
        except tomllib.TOMLDecodeError:
            is_toml = False
        out.append(body if is_toml else line)
        n += is_toml
    return "\n".join(out) + "\n", n


@pytest.mark.parametrize("shipped", SHIPPED, ids=["reewatch.toml", "pipeline/default.toml"])
def test_shipped_commented_examples_are_valid(shipped: Path, tmp_path: Path) -> None:
    text, n = _switched_on(shipped.read_text(encoding="utf-8"))
    assert n >= 10  # topics_dir, extract_workers and the two example channels
    cfg = tmp_path / "examples.toml"
    cfg.write_text(text, encoding="utf-8")
    s = load_settings(cfg)
    assert [c.name for c in s.digest.channels] == ["morning-email", "team-slack"]


def _written_variable_names() -> dict[str, list[str]]:
    """Every REEWATCH_* name the project writes (shipped files, docs, code; not the tests, which
    write wrong ones on purpose), and the files that write it."""
    files = [*SHIPPED, REPO / "README.md", REPO / "Makefile", *sorted((REPO / "docs").glob("*.md"))]
    files += [p for d in ("deployments", "scripts", ".ci") for p in sorted((REPO / d).glob("*")) if p.is_file()]
    for package in ("core", "fetch", "extract", "triage", "store", "digest", "pipeline", "flows", "deployments",
                    "reewatch", "bench"):
        files += sorted((REPO / package).rglob("*.py"))
    found: dict[str, list[str]] = {}
    for f in files:
        for name in re.findall(r"\bREEWATCH_[A-Z][A-Z0-9_]*", f.read_text(encoding="utf-8", errors="replace")):
            found.setdefault(name, []).append(str(f.relative_to(REPO)))
    return found


def test_written_variable_names_are_real() -> None:
    found = _written_variable_names()
    assert "REEWATCH_FETCH__READ_TIMEOUT_S" in found  # the shipped example
    bad = unknown_variables(Settings, found, ENV_PREFIX, OTHER_VARIABLES)
    assert not bad, "\n".join(f"{line} (written in {sorted(set(found[line.split()[0]]))})" for line in bad)


def test_cli_stops_before_prefect_on_unknown_keys(tmp_path: Path) -> None:
    (tmp_path / "reewatch.toml").write_text("[fetch]\ntimeout_s = 5\n" + VALID, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(ENV_PREFIX)}
    env.update(REEWATCH_FETCH__TIMEOUT_S="5", PYTHONPATH=str(REPO), COLUMNS="250")
    done = subprocess.run(
        [sys.executable, "-m", "reewatch.cli", "run", "--no-digest"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 2, out
    assert "REEWATCH_FETCH__TIMEOUT_S (fetch.timeout_s): did you mean REEWATCH_FETCH__READ_TIMEOUT_S?" in out
    assert "fetch.timeout_s (timeout_s in [fetch]): did you mean fetch.read_timeout_s (read_timeout_s in [fetch])?" in out
    assert "Traceback" not in out
    assert not (tmp_path / "data").exists()  # Prefect's home (data/prefect) was never prepared
