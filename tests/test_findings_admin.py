"""Administrative access (explorer.analysis.admin) and the cross-account-admin-without-MFA trust check."""
from __future__ import annotations

import pytest

from test_findings_helpers import ADMIN, A, B, C, READONLY, allow_assume, role, run, snapshot, trust

from explorer.analysis.admin import ADMINISTRATOR, PERMISSIONS_MANAGEMENT, admin_access, admin_roles

PM = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:PutRolePolicy", "Resource": "*"}]}
POWER_USER = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "sso:*", "account:*"], "Resource": "*"}]}
DENY_IAM = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": ["iam:*", "sso:*",
                                                                                   "organizations:*"], "Resource": "*"}]}


def test_admin_levels():
    adm = role(A, "adm", None, policies=[ADMIN])
    pm = role(A, "pm", None, policies=[PM])
    ro = role(A, "ro", None, policies=[READONLY])
    pu = role(A, "pu", None, policies=[POWER_USER])
    none = role(A, "none", None)
    snap = snapshot(adm, pm, ro, pu, none)
    assert admin_access(snap, adm.arn).level == ADMINISTRATOR
    assert admin_access(snap, pm.arn).level == PERMISSIONS_MANAGEMENT
    assert admin_access(snap, pm.arn).actions == ("iam:PutRolePolicy",)
    for r in (ro, pu, none):
        assert admin_access(snap, r.arn).level is None
    assert sorted(admin_roles(snap)) == sorted([adm.arn, pm.arn])


def test_scp_and_boundary_limit_admin():
    from explorer.snapshot.model import PolicyRef
    adm = role(B, "adm", None, policies=[ADMIN])
    assert admin_access(snapshot(adm, scps=[DENY_IAM]), adm.arn).level is None  # member account: SCP applies
    bounded = role(B, "bounded", None, policies=[ADMIN])
    bounded.permissions_boundary = PolicyRef("ro", "managed", READONLY, arn=f"arn:aws:iam::{B}:policy/ro")
    assert admin_access(snapshot(bounded), bounded.arn).level is None
    # the management account is not limited by SCPs (O1)
    adm_a = role(A, "adm", None, policies=[ADMIN])
    assert admin_access(snapshot(adm_a, scps=[DENY_IAM]), adm_a.arn).level == ADMINISTRATOR


def test_conditional_admin_is_reported_as_conditional():
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
                                                   "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]}
    r = role(A, "adm", None, policies=[doc])
    access = admin_access(snapshot(r), r.arn)
    assert access.level == ADMINISTRATOR and access.conditional


RULE = "trust-cross-account-admin-no-mfa"


@pytest.mark.parametrize("principal", [{"AWS": f"arn:aws:iam::{B}:root"}, {"AWS": C}, "*"])
def test_cross_account_admin_without_mfa_is_flagged(principal):
    bad = role(A, "adm", trust(allow_assume(principal)), policies=[ADMIN])
    [f] = run(snapshot(bad), RULE)
    assert f.remediation.statement["Condition"]["Bool"] == {"aws:MultiFactorAuthPresent": "true"}
    assert f.evidence[0].data["access"]["level"] == ADMINISTRATOR


@pytest.mark.parametrize("safe", [
    role(A, "adm", trust(allow_assume({"AWS": B}, {"Bool": {"aws:MultiFactorAuthPresent": "true"}})), policies=[ADMIN]),
    role(A, "adm", trust(allow_assume({"AWS": B}, {"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}})),
         policies=[ADMIN]),
    role(A, "adm", trust(allow_assume({"AWS": B}, {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}})),
         policies=[ADMIN]),
    role(A, "adm", trust(allow_assume({"AWS": f"arn:aws:iam::{A}:user/alice"})), policies=[ADMIN]),  # same account
    role(A, "ro", trust(allow_assume({"AWS": B})), policies=[READONLY]),  # not administrative
])
def test_cross_account_admin_safe_twins(safe):
    assert run(snapshot(safe), RULE) == []


def test_permissions_management_role_is_flagged_too():
    bad = role(A, "pm", trust(allow_assume({"AWS": B})), policies=[PM])
    [f] = run(snapshot(bad), RULE)
    assert "permissions-management" in f.message
