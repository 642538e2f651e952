"""Effective permissions at the end of a chain and single decisions (P1: resource policy vs role)."""
from __future__ import annotations

import pytest

from conftest import DEMO_ORG
from explorer.analysis.effective_permissions import decide_for_principal, decide_on_path, effective_permissions
from explorer.analysis.paths import find_paths
from explorer.errors import InputError
from explorer.graph import build_trust_graph
from explorer.iam.decision import Result
from explorer.snapshot import load_snapshot
from graph_scenarios import build_snapshot

A, B = "111111111111", "222222222222"
SECRET = "arn:aws:secretsmanager:eu-west-1:888888888888:secret:sandbox/api-token-Xy12Ab"


@pytest.fixture(scope="module")
def demo():
    if not DEMO_ORG.exists():
        pytest.skip("demo organization not present")
    return build_trust_graph(load_snapshot(DEMO_ORG))


@pytest.fixture(scope="module")
def small():
    spec = {
        "organization": {"id": "o-1", "master": "333333333333", "accounts": {A: "r-1", B: "r-1"},
                         "scps": [{"name": "Full", "targets": ["r-1", A, B, "333333333333"],
                                   "statements": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
                                  {"name": "NoDelete", "targets": [B],
                                   "statements": [{"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}]}]},
        "accounts": {
            A: {"users": [{"name": "u", "policies": [[{"Effect": "Allow", "Action": ["sts:AssumeRole", "sqs:SendMessage"],
                                                       "Resource": "*"}]]}]},
            B: {"roles": [{"name": "R", "trust": [{"Effect": "Allow", "Principal": {"AWS": A}, "Action": "sts:AssumeRole"}],
                           "policies": [[{"Effect": "Allow", "Action": ["s3:GetObject", "s3:DeleteObject", "s3:PutObject",
                                                                           "iam:CreateUser", "ec2:Describe*"],
                                          "Resource": "*"}]],
                           "boundary": [{"Effect": "Allow", "Action": ["s3:*", "ec2:*"], "Resource": "*"}]}],
                "resource_policies": [{"arn": "arn:aws:sqs:eu-west-1:222222222222:q",
                                       "statements": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:user/u"},
                                                       "Action": "sqs:SendMessage",
                                                       "Resource": "arn:aws:sqs:eu-west-1:222222222222:q"}]}]}}}
    return build_trust_graph(build_snapshot(spec))


def test_identity_boundary_and_scp_intersect(small):
    eff = effective_permissions(small, "R")
    assert eff.allows("s3:GetObject") and eff.allows("s3:PutObject")
    assert not eff.allows("s3:DeleteObject")  # SCP deny
    assert not eff.allows("iam:CreateUser")  # boundary
    assert eff.allows("ec2:DescribeInstances")
    assert not eff.allows("sqs:SendMessage")  # the user's permission is not the role's
    by = eff.by_service()
    assert by["s3"]["Read"] == ["s3:GetObject"] and "s3:PutObject" in by["s3"]["Write"]
    assert "iam" not in by
    assert eff.evaluated < 2000  # only candidate actions are evaluated
    js = eff.to_json()
    assert js["effective_permissions"] == by and js["allowed_actions"] == len(eff.rows)
    assert {r.action for r in eff.denied} >= {"s3:DeleteObject", "iam:CreateUser"}


def test_session_policy_narrows(small):
    eff = effective_permissions(small, "R", session_policy={"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
    assert eff.allows("s3:GetObject") and not eff.allows("s3:PutObject")


def test_path_argument_and_errors(small):
    path = find_paths(small, "u", "R")[0]
    assert effective_permissions(small, path).principal.endswith(":role/R")
    with pytest.raises(InputError):
        effective_permissions(small, "nobody")


def test_resource_policy_keeps_callers_permissions_role_gives_them_up(small):
    q = "arn:aws:sqs:eu-west-1:222222222222:q"
    direct = decide_for_principal(small, ["u", "R"], "sqs:SendMessage", q)
    via_role = decide_on_path(small, ["u", "R"], "sqs:SendMessage", q)
    assert direct.result is Result.ALLOW
    assert via_role.result is not Result.ALLOW


def test_demo_breakglass_admin_limited_by_scps(demo):
    eff = effective_permissions(demo, "arn:aws:iam::666666666666:role/BreakGlassAdmin", services=["s3", "cloudtrail"])
    assert eff.allows("s3:GetObject") and eff.allows("cloudtrail:LookupEvents")
    assert not eff.allows("cloudtrail:StopLogging")  # BaselineGuardrails SCP (D03)


def test_demo_developer_boundary(demo):
    eff = effective_permissions(demo, "arn:aws:iam::777777777777:role/github-actions-dev", services=["iam", "ec2"])
    assert eff.allows("ec2:RunInstances") and eff.allows("iam:ListRoles")
    assert not eff.allows("iam:CreateUser")


def test_demo_p1_secret_via_resource_policy_not_via_role(demo):
    nodes = ["arn:aws:iam::777777777777:role/github-actions-dev", "arn:aws:iam::444444444444:role/ArtifactReader"]
    assert decide_for_principal(demo, nodes, "secretsmanager:GetSecretValue", SECRET).result is Result.ALLOW
    assert decide_on_path(demo, nodes, "secretsmanager:GetSecretValue", SECRET).result is not Result.ALLOW
