"""Glob patterns (`*` and `?`) compiled to regular expressions, with fast paths for the common shapes.

A pattern is given as tokens: (text, literal) pairs. In a literal token `*` and `?` are plain characters
(policy variables `${*}` / `${?}` and substituted values produce such tokens); elsewhere they are wildcards.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable, Sequence

Matcher = Callable[[str], bool]


def _always(_value: str) -> bool:
    return True


def glob_regex(tokens: Sequence[tuple[str, bool]], star: str = ".*", question: str = ".", flags: int = 0):
    parts = []
    for text, lit in tokens:
        if lit:
            parts.append(re.escape(text))
            continue
        for ch in text:
            if ch == "*":
                parts.append(star)
            elif ch == "?":
                parts.append(question)
            else:
                parts.append(re.escape(ch))
    return re.compile("".join(parts), flags | re.DOTALL)


def has_wildcard(text: str) -> bool:
    return "*" in text or "?" in text


@lru_cache(maxsize=65536)
def compile_glob(pattern: str, ignore_case: bool = False) -> Matcher:
    """Matcher for a plain glob string (no literal tokens)."""
    if pattern == "*":
        return _always
    if not has_wildcard(pattern):
        if ignore_case:
            low = pattern.lower()
            return lambda v: v.lower() == low
        return pattern.__eq__
    if ignore_case:
        rx = glob_regex([(pattern.lower(), False)])
        return lambda v: rx.fullmatch(v.lower()) is not None
    if pattern.endswith("*") and not has_wildcard(pattern[:-1]):
        prefix = pattern[:-1]
        return lambda v: v.startswith(prefix)
    rx = glob_regex([(pattern, False)])
    return lambda v: rx.fullmatch(v) is not None


def compile_tokens(tokens: Sequence[tuple[str, bool]], ignore_case: bool = False) -> Matcher:
    if all(not lit for _, lit in tokens):
        return compile_glob("".join(t for t, _ in tokens), ignore_case)
    return _compile_literal_tokens(tuple(tokens), ignore_case)


@lru_cache(maxsize=16384)
def _compile_literal_tokens(tokens: tuple, ignore_case: bool) -> Matcher:
    if ignore_case:
        rx = glob_regex([(t.lower(), lit) for t, lit in tokens])
        return lambda v: rx.fullmatch(v.lower()) is not None
    rx = glob_regex(tokens)
    return lambda v: rx.fullmatch(v) is not None


def reference_glob_match(pattern: str, value: str) -> bool:
    """A slow, obviously-correct reference matcher (dynamic programming) used by property tests."""
    m, n = len(pattern), len(value)
    dp = [[False] * (n + 1) for _ in range(m + 1)]
    dp[0][0] = True
    for i in range(1, m + 1):
        if pattern[i - 1] == "*":
            dp[i][0] = dp[i - 1][0]
    for i in range(1, m + 1):
        p = pattern[i - 1]
        for j in range(1, n + 1):
            if p == "*":
                dp[i][j] = dp[i - 1][j] or dp[i][j - 1]
            elif p == "?" or p == value[j - 1]:
                dp[i][j] = dp[i - 1][j - 1]
    return dp[m][n]
