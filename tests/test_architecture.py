"""The shape of the code (docs/architecture.md): imports point down the layers, each
package names its public surface, and importing a package costs nothing.

The contracts themselves live in pyproject.toml ([tool.importlinter]); ``lint-imports``
checks them here and in ``make check``.
"""

from __future__ import annotations

import ast
import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.lazy import type_checking_imports

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "fetch", "extract", "triage", "store", "digest", "pipeline", "flows", "deployments", "reewatch")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
# Libraries that cost a second or more to import, or pull in a server's worth of code.
HEAVY = ("torch", "sentence_transformers", "trafilatura", "htmldate", "duckdb", "httpx", "prefect", "usearch", "numpy")


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    if not LINT_IMPORTS.exists():
        pytest.skip(f"{LINT_IMPORTS} missing: install the dev extra (pip install -e '.[dev]')")
    # --no-cache: no .import_linter_cache/ left in the tree; the whole check takes about a second.
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(root / "pyproject.toml")],
        cwd=root, capture_output=True, text=True, timeout=300, check=False,
    )


def _package_inits() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (REPO / pkg).rglob("__init__.py"))


def _module_name(init: Path) -> str:
    return ".".join(init.parent.relative_to(REPO).parts)


def test_import_contracts_hold() -> None:
    result = _lint_imports(REPO)
    assert result.returncode == 0, f"lint-imports found imports against the layers:\n{result.stdout}\n{result.stderr}"


def _copy_sources(dst: Path) -> None:
    """The project's packages (Python files only) and its pyproject.toml, under ``dst``."""

    def not_python(folder: str, names: list[str]) -> list[str]:
        return [n for n in names if n == "__pycache__" or not (n.endswith(".py") or (Path(folder) / n).is_dir())]

    for pkg in PACKAGES:
        shutil.copytree(REPO / pkg, dst / pkg, ignore=not_python)
    shutil.copy(REPO / "pyproject.toml", dst / "pyproject.toml")


@pytest.mark.parametrize(
    ("package", "statement", "reported"),
    [
        ("core", "import flows.ingest", "core._upward -> flows.ingest"),
        ("store", "from pipeline.settings import Settings", "store._upward -> pipeline.settings"),
        ("fetch", "import extract.article", "fetch._upward -> extract.article"),
        ("triage", "def load() -> None:\n    import duckdb", "triage._upward -> duckdb"),
    ],
)
def test_import_contracts_catch_a_wrong_import(tmp_path: Path, package: str, statement: str, reported: str) -> None:
    # The real contracts against a copy of the real tree with one wrong import added: the
    # copy comes first on lint-imports' path (it runs in the copy), and the report must name
    # the added module, which exists only there.
    _copy_sources(tmp_path)
    (tmp_path / package / "_upward.py").write_text(f'"""A deliberate wrong import."""\n\n{statement}\n')
    result = _lint_imports(tmp_path)
    assert result.returncode != 0, result.stdout
    assert reported in result.stdout, result.stdout


def _dunder_all(init: Path) -> list[str]:
    for node in ast.parse(init.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign):
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id == "__all__":
            names = ast.literal_eval(value)
            assert isinstance(names, list), f"{init.relative_to(REPO)}: __all__ is a list literal"
            return names
    raise AssertionError(f"{init.relative_to(REPO)} has no __all__")


@pytest.mark.parametrize("init", _package_inits(), ids=_module_name)
def test_package_names_its_public_surface(init: Path) -> None:
    package = _module_name(init)
    source = init.read_text(encoding="utf-8")
    assert ast.get_docstring(ast.parse(source)), f"{package}: say what the package owns and may import"
    public = _dunder_all(init)
    assert len(public) == len(set(public)), f"{package}: a name twice in __all__"
    # The lazy lookup (core/lazy.py) reads the TYPE_CHECKING block: it and __all__ must agree.
    origins = type_checking_imports(source, package)
    assert sorted(public) == sorted(origins), f"{package}: __all__ and the TYPE_CHECKING imports differ"
    # A name equal to a submodule's would be replaced by that submodule once it is imported.
    submodules = {p.stem for p in init.parent.glob("*.py")} | {p.parent.name for p in init.parent.glob("*/__init__.py")}
    for name, (_, attribute) in origins.items():
        assert name not in submodules or attribute is None, f"{package}.{name} is also a submodule"


def test_importing_a_package_loads_no_heavy_library() -> None:
    packages = [_module_name(init) for init in _package_inits()]
    code = (
        "import importlib, sys\n"
        f"for p in {packages!r}: importlib.import_module(p)\n"
        f"print(','.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip() == "", f"importing the packages loaded {result.stdout.strip()}"


@pytest.mark.slow
def test_public_names_resolve() -> None:
    # Loads every package's modules (Prefect included): ~10 s on its own.
    for init in _package_inits():
        package = importlib.import_module(_module_name(init))
        for name in package.__all__:
            assert getattr(package, name) is not None, f"{package.__name__}.{name}"
