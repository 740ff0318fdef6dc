"""Analyst feedback on relevance: `reewatch label`, `reewatch train`, `reewatch rescore`."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Annotated

import numpy as np
import typer
from numpy.typing import NDArray

from core.errors import ReewatchError
from core.records import LABELS
from reewatch.shell import ConfigOpt, DbOpt, console, fails_cleanly, load, writer_slot

if TYPE_CHECKING:
    import duckdb

    from core.records import TopicScore
    from pipeline.settings import Settings
    from store.labels import StoredDoc
    from triage.head import Head
    from triage.profiles import TopicProfile

TopicOpt = Annotated[str | None, typer.Option("--topic", "-t", help="Topic profile name (default: `default_topic` in the config; for train/rescore: every profile).")]


def _profiles(s: Settings, topic: str | None) -> list[TopicProfile]:
    from triage.profiles import load_profiles

    profiles = load_profiles(s.topics_dir)
    if topic is None:
        return profiles
    chosen = [p for p in profiles if p.name == topic]
    if not chosen:
        raise ReewatchError(f"no topic profile named {topic!r}; known: {', '.join(p.name for p in profiles)}")
    return chosen


def _vectors(docs: list[StoredDoc], model: str) -> NDArray[np.float32]:
    """Stored embeddings, computing (not storing) the missing ones with the model."""
    from triage.embed import dedup_text, embed_texts

    missing = [i for i, d in enumerate(docs) if d.vector is None]
    fresh = embed_texts([dedup_text(docs[i].title, docs[i].text) for i in missing], model) if missing else None
    rows = [d.vector for d in docs]
    for j, i in enumerate(missing):
        rows[i] = fresh[j] if fresh is not None else None
    if not rows:
        return np.zeros((0, 0), dtype=np.float32)
    return np.vstack([r for r in rows if r is not None]).astype(np.float32)


def score_stored(profile: TopicProfile, docs: list[StoredDoc], vecs: NDArray[np.float32], head: Head,
                 langs: list[str | None], mvecs: NDArray[np.float32] | None, model: str) -> list[TopicScore]:
    """Scores of stored articles, each language routed as at ingest (``langs``: ``stored_languages``)."""
    from triage.relevance import exemplar_state, score_texts

    ex, _ = exemplar_state(profile, model)
    return score_texts(profile, [(d.title, d.text) for d in docs], vecs, ex, head, langs, mvecs)


def stored_languages(docs: list[StoredDoc]) -> list[str | None]:
    from triage.langs import article_lang

    return [article_lang(d.lang, d.title, d.text) for d in docs]


def stored_multilingual(
    docs: list[StoredDoc], langs: list[str | None], enabled: bool = True,
) -> NDArray[np.float32] | None:
    """Multilingual vectors of the stored articles in another language the encoder covers (None
    when the second encoder is off: setting ``multilingual``)."""
    from triage.pipeline import relevance_vectors

    if not enabled:
        return None
    return relevance_vectors([(d.title, d.text) for d in docs], langs)


def train_topic(con: duckdb.DuckDBPyConnection, profile: TopicProfile, model: str) -> tuple[str, int, int, dict[str, float]]:
    """Fit and store a new head for one topic; (version, examples, labels, metrics)."""
    from store.labels import labelled_docs, save_head
    from triage.relevance import exemplar_state, features_for, train_head

    ex, _ = exemplar_state(profile, model)
    rows = labelled_docs(con, profile.name, model)
    docs = [d for d, _ in rows]
    vecs = _vectors(docs, model).reshape(len(docs), ex.vectors.shape[1])
    x, _, _ = features_for(profile, [(d.title, d.text) for d in docs], vecs, ex)
    head, metrics = train_head(profile, ex, x, [lab for _, lab in rows], version="pending")  # type: ignore[misc]
    n_examples = len(profile.exemplars) + len(rows)
    stored = save_head(con, profile.name, model, head, n_examples, len(rows), metrics)
    return stored.version, n_examples, len(rows), metrics


def rescore_topics(
    con: duckdb.DuckDBPyConnection, profiles: list[TopicProfile], model: str, multilingual: bool = True,
) -> dict[str, Counter[str]]:
    """Re-apply each topic's latest head to every stored article; label counts per topic."""
    from store.db import transaction
    from store.labels import iter_docs, save_scores, with_trained_heads
    from store.rollup import rebuild_story_rollup
    from triage.relevance import head_for

    profiles = with_trained_heads(con, profiles, model)
    counts: dict[str, Counter[str]] = {p.name: Counter() for p in profiles}
    batches = list(iter_docs(con, model))
    with transaction(con):
        for docs in batches:
            langs = stored_languages(docs)
            vecs, mvecs = _vectors(docs, model), stored_multilingual(docs, langs, multilingual)
            for p in profiles:
                scores = score_stored(p, docs, vecs, head_for(p, model), langs, mvecs, model)
                rows = [(d.canonical_url, s) for d, s in zip(docs, scores, strict=True)]
                save_scores(con, rows, refresh_rollup=False)
                counts[p.name].update(s.label for s in scores)
        rebuild_story_rollup(con)  # once, in the same transaction (every story may have changed)
    return counts


