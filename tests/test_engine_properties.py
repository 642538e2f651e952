"""Property-based tests (hypothesis) for wildcard, action and ARN matching, against reference implementations."""
from __future__ import annotations

import re

from hypothesis import given, settings, strategies as st

from explorer.iam.actions import action_match
from explorer.iam.arns import arn_match
from explorer.iam.wildcard import compile_glob, compile_tokens, reference_glob_match

FAST = settings(max_examples=100, deadline=None)
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
    """Reference: split both into 6 parts; the first five segments glob without crossing ':' (the service segment
    is literal); the resource part is a free glob."""
    pp = pattern.split(":", 5)
    vv = value.split(":", 5)
    assert len(pp) == 6 and len(vv) == 6
    for i in range(5):
        ok = pp[i] == vv[i] if i == 2 else reference_glob_match(pp[i], vv[i])
        if not ok:
            return False
    return reference_glob_match(pp[5], vv[5])


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


# ---- three-valued evaluation agrees with the two-valued one ------------------------------------------------
# For random policies and random fully-known contexts: the decision with the context known must equal the
# open-context decision's requirements evaluated in that context (requirements of Deny statements negated).
from explorer.iam import Context, Request, Result, compile_policy, evaluate  # noqa: E402
from explorer.iam.conditions import compile_conditions  # noqa: E402
from explorer.iam.context import UNKNOWN  # noqa: E402
from explorer.iam import formula as F  # noqa: E402
from explorer.iam.principal import IAM_USER, Principal  # noqa: E402

_USER = Principal("arn:aws:iam::111111111111:user/u", IAM_USER, "111111111111")
_KEYS = {
    "s:str": ("StringEquals", "StringNotEquals", "StringLike", "StringNotLike", "StringEqualsIfExists",
              "StringNotEqualsIfExists", "StringEqualsIgnoreCase"),
    "s:num": ("NumericLessThan", "NumericGreaterThanEquals", "NumericEquals", "NumericNotEquals",
              "NumericLessThanIfExists"),
    "s:bool": ("Bool", "BoolIfExists"),
    "s:ip": ("IpAddress", "NotIpAddress", "IpAddressIfExists"),
    "s:tags": ("ForAllValues:StringEquals", "ForAnyValue:StringEquals", "ForAnyValue:StringNotEquals",
               "ForAllValues:StringNotEquals"),
}
_VALUES = {"s:str": ["a", "b", "A", "a*"], "s:num": ["1", "5", "10"], "s:bool": ["true", "false"],
           "s:ip": ["10.0.0.0/8", "192.0.2.0/24"], "s:tags": ["a", "b", "c"]}
_REQ_VALUES = {"s:str": ["a", "b", "A", "ab"], "s:num": ["0", "5", "12"], "s:bool": ["true", "false"],
               "s:ip": ["10.1.1.1", "192.0.2.9", "203.0.113.1"], "s:tags": ["a", "b", "c"]}


@st.composite
def _condition(draw):
    block = {}
    for key in draw(st.lists(st.sampled_from(sorted(_KEYS)), min_size=1, max_size=2, unique=True)):
        op = draw(st.sampled_from(_KEYS[key] + ("Null",)))
        if op == "Null":
            values = [draw(st.sampled_from(["true", "false"]))]
        else:
            values = draw(st.lists(st.sampled_from(_VALUES[key]), min_size=1, max_size=2, unique=True))
        block.setdefault(op, {})[key] = values
    return block


@st.composite
def _context(draw):
    ctx = {}
    for key in _KEYS:
        if draw(st.booleans()):
            if key == "s:tags":
                ctx[key] = draw(st.lists(st.sampled_from(_REQ_VALUES[key]), max_size=2, unique=True))
            else:
                ctx[key] = draw(st.sampled_from(_REQ_VALUES[key]))
    return ctx


def _requirement_holds(req, ctx: Context) -> bool:
    op, negate = req.operator, False
    if op.startswith("not(") and op.endswith(")"):
        op, negate = op[4:-1], True
    conds, problems, _ = compile_conditions({op: {req.key: list(req.values)}}, variables_allowed=False, where="$")
    assert not problems, problems
    holds = conds[0].evaluate(lambda k: ctx.get(k)) is not F.FALSE
    return holds != negate


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["Allow", "Deny"]), _condition()), min_size=1, max_size=3), _context(),
       st.booleans())
def test_open_context_requirements_agree_with_known_context(statements, ctx_values, base_allow):
    stmts = [{"Effect": e, "Action": "s3:GetObject", "Resource": "*", "Condition": c} for e, c in statements]
    if base_allow:
        stmts.append({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    policy = compile_policy({"Version": "2012-10-17", "Statement": stmts}, name="p", kind="identity")
    assert not policy.problems, policy.problems
    closed_ctx = Context(ctx_values)
    known = evaluate(Request(_USER, "s3:GetObject", "arn:aws:s3:::b/k", closed_ctx, identity_policies=[policy]))
    open_d = evaluate(Request(_USER, "s3:GetObject", "arn:aws:s3:::b/k", Context({}, closed=False),
                              identity_policies=[policy]))
    assert closed_ctx.get("s:none") is None and Context({}, closed=False).get("s:none") is UNKNOWN
    if open_d.result is not Result.ALLOW:
        predicted = False
    elif not open_d.requirements:
        predicted = True
    else:
        predicted = any(all(_requirement_holds(r, closed_ctx) for r in alt) for alt in open_d.requirements)
    assert known.allowed == predicted, (stmts, ctx_values, open_d.requirements)
    if open_d.result is Result.EXPLICIT_DENY:
        assert known.result is Result.EXPLICIT_DENY
