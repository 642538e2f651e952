"""Date operators (M8): ISO-8601 dates and times, or epoch seconds. Times without a zone are UTC."""
from __future__ import annotations

import operator
from datetime import datetime, timezone

from explorer.iam.conditions.base import OperatorSpec
from explorer.iam.conditions.numeric import COMPARISONS


def parse_date(value) -> float:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a date")
    text = str(value).strip()
    if not text:
        raise ValueError("empty date")
    try:
        return float(text)  # epoch seconds
    except ValueError:
        pass
    iso = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    try:
        dt = datetime.fromisoformat(iso)
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO-8601 date or epoch seconds") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def _tester(cmp):
    def test(value: str, pv: float) -> bool:
        try:
            return cmp(parse_date(value), pv)
        except ValueError:
            return False
    return test


OPERATORS = [OperatorSpec(f"Date{name}", "date", False, parse_date, _tester(cmp))
             for name, cmp in COMPARISONS.items()]
OPERATORS.append(OperatorSpec("DateNotEquals", "date", True, parse_date, _tester(operator.eq)))
