"""Unit tests of the engine's parts: formulas and negation, ARNs, variables, policies, principals, requests."""
from __future__ import annotations

import pytest

from explorer.errors import RequestError
from explorer.iam import (UNKNOWN, Context, Request, Requirement, Result, Settings, compile_policy, evaluate)
from explorer.iam import formula as F
from explorer.iam.arns import arn_match, parse_arn
from explorer.iam.conditions import negate_requirement, parse_operator
from explorer.iam.principal import IAM_USER, ROLE_SESSION, Principal
from explorer.iam.principals import ACCOUNT, DIRECT, ENTITY, compile_principal, match_principal
from explorer.iam.request_json import parse_request, principal_from_arn
from explorer.iam.variables import MISSING, UnknownVar, parse_template, resolve

A = "111111111111"
V = "2012-10-17"
USER = Principal(f"arn:aws:iam::{A}:user/u", IAM_USER, A)


def R(key, op, *values):
    return Requirement(key, op, tuple(values))


def lit(key, op, *values):
    return F.literal(R(key, op, *values))


# ---- formulas --------------------------------------------------------------------------------------------
def test_formula_constants_and_identity():
    x = lit("k", "StringEquals", "a")
    assert F.f_and(F.TRUE, x) == x
    assert F.f_and(F.FALSE, x) == F.FALSE
    assert F.f_or(F.FALSE, x) == x
    assert F.f_or(F.TRUE, x) is F.TRUE
    assert F.f_not(F.TRUE) == F.FALSE and F.f_not(F.FALSE) is F.TRUE


def test_formula_subsumption_and_contradiction():
    a = lit("k", "StringEquals", "a")
    b = lit("j", "Bool", "true")
    assert F.f_or(a, F.f_and(a, b)) == a  # a OR (a AND b) == a
    assert F.f_and(a, F.f_not(a)) == F.FALSE  # exact complement dropped
    assert F.f_or(a, F.f_not(a)) != F.FALSE


def test_formula_not_is_de_morgan():
    a = lit("k", "StringEquals", "a")
    b = lit("ip", "IpAddress", "10.0.0.0/8")
    neg = F.f_not(F.f_and(a, b))
    assert F.to_requirements(neg) == ((R("ip", "NotIpAddress", "10.0.0.0/8"),), (R("k", "StringNotEquals", "a"),))
    assert F.f_not(neg) == F.f_and(a, b)


def test_formula_cap():
    big = F.FALSE
    for i in range(F.MAX_ALTERNATIVES + 20):
        big = F.f_or(big, lit(f"k{i}", "StringEquals", "x"))
    assert len(big) <= F.MAX_ALTERNATIVES


@pytest.mark.parametrize("op,values,expected", [
    ("StringEquals", ("a",), [["StringNotEquals"]]),
    ("StringNotLike", ("a*",), [["StringLike"]]),
    ("StringEqualsIfExists", ("a",), [["Null", "StringNotEquals"]]),
    ("StringNotEqualsIfExists", ("a",), [["StringEquals"]]),
    ("IpAddress", ("10.0.0.0/8",), [["NotIpAddress"]]),
    ("ArnLike", ("arn:*",), [["ArnNotLike"]]),
    ("NumericLessThan", ("5",), [["NumericGreaterThanEqualsIfExists"]]),
    ("NumericLessThanIfExists", ("5",), [["NumericGreaterThanEquals"]]),
    ("DateGreaterThan", ("2025-01-01",), [["DateLessThanEqualsIfExists"]]),
    ("Bool", ("true",), [["BoolIfExists"]]),
    ("BoolIfExists", ("false",), [["Bool"]]),
    ("Null", ("true",), [["Null"]]),
    ("ForAllValues:StringEquals", ("a",), [["ForAnyValue:StringNotEquals"]]),
    ("ForAnyValue:StringLike", ("a*",), [["ForAllValues:StringNotLike"]]),
    ("BinaryEquals", ("QQ==",), [["not(BinaryEquals)"]]),
    ("not(BinaryEquals)", ("QQ==",), [["BinaryEquals"]]),
])
def test_negation_table(op, values, expected):
    got = F.to_requirements(negate_requirement(Requirement("k", op, values)))
    assert [sorted(r.operator for r in alt) for alt in got] == [sorted(e) for e in expected]


def test_negation_of_ordered_multi_value_is_conjunction():
    got = negate_requirement(R("k", "NumericLessThan", "5", "10"))
    assert F.to_requirements(got) == ((R("k", "NumericGreaterThanEqualsIfExists", "10"),
                                       R("k", "NumericGreaterThanEqualsIfExists", "5")),)


