"""Trust-policy checks: each with the problem and its safe twin (which must not be flagged)."""
from __future__ import annotations

import pytest

from test_findings_helpers import A, B, C, ORG, allow_assume, role, run, snapshot, subjects, trust

from explorer.snapshot.model import OidcProvider

# --- confused deputy -----------------------------------------------------------------------------------------

RULE_XID = "trust-external-no-externalid"


def test_external_account_without_external_id_is_flagged_with_fixed_statement():
    bad = role(A, "vendor", trust(allow_assume({"AWS": f"arn:aws:iam::{C}:root"})))
    [f] = run(snapshot(bad), RULE_XID)
    assert f.subject == bad.arn and f.severity == "high"
    assert f.evidence[0].json_path == "$.Statement[0]"
    assert f.evidence[0].statement == bad.trust_policy["Statement"][0]
    fixed = f.remediation.statement
    assert "sts:ExternalId" in fixed["Condition"]["StringEquals"]
    assert fixed["Principal"] == {"AWS": f"arn:aws:iam::{C}:root"}
    assert "Condition" not in bad.trust_policy["Statement"][0]  # the snapshot is not modified


@pytest.mark.parametrize("safe", [
    role(A, "vendor", trust(allow_assume({"AWS": C}, {"StringEquals": {"sts:ExternalId": "k-123"}}))),
    role(A, "inorg", trust(allow_assume({"AWS": f"arn:aws:iam::{B}:root"}))),
    role(A, "self", trust(allow_assume({"AWS": f"arn:aws:iam::{A}:role/x"}))),
    role(A, "orgonly", trust(allow_assume({"AWS": C}, {"StringEquals": {"aws:PrincipalOrgID": ORG}}))),
    role(A, "deny", trust({"Effect": "Deny", "Principal": {"AWS": C}, "Action": "sts:AssumeRole"})),
    role(A, "svc", trust(allow_assume({"Service": "ec2.amazonaws.com"}))),
    role(A, "AWSServiceRoleForX", trust(allow_assume({"AWS": C})), path="/aws-service-role/x.amazonaws.com/"),
])
def test_external_id_safe_twins(safe):
    assert run(snapshot(safe), RULE_XID) == []


def test_external_id_without_organization_uses_snapshot_accounts():
    bad = role(A, "vendor", trust(allow_assume({"AWS": C})))
    assert subjects(run(snapshot(bad, org=False), RULE_XID)) == [bad.arn]
    ok = role(A, "peer", trust(allow_assume({"AWS": B})))
    assert run(snapshot(ok, org=False), RULE_XID) == []


def test_star_narrowed_to_external_account_counts_as_external():
    bad = role(A, "vendor", trust(allow_assume("*", {"StringEquals": {"aws:PrincipalAccount": C}})))
    assert subjects(run(snapshot(bad), RULE_XID)) == [bad.arn]


# --- Principal "*" ---------------------------------------------------------------------------------------------

RULE_STAR = "trust-principal-star"


@pytest.mark.parametrize("principal", ["*", {"AWS": "*"}, {"AWS": ["*"]}])
def test_principal_star_is_flagged(principal):
    bad = role(A, "open", trust(allow_assume(principal)))
    [f] = run(snapshot(bad), RULE_STAR)
    assert f.remediation.statement["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": ORG}}