@fails_cleanly
def label(
    url: Annotated[str, typer.Argument(metavar="URL", help="URL (or canonical URL) of a stored article.")],
    value: Annotated[str, typer.Argument(metavar="LABEL", help="relevant | adjacent | irrelevant.")],
    topic: TopicOpt = None,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Record an analyst's relevance label for a stored article (replaces an earlier one).

    Waits for a running ingest of the same database to finish first (the writer slot needs Prefect, which takes seconds to start).
    """
    if value not in LABELS:
        raise ReewatchError(f"LABEL must be one of {', '.join(LABELS)}, not {value!r}")
    s = load(config, db, prefect=True)
    from store.db import connect
    from store.labels import add_label

    name = _profiles(s, topic or s.default_topic)[0].name
    with writer_slot(s):
        con = connect(s.db)
        try:
            canonical = add_label(con, url, name, value)
        finally:
            con.close()
    console.print(f"labelled {canonical} [bold]{value}[/] for {name}; run `reewatch train` to refit the head")


@fails_cleanly
def train(topic: TopicOpt = None, config: ConfigOpt = None, db: DbOpt = None) -> None:
    """Refit each topic's learned head from its exemplars plus analyst labels, and store it as a new version.

    Waits for a running ingest of the same database to finish first (the writer slot needs Prefect, which takes seconds to start).
    """
    s = load(config, db, prefect=True)
    from store.db import connect, transaction

    profiles = _profiles(s, topic)
    with writer_slot(s):
        con = connect(s.db)
        try:
            for p in profiles:
                with transaction(con):
                    version, n, n_labels, metrics = train_topic(con, p, s.model)
                console.print(
                    f"{p.name}: head [bold]{version}[/] from {n} examples ({n_labels} analyst labels); "
                    f"log-loss {metrics['log_loss']:.3f}, label agreement {metrics['label_agreement']:.0%}"
                )
        finally:
            con.close()
    console.print("run `reewatch rescore` to apply the new head to stored articles")


@fails_cleanly
def rescore(topic: TopicOpt = None, config: ConfigOpt = None, db: DbOpt = None) -> None:
    """Re-score every stored article with each topic's latest trained head (and current profile).

    Waits for a running ingest of the same database to finish first (the writer slot needs Prefect, which takes seconds to start).
    """
    s = load(config, db, prefect=True)
    from store.db import connect

    profiles = _profiles(s, topic)
    with writer_slot(s):
        con = connect(s.db)
        try:
            counts = rescore_topics(con, profiles, s.model, s.multilingual)
        finally:
            con.close()
    for name, c in counts.items():
        console.print(f"{name}: {c['relevant']} relevant, {c['adjacent']} adjacent, {c['irrelevant']} irrelevant")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``reewatch`` app."""
    app.command("label")(label)
    app.command("train")(train)
    app.command("rescore")(rescore)