def test_negation_round_trip_for_exact_pairs():
    for op in ("StringEquals", "StringLike", "IpAddress", "ArnEquals", "NumericEquals", "DateEquals",
               "ForAllValues:StringEquals", "Bool"):
        r = R("k", op, "1")
        assert F.f_not(F.f_not(F.literal(r))) == F.literal(r), op


def test_parse_operator_forms():
    assert parse_operator("forallvalues:stringlikeifexists")[0] == "ForAllValues:StringLikeIfExists"
    with pytest.raises(ValueError):
        parse_operator("NullIfExists")
    with pytest.raises(ValueError):
        parse_operator("SomeValues:StringEquals")


# ---- ARNs and variables ------------------------------------------------------------------------------------
def test_arn_parse_and_match():
    a = parse_arn("arn:aws:logs:us-east-1:111111111111:log-group:x:log-stream:y")
    assert a.service == "logs" and a.resource == "log-group:x:log-stream:y" and a.resource_type == "log-group"
    assert parse_arn("not-an-arn") is None
    assert arn_match("arn:aws:logs:*:111111111111:log-group:*", "arn:aws:logs:eu-west-1:111111111111:log-group:x:log-stream:y")
    assert arn_match("arn:aws:ec2:*", "arn:aws:ec2:us-east-1:1:instance/i")  # trailing * of a short pattern
    assert not arn_match("arn:aws:*:us-east-1:1:x", "arn:aws:ec2:us-east-1:1:x")  # no wildcard in service
    assert not arn_match("arn:aws:s3:::*", "*")
    assert arn_match("*", "*")


def test_variables_parse_and_resolve():
    t = parse_template("b/${aws:PrincipalTag/team, 'all'}/${*}x", variables_allowed=True)
    look = {"aws:principaltag/team": ("red",)}.get
    assert resolve(t, lambda k: look(k)) == [("b/", False), ("red", True), ("/", False), ("*", True), ("x", False)]
    assert resolve(t, lambda k: None)[1] == ("all", True)
    t2 = parse_template("b/${aws:username}", variables_allowed=True)
    assert resolve(t2, lambda k: None) is MISSING
    assert resolve(t2, lambda k: ("a", "b")) is MISSING  # multivalued keys are not variables
    assert isinstance(resolve(t2, lambda k: UNKNOWN), UnknownVar)
    assert parse_template("b/${aws:username}", variables_allowed=False).has_vars is False
    assert parse_template("${x, nodefaultquotes}", variables_allowed=True).problems


# ---- policies --------------------------------------------------------------------------------------------
def test_compile_policy_index_and_cache():
    p = compile_policy({"Version": V, "Statement": [
        {"Sid": "S3", "Effect": "Allow", "Action": "s3:Get*", "Resource": "*"},
        {"Sid": "Ec2", "Effect": "Allow", "Action": ["ec2:Describe*", "EC2:RunInstances"], "Resource": "*"},
        {"Sid": "NotIam", "Effect": "Deny", "NotAction": "iam:*", "Resource": "*"},
    ]}, name="p", kind="identity")
    assert p.valid and not p.problems
    assert [s.sid for s in p.candidates("s3:getobject")] == ["S3", "NotIam"]
    assert [s.sid for s in p.candidates("ec2:runinstances")] == ["Ec2", "NotIam"]
    assert [s.sid for s in p.candidates("iam:listusers")] == []
    assert p.candidates("s3:getobject") is p.candidates("s3:getobject")


