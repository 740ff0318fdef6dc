"""``reewatch import`` of text captures: 1,000 ``url`` + ``text`` records into a fresh database.

    .venv/bin/python bench/import_text.py [--records 1000] [--rounds 1] [--data ../shared/data/news/dev.jsonl]

The records are news/dev's 144 page texts (read at run time, never copied into the project),
repeated under distinct URLs, so the import stores some and links the repeats to them as copies,
as it would for syndicated text.  Each round imports them into a new database in a temporary
folder (``pipeline.importer.import_jsonl``, the command's own function, without the writer slot's
Prefect start-up); the embedding model is loaded once, by a warm-up import of one record, so
the rounds time the import, not the model load: wall seconds, and this process's CPU seconds
(all its threads; less disturbed by other work on a shared machine).  Also timed: parsing alone
(``parse_line`` on every record: the text-capture cleaning, extract/text_capture.py).  Prints JSON.  Skips cleanly
when the data file is absent.  Not run in tests.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "news" / "dev.jsonl"


def records(data: Path, n: int) -> list[str]:
    """``n`` JSONL lines: the data file's texts in turn, each under its own URL."""
    texts = [json.loads(line)["text"] for line in data.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [json.dumps({"url": f"https://bench.invalid/{i}", "text": texts[i % len(texts)]}) for i in range(n)]


def _import(lines: list[str], folder: Path, name: str) -> tuple[float, dict[str, int]]:
    from pipeline.importer import import_jsonl
    from pipeline.settings import load_settings

    file = folder / f"{name}.jsonl"
    file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings = load_settings(db=folder / f"{name}.duckdb")
    start, cpu = time.perf_counter(), time.process_time()
    result = import_jsonl(file, settings, Console(quiet=True))
    seconds = time.perf_counter() - start
    return seconds, {"cpu_s": round(time.process_time() - cpu, 2), "stored": result.stored, "copies": result.copies,
                     "not_articles": result.skipped, "bad_lines": len(result.bad_lines)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--records", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = ap.parse_args(argv)
    if not args.data.is_file():
        print(json.dumps({"skipped": f"{args.data} not found"}))
        return 0
    from extract.jsonl import parse_line

    lines = records(args.data, args.records)
    now = datetime.now(UTC)
    start = time.perf_counter()
    for i, line in enumerate(lines, 1):
        parse_line(line, i, now)
    parse_s = time.perf_counter() - start
    rounds = []
    with tempfile.TemporaryDirectory() as tmp:
        _import(lines[:1], Path(tmp), "warm-up")
        for r in range(args.rounds):
            seconds, counts = _import(lines, Path(tmp), f"round-{r}")
            rounds.append({"seconds": round(seconds, 2), **counts})
    print(json.dumps({"records": args.records, "parse_s": round(parse_s, 3),
                      "parse_ms_per_record": round(1000 * parse_s / args.records, 3), "import_rounds": rounds,
                      "import_best_s": min(r["seconds"] for r in rounds),
                      "import_best_cpu_s": min(r["cpu_s"] for r in rounds)}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
