"""ARN matching (spec M2): segment by segment, case-sensitive, `*` and `?` inside a segment.

ARN: arn:partition:service:region:account:resource. In the first five segments a wildcard stays inside its
segment; in the resource segment (everything after the fifth colon) `*` also crosses `/` and `:`. A `*` that
ends a pattern with fewer segments expands past the remaining colons. Wildcards are not allowed in the service
segment: there they are literal characters (and the policy compiler reports them). `Resource: "*"` matches
every resource, including the non-ARN resource "*".
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Sequence

Matcher = Callable[[str], bool]


def _always(_v: str) -> bool:
    return True


@dataclass(frozen=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str

    @property
    def resource_type(self) -> str:
        for sep in ("/", ":"):
            if sep in self.resource:
                return self.resource.split(sep, 1)[0]
        return self.resource

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"


@lru_cache(maxsize=65536)
def _parse_arn(text: str) -> Arn | None:
    parts = text.split(":", 5)
    if len(parts) != 6:
        return None
    return Arn(parts[1], parts[2], parts[3], parts[4], parts[5])


def parse_arn(text: str) -> Arn | None:
    if not isinstance(text, str) or not text.startswith("arn:"):
        return None
    return _parse_arn(text)


def account_of(arn: str) -> str | None:
    a = parse_arn(arn)
    return a.account if a and a.account else None


def service_of(arn: str) -> str | None:
    a = parse_arn(arn)
    return a.service if a else None


def arn_regex(tokens: Sequence[tuple[str, bool]]) -> re.Pattern:
    """Regex for an ARN pattern given as (text, literal) tokens."""
    out: list[str] = []
    seg = 0
    flat: list[tuple[str, bool]] = [(ch, lit) for text, lit in tokens for ch in text]
    n = len(flat)
    total_colons = sum(1 for ch, _ in flat if ch == ":")
    for i, (ch, lit) in enumerate(flat):
        if ch == ":":
            seg += 1
            out.append(":")
            continue
        if lit or ch not in "*?" or seg == 2:
            out.append(re.escape(ch))
            continue
        in_resource = seg >= 5
        last_of_short = (not in_resource and seg == total_colons and i == n - 1 and ch == "*")
        if ch == "*":
            out.append(".*" if in_resource or last_of_short else "[^:]*")
        else:
            out.append("." if in_resource else "[^:]")
    return re.compile("".join(out), re.DOTALL)


@lru_cache(maxsize=65536)
def compile_arn_pattern(pattern: str) -> Matcher:
    """Matcher for a plain ARN pattern string (no policy variables)."""
    if pattern == "*":
        return _always
    if "*" not in pattern and "?" not in pattern:
        return pattern.__eq__
    rx = arn_regex([(pattern, False)])
    return lambda v: rx.fullmatch(v) is not None


def compile_arn_tokens(tokens: Sequence[tuple[str, bool]]) -> Matcher:
    if all(not lit for _, lit in tokens):
        return compile_arn_pattern("".join(t for t, _ in tokens))
    return _compile_literal_tokens(tuple(tokens))


@lru_cache(maxsize=16384)
def _compile_literal_tokens(tokens: tuple) -> Matcher:
    rx = arn_regex(tokens)
    return lambda v: rx.fullmatch(v) is not None


def arn_match(pattern: str, value: str) -> bool:
    return compile_arn_pattern(pattern)(value)


def service_segment_has_wildcard(pattern: str) -> bool:
    a = parse_arn(pattern)
    return bool(a and ("*" in a.service or "?" in a.service))
