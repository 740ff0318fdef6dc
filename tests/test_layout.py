"""Guards on the package layout that cost us a broken scheduled run once."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TOP_LEVEL = {"reewatch", "extract", "triage", "store", "digest", "flows", "deployments"}


def test_flow_modules_do_not_shadow_top_level_packages() -> None:
    # Prefect adds the entrypoint's folder (flows/, deployments/) to sys.path when it loads
    # a deployment: a flows/digest.py would then hide the digest package from every import.
    for folder in ("flows", "deployments"):
        names = {p.stem for p in (REPO / folder).glob("*.py")}
        assert not names & TOP_LEVEL, f"{folder}/ has modules named like top-level packages: {names & TOP_LEVEL}"
