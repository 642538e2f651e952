"""String operators (M8): only the Like forms treat `*` and `?` as wildcards."""
from __future__ import annotations

from explorer.iam.conditions.base import OperatorSpec
from explorer.iam.wildcard import compile_tokens


def _join(tokens) -> str:
    return "".join(t for t, _ in tokens)


def _equals(value: str, pv: str) -> bool:
    return value == pv


def _lower(tokens) -> str:
    return _join(tokens).casefold()


def _equals_ic(value: str, pv: str) -> bool:
    return value.casefold() == pv


def _like(value: str, matcher) -> bool:
    return matcher(value)


OPERATORS = []
for _neg in (False, True):
    _n = "Not" if _neg else ""
    OPERATORS += [
        OperatorSpec(f"String{_n}Equals", "string", _neg, _join, _equals, variables=True),
        OperatorSpec(f"String{_n}EqualsIgnoreCase", "string", _neg, _lower, _equals_ic, variables=True),
        OperatorSpec(f"String{_n}Like", "string", _neg, compile_tokens, _like, variables=True),
    ]
