"""Every command that writes the database takes the writer slot: started while another
process holds it (an ingest), it waits its turn and then does its work, instead of failing
on DuckDB's lock."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from reewatch import prefect_env
from reewatch.cli import app

REPO = Path(__file__).resolve().parents[1]
# The holder gives the slot back this long after the command was first refused it: time
# enough for a command that went on regardless to be seen writing while the slot was held.
AFTER_REFUSAL_S = 3.0
# Prefect's debug line for a refused slot.  Neither its API nor its database keeps a trace of
# a refusal, and the CLI configures no Prefect logging, so the command under test gets a
# sitecustomize that sends this one logger to stderr (PREFECT_INTERNAL_LOGGING_LEVEL lets it
# log at debug level).
REFUSED = "Unable to acquire concurrency slot"
SHOW_REFUSALS = """
import logging, sys
logging.getLogger("prefect._internal.concurrency").addHandler(logging.StreamHandler(sys.stderr))
"""
BODY = (
    "China's commerce ministry said exporters of rare earth magnets must now apply for a licence for every "
    "shipment, and carmakers in Europe warned that production lines could stop within weeks as the export "
    "controls bite. Customs data showed magnet exports fell by more than half in May."
)
OTHER = (
    "Australian lithium miners cut output again as prices for spodumene concentrate slid to a four-year low, "
    "and two projects in Western Australia were put on care and maintenance while buyers held back orders."
)
# Stands in for an ingest flow run: for each database path read from stdin, holds its writer
# slot until the next line, then notes the time it gives the slot back.
HOLDER = """
import sys, time
from pathlib import Path
from flows.writer import one_writer

while line := sys.stdin.readline().strip():
    with one_writer(Path(line)):
        print("held", flush=True)
        sys.stdin.readline()
        Path(sys.argv[1]).write_text(repr(time.time()))
    print("released", flush=True)
"""
WRITING_COMMANDS = ("run", "import", "digest", "label", "train", "rescore", "reextract", "migrate")


def _env(tmp_path: Path) -> dict[str, str]:
    """Every process: one Prefect home (the slot lives in its database), no server configured."""
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(prefect_env.PREFECT_DEFAULTS)
    env.update(PREFECT_HOME=str(tmp_path / "prefect"), PYTHONPATH=str(REPO))
    return env


def _stop(proc: subprocess.Popen[str]) -> None:
    """End ``proc`` if it still runs: interrupted (not killed) first, so that it stops its Prefect server."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Holder:
    """A process that holds a database's writer slot while the test says so."""

    def __init__(self, tmp_path: Path) -> None:
        self.stamp = tmp_path / "released"
        self.proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(self.stamp)], cwd=tmp_path,
                                     env=_env(tmp_path), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def _say(self, line: str, answer: str) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        assert self.proc.stdout.readline().strip() == answer, f"the holder did not answer {answer!r}"

    def hold(self, db: Path) -> None:
        self._say(str(db), "held")

    def release(self) -> float:
        """Give the slot back; the time it was given back."""
        self._say("", "released")
        return float(self.stamp.read_text())

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()  # ends its loop: a clean exit stops its Prefect server too
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(60)
        _stop(self.proc)


def _waits_for(holder: Holder, tmp_path: Path, *args: str) -> tuple[str, float]:
    """Run ``reewatch ARGS`` while ``holder`` holds the slot; give the slot back once the command
    has been refused it.  The command's output and when the slot was given back."""
    hook = tmp_path / "show-refusals"
    hook.mkdir(exist_ok=True)
    (hook / "sitecustomize.py").write_text(SHOW_REFUSALS, encoding="utf-8")
    env = {**_env(tmp_path), "PREFECT_INTERNAL_LOGGING_LEVEL": "DEBUG", "PYTHONPATH": f"{hook}{os.pathsep}{REPO}",
           # a refused command asks again after about the slot's mean holding time, up to 30 s by
           # default: 2 s keeps the test short and changes nothing it checks
           "PREFECT_SERVER_CONCURRENCY_MAXIMUM_CONCURRENCY_SLOT_WAIT_SECONDS": "2"}
    # cwd: the default data directory (data/) is created under tmp_path, not in the repo
    proc = subprocess.Popen([sys.executable, "-m", "reewatch.cli", *args], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    refused = threading.Event()
    tail: list[str] = []

    def read_stderr() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            tail[:] = [*tail[-40:], line]
            if REFUSED in line:
                refused.set()

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    try:
        assert refused.wait(240), f"reewatch {args[0]} never asked for the held slot: {''.join(tail)}"
        time.sleep(AFTER_REFUSAL_S)
        released = holder.release()
        proc.wait(300)  # its output is a few lines: the pipe does not fill
        assert proc.stdout is not None
        out = proc.stdout.read()
    finally:
        _stop(proc)
    reader.join(10)
    assert proc.returncode == 0, (out[-2000:], "".join(tail))
    return " ".join(out.split()), released


def _one(db: Path, sql: str) -> object:
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute(sql).fetchone()
        return row[0] if row else None
    finally:
        con.close()


@pytest.mark.slow
def test_import_and_label_wait_for_the_writer_slot(tmp_path: Path) -> None:
    db = tmp_path / "slot.duckdb"
    docs = tmp_path / "docs.jsonl"
    docs.write_text("".join(json.dumps(d) + "\n" for d in (
        {"url": "https://a.example/rare-earth-licences", "text": BODY},
        {"url": "https://b.example/lithium-output", "text": OTHER},
    )), encoding="utf-8")
    holder = Holder(tmp_path)
    try:
        holder.hold(db)
        out, released = _waits_for(holder, tmp_path, "import", str(docs), "--db", str(db))
        assert "imported 2 new articles" in out
        assert _one(db, "SELECT count(*) FROM articles") == 2
        first_seen = _one(db, "SELECT min(first_seen_at) FROM articles")
        assert isinstance(first_seen, dt.datetime) and first_seen.timestamp() >= released, \
            "the import wrote while the slot was held"

        holder.hold(db)
        out, released = _waits_for(holder, tmp_path, "label", "https://a.example/rare-earth-licences", "relevant",
                                   "--db", str(db))
        assert "labelled https://a.example/rare-earth-licences relevant" in out
        labelled_at = _one(db, "SELECT max(labelled_at) FROM labels")
        assert isinstance(labelled_at, dt.datetime) and labelled_at.timestamp() >= released, \
            "the label was written while the slot was held"
    finally:
        holder.close()


def test_writing_commands_say_that_they_wait() -> None:
    runner = CliRunner()
    for name in WRITING_COMMANDS:
        result = runner.invoke(app, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert "waits for a running ingest" in " ".join(result.output.replace("│", " ").split()).lower(), name


def test_errors_end_in_one_red_line_and_exit_code_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["import", str(tmp_path / "missing.jsonl"), "--db", str(tmp_path / "x.duckdb")])
    assert result.exit_code == 2
    assert "error:" in result.output and "missing.jsonl does not exist" in " ".join(result.output.split())
    assert not (tmp_path / "x.duckdb").exists(), "nothing was opened for a missing input"


def test_the_demo_does_not_import_the_cli() -> None:
    code = "import sys, reewatch.demo.run; assert 'reewatch.cli' not in sys.modules, 'demo imports the CLI'"
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "PYTHONPATH": str(REPO)})
