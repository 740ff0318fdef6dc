"""docs/benchmarks.png from docs/benchmarks.json (matplotlib, the optional ``bench`` extra)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

STAGES = ("fetch", "extract", "embed", "dedup", "classify", "store")


def plot(results: dict[str, Any], out: Path) -> bool:
    """Write the figure; False (and nothing written) when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    _stages(axes[0], results.get("stages", {}), results.get("e2e", {}))
    _query(axes[1], results.get("scaling", {}).get("query", []))
    _dedup(axes[2], results.get("scaling", {}).get("dedup", []))
    fig.suptitle(f"reewatch benchmarks ({results.get('machine', {}).get('cpus', '?')} CPUs, "
                 f"{results.get('mode', '')} run, {results.get('finished_at', '')[:16]})")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return True


def _stages(ax: Any, stages: dict[str, Any], e2e: dict[str, Any]) -> None:
    names = [s for s in STAGES if isinstance(stages.get(s), dict)]
    vals = [stages[s]["per_s"] for s in names]
    cmp = e2e.get("compare") or {}
    for label, key in (("naive ref.", "naive_pages_per_s"), ("pipeline e2e", "pipeline_pages_per_s")):
        if key in cmp:
            names.append(label)
            vals.append(cmp[key])
    ax.barh(names, vals, color=["#4477aa"] * (len(names) - 2) + ["#bbbbbb", "#ee6677"] if cmp else "#4477aa")
    ax.set_xscale("log")
    ax.set_xlabel("items per second (log)")
    ax.set_title("per-stage throughput vs end to end")
    ax.invert_yaxis()


def _query(ax: Any, points: list[dict[str, Any]]) -> None:
    if not points:
        return
    n = [p["articles"] for p in points]
    ax.plot(n, [p["view_ms"] for p in points], "o-", label="relevant_stories view")
    ax.plot(n, [p["window_first_ms"] for p in points], "s-", label="window filter first")
    ax.plot(n, [p.get("recent_macro_ms", float("nan")) for p in points], "^-", label="recent_relevant_stories macro")
    ax.axhline(100, color="grey", ls="--", lw=1, label="target 100 ms")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("stored articles")
    ax.set_ylabel("ms")
    ax.set_title("relevant stories, last 7 days")
    ax.legend(fontsize=8)


def _dedup(ax: Any, points: list[dict[str, Any]]) -> None:
    if not points:
        return
    n = [p["articles"] for p in points]
    ax.plot(n, [p["dedup_ms_per_article"] for p in points], "o-", label="dedup ms / new article")
    ax.plot(n, [p["load_ms_per_stored"] for p in points], "s-", label="archive load ms / stored article")
    ax.set_xscale("log")
    ax.set_xlabel("stored articles")
    ax.set_ylabel("ms")
    ax.set_title("dedup against the stored archive")
    ax.legend(fontsize=8)
