"""A package's public names, imported on first use (PEP 562).

Each package's ``__init__.py`` imports its public names under ``if TYPE_CHECKING:`` (what
mypy, editors and readers see) and lists them in ``__all__``; at run time ``lazy_exports``
reads that same block and imports a name's defining module only when the name is first
used.  So ``import triage`` does not load torch, ``import extract`` does not load
trafilatura, and the CLI's start-up pays only for the modules it uses.

The block may hold ``from package.module import name [as alias]`` (a name) and
``from package import module`` (a submodule used as a namespace, e.g. ``store.articles``).
tests/test_architecture.py checks that every package's ``__all__`` is exactly that block.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

# public name -> (module to import, attribute of it; None when the name is the module itself)
Origins = dict[str, tuple[str, str | None]]


def type_checking_imports(source: str, package: str) -> Origins:
    """The names ``from … import …`` brings in under the top-level ``if TYPE_CHECKING:`` of ``source``."""
    import ast  # only on the first lookup of a lazy name: ``import <package>`` stays cheap

    origins: Origins = {}
    for node in ast.parse(source).body:
        if not (isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
            continue
        for stmt in node.body:
            if not isinstance(stmt, ast.ImportFrom) or stmt.level or stmt.module is None:
                raise TypeError(f"{package}: only absolute `from x import y` belongs in the TYPE_CHECKING block")
            for alias in stmt.names:
                public = alias.asname or alias.name
                if stmt.module == package:
                    origins[public] = (f"{package}.{alias.name}", None)
                else:
                    origins[public] = (stmt.module, alias.name)
    return origins


def lazy_exports(package: str, init_file: str) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``, whose ``__init__.py`` is ``init_file``."""
    origins: Origins = {}

    def __getattr__(name: str) -> Any:  # noqa: N807 (the module-level hook PEP 562 names)
        if not origins:
            origins.update(type_checking_imports(Path(init_file).read_text(encoding="utf-8"), package))
        origin = origins.get(name)
        if origin is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module_name, attribute = origin
        module = importlib.import_module(module_name)
        value = module if attribute is None else getattr(module, attribute)
        setattr(sys.modules[package], name, value)  # later lookups skip this hook
        return value

    def __dir__() -> list[str]:  # noqa: N807
        return sorted(set(vars(sys.modules[package])) | set(getattr(sys.modules[package], "__all__", ())))

    return __getattr__, __dir__
