"""Conformance checks of the engine against spec rules that scenario files cannot express well (warnings at compile
time, data-file classification, formula caps). Scenarios for decisions live in tests/scenarios/engine/."""
from __future__ import annotations

import pytest

from explorer.iam import compile_policy, evaluate
from explorer.iam import formula as F
from explorer.iam.request_json import parse_request
from explorer.iam.service_data import (RESOURCE_SIDE_REQUIRED, RESOURCE_SIDE_UNNAMED, resource_side_requirement)
from explorer.iam.variables import MISSING, parse_template, resolve

V = "2012-10-17"
A = "111111111111"


def doc(*statements):
    return {"Version": V, "Statement": list(statements)}


def test_g8_sid_alphanumeric_warning_for_iam_policies_only():
    bad = {"Sid": "my-sid", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}
    assert any("G8" in w for w in compile_policy(doc(bad), name="p", kind="identity").warnings)
    resource = dict(bad, Principal="*")
    assert not any("G8" in w for w in compile_policy(doc(resource), name="p", kind="resource").warnings)
    assert compile_policy(doc(bad), name="p", kind="identity").valid  # a warning only


@pytest.mark.parametrize("kind,limit", [("scp", 5120), ("rcp", 5120), ("trust", 2048), ("session", 2048)])
def test_g9_size_quota_warnings(kind, limit):
    st = {"Effect": "Deny" if kind == "rcp" else "Allow", "Action": "s3:GetObject"}
    if kind != "trust":
        st["Resource"] = "*"
    if kind in ("rcp", "trust"):
        st["Principal"] = "*"
    small = compile_policy(doc(st), name="p", kind=kind)
    assert not any("G9" in w for w in small.warnings)
    big_st = dict(st, Action=[f"s3:GetObject{i:04d}" for i in range(limit // 15)])
    big = compile_policy(doc(big_st), name="p", kind=kind)
    assert any("G9" in w and f"{limit:,}" in w for w in big.warnings)


def test_o6_rcp_bare_star_action_warning_and_principal_must_be_star():
    pol = compile_policy(doc({"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}), name="r",
                         kind="rcp")
    assert any("O6" in w for w in pol.warnings)
    pol = compile_policy(doc({"Effect": "Deny", "Principal": {"AWS": A}, "Action": "s3:*", "Resource": "*"}),
                         name="r", kind="rcp")
    assert any('must be "*" in RCPs' in p for p in pol.problems)


def test_m2_wildcard_in_service_segment_is_reported():
    pol = compile_policy(doc({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s*:::b"}), name="p",
                         kind="identity")
    assert any("service segment" in w for w in pol.warnings)


def test_m10_multivalued_key_is_never_a_variable():
    tpl = parse_template("arn:aws:s3:::${aws:TagKeys}", variables_allowed=True)
    assert resolve(tpl, lambda key: ("a",)) is MISSING
    tpl = parse_template("arn:aws:s3:::${aws:username}", variables_allowed=True)
    assert resolve(tpl, lambda key: ("u",)) == [("arn:aws:s3:::", False), ("u", True)]


@pytest.mark.parametrize("action,resource,expected", [
    ("kms:decrypt", f"arn:aws:kms:us-east-1:{A}:key/k", RESOURCE_SIDE_REQUIRED),
    ("kms:decrypt", f"arn:aws:kms:us-east-1:{A}:alias/a", RESOURCE_SIDE_REQUIRED),
    ("kms:createalias", f"arn:aws:kms:us-east-1:{A}:alias/a", None),
    ("kms:createalias", f"arn:aws:kms:us-east-1:{A}:key/k", RESOURCE_SIDE_REQUIRED),
    ("kms:decrypt", "*", RESOURCE_SIDE_UNNAMED),
    ("kms:decrypt", f"arn:aws:kms:*:{A}:key/*", RESOURCE_SIDE_UNNAMED),
    ("kms:createkey", "*", None),
    ("kms:listkeys", "*", None),
    ("kms:generaterandom", "*", None),
    ("s3:getobject", "arn:aws:s3:::b/k", None),
    ("s3:getobject", "*", None),
])
def test_resource_side_requirement_classification(action, resource, expected):
    assert resource_side_requirement(action, resource) == expected


def test_t5_note_only_when_the_trust_does_not_name_the_role():
    role = f"arn:aws:iam::{A}:role/R"
    base = {"principal": f"arn:aws:sts::{A}:assumed-role/R/s", "action": "sts:AssumeRole", "resource": role}
    named = evaluate(parse_request(dict(base, resource_policy=doc(
        {"Effect": "Allow", "Principal": {"AWS": role}, "Action": "sts:AssumeRole"}))))
    assert named.allowed and not any("T5" in w for w in named.warnings)
    other = evaluate(parse_request(dict(base, resource_policy=doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:user/u"}, "Action": "sts:AssumeRole"}))))
    assert not other.allowed and any("T5" in w for w in other.warnings)


def test_truncated_deny_formula_is_reported():
    """More conditional Deny alternatives than the formula cap: the answer must say it is approximate (a dropped
    Deny alternative would otherwise silently widen the allowed requirements)."""
    n = F.MAX_ALTERNATIVES + 6
    denies = [{"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*",
               "Condition": {"StringEquals": {f"aws:PrincipalTag/k{i}": "x", f"aws:PrincipalTag/j{i}": "y"}}}
              for i in range(n)]
    req = {"principal": f"arn:aws:iam::{A}:user/u", "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k",
           "identity_policies": [doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}, *denies)],
           "open_context": True}
    d = evaluate(parse_request(req))
    assert any("approximate" in w for w in d.warnings)
    small = dict(req, identity_policies=[doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}, *denies[:3])])
    assert not any("approximate" in w for w in evaluate(parse_request(small)).warnings)


# ---- three-valued evaluation agrees with the two-valued one, for the operators the property test of
# test_engine_properties.py does not draw (negated IfExists forms, dates, ARNs, set operators with Like/IfExists)
from hypothesis import given, settings, strategies as st  # noqa: E402

from explorer.iam import Context, Request, Result  # noqa: E402
from explorer.iam.conditions import compile_conditions  # noqa: E402
from explorer.iam.principal import IAM_USER, Principal  # noqa: E402

_USER = Principal(f"arn:aws:iam::{A}:user/u", IAM_USER, A)
_OPS = {
    "s:str": ("StringNotLikeIfExists", "StringNotEqualsIgnoreCase", "StringLikeIfExists", "StringNotEquals"),
    "s:ip": ("NotIpAddressIfExists", "NotIpAddress"),
    "s:date": ("DateLessThan", "DateGreaterThanEqualsIfExists", "DateNotEquals", "DateEquals"),
    "s:arn": ("ArnLike", "ArnNotLike", "ArnNotEqualsIfExists", "ArnEqualsIfExists"),
    "s:tags": ("ForAllValues:StringLike", "ForAnyValue:StringLike", "ForAnyValue:StringEqualsIfExists",
               "ForAllValues:StringNotLike"),
    "s:bin": ("BinaryEquals",),
}
_PV = {"s:str": ["a*", "b", "A"], "s:ip": ["10.0.0.0/8", "2001:db8::/32"],
       "s:date": ["2025-01-01T00:00:00Z", "1735689600", "2024-06-01"],
       "s:arn": ["arn:aws:s3:::a*", f"arn:aws:sns:*:{A}:*"], "s:tags": ["a*", "b"], "s:bin": ["YQ==", "Yg=="]}
_RV = {"s:str": ["a", "abc", "B", "b"], "s:ip": ["10.1.1.1", "2001:db8::1", "192.0.2.1"],
       "s:date": ["2024-12-31T23:59:59Z", "1735689600", "2025-06-01T00:00:00Z"],
       "s:arn": ["arn:aws:s3:::ab", f"arn:aws:sns:eu-west-1:{A}:t", "arn:aws:s3:::b"],
       "s:tags": ["a1", "b", "c"], "s:bin": ["YQ==", "Yg=="]}


@st.composite
def _block(draw):
    block = {}
    for key in draw(st.lists(st.sampled_from(sorted(_OPS)), min_size=1, max_size=2, unique=True)):
        op = draw(st.sampled_from(_OPS[key] + ("Null",)))
        values = ([draw(st.sampled_from(["true", "false"]))] if op == "Null"
                  else draw(st.lists(st.sampled_from(_PV[key]), min_size=1, max_size=2, unique=True)))
        block.setdefault(op, {})[key] = values
    return block


@st.composite
def _ctx(draw):
    ctx = {}
    for key in _OPS:
        if draw(st.booleans()):
            ctx[key] = (draw(st.lists(st.sampled_from(_RV[key]), max_size=2, unique=True)) if key == "s:tags"
                        else draw(st.sampled_from(_RV[key])))
    return ctx


def _holds(req, ctx: Context) -> bool:
    op, negate = req.operator, False
    if op.startswith("not(") and op.endswith(")"):
        op, negate = op[4:-1], True
    conds, problems, _ = compile_conditions({op: {req.key: list(req.values)}}, variables_allowed=False, where="$")
    assert not problems, problems
    return (conds[0].evaluate(lambda k: ctx.get(k)) is not F.FALSE) != negate


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["Allow", "Deny"]), _block()), min_size=1, max_size=3), _ctx(),
       st.booleans())
def test_open_context_agrees_for_more_operators(statements, ctx_values, base_allow):
    stmts = [{"Effect": e, "Action": "s3:GetObject", "Resource": "*", "Condition": c} for e, c in statements]
    if base_allow:
        stmts.append({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    policy = compile_policy({"Version": V, "Statement": stmts}, name="p", kind="identity")
    assert not policy.problems, policy.problems
    closed = Context(ctx_values)
    known = evaluate(Request(_USER, "s3:GetObject", "arn:aws:s3:::b/k", closed, identity_policies=[policy]))
    open_d = evaluate(Request(_USER, "s3:GetObject", "arn:aws:s3:::b/k", Context({}, closed=False),
                              identity_policies=[policy]))
    if open_d.result is not Result.ALLOW:
        predicted = False
    elif not open_d.requirements:
        predicted = True
    else:
        predicted = any(all(_holds(r, closed) for r in alt) for alt in open_d.requirements)
    assert known.allowed == predicted, (stmts, ctx_values, open_d.requirements)
