"""ARN operators (M8): ArnEquals = ArnLike and ArnNotEquals = ArnNotLike; per segment, case-sensitive."""
from __future__ import annotations

from explorer.iam.arns import compile_arn_tokens
from explorer.iam.conditions.base import OperatorSpec


def _test(value: str, matcher) -> bool:
    return matcher(value)


OPERATORS = [
    OperatorSpec("ArnEquals", "arn", False, compile_arn_tokens, _test, variables=True),
    OperatorSpec("ArnLike", "arn", False, compile_arn_tokens, _test, variables=True),
    OperatorSpec("ArnNotEquals", "arn", True, compile_arn_tokens, _test, variables=True),
    OperatorSpec("ArnNotLike", "arn", True, compile_arn_tokens, _test, variables=True),
]
