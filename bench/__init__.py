"""Benchmarks: per-stage throughput, end-to-end ingest against a naive reference,
start-up, and scaling to a million stored articles (``python -m bench.run``).

Real pages are read at bench time from ``../shared/data/extraction`` (never copied into
the repository); without them the suite falls back to the bundled demo site.
"""
