"""Action matching (spec M1): `service:Name`, case-insensitive, `*` and `?` anywhere; `*` alone matches all."""
from __future__ import annotations

from functools import lru_cache

from explorer.iam.wildcard import Matcher, compile_glob


def normalize_action(action: str) -> str:
    return action.strip().lower()


def service_prefix(action: str) -> str:
    """The service prefix of an action or action pattern, lower-case ('' when there is none)."""
    return action.split(":", 1)[0].lower() if ":" in action else ""


@lru_cache(maxsize=16384)
def compile_action_pattern(pattern: str) -> Matcher:
    """Matcher taking a lower-case action name."""
    return compile_glob(pattern.strip().lower())


def action_match(pattern: str, action: str) -> bool:
    return compile_action_pattern(pattern)(action.lower())


def validate_action_pattern(pattern: str) -> str | None:
    """A problem with an action pattern, or None."""
    if not isinstance(pattern, str) or not pattern:
        return f"action {pattern!r} is not a non-empty string"
    if pattern == "*":
        return None
    if ":" not in pattern:
        return f"action {pattern!r} has no service prefix (expected service:Name)"
    prefix, name = pattern.split(":", 1)
    if not prefix or not name:
        return f"action {pattern!r} must be service:Name"
    return None
