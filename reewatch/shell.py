"""What every ``reewatch`` command shares: the consoles, the common options, settings,
the clean error exit and the database's writer slot.

Heavy imports (Prefect) stay inside the functions: ``reewatch --help`` must not pay for them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from core.errors import ReewatchError

if TYPE_CHECKING:
    from pipeline.settings import Settings

console = Console()
err = Console(stderr=True)

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="reewatch.toml to read (default: ./reewatch.toml, then the packaged defaults).")]
DbOpt = Annotated[Path | None, typer.Option("--db", help="DuckDB file (default: `db` in the config; REEWATCH_DB overrides).")]

P = ParamSpec("P")
R = TypeVar("R")


def load(config: Path | None, db: Path | None, *, prefect: bool) -> Settings:
    """The settings of one command; ``prefect=True`` also prepares Prefect's environment
    (state under the data directory, telemetry off), which must happen before Prefect is
    first imported: every command that runs a flow or takes the writer slot asks for it."""
    from pipeline.settings import load_settings
    from reewatch import prefect_env

    s = load_settings(config, db=db)
    if prefect:
        prefect_env.prepare(s.data_dir)
    return s


def fails_cleanly(command: Callable[P, R]) -> Callable[P, R]:
    """Turn a ReewatchError raised by ``command`` into a red ``error:`` line and exit code 2.

    ``functools.wraps`` keeps the signature and annotations typer reads the options from.
    """

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except ReewatchError as exc:
            # escaped: rich would take "[fetch]" in a message for markup and drop it
            err.print(f"[bold red]error:[/] {escape(str(exc))}")
            raise typer.Exit(2) from exc

    return run


@contextmanager
def writer_slot(s: Settings) -> Iterator[None]:
    """Hold the database's writer slot (flows/writer.py) for the block, as an ingest does.

    A command started while an ingest writes the same file waits here for it instead of
    failing on DuckDB's lock.  Taking the slot starts Prefect (ephemeral unless
    PREFECT_API_URL is set; ~20 s measured on 2 busy cores), so a status line says what
    is being waited for.
    """
    from reewatch import prefect_env

    prefect_env.prepare(s.data_dir)  # no-op when the command already did; the slot needs it
    with ExitStack() as stack:
        with console.status(f"taking the writer slot of {s.db} (waits for an ingest writing it; Prefect starts first)…"):
            from flows.writer import one_writer

            stack.enter_context(one_writer(s.db))
        yield