def test_policy_problems_have_json_paths():
    p = compile_policy({"Version": V, "Statement": [{"Effect": "Allow", "Action": "s3", "Resource": "*"}]},
                       name="p", kind="identity")
    assert p.valid and any("$.Statement[0].Action[0]" in x for x in p.problems)
    bad = compile_policy({"Version": V, "Statement": {"Effect": "allow", "Action": "*", "Resource": "*"}},
                         name="p", kind="identity")
    assert not bad.valid and "$.Statement.Effect" in bad.problems[0]
    assert not compile_policy([], name="p", kind="identity").valid
    trust = compile_policy({"Version": V, "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                         "Principal": {"AWS": "arn:aws:iam::1:user/*"}}]},
                           name="t", kind="trust")
    assert any("partial wildcards" in x for x in trust.problems)
    warn = compile_policy({"Version": V, "Statement": [{"Sid": "has space", "Effect": "Allow", "Action": "s3:*",
                                                        "Resource": "arn:aws:s*:::b"}]}, name="w", kind="identity")
    assert not warn.problems and len(warn.warnings) == 2


# ---- principals ------------------------------------------------------------------------------------------
def test_match_principal_classes():
    sess = Principal(f"arn:aws:sts::{A}:assumed-role/R/s", ROLE_SESSION, A, role_arn=f"arn:aws:iam::{A}:role/p/R")
    spec = compile_principal({"AWS": [f"arn:aws:iam::{A}:role/p/R"]}, "$")
    assert match_principal(spec, sess) == ENTITY
    assert match_principal(compile_principal({"AWS": f"arn:aws:sts::{A}:assumed-role/R/s"}, "$"), sess) == DIRECT
    assert match_principal(compile_principal({"AWS": f"arn:aws:iam::{A}:root"}, "$"), sess) == ACCOUNT
    assert match_principal(compile_principal({"AWS": A}, "$"), USER) == ACCOUNT
    assert match_principal(compile_principal("*", "$"), USER) == DIRECT
    assert match_principal(compile_principal({"AWS": "222222222222"}, "$"), USER) is None
    assert compile_principal({"Bogus": "x"}, "$").problems


# ---- evaluate through the Python API ---------------------------------------------------------------------------
def test_evaluate_accepts_dicts_and_open_context():
    doc = {"Version": V, "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
         "Condition": {"StringEquals": {"sts:ExternalId": "x"}}},
        {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]}
    d = evaluate(Request(USER, "s3:GetObject", "arn:aws:s3:::b/k", Context({}, closed=False), identity_policies=[doc]))
    assert d.result is Result.ALLOW and d.conditional
    assert d.requirements == ((R("aws:SourceIp", "NotIpAddress", "10.0.0.0/8"), R("sts:ExternalId", "StringEquals", "x")),)
    closed = evaluate(Request(USER, "s3:GetObject", "arn:aws:s3:::b/k", Context({"sts:ExternalId": "x"}),
                              identity_policies=[doc]))
    assert closed.result is Result.ALLOW and not closed.requirements
    fixed = Context({}, closed=False).with_values({"sts:ExternalId": "x", "aws:SourceIp": "10.1.1.1"})
    assert evaluate(Request(USER, "s3:GetObject", "b", fixed, identity_policies=[doc])).result is Result.EXPLICIT_DENY


def test_explanation_lists_layers_and_statements():
    ident = compile_policy({"Version": V, "Statement": [{"Sid": "Read", "Effect": "Allow", "Action": "s3:*",
                                                         "Resource": "*"}]}, name="ReadS3", kind="identity")
    scp = compile_policy({"Version": V, "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
                         name="FullAWSAccess", kind="scp")
    d = evaluate(Request(USER, "s3:GetObject", "arn:aws:s3:::b/k", identity_policies=[ident], scps=[[scp], [scp]]))
    assert d.allowed and d.rule == "E2.5"
    layers = {(l.layer, s.policy, s.sid) for l in d.layers for s in l.statements}
    assert ("identity", "ReadS3", "Read") in layers and ("scp", "FullAWSAccess", None) in layers
    js = d.to_json()
    assert js["decision"] == "Allow" and js["explanation"][-1]["rule"] == "E2.5"


def test_settings_used_reported_only_when_relevant():
    trust = {"Version": V, "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                          "Principal": {"AWS": f"arn:aws:iam::{A}:role/R1"},
                                          "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}
    sess = Principal(f"arn:aws:sts::{A}:assumed-role/R1/s", ROLE_SESSION, A, role_arn=f"arn:aws:iam::{A}:role/R1")
    req = Request(sess, "sts:AssumeRole", f"arn:aws:iam::{A}:role/R2", Context({"aws:MultiFactorAuthPresent": "true"}),
                  resource_policy=trust, settings=Settings(mfa_in_role_session="never"))
    d = evaluate(req)
    assert not d.allowed and d.settings_used == {"mfa_in_role_session": "never"}
    req.mfa_token_passed = True  # TokenCode passed on this very call (K3)
    assert evaluate(req).allowed
    plain = evaluate(Request(USER, "s3:GetObject", "b", identity_policies=[{"Version": V, "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}]}]))
    assert plain.settings_used == {}


# ---- request parsing ---------------------------------------------------------------------------------------
def test_principal_from_arn_kinds():
    assert principal_from_arn("*").kind == "anonymous"
    assert principal_from_arn("lambda.amazonaws.com").kind == "service"
    assert principal_from_arn(f"arn:aws:iam::{A}:root").kind == "root"
    s = principal_from_arn(f"arn:aws:sts::{A}:assumed-role/AWSServiceRoleForX/s")
    assert s.kind == "role_session" and s.is_service_linked and s.role_arn == f"arn:aws:iam::{A}:role/AWSServiceRoleForX"
    r = principal_from_arn(f"arn:aws:iam::{A}:role/path/R")
    assert r.kind == "role_session" and r.role_arn.endswith("role/path/R")
    assert principal_from_arn(f"arn:aws:sts::{A}:federated-user/F").kind == "federated_user"
    with pytest.raises(ValueError):
        principal_from_arn("arn:aws:s3:::bucket")


@pytest.mark.parametrize("data,where", [
    ({"action": "s3:GetObject", "resource": "*"}, "$.principal"),
    ({"principal": "*", "action": "GetObject", "resource": "*"}, "$.action"),
    ({"principal": "*", "action": "s3:GetObject", "resource": "*", "context": {"k": {"a": 1}}}, "$.context.k"),
    ({"principal": "*", "action": "s3:GetObject", "resource": "*", "identity_policies": [5]}, "$.identity_policies[0]"),
    ({"principal": "*", "action": "s3:GetObject", "resource": "*", "scps": [[{}], ["nope"]]}, "$.scps[1][0]"),
    ({"principal": "*", "action": "s3:GetObject", "resource": "*", "settings": {"x": 1}}, "$.settings"),
    ({"principal": "*", "action": "s3:GetObject", "resource": "*", "bogus": 1}, "$.bogus"),
    ({"principal": "*", "action": "s3:GetObject", "resource": "*", "resource_account": "12"}, "$.resource_account"),
])
def test_parse_request_errors_name_the_place(data, where):
    with pytest.raises(RequestError) as exc:
        parse_request(data, file="req.json")
    assert exc.value.where == where and exc.value.file == "req.json"
    assert str(exc.value).startswith(f"req.json at {where}: ")


def test_parse_request_defaults():
    r = parse_request({"principal": f"arn:aws:iam::{A}:user/u", "action": "s3:GetObject", "resource": "arn:aws:s3:::b"})
    assert r.resource_account == A and r.scps is None and r.context.closed
    r2 = parse_request({"principal": f"arn:aws:iam::{A}:user/u", "action": "sqs:SendMessage",
                        "resource": "arn:aws:sqs:us-east-1:222222222222:q", "context": {"aws:TagKeys": ["a", "b"]},
                        "open_context": True})
    assert r2.resource_account == "222222222222" and r2.context.get("aws:tagkeys") == ("a", "b")
    assert r2.context.get("aws:SourceIp") is UNKNOWN


def test_literal_variables():
    t = parse_template("a${?}b${$}c${*}", variables_allowed=True)
    assert resolve(t, lambda k: None) == [("a", False), ("?", True), ("b", False), ("$", True), ("c", False),
                                          ("*", True)]


def test_service_data_files():
    from explorer.iam.service_data import rcp_exempt, rcp_services, resource_side_allow_services, scp_exempt
    assert {"s3", "sts", "kms", "sqs", "secretsmanager"} <= rcp_services()
    assert "kms" in resource_side_allow_services()
    assert rcp_exempt("kms:retiregrant") and not rcp_exempt("kms:decrypt")
    assert scp_exempt("mechanicalturk:createhit") and not scp_exempt("s3:getobject")


def test_rcp_does_not_apply_to_retire_grant():
    key = "arn:aws:kms:us-east-1:222222222222:key/k"
    base = {"principal": f"arn:aws:iam::{A}:user/u", "resource": key,
            "identity_policies": [{"Version": V, "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}],
            "resource_policy": {"Version": V, "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*",
                                                            "Principal": {"AWS": A}}]},
            "rcps": [[{"Version": V, "Statement": [{"Effect": "Deny", "Action": "kms:*", "Resource": "*",
                                                    "Principal": "*"}]}]]}
    assert evaluate(parse_request(dict(base, action="kms:Decrypt"))).result is Result.EXPLICIT_DENY
    d = evaluate(parse_request(dict(base, action="kms:RetireGrant")))
    assert d.allowed and any(l.layer == "rcp" and l.outcome == "not-applicable" for l in d.layers)
