"""Resource-policy checks: outside the organization, S3 cross-account writes with ACLs, one-sided KMS sharing."""
from __future__ import annotations

import pytest

from test_findings_helpers import A, B, C, ORG, resource_policy, role, run, snapshot, user

BUCKET = "arn:aws:s3:::shared-bucket"
KEY = f"arn:aws:kms:us-east-1:{A}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def grant(principal, action="s3:GetObject", resource=BUCKET + "/*", condition=None):
    st = {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": resource}
    if condition:
        st["Condition"] = condition
    return st


RULE_OUT = "resource-outside-org"


@pytest.mark.parametrize("st,severity", [
    (grant("*"), "high"),
    (grant({"AWS": f"arn:aws:iam::{C}:root"}), "medium"),
    (grant({"AWS": [f"arn:aws:iam::{B}:root", f"arn:aws:iam::{C}:user/x"]}), "medium"),
    (grant("*", condition={"StringEquals": {"aws:PrincipalAccount": C}}), "medium"),
])
def test_grant_outside_org_is_flagged(st, severity):
    [f] = run(snapshot(resource_policy(BUCKET, A, policy(st))), RULE_OUT)
    assert f.subject == BUCKET and f.severity == severity
    assert f.remediation.statement["Condition"]["StringEquals"]["aws:PrincipalOrgID"] == ORG


@pytest.mark.parametrize("st", [
    grant("*", condition={"StringEquals": {"aws:PrincipalOrgID": ORG}}),
    grant({"AWS": f"arn:aws:iam::{B}:root"}),
    grant({"AWS": C}, condition={"StringEquals": {"aws:PrincipalOrgID": ORG}}),
    grant({"Service": "cloudtrail.amazonaws.com"}, action="s3:PutObject"),
    {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"},
])
def test_grant_inside_org_is_safe(st):
    assert run(snapshot(resource_policy(BUCKET, A, policy(st))), RULE_OUT) == []


def test_org_perimeter_deny_or_rcp_makes_star_safe():
    perimeter = {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*",
                 "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": ORG}}}
    assert run(snapshot(resource_policy(BUCKET, A, policy(grant("*"), perimeter))), RULE_OUT) == []
    rcp = policy({"Effect": "Deny", "Principal": "*", "Action": ["s3:*", "sqs:*"], "Resource": "*",
                  "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG}}})
    assert run(snapshot(resource_policy(BUCKET, B, policy(grant("*"))), rcps=[rcp]), RULE_OUT) == []
    # the RCP covers s3 only: an SNS topic in B stays open
    topic = f"arn:aws:sns:us-east-1:{B}:t"
    assert len(run(snapshot(resource_policy(topic, B, policy(grant("*", "sns:Publish", topic))), rcps=[rcp]),
                   RULE_OUT)) == 1


RULE_S3 = "s3-cross-account-write-acls"


@pytest.mark.parametrize("ownership", ["ObjectWriter", "BucketOwnerPreferred"])
def test_cross_account_write_with_acls_is_flagged(ownership):
    rp = resource_policy(BUCKET, A, policy(grant({"AWS": B}, ["s3:PutObject", "s3:GetObject"])),
                         ObjectOwnership=ownership)
    [f] = run(snapshot(rp), RULE_S3)
    assert f.evidence[0].data["object_ownership"] == ownership


def test_nested_ownership_controls_are_read():
    rp = resource_policy(BUCKET, A, policy(grant({"AWS": B}, "s3:Put*")),
                         OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    assert len(run(snapshot(rp), RULE_S3)) == 1


@pytest.mark.parametrize("rp", [
    resource_policy(BUCKET, A, policy(grant({"AWS": B}, "s3:PutObject")), ObjectOwnership="BucketOwnerEnforced"),
    resource_policy(BUCKET, A, policy(grant({"AWS": B}, "s3:GetObject")), ObjectOwnership="ObjectWriter"),
    resource_policy(BUCKET, A, policy(grant({"AWS": f"arn:aws:iam::{A}:role/w"}, "s3:PutObject")),
                    ObjectOwnership="ObjectWriter"),
    resource_policy(BUCKET, A, policy(grant({"AWS": B}, "s3:PutObject"))),  # ownership not in the snapshot
])
def test_s3_safe_twins(rp):
    assert run(snapshot(rp), RULE_S3) == []


RULE_KMS = "kms-cross-account-one-sided"
USE_KEY = policy({"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": KEY})


def key_policy(*extra):
    return policy({"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:root"},
                   "Action": "kms:*", "Resource": "*"}, *extra)


GRANT_B = {"Sid": "ShareB", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{B}:root"},
           "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*"}


def test_kms_grant_without_iam_side_is_flagged():
    snap = snapshot(resource_policy(KEY, A, key_policy(GRANT_B)), role(B, "app", None))
    [f] = run(snap, RULE_KMS)
    assert f.evidence[0].json_path == "$.Statement[1]" and f.evidence[0].data["side_missing"] == "identity"


def test_kms_both_sides_present_is_safe():
    snap = snapshot(resource_policy(KEY, A, key_policy(GRANT_B)), role(B, "app", None, policies=[USE_KEY]))
    assert run(snap, RULE_KMS) == []


def test_kms_iam_without_key_policy_side_is_flagged():
    snap = snapshot(resource_policy(KEY, A, key_policy()), role(B, "app", None, policies=[USE_KEY]))
    [f] = run(snap, RULE_KMS)
    assert f.related == (f"arn:aws:iam::{B}:role/app",)
    assert f.evidence[0].policy_kind == "identity"


def test_kms_other_account_not_in_snapshot_and_star_iam_are_not_flagged():
    grant_c = dict(GRANT_B, Principal={"AWS": C})
    assert run(snapshot(resource_policy(KEY, A, key_policy(grant_c))), RULE_KMS) == []
    star = policy({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"})
    assert run(snapshot(resource_policy(KEY, A, key_policy()), user(B, "u", policies=[star])), RULE_KMS) == []
