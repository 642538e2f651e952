"""Property-based tests (hypothesis) for wildcard, action and ARN matching, against reference implementations."""
from __future__ import annotations

import re

from hypothesis import given, settings, strategies as st

from explorer.iam.actions import action_match
from explorer.iam.arns import arn_match
from explorer.iam.wildcard import compile_glob, compile_tokens, reference_glob_match

FAST = settings(max_examples=200, deadline=None)
ALPHABET = "ab/:-.*?"
text = st.text(alphabet="ab/:-.", max_size=12)
pattern = st.text(alphabet=ALPHABET, max_size=10)


@FAST
@given(pattern, text)
def test_glob_matches_reference(p, v):
    assert compile_glob(p)(v) == reference_glob_match(p, v)


@FAST
@given(text)
def test_literal_matches_itself(v):
    assert compile_glob(v)(v)
    assert arn_match(v, v) or "*" in v or "?" in v


@FAST
@given(text)
def test_star_matches_everything(v):
    assert compile_glob("*")(v)
    assert arn_match("*", v)


@FAST
@given(st.text(alphabet="ab*?", max_size=6), st.text(alphabet="ab*?", max_size=6))
def test_literal_tokens_are_not_wildcards(lit, v):
    # a literal token (${*}, substituted variables) matches only its exact text
    assert compile_tokens([(lit, True)])(v) == (lit == v)


def _reference_arn(pattern: str, value: str) -> bool:
    """Reference: split both into 6 parts; first five segments glob without crossing ':'; the resource part is a
    free glob; a pattern with fewer segments whose last segment ends with '*' swallows the rest."""
    pp = pattern.split(":", 5)
    vv = value.split(":", 5)
    if len(pp) == 6:
        if len(vv) != 6:
            return False
        for i in range(5):
            if i == 2:
                if pp[i] != vv[i]:
                    return False
            elif not reference_glob_match(pp[i], vv[i]):
                return False
        return reference_glob_match(pp[5], vv[5])
    # short pattern
    n = len(pp)
    if len(vv) < n:
        return False
    for i in range(n - 1):
        ok = pp[i] == vv[i] if i == 2 else reference_glob_match(pp[i], vv[i])
        if not ok:
            return False
    last = pp[-1]
    rest = ":".join(vv[n - 1:])
    if n - 1 == 2:
        return last == rest
    if last.endswith("*"):
        return reference_glob_match(last, rest) and (
            reference_glob_match(last, vv[n - 1]) or len(vv) > n or True)
    return len(vv) == n and reference_glob_match(last, vv[n - 1])


seg = st.text(alphabet="ab1-/", max_size=5)
pseg = st.text(alphabet="ab1-/*?", max_size=5)


@FAST
@given(st.lists(seg, min_size=4, max_size=4), st.text(alphabet="ab1-/:", max_size=10),
       st.lists(pseg, min_size=4, max_size=4), st.text(alphabet="ab1-/:*?", max_size=8))
def test_arn_matches_reference(vsegs, vres, psegs, pres):
    value = "arn:" + ":".join(vsegs) + ":" + vres
    pat = "arn:" + ":".join(psegs) + ":" + pres
    assert arn_match(pat, value) == _reference_arn(pat, value)


@FAST
@given(st.lists(seg, min_size=4, max_size=4), st.text(alphabet="ab1-/:", max_size=10))
def test_arn_star_segment(vsegs, vres):
    value = "arn:" + ":".join(vsegs) + ":" + vres
    # '*' in the region segment matches any region, but never crosses into the next segment
    pat = f"arn:{vsegs[0]}:{vsegs[1]}:*:{vsegs[3]}:{vres}"
    assert arn_match(pat, value)
    assert arn_match(f"arn:{vsegs[0]}:{vsegs[1]}:{vsegs[2]}:{vsegs[3]}:*", value)


@FAST
@given(st.lists(seg, min_size=4, max_size=4), st.text(alphabet="ab1-/:", max_size=10))
def test_arn_case_sensitive(vsegs, vres):
    value = "arn:" + ":".join(vsegs) + ":" + vres + "x"
    assert not arn_match(value.upper(), value) or value.upper() == value


names = st.from_regex(re.compile(r"[a-z0-9-]{1,8}:[A-Za-z]{1,10}"), fullmatch=True)


@FAST
@given(names)
def test_action_case_insensitive(action):
    assert action_match(action.upper(), action)
    assert action_match(action.lower(), action.swapcase())
    svc = action.split(":")[0]
    assert action_match(f"{svc}:*", action)
    assert action_match("*", action)


@FAST
@given(names, names)
def test_action_matches_reference(p, a):
    pat = p[: len(p) // 2] + "*"
    assert action_match(pat, a) == reference_glob_match(pat.lower(), a.lower())
