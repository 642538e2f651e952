"""Policy documents in the three encodings IAM output uses, decoded to a dict.

- a JSON object (what the AWS CLI prints),
- a JSON string (`aws organizations describe-policy` prints `Content` this way),
- a URL-encoded JSON string (the raw IAM API form, e.g. `%7B%22Version%22%3A...`).

`decode_policy_document` raises `PolicyError`; the loader uses `try_decode_policy_document`, which returns the
problem as text instead, so a bad document costs no exception in the common path.
"""
from __future__ import annotations

import json
from urllib.parse import unquote

from explorer.errors import PolicyError

_loads = json.loads


def try_decode_policy_document(value: object) -> tuple[dict | None, str | None]:
    """(document, None) when `value` is a policy document in any accepted encoding, else (None, problem)."""
    if type(value) is dict:  # the common case first: the CLI prints objects
        return value, None
    if isinstance(value, dict):
        return dict(value), None
    if not isinstance(value, str):
        return None, f"a policy document must be a JSON object or a (URL-encoded) JSON string, not {_kind(value)}"
    text = value.strip()
    if not text:
        return None, "the policy document is an empty string"
    # A document may have been encoded more than once (a JSON string of a URL-encoded string, ...): a few rounds.
    for _ in range(4):
        if text[0] == "%":
            text = unquote(text).strip()
            if not text:
                return None, "the policy document is an empty string after URL decoding"
        try:
            decoded = _loads(text)
        except ValueError as exc:
            if "%" in text:  # partly URL-encoded, e.g. `{%22Version%22:...}`
                unquoted = unquote(text).strip()
                if unquoted != text and unquoted:
                    text = unquoted
                    continue
            return None, f"the policy document is not valid JSON: {exc}"
        except RecursionError:
            return None, "the policy document is nested too deeply"
        if isinstance(decoded, dict):
            return decoded, None
        if isinstance(decoded, str) and decoded.strip():
            text = decoded.strip()
            continue
        return None, f"the policy document must be a JSON object, not {_kind(decoded)}"
    return None, "the policy document is encoded too many times"


def decode_policy_document(value: object, *, file: str | None = None, where: str | None = None) -> dict:
    """The decoded document; `PolicyError` (naming `file` and `where` when given) if it is not one."""
    document, problem = try_decode_policy_document(value)
    if problem is not None:
        raise PolicyError(problem, file=file, where=where)
    return document  # type: ignore[return-value]


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
