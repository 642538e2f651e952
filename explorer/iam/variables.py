"""Policy variables (spec M10, G1): `${key}`, `${key, 'default'}`, and `${*}`, `${?}`, `${$}`.

Variables exist only in 2012-10-17 policies and only in Resource/NotResource and in the values of String and
ARN condition operators. Elsewhere, and in 2008-10-17 policies or policies without a Version, `${...}` is
literal text. Only single-valued keys can be variables; key names are case-insensitive.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from explorer.iam.context import UNKNOWN

CURRENT_VERSION = "2012-10-17"
LEGACY_VERSION = "2008-10-17"

_VAR = re.compile(r"\$\{([^}]*)\}")
# Multivalued context keys (lower-case): they cannot be policy variables (M10), so a variable naming one is
# never substituted (a Resource holding it matches nothing, like an absent key without default).
MULTIVALUED_KEYS = frozenset({"aws:tagkeys", "aws:principalorgpaths", "aws:resourceorgpaths", "aws:sourceorgpaths",
                              "aws:calledvia", "aws:principalservicenameslist", "sts:transitivetagkeys"})
_LITERAL_VARS = {"*": "*", "?": "?", "$": "$"}


@dataclass(frozen=True)
class Var:
    key: str  # as written
    default: str | None = None

    @property
    def key_lower(self) -> str:
        return self.key.lower()


@dataclass(frozen=True)
class Lit:
    """Literal text: wildcard characters in it are not wildcards (from ${*}, ${?}, ${$})."""
    text: str


class _Missing:
    def __repr__(self):
        return "MISSING"


MISSING = _Missing()  # a variable's key is absent and has no default


@dataclass(frozen=True)
class UnknownVar:
    """A variable's key is unknown (open context)."""
    key: str


class Template:
    """A string that may contain policy variables. `parts` are str (glob text), Var or Lit."""
    __slots__ = ("raw", "parts", "has_vars", "problems")

    def __init__(self, raw: str, parts: tuple, problems: tuple[str, ...] = ()):
        self.raw = raw
        self.parts = parts
        self.has_vars = len(parts) > 1 or not isinstance(parts[0], str) if parts else False
        if self.has_vars:
            self.has_vars = any(isinstance(p, Var) for p in parts)
        self.problems = problems

    def __repr__(self):
        return f"Template({self.raw!r})"

    @property
    def plain(self) -> bool:
        return all(isinstance(p, str) for p in self.parts)

    def tokens_without_vars(self) -> list[tuple[str, bool]]:
        return [(p, False) if isinstance(p, str) else (p.text, True) for p in self.parts if not isinstance(p, Var)]

    def variables(self) -> list[Var]:
        return [p for p in self.parts if isinstance(p, Var)]


def parse_template(text: str, *, variables_allowed: bool) -> Template:
    if not variables_allowed or "${" not in text:
        return Template(text, (text,))
    parts: list = []
    problems: list[str] = []
    pos = 0
    for m in _VAR.finditer(text):
        if m.start() > pos:
            parts.append(text[pos:m.start()])
        inner = m.group(1)
        if inner in _LITERAL_VARS:
            parts.append(Lit(_LITERAL_VARS[inner]))
        else:
            key, sep, default = inner.partition(",")
            key = key.strip()
            dflt = None
            if sep:
                d = default.strip()
                if len(d) >= 2 and d[0] == "'" and d[-1] == "'":
                    dflt = d[1:-1]
                else:
                    problems.append(f"variable default in {m.group(0)!r} must be in single quotes")
                    dflt = d
            if not key:
                problems.append(f"empty policy variable {m.group(0)!r}")
                parts.append(m.group(0))
            else:
                parts.append(Var(key, dflt))
        pos = m.end()
    if pos < len(text):
        parts.append(text[pos:])
    return Template(text, tuple(parts), tuple(problems))


Lookup = Callable[[str], object]  # lower-case key -> tuple | None | UNKNOWN


def resolve(template: Template, lookup: Lookup):
    """Tokens [(text, literal)] with the variables substituted, or MISSING, or UnknownVar(key)."""
    if not template.has_vars:
        return [(p, False) if isinstance(p, str) else (p.text, True) for p in template.parts]
    tokens: list[tuple[str, bool]] = []
    for p in template.parts:
        if isinstance(p, str):
            tokens.append((p, False))
        elif isinstance(p, Lit):
            tokens.append((p.text, True))
        else:
            key_lower = p.key_lower
            value = None if key_lower in MULTIVALUED_KEYS else lookup(key_lower)
            if value is UNKNOWN:
                if p.default is not None:
                    # unknown whether the key is present: cannot decide between value and default
                    return UnknownVar(p.key)
                return UnknownVar(p.key)
            if value is None or len(value) != 1:
                if p.default is None:
                    return MISSING
                tokens.append((p.default, True))
            else:
                tokens.append((value[0], True))
    return tokens


def tokens_text(tokens: list[tuple[str, bool]]) -> str:
    return "".join(t for t, _ in tokens)
