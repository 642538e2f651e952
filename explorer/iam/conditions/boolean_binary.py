"""Bool ("true"/"false") and BinaryEquals (bytes given as base64) operators (M8)."""
from __future__ import annotations

import base64
import binascii

from explorer.iam.conditions.base import OperatorSpec


def parse_bool(value) -> str:
    text = str(value).strip().lower() if not isinstance(value, bool) else str(value).lower()
    if text not in ("true", "false"):
        raise ValueError(f"{value!r} is not \"true\" or \"false\"")
    return text


def _bool_test(value: str, pv: str) -> bool:
    return value.strip().lower() == pv


def parse_binary(value) -> bytes:
    try:
        return base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{value!r} is not base64") from None


def _binary_test(value: str, pv: bytes) -> bool:
    try:
        return base64.b64decode(value, validate=True) == pv
    except (binascii.Error, ValueError):
        return False


OPERATORS = [
    OperatorSpec("Bool", "bool", False, parse_bool, _bool_test),
    OperatorSpec("BinaryEquals", "binary", False, parse_binary, _binary_test),
]
