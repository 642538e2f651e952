"""Null (M6): "true" holds when the key is absent, "false" when it is present. Cannot take IfExists."""
from __future__ import annotations

from explorer.iam.conditions.base import OperatorSpec
from explorer.iam.conditions.boolean_binary import parse_bool


def _never(_value: str, _pv) -> bool:  # Null is evaluated on presence, never per value
    return False


NULL = OperatorSpec("Null", "null", False, parse_bool, _never)
OPERATORS = [NULL]


def null_holds(present: bool, policy_values) -> bool:
    """Several values are ORed."""
    return any((pv == "true" and not present) or (pv == "false" and present) for pv in policy_values)