@pytest.mark.parametrize("cond", [
    {"StringEquals": {"aws:PrincipalOrgID": ORG}},
    {"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{A}:role/ci"}},
    {"StringEquals": {"aws:PrincipalAccount": [A, B]}},
    {"StringEquals": {"aws:SourceAccount": A}},
    {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": f"{ORG}/r-1/*"}},
    {"StringEquals": {"AWS:SOURCEORGID": ORG}},
])
def test_principal_star_narrowed_is_safe(cond):
    assert run(snapshot(role(A, "open", trust(allow_assume("*", cond)))), RULE_STAR) == []


@pytest.mark.parametrize("cond", [
    {"StringNotEquals": {"aws:PrincipalOrgID": ORG}},  # negated: narrows nothing
    {"StringLike": {"aws:PrincipalArn": "*"}},
    {"Null": {"aws:PrincipalOrgID": "false"}},
    {"Bool": {"aws:SecureTransport": "true"}},
])
def test_principal_star_with_conditions_that_do_not_narrow_is_flagged(cond):
    assert len(run(snapshot(role(A, "open", trust(allow_assume("*", cond)))), RULE_STAR)) == 1


def test_principal_star_behind_org_perimeter_deny_or_rcp_is_safe():
    deny = {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole",
            "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": ORG}}}
    assert run(snapshot(role(B, "open", trust(allow_assume("*"), deny))), RULE_STAR) == []
    rcp = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "sts:*",
                                                   "Resource": "*", "Condition": {"StringNotEqualsIfExists": {
                                                       "aws:PrincipalOrgID": ORG}}}]}
    assert run(snapshot(role(B, "open", trust(allow_assume("*"))), rcps=[rcp]), RULE_STAR) == []
    # RCPs do not apply in the management account (A): still open there
    assert len(run(snapshot(role(A, "open", trust(allow_assume("*"))), rcps=[rcp]), RULE_STAR)) == 1


# --- service principals --------------------------------------------------------------------------------------

RULE_SVC = "trust-service-no-source"


def test_service_principal_without_source_keys_is_flagged():
    bad = role(A, "cfg", trust(allow_assume({"Service": "config.amazonaws.com"})))
    [f] = run(snapshot(bad), RULE_SVC)
    assert f.remediation.statement["Condition"] == {"StringEquals": {"aws:SourceAccount": A}}
    assert f.related == ("config.amazonaws.com",)


@pytest.mark.parametrize("safe", [
    role(A, "cfg", trust(allow_assume({"Service": "config.amazonaws.com"}, {"StringEquals": {"aws:SourceAccount": A}}))),
    role(A, "ev", trust(allow_assume({"Service": ["events.amazonaws.com"]},
                                     {"ArnLike": {"aws:SourceArn": f"arn:aws:events:*:{A}:rule/*"}}))),
    role(A, "ec2", trust(allow_assume({"Service": "ec2.amazonaws.com"}))),  # not in the list
    role(A, "AWSServiceRoleForConfig", trust(allow_assume({"Service": "config.amazonaws.com"})),
         path="/aws-service-role/config.amazonaws.com/"),
])
def test_service_principal_safe_twins(safe):
    assert run(snapshot(safe), RULE_SVC) == []


# --- OIDC ----------------------------------------------------------------------------------------------------

GH = "token.actions.githubusercontent.com"
GH_ARN = f"arn:aws:iam::{A}:oidc-provider/{GH}"
WEB = "sts:AssumeRoleWithWebIdentity"


def gh_role(cond, name="gh"):
    return role(A, name, trust(allow_assume({"Federated": GH_ARN}, cond, action=WEB)))


def provider(client_ids=()):
    return OidcProvider(arn=GH_ARN, account_id=A, url=GH, client_ids=list(client_ids))


@pytest.mark.parametrize("sub", [None, "*", "repo:*", "repo:*/*:*"])
def test_github_unrestricted_subject_is_flagged(sub):
    cond = {"StringEquals": {f"{GH}:aud": "sts.amazonaws.com"}}
    if sub:
        cond["StringLike"] = {f"{GH}:sub": sub}
    [f] = run(snapshot(gh_role(cond), provider(["sts.amazonaws.com"])), "trust-oidc-unrestricted-subject")
    fixed = f.remediation.statement["Condition"]
    assert fixed["StringLike"][f"{GH}:sub"].startswith("repo:<your-org>/")
    assert fixed["StringEquals"] == {f"{GH}:aud": "sts.amazonaws.com"}


@pytest.mark.parametrize("cond", [
    {"StringLike": {f"{GH}:sub": "repo:acme/app:*"}},
    {"StringEquals": {f"{GH}:sub": ["repo:acme/app:ref:refs/heads/main", "repo:acme/app:environment:prod"]}},
    {"StringEquals": {f"{GH}:sub": "repo:*"}},  # literal, matches no real subject
])
def test_github_restricted_subject_is_safe(cond):
    cond = {**cond}
    cond.setdefault("StringEquals", {})[f"{GH}:aud"] = "sts.amazonaws.com"
    assert run(snapshot(gh_role(cond), provider()), "trust-oidc-unrestricted-subject") == []


def test_oidc_missing_audience():
    cond = {"StringLike": {f"{GH}:sub": "repo:acme/app:*"}}
    # provider without client ids (or not in the snapshot): nothing checks the audience
    assert len(run(snapshot(gh_role(cond), provider()), "trust-oidc-no-audience")) == 1
    assert len(run(snapshot(gh_role(cond)), "trust-oidc-no-audience")) == 1
    # safe twins: the provider's client id list, or an aud condition
    assert run(snapshot(gh_role(cond), provider(["sts.amazonaws.com"])), "trust-oidc-no-audience") == []
    cond2 = {**cond, "StringEquals": {f"{GH}:aud": "sts.amazonaws.com"}}
    assert run(snapshot(gh_role(cond2), provider()), "trust-oidc-no-audience") == []


def test_cognito_needs_aud_condition():
    bad = role(A, "cog", trust(allow_assume({"Federated": "cognito-identity.amazonaws.com"}, action=WEB)))
    [f] = run(snapshot(bad), "trust-oidc-no-audience")
    assert "cognito-identity.amazonaws.com:aud" in f.remediation.statement["Condition"]["StringEquals"]
    ok = role(A, "cog", trust(allow_assume({"Federated": "cognito-identity.amazonaws.com"},
                                           {"StringEquals": {"cognito-identity.amazonaws.com:aud": "us-east-1:x"}},
                                           action=WEB)))
    assert run(snapshot(ok), "trust-oidc-no-audience") == []


def test_saml_trust_is_not_an_oidc_finding():
    saml = role(A, "saml", trust(allow_assume({"Federated": f"arn:aws:iam::{A}:saml-provider/okta"},
                                              action="sts:AssumeRoleWithSAML")))
    assert run(snapshot(saml), "trust-oidc-no-audience") == []


# --- dangling unique ids -------------------------------------------------------------------------------------

RULE_DANGLING = "trust-dangling-unique-id"


def test_dangling_unique_id_flagged_and_remediated():
    live = role(A, "live", None, role_id="AROALIVEROLE00000001")
    bad = role(A, "target", trust(allow_assume({"AWS": ["AROADELETEDROLE12345", live.arn]})))
    [f] = run(snapshot(bad, live), RULE_DANGLING)
    assert f.related == ("AROADELETEDROLE12345",)
    assert f.remediation.statement["Principal"] == {"AWS": live.arn}


def test_unique_id_of_existing_entity_is_safe():
    live = role(A, "live", None, role_id="AROALIVEROLE00000001")
    ok = role(A, "target", trust(allow_assume({"AWS": "AROALIVEROLE00000001"})))
    assert run(snapshot(ok, live), RULE_DANGLING) == []
    arn_form = role(A, "target2", trust(allow_assume({"AWS": f"arn:aws:iam::{A}:role/live"})))
    assert run(snapshot(arn_form, live), RULE_DANGLING) == []


def test_dangling_only_principal_has_delete_remediation():
    bad = role(A, "target", trust(allow_assume({"AWS": "AIDAGONEUSER00000001"})))
    [f] = run(snapshot(bad), RULE_DANGLING)
    assert f.remediation.statement is None and "deleting" in f.remediation.text


# --- ids are stable ------------------------------------------------------------------------------------------

def test_finding_ids_are_stable_and_distinct():
    a = role(A, "open", trust(allow_assume("*"), allow_assume({"AWS": "*"}, action="sts:TagSession")))
    b = role(A, "open2", trust(allow_assume("*")))
    ids1 = [f.id for f in run(snapshot(a, b), RULE_STAR)]
    ids2 = [f.id for f in run(snapshot(role(A, "open2", trust(allow_assume("*"))),
                                       role(A, "open", trust(allow_assume("*")))), RULE_STAR)]
    assert ids1 == ids2 and len(set(ids1)) == 2
    assert all(i.startswith(RULE_STAR + ":") for i in ids1)
