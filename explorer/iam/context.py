"""Request context: the condition keys of one request, as an immutable value.

Keys are case-insensitive (M9); values are tuples of strings, as AWS passes them. A key can be
  - known: a tuple of values (possibly empty for a multivalued key with no values),
  - absent: AWS does not send it (`None`),
  - unknown: the analyst has not fixed it (what-if). Only an *open* context has unknown keys: a key that is not
    given is unknown there, while in a *closed* context (a `simulate` request) a key that is not given is absent.
The engine answers a request whose conditions touch unknown keys with the requirements under which it would
allow (see `decision.Requirement`).
"""
from __future__ import annotations

from typing import Iterable, Mapping

from explorer.errors import InputError


class _Unknown:
    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        return False


UNKNOWN = _Unknown()

# In KEY=VALUE assignments (command line, what-if panel) this value fixes a key as absent.
ABSENT_VALUE = "<absent>"


def _norm_values(value) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple, set, frozenset)):
        return tuple(str(v) if not isinstance(v, bool) else str(v).lower() for v in value)
    if isinstance(value, bool):
        return (str(value).lower(),)
    return (str(value),)


class Context:
    __slots__ = ("_values", "_names", "closed", "_hash")

    def __init__(self, values: Mapping[str, object] | Iterable[tuple[str, object]] = (), *, closed: bool = True):
        items = values.items() if isinstance(values, Mapping) else values
        self._values: dict[str, tuple[str, ...] | None] = {}
        self._names: dict[str, str] = {}
        for key, value in items:
            low = key.lower()
            self._values[low] = _norm_values(value)
            self._names[low] = key
        self.closed = closed
        self._hash = None

    def get(self, key: str):
        """Values for the key: a tuple, None when absent, UNKNOWN when not fixed in an open context."""
        low = key.lower()
        if low in self._values:
            return self._values[low]
        return None if self.closed else UNKNOWN

    def get_lower(self, low: str, default=None):
        """The stored value of a lower-case key, or `default` when the context does not fix it."""
        return self._values.get(low, default)

    def is_known(self, key: str) -> bool:
        return key.lower() in self._values or self.closed

    def with_values(self, values: Mapping[str, object]) -> "Context":
        """A new context with these keys fixed (None: fixed as absent)."""
        merged = {self._names[k]: v for k, v in self._values.items()}
        lowered = {k.lower(): k for k in merged}
        for key, value in values.items():
            if key.lower() in lowered:
                del merged[lowered[key.lower()]]
            merged[key] = value
        return Context(merged, closed=self.closed)

    def without(self, *keys: str) -> "Context":
        drop = {k.lower() for k in keys}
        return Context({self._names[k]: v for k, v in self._values.items() if k not in drop}, closed=self.closed)

    def keys(self) -> list[str]:
        return [self._names[k] for k in self._values]

    def passes_request_tags(self) -> bool:
        """Whether some aws:RequestTag/<key> has a non-empty value (session tags passed with the request)."""
        for k, v in self._values.items():  # (keys are stored lower-case)
            if v and k.startswith("aws:requesttag/"):
                return True
        return False

    def items(self):
        return [(self._names[k], v) for k, v in self._values.items()]

    def to_json(self) -> dict:
        out = {}
        for k, v in self._values.items():
            out[self._names[k]] = None if v is None else (v[0] if len(v) == 1 else list(v))
        return out

    def __eq__(self, other) -> bool:
        return isinstance(other, Context) and self.closed == other.closed and self._values == other._values

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash((self.closed, frozenset(self._values.items())))
        return self._hash

    def __repr__(self) -> str:
        return f"Context({self.to_json()!r}, closed={self.closed})"


def parse_assignments(items, *, label: str = "--context") -> dict:
    """['k=v', 'k=w', 'x=<absent>'] -> {'k': ['v', 'w'], 'x': None}. Keys compare without case.

    A key given both as `<absent>` and with a value (in either order) is contradictory: InputError naming the key.

    Values of keys with a known type (dates, numbers, IP addresses, booleans: explorer.iam.context_values) are
    checked: a malformed one raises InputError naming the key and the expected form, instead of silently
    matching nothing in the conditions. `label` names the input in messages ("--context", a GUI field...)."""
    from explorer.iam.context_values import value_problem  # late: context_values imports the operators

    prefix = f"{label} " if label else ""
    values: dict[str, object] = {}
    names: dict[str, str] = {}
    for i, item in enumerate(items or []):
        where = f"{label or 'item'} #{i + 1}"
        if not isinstance(item, str) or "=" not in item:
            raise InputError(f"{prefix}{item!r}: expected KEY=VALUE", where=where)
        key, value = item.split("=", 1)
        key = key.strip()
        if not key:
            raise InputError(f"{prefix}{item!r}: the key is empty", where=where)
        low = key.lower()
        if low in names:
            key = names[low]
        else:
            names[low] = key
        absent = value == ABSENT_VALUE
        if key in values and (values[key] is None) != absent:
            # one assignment fixes the key as absent, another gives it a value: which one was meant?
            raise InputError(f"{prefix}{key} is given both as {ABSENT_VALUE} and with a value: a key is either "
                             f"absent or has values", where=where)
        if absent:
            values[key] = None
            continue
        problem = value_problem(key, value)
        if problem:
            raise InputError(f"{prefix}{problem}", where=where)
        prev = values.get(key)
        if key in values:
            values[key] = (prev if isinstance(prev, list) else [prev]) + [value]
        else:
            values[key] = value
    return values
