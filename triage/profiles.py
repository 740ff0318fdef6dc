"""Topic profiles as data: TOML files with a description, term groups in several
languages, the role each group plays, and exemplar mini-articles (pure but for reading files).

A profile file looks like ``triage/topics/rare-earth-trade.toml``::

    name = "rare-earth-trade"
    description = "…"
    [roles]            # which term groups play which part in the lexical evidence
    subject = ["elements", "magnets"]   # naming one makes the topic's things present
    weak_subject = ["magnets_generic"]  # counts as subject only next to a context term
    context = ["trade_actions"]         # the trade side: controls, licences, shortages…
    actors = ["actors"]
    adjacent = ["adjacent"]             # neighbouring topics (other minerals, chips)
    traps = ["traps"]                   # senses that make a subject mention off-topic
    [terms]
    elements = ["rare earth*", "稀土", …]   # a trailing * matches any word ending
    [[exemplars]]
    label = "relevant"                  # relevant | adjacent | irrelevant
    title = "…"
    text = "…"
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import ConfigError
from core.records import LABELS, RelevanceLabel
from core.text import word_char

if TYPE_CHECKING:
    from triage.head import Head

ROLES = ("subject", "weak_subject", "context", "actors", "adjacent", "traps")


@dataclass(frozen=True)
class Exemplar:
    """A short article the project wrote to show what a label means."""

    label: RelevanceLabel
    title: str
    text: str

    @property
    def embed_text(self) -> str:
        return f"{self.title}\n{self.text}"


@dataclass(frozen=True)
class TopicProfile:
    """A topic as data: terms by group, the role of each group, and exemplars.

    ``head`` is the learned head to score with; ``None`` means the head fitted on the
    profile's own exemplars (see ``triage.relevance.head_for``).  The ingest passes a
    head trained by ``reewatch train`` with ``dataclasses.replace(profile, head=…)``.
    """

    name: str
    description: str
    terms: dict[str, tuple[str, ...]]
    roles: dict[str, tuple[str, ...]]
    exemplars: tuple[Exemplar, ...] = ()
    head: Head | None = field(default=None, compare=False)

    @property
    def positive(self) -> tuple[Exemplar, ...]:
        return tuple(e for e in self.exemplars if e.label == "relevant")

    @property
    def negative(self) -> tuple[Exemplar, ...]:
        return tuple(e for e in self.exemplars if e.label == "irrelevant")

    def role_terms(self, role: str) -> tuple[str, ...]:
        return tuple(t for group in self.roles.get(role, ()) for t in self.terms.get(group, ()))

    @cached_property
    def patterns(self) -> dict[str, re.Pattern[str] | None]:
        """One compiled pattern per role (None when the role has no terms)."""
        return {role: compile_terms(self.role_terms(role)) for role in ROLES}

    @cached_property
    def matcher(self) -> re.Pattern[str] | None:
        """One pattern for the terms of every role: a text is scanned once."""
        return compile_terms(tuple(t for role in ROLES for t in self.role_terms(role)))

    @cached_property
    def _role_cache(self) -> dict[str, tuple[str, ...]]:
        return {}

    def roles_of(self, key: str) -> tuple[str, ...]:
        """The roles whose terms occur in a matched (lower-cased) phrase ("usa rare earth"
        is an actor and names the subject)."""
        roles = self._role_cache.get(key)
        if roles is None:
            roles = tuple(r for r, p in self.patterns.items() if p is not None and p.search(key))
            self._role_cache[key] = roles
        return roles

    def scan(self, text: str) -> dict[str, list[str]]:
        """Matched terms (lower-cased) by role, from one pass over the text."""
        out: dict[str, list[str]] = {}
        if self.matcher is None:
            return out
        for m in self.matcher.finditer(text.lower()):
            found = m.group(0)
            for role in self.roles_of(found):
                out.setdefault(role, []).append(found)
        return out


def _is_cjk(t: str) -> bool:
    return any("\u3040" <= c <= "\u9fff" or "\uac00" <= c <= "\ud7af" for c in t)


_SEP = "\x00"  # a trie key standing for "spaces or hyphens"
_END, _PREFIX = "\x01", "\x02"  # trie keys: a term ends here (whole word / any word ending)


def _trie(terms: list[str]) -> dict[str, dict]:
    root: dict[str, dict] = {}
    for term in terms:
        node = root
        core = term.rstrip("*").lower()
        for ch in re.sub(r"[\s\-]+", _SEP, core):
            node = node.setdefault(ch, {})
        node[_PREFIX if term.endswith("*") else _END] = {}
    return root


def _trie_regex(node: dict[str, dict], word_end: str) -> str:
    """A regex whose alternatives each start with a different literal, so matching
    tries one branch per position instead of every term."""
    branches = []
    for key in sorted(k for k in node if k not in (_END, _PREFIX)):
        head = r"[\s\-]+" if key == _SEP else re.escape(key)
        branches.append(head + _trie_regex(node[key], word_end))
    if _PREFIX in node:
        branches.append(word_char() + "*")
    elif _END in node:
        branches.append(word_end)
    if len(branches) == 1:
        return branches[0]
    return "(?:" + "|".join(branches) + ")"


def compile_terms(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    """One pattern for the terms, to run on *lower-cased* text: Latin/Cyrillic/… terms match
    whole words (or word starts, with a trailing *), CJK terms anywhere; "rare earth" ≡
    "rare-earth".  Every top-level branch starts with a literal first character (the word
    boundary is checked just after it), which lets the regex engine skip to candidate
    characters; with IGNORECASE it could not, hence lower-cased text (3× faster)."""
    if not terms:
        return None
    # A term's first character opens a word (no word character or mark before it) and its last
    # one closes it (none after): ``\b`` would put a boundary inside Hindi or Thai words.
    wc = word_char()
    word_start, word_end = f"(?<!{wc}{wc})", f"(?!{wc})"
    branches = []
    for cjk in (False, True):
        root = _trie([t for t in terms if _is_cjk(t) == cjk])
        for key in sorted(root):
            rest = _trie_regex(root[key], "" if cjk else word_end)
            branches.append(re.escape(key) + ("" if cjk else word_start) + rest)
    return re.compile("|".join(branches))


def _exemplars(data: dict[str, object], path: Path) -> tuple[Exemplar, ...]:
    raw = data.get("exemplars", [])
    if not isinstance(raw, list):
        raise ConfigError(f"{path}: [[exemplars]] must be an array of tables")
    out = []
    for item in raw:
        label = item.get("label")
        if label not in LABELS:
            raise ConfigError(f"{path}: exemplar label {label!r} is not one of {', '.join(LABELS)}")
        out.append(Exemplar(label=label, title=str(item.get("title", "")), text=str(item.get("text", "")).strip()))
    return tuple(out)


def load_profile(path: Path) -> TopicProfile:
    """Read and check one profile file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read topic profile {path}: {exc}") from exc
    if "name" not in data:
        raise ConfigError(f"{path}: a topic profile needs a name")
    terms = {k: tuple(str(t) for t in v) for k, v in data.get("terms", {}).items()}
    roles = {k: tuple(v) for k, v in data.get("roles", {}).items()}
    unknown = [g for groups in roles.values() for g in groups if g not in terms]
    if unknown or set(roles) - set(ROLES):
        raise ConfigError(f"{path}: [roles] names unknown groups or roles: {unknown or sorted(set(roles) - set(ROLES))}")
    if not roles.get("subject"):
        raise ConfigError(f"{path}: [roles] needs at least one subject group")
    exemplars = _exemplars(data, path)
    if not any(e.label == "relevant" for e in exemplars) or not any(e.label == "irrelevant" for e in exemplars):
        raise ConfigError(f"{path}: a profile needs relevant and irrelevant exemplars")
    return TopicProfile(
        name=str(data["name"]),
        description=str(data.get("description", "")).strip(),
        terms=terms,
        roles=roles,
        exemplars=exemplars,
    )


def shipped_profile_paths() -> list[Path]:
    root = resources.files("triage").joinpath("topics")
    return sorted(Path(str(p)) for p in root.iterdir() if str(p).endswith(".toml"))


def load_profiles(extra_dir: Path | None = None) -> list[TopicProfile]:
    """The shipped profiles plus any ``*.toml`` in ``extra_dir`` (same name replaces)."""
    profiles = {p.name: p for p in map(load_profile, shipped_profile_paths())}
    if extra_dir is not None and extra_dir.is_dir():
        for path in sorted(extra_dir.glob("*.toml")):
            prof = load_profile(path)
            profiles[prof.name] = prof
    return list(profiles.values())
