"""Which keys the settings have, and what to say about one that is not among them.

pydantic-settings reads only the ``REEWATCH_*`` variables that name a field and passes the rest
by in silence, and answers an unknown TOML key with a raw validation dump.  These checks name
the key, where it was written, and the nearest real key, spelt the way the user spelt it.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

NESTED_DELIMITER = "__"


@dataclass(frozen=True, slots=True)
class Key:
    """One settings key: its path, the TOML table it is written in, and whether one variable can set it."""

    path: tuple[str, ...]
    table: str  # "" at the top level, else "[fetch]" or "[[digest.channels]]"
    in_list: bool  # inside an array of tables: an environment variable cannot address one item

    @property
    def dotted(self) -> str:
        return ".".join(self.path)

    def as_toml(self) -> str:
        return f"{self.dotted} ({self.path[-1]} in {self.table})" if self.table else self.dotted

    def as_env(self, prefix: str) -> str:
        return prefix + NESTED_DELIMITER.join(self.path).upper()


def _section(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """The model a field holds (``None`` for a plain value) and whether it is a list of them."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        inner = [a for a in get_args(annotation) if a is not type(None)]
        return _section(inner[0]) if len(inner) == 1 else (None, False)
    if origin is list:
        model, _ = _section(get_args(annotation)[0])
        return model, model is not None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    return None, False


def all_keys(model: type[BaseModel], path: tuple[str, ...] = (), table: str = "", in_list: bool = False) -> Iterator[Key]:
    """Every key of ``model``, sections and the keys inside them."""
    for name, field in model.model_fields.items():
        key = Key((*path, name), table, in_list)
        yield key
        sub, is_list = _section(field.annotation)
        if sub is not None:
            header = f"[[{key.dotted}]]" if is_list else f"[{key.dotted}]"
            yield from all_keys(sub, key.path, header, in_list or is_list)


def nearest(path: tuple[str, ...], keys: Iterable[Key]) -> Key | None:
    """The key closest to the unknown ``path``: by its last part among the keys beside it, else
    among the keys of any section (a key put in the wrong one), else none.

    Whole paths are not compared: a shared prefix (``fetch.``) makes any two look alike.
    """
    keys = list(keys)
    for pool in ([k for k in keys if k.path[:-1] == path[:-1]], keys):
        by_name: dict[str, Key] = {}
        for k in pool:
            by_name.setdefault(k.path[-1], k)
        found = difflib.get_close_matches(path[-1], list(by_name), n=1)
        if found:
            return by_name[found[0]]
    return None


def _unknown_in(
    model: type[BaseModel], data: Mapping[str, Any], path: tuple[str, ...], table: str
) -> Iterator[tuple[tuple[str, ...], str]]:
    fields = model.model_fields
    for raw, value in data.items():
        # pydantic-settings matches top-level keys whatever their case, keys in sections exactly.
        name = raw if path else raw.lower()
        field = fields.get(name)
        if field is None:
            yield (*path, raw), table
            continue
        sub, is_list = _section(field.annotation)
        dotted = ".".join((*path, name))
        if sub is not None and is_list and isinstance(value, list):
            for i, item in enumerate(value, 1):
                if isinstance(item, Mapping):
                    yield from _unknown_in(sub, item, (*path, name), f"[[{dotted}]] #{i}")
        elif sub is not None and not is_list and isinstance(value, Mapping):
            yield from _unknown_in(sub, value, (*path, name), f"[{dotted}]")


def unknown_toml_keys(model: type[BaseModel], data: Mapping[str, Any]) -> list[str]:
    """One line for each key in ``data`` (a parsed TOML file) that ``model`` does not have."""
    keys = list(all_keys(model))
    lines = []
    for path, table in _unknown_in(model, data, (), ""):
        dotted = ".".join(path)
        where = f"{dotted} ({path[-1]} in {table})" if table else dotted
        near = nearest(path, keys)
        if near is not None:
            lines.append(f"  {where}: did you mean {near.as_toml()}?")
        else:
            here = sorted(k.path[-1] for k in keys if k.path[:-1] == path[:-1])
            lines.append(f"  {where}: not a setting; the keys {f'in {table}' if table else 'at the top'} are {', '.join(here)}")
    return lines


def unknown_variables(model: type[BaseModel], names: Iterable[str], prefix: str, others: Iterable[str]) -> list[str]:
    """One line for each ``prefix`` variable in ``names`` that sets no key of ``model``.

    Matched without regard to case, as pydantic-settings reads them.  One item of a list
    (``sources.0.url``) cannot be set alone; the whole list can, as JSON.  ``others`` are
    variables with the prefix that are not settings.
    """
    keys = list(all_keys(model))
    settable = {k.path: k for k in keys if not k.in_list}
    lists = {k.path[:-1] for k in keys if k.table.startswith("[[")}
    allowed = {o.upper() for o in others}
    candidates = [*settable.values(), *(Key((o[len(prefix):].lower(),), "", False) for o in sorted(allowed))]
    example = next((k.as_env(prefix) for k in settable.values() if len(k.path) > 1), prefix + "KEY")
    lines = []
    for name in names:
        if not name.upper().startswith(prefix.upper()) or name.upper() in allowed:
            continue
        path = tuple(name[len(prefix):].lower().split(NESTED_DELIMITER))
        if path in settable:
            continue
        in_list = next((path[:i] for i in range(1, len(path)) if path[:i] in lists), None)
        near = nearest(path, candidates)
        if in_list is not None:
            advice = f"one item of a list cannot be set alone; set {settable[in_list].as_env(prefix)} to the whole list as JSON"
        elif near is not None:
            advice = f"did you mean {near.as_env(prefix)}?"
        else:
            advice = (f"not a setting: unset it; a setting is {prefix} and its key, sections joined with"
                      f" {NESTED_DELIMITER} ({example})")
        lines.append(f"  {name} ({'.'.join(path)}): {advice}")
    return lines
