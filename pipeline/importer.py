"""``reewatch import``: documents → extract (when HTML) → triage → store.

Plain documents (url + html or text) take the path of fetched pages after extraction
(pipeline/batches.py ``triage_and_store``, with the plain stages).  Records written
by ``reewatch export`` (they carry ``story_id``) are stored as given: their story,
copy link, scores and labels are kept, not recomputed; only their embedding is computed,
so that later articles are still deduplicated against them.  Reads JSONL, and the CSV
or Parquet files that ``reewatch export`` writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import Progress

from core.records import Article, NoArticle, Page, TopicScore, TriagedArticle
from extract.article import extract_article
from extract.jsonl import BadLine, Exported, parse_line, parse_record
from pipeline.batches import IngestTarget, Tally, topic_profiles, triage_and_store
from pipeline.plan import DIRECT_STAGES, IngestPlan
from pipeline.settings import Settings
from store import articles as store_articles
from store.archive import load_archive
from store.db import WRITE_WAIT_S, Database
from store.importing import save_exported, stored_canonicals
from triage.dedup import DedupDecision, entry_for
from triage.features import article_features, pack
from triage.pipeline import dedup_vectors
from triage.relevance import label_for

IMPORTED_MODEL_VERSION = "imported"
# The run id an import's rows are stored under (the fetch log's run_id).
IMPORT_RUN_ID = "import"


@dataclass
class ImportResult:
    stored: int = 0
    copies: int = 0
    relevant: int = 0
    skipped: int = 0
    as_given: int = 0
    bad_lines: list[BadLine] = field(default_factory=list)


def exported_scores(rec: Exported, default_topic: str) -> tuple[TopicScore, ...]:
    """The scores an exported record carries: its default-topic label as given, other
    topics' labels from their scores (the export has no label for them)."""
    topics = dict(rec.topics)
    if rec.relevance_score is not None and default_topic not in topics:
        topics[default_topic] = rec.relevance_score
    out = []
    for topic, score in sorted(topics.items()):
        given = (topic == default_topic and rec.relevance_label is not None
                 and (rec.relevance_score is None or abs(rec.relevance_score - score) < 1e-9))
        label = rec.relevance_label if given and rec.relevance_label else label_for(score)
        reasons = rec.reasons if topic == default_topic else ()
        out.append(TopicScore(topic, score, label, reasons, IMPORTED_MODEL_VERSION))
    return tuple(out)


