"""Three-valued results as formulas over unknown context keys (issue 3 item 5).

A formula is an OR of ANDs of `Requirement`s (disjunctive normal form), stored as a frozenset of frozensets:
  TRUE  = one alternative with no requirement (holds whatever the unknown keys are),
  FALSE = no alternative,
  anything else: holds exactly when one alternative's requirements all hold.
A known condition evaluates to TRUE or FALSE; a condition on an unknown key evaluates to a one-requirement
formula. AND, OR and NOT keep the form small: subsumed alternatives are dropped, alternatives holding a
requirement together with its exact negation are dropped, and the number of alternatives is capped.
"""
from __future__ import annotations

from typing import Callable, Iterable

from explorer.iam.decision import Requirement

Formula = frozenset  # frozenset[frozenset[Requirement]]

TRUE: Formula = frozenset({frozenset()})
FALSE: Formula = frozenset()

# Cap on the number of alternatives a formula keeps. Beyond it the smallest alternatives are kept and
# `truncations` is incremented: a truncated allow side under-approximates the ways to allow, while a truncated
# Deny side over-approximates them, so the caller (evaluate) reports every truncation in the decision's warnings.
MAX_ALTERNATIVES = 64
truncations = 0  # how many times a formula was cut at MAX_ALTERNATIVES (process-wide counter)

# Set by conditions.negation at import time: Requirement -> Formula (its negation).
_negate_requirement: Callable[[Requirement], Formula] | None = None


def set_negation(func: Callable[[Requirement], Formula]) -> None:
    global _negate_requirement
    _negate_requirement = func


def literal(req: Requirement) -> Formula:
    return frozenset({frozenset({req})})


def is_true(f: Formula) -> bool:
    return f is TRUE or (len(f) == 1 and not next(iter(f)))


def is_false(f: Formula) -> bool:
    return not f


def _contradictory(alt: frozenset) -> bool:
    if len(alt) < 2 or _negate_requirement is None:
        return False
    for req in alt:
        neg = _negate_requirement(req)
        # exact single-literal negation present in the same alternative
        if len(neg) == 1:
            (conj,) = neg
            if len(conj) == 1 and next(iter(conj)) in alt:
                return True
    return False


def _simplify(alts: Iterable[frozenset]) -> Formula:
    alts = {a for a in alts if not _contradictory(a)}
    if not alts:
        return FALSE
    if frozenset() in alts:
        return TRUE
    if len(alts) == 1:
        return frozenset(alts)
    global truncations
    ordered = sorted(alts, key=lambda a: (len(a), sorted(map(str, a))))
    kept: list[frozenset] = []
    for alt in ordered:
        if any(k <= alt for k in kept):
            continue
        if len(kept) >= MAX_ALTERNATIVES:  # alt is not subsumed: something is really dropped
            truncations += 1
            break
        kept.append(alt)
    return frozenset(kept)


def f_or(*fs: Formula) -> Formula:
    parts = [f for f in fs if f]
    if not parts:
        return FALSE
    for f in parts:
        if f is TRUE:
            return TRUE
    if len(parts) == 1:
        return parts[0]
    return _simplify(a for f in parts for a in f)


def f_and(*fs: Formula) -> Formula:
    result = TRUE
    for f in fs:
        if not f:
            return FALSE
        if f is TRUE:
            continue
        if result is TRUE:
            result = f
            continue
        result = _simplify(a | b for a in result for b in f)
        if not result:
            return FALSE
    return result


def f_not(f: Formula) -> Formula:
    if not f:
        return TRUE
    if f is TRUE or is_true(f):
        return FALSE
    if _negate_requirement is None:  # pragma: no cover - set at import of explorer.iam.conditions
        raise RuntimeError("negation table not loaded")
    # NOT(OR_i AND_j r_ij) = AND_i OR_j NOT(r_ij)
    result = TRUE
    for alt in f:
        clause = f_or(*(_negate_requirement(r) for r in alt))
        result = f_and(result, clause)
        if not result:
            return FALSE
    return result


def f_any(fs: Iterable[Formula]) -> Formula:
    """OR over an iterable, stopping at the first TRUE."""
    acc = []
    for f in fs:
        if f is TRUE:
            return TRUE
        if f:
            acc.append(f)
    return f_or(*acc) if acc else FALSE


def to_requirements(f: Formula) -> tuple[tuple[Requirement, ...], ...]:
    """The Decision.requirements form: () for TRUE (unconditional) and for FALSE; else sorted alternatives."""
    if not f or is_true(f):
        return ()
    alts = [tuple(sorted(a, key=lambda r: (r.key.lower(), r.operator, r.values))) for a in f]
    alts.sort(key=lambda a: (len(a), [str(r) for r in a]))
    return tuple(alts)


def from_requirements(reqs: Iterable[Iterable[Requirement]]) -> Formula:
    alts = [frozenset(a) for a in reqs]
    return _simplify(alts) if alts else FALSE
