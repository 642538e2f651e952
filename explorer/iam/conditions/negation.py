"""Negating a requirement (for Deny statements that may match on unknown keys, issue 3 item 5).

Wherever AWS has an operator that is the exact negation, it is used (`IpAddress` <-> `NotIpAddress`,
`StringEquals` <-> `StringNotEquals`, `ForAllValues:StringEquals` <-> `ForAnyValue:StringNotEquals`, ...);
ordered comparisons negate value by value (`NumericLessThan 5` -> `NumericGreaterThanEqualsIfExists 5`);
otherwise the requirement is written "not(<Operator>)".
"""
from __future__ import annotations

from functools import lru_cache

from explorer.iam import formula as F
from explorer.iam.decision import Requirement

_PAIRS = [
    ("StringEquals", "StringNotEquals"), ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"),
    ("StringLike", "StringNotLike"), ("NumericEquals", "NumericNotEquals"), ("DateEquals", "DateNotEquals"),
    ("IpAddress", "NotIpAddress"), ("ArnEquals", "ArnNotEquals"), ("ArnLike", "ArnNotLike"),
]
COMPLEMENT = {}
for _a, _b in _PAIRS:
    COMPLEMENT[_a] = _b
    COMPLEMENT[_b] = _a
POSITIVE_OF_PAIR = {a for a, _ in _PAIRS}

_ORDER = [("LessThan", "GreaterThanEquals"), ("LessThanEquals", "GreaterThan")]
OPPOSITE = {}
for _fam in ("Numeric", "Date"):
    for _a, _b in _ORDER:
        OPPOSITE[_fam + _a] = _fam + _b
        OPPOSITE[_fam + _b] = _fam + _a


def _fallback(req: Requirement) -> F.Formula:
    return F.literal(Requirement(req.key, f"not({req.operator})", req.values))


def _split(op: str):
    set_op = None
    if ":" in op:
        set_op, op = op.split(":", 1)
    if_exists = op.endswith("IfExists")
    if if_exists:
        op = op[:-8]
    return set_op, op, if_exists


@lru_cache(maxsize=8192)
def negate_requirement(req: Requirement) -> F.Formula:
    op = req.operator
    if op.startswith("not(") and op.endswith(")"):
        return F.literal(Requirement(req.key, op[4:-1], req.values))
    set_op, base, if_exists = _split(op)
    key, values = req.key, req.values
    if base == "Null":
        if len(values) == 1 and values[0] in ("true", "false"):
            return F.literal(Requirement(key, "Null", ("false" if values[0] == "true" else "true",)))
        return _fallback(req)
    if set_op is None:
        if base in COMPLEMENT:
            comp = COMPLEMENT[base]
            if not if_exists:
                return F.literal(Requirement(key, comp, values))
            if base in POSITIVE_OF_PAIR:  # absent or some match  ->  present and none match
                return F.f_and(F.literal(Requirement(key, "Null", ("false",))),
                               F.literal(Requirement(key, comp, values)))
            return F.literal(Requirement(key, comp, values))  # NotXIfExists == NotX
        if base in OPPOSITE:
            opp = OPPOSITE[base] + ("" if if_exists else "IfExists")
            return F.f_and(*(F.literal(Requirement(key, opp, (v,))) for v in values))
        if base == "Bool" and len(values) == 1 and values[0].lower() in ("true", "false"):
            flipped = "false" if values[0].lower() == "true" else "true"
            return F.literal(Requirement(key, "Bool" if if_exists else "BoolIfExists", (flipped,)))
        return _fallback(req)
    if if_exists:
        return _fallback(req)
    other = "ForAnyValue" if set_op == "ForAllValues" else "ForAllValues"
    if base in COMPLEMENT:
        return F.literal(Requirement(key, f"{other}:{COMPLEMENT[base]}", values))
    if base in OPPOSITE and len(values) == 1:
        return F.literal(Requirement(key, f"{other}:{OPPOSITE[base]}", values))
    return _fallback(req)


F.set_negation(negate_requirement)