def _records(path: Path) -> Iterator[tuple[int, int, dict[str, Any] | str]]:
    """(record number, bytes, JSONL line or decoded row) from a JSONL, CSV or Parquet file."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".parquet"):
        import duckdb

        reader = "read_csv_auto(?, header = true, all_varchar = true)" if suffix == ".csv" else "read_parquet(?)"
        con = duckdb.connect()
        try:
            cur = con.execute(f"SELECT * FROM {reader}", [str(path)])
            cols = [d[0] for d in cur.description or []]
            n = 0
            while rows := cur.fetchmany(1000):
                for r in rows:
                    n += 1
                    yield n + 1 if suffix == ".csv" else n, 0, dict(zip(cols, r, strict=True))
        finally:
            con.close()
        return
    with path.open(encoding="utf-8", errors="replace") as fh:
        for lineno, line in enumerate(fh, 1):
            yield lineno, len(line.encode("utf-8")), line


class _Importer:
    """Batches of plain documents (triaged) and exported records (stored as given)."""

    def __init__(self, db: Database, plan: IngestPlan, result: ImportResult) -> None:
        self.db, self.plan, self.result = db, plan, result
        with db.write() as con:
            store_articles.set_meta(con, "default_topic", plan.default_topic)
            profiles = topic_profiles(con, plan)
            self.archive = load_archive(con, plan.model)
        self.plain = IngestTarget(plan, DIRECT_STAGES, db, IMPORT_RUN_ID, self.archive, profiles, Tally())
        self.pending: list[Article | NoArticle] = []
        self.exported: list[Exported] = []

    def add(self, item: Page | Article | NoArticle | Exported) -> None:
        if isinstance(item, Exported):
            self.exported.append(item)
        elif isinstance(item, Page):
            self.pending.append(extract_article(
                item.html, url=item.url, source=item.source, fetched_at=item.fetched_at,
                keep_raw_html=self.plan.settings.keep_raw_html, title_hint=item.title_hint, published_hint=item.published_hint))
        else:
            self.pending.append(item)
        if len(self.pending) + len(self.exported) >= self.plan.settings.batch_size:
            self.flush()

    def flush(self) -> None:
        self._flush_exported()
        self._flush_plain()

    def finish(self) -> None:
        """The last batch, and the plain documents' counts added to the result."""
        self.flush()
        with self.db.write(checkpoint=True):  # the batches' log folded into the file (store.db.Database.write)
            pass
        tally = self.plain.tally
        self.result.stored += tally.total("stored")
        self.result.copies += tally.total("copies")
        self.result.relevant += tally.total("relevant")
        self.result.skipped += tally.totals["no_article"]

    def _count(self, triaged: list[TriagedArticle], stored: int) -> None:
        topic = self.plan.default_topic
        self.result.stored += stored
        self.result.copies += sum(t.duplicate_of is not None for t in triaged)
        self.result.relevant += sum(1 for t in triaged if (sc := t.score_for(topic)) is not None and sc.label == "relevant")

    def _flush_exported(self) -> None:
        recs, self.exported = self.exported, []
        with self.db.read() as con:
            known = stored_canonicals(con, [r.article.canonical_url for r in recs])
        fresh: dict[str, Exported] = {}
        for r in recs:
            if r.article.canonical_url in known or r.article.canonical_url in fresh:
                self.result.skipped += 1
            else:
                fresh[r.article.canonical_url] = r
        new = list(fresh.values())
        # the same vectors triage computes, so later articles dedup against these as against fetched ones
        vecs = dedup_vectors([r.article for r in new], self.plan.model) if new else None
        # the features dedup_batch computes for a fetched article: stored beside the row, and
        # in the archive at once, so later records of this import are matched against these by
        # every layer (MinHash, content terms, sentence alignment), as in the next runs
        feats = [article_features(r.article.title, r.article.text) for r in new]
        triaged = [
            TriagedArticle(r.article, tuple(float(x) for x in v), r.duplicate_of, r.story_id,
                           exported_scores(r, self.plan.default_topic), features=pack(f), copy_kind=r.copy_kind)
            for r, v, f in zip(new, vecs if vecs is not None else [], feats, strict=True)
        ]
        labels = {r.article.canonical_url: r.labels for r in recs if r.labels}
        with self.db.write() as con:
            stored = save_exported(con, triaged, labels, model=self.plan.model, default_topic=self.plan.default_topic)
        self._count(triaged, stored)
        self.result.as_given += stored
        entries = [entry_for(t.article, DedupDecision(t.duplicate_of, t.story_id, "as exported"), f)
                   for t, f in zip(triaged, feats, strict=True)]
        if vecs is not None:
            self.archive.add_many(entries, np.asarray(vecs, dtype=np.float32))

    def _flush_plain(self) -> None:
        pending, self.pending = self.pending, []
        triage_and_store(self.plain, pending)()  # committed at once: nothing to overlap it with


def import_jsonl(path: Path, settings: Settings, console: Console) -> ImportResult:
    """Import a JSONL file (or a CSV/Parquet export); bad records are collected, not fatal."""
    plan = IngestPlan.from_settings(settings)
    result = ImportResult()
    now = datetime.now(UTC)
    importer = _Importer(Database(plan.db, wait_s=WRITE_WAIT_S), plan, result)
    with Progress(console=console, transient=True) as progress:
        bar = progress.add_task("importing", total=path.stat().st_size)
        for lineno, nbytes, raw in _records(path):
            progress.advance(bar, nbytes)
            item = parse_line(raw, lineno, now) if isinstance(raw, str) else parse_record(raw, lineno, now)
            if isinstance(item, BadLine):
                result.bad_lines.append(item)
            elif item is not None:
                importer.add(item)
        importer.finish()
    return result
