"""Numeric operators (M8). Values are integers or decimals; a request value that is not a number matches nothing."""
from __future__ import annotations

import math
import operator

from explorer.iam.conditions.base import OperatorSpec


def parse_number(value) -> float:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    try:
        number = float(str(value).strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a number") from None
    if math.isnan(number):
        raise ValueError(f"{value!r} is not a number")
    return number


def _tester(cmp):
    def test(value: str, pv: float) -> bool:
        try:
            return cmp(parse_number(value), pv)
        except ValueError:
            return False
    return test


COMPARISONS = {
    "Equals": operator.eq, "LessThan": operator.lt, "LessThanEquals": operator.le,
    "GreaterThan": operator.gt, "GreaterThanEquals": operator.ge,
}

OPERATORS = [OperatorSpec(f"Numeric{name}", "numeric", False, parse_number, _tester(cmp))
             for name, cmp in COMPARISONS.items()]
OPERATORS.append(OperatorSpec("NumericNotEquals", "numeric", True, parse_number, _tester(operator.eq)))
