"""What every condition operator provides: parse a policy value once, test a request value against it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class OperatorSpec:
    name: str  # canonical name, e.g. "StringNotLike"
    family: str  # "string", "numeric", "date", "bool", "binary", "ip", "arn", "null"
    negated: bool  # the "Not" forms: several values act as AND, true when the key is absent (M5, M6)
    # policy value -> compiled value (raise ValueError with a reason for a bad value). String and ARN
    # operators receive tokens [(text, literal)] (policy variables substituted); the others a string.
    parse: Callable[[object], object]
    # request value (str), compiled policy value -> does the *positive* form match?
    test: Callable[[str, object], bool]
    variables: bool = False  # values may hold policy variables (M10: String and ARN operators only)
