"""The bundled demo organization (resources/demo-org/README.md): every planted problem is found, and nothing
that the README describes as safe is flagged. The expected set is exact: a new finding on the demo must be
either a planted item added here (with its README id) or a false positive to fix."""
from __future__ import annotations

import pytest
from conftest import DEMO_ORG

from explorer.analysis.findings import find
from explorer.graph import build_trust_graph
from explorer.snapshot import load_snapshot

MEMBERS = ["222222222222", "333333333333", "444444444444", "555555555555", "666666666666", "777777777777",
           "888888888888"]


def oaar(acct):
    return f"arn:aws:iam::{acct}:role/OrganizationAccountAccessRole"


EXPECTED = {
    # D11: vendor 999999999999 trusted without sts:ExternalId (confused deputy). D10 (with ExternalId) is safe;
    # D24 ContractorAccess names 210987654321 but the RCP (D07) denies it, so it is not flagged here.
    ("trust-external-no-externalid", "arn:aws:iam::444444444444:role/AcmeCostExplorerReadOnly"),
    # D14 (sub repo:*) and D15 (no sub): any GitHub repository. D13 (restricted sub) is safe.
    ("trust-oidc-unrestricted-subject", "arn:aws:iam::777777777777:role/github-actions-dev"),
    ("trust-oidc-unrestricted-subject", "arn:aws:iam::888888888888:role/github-actions-sandbox"),
    # D15 + D35: the sandbox role has AdministratorAccess and any GitHub repository can reach it.
    ("admin-reachable-external", "arn:aws:iam::888888888888:role/github-actions-sandbox"),
    # D23: AROA4OLDDELETEDROLE42 matches no RoleId.
    ("trust-dangling-unique-id", "arn:aws:iam::333333333333:role/LogArchiveAdmin"),
    # D27: group Auditors' RequireMFA uses Bool (ForceMFA uses BoolIfExists: safe).
    ("policy-deny-mfa-bool", "arn:aws:iam::222222222222:group/Auditors"),
    # D25: legacy-exports lets 999999999999 (outside) write, without aws:PrincipalOrgID, with ObjectWriter.
    # app-logs (aws:PrincipalOrgID, BucketOwnerEnforced) and org-cloudtrail (service + SourceArn) are safe;
    # D34's cross-account grants stay inside the organization.
    ("resource-outside-org", "arn:aws:s3:::example-corp-legacy-exports"),
    ("s3-cross-account-write-acls", "arn:aws:s3:::example-corp-legacy-exports"),
    # D08/D31: BreakGlassAdmin (43200 s) and NetworkAdmin (7200 s, D30) are reachable only from role sessions,
    # so role chaining caps them at 3600 s. IncidentResponder (7200 s, users) and the okta roles (SAML) are not.
    ("session-max-duration-chaining-only", "arn:aws:iam::666666666666:role/BreakGlassAdmin"),
    ("session-max-duration-chaining-only", "arn:aws:iam::555555555555:role/NetworkAdmin"),
    # C12 (app-server-ec2 -> LogArchiveAdmin, no edge) and C13 (terraform-state-legacy, not in the snapshot).
    # C16 is explained by the repo:* wildcard, C09 by the vendor's account edge; C05, C14, C17 failed.
    ("cloudtrail-unexplained-assumption", "arn:aws:iam::333333333333:role/LogArchiveAdmin"),
    ("cloudtrail-unexplained-assumption", "arn:aws:iam::444444444444:role/terraform-state-legacy"),
    # D24: RoleLastUsed empty on LegacyAuditAccess and ContractorAccess, both trusted across accounts.
    ("role-unused-cross-account", "arn:aws:iam::333333333333:role/LegacyAuditAccess"),
    ("role-unused-cross-account", "arn:aws:iam::777777777777:role/ContractorAccess"),
    # D11: AcmeCostExplorerReadOnly last used 2025-03-02, > 90 days before collected_at 2026-11-20.
    ("role-unused-cross-account", "arn:aws:iam::444444444444:role/AcmeCostExplorerReadOnly"),
    # D17: OrganizationAccountAccessRole last used 2025-01-15 outside 666/888 (2026-10-02 there: recent).
    *{("role-unused-cross-account", oaar(a)) for a in ["222222222222", "333333333333", "444444444444",
                                                         "555555555555", "777777777777"]},
    # D09: the SecurityAuditor roles of 444/555/777/888 were last used 2026-07-21 (121 days before collection);
    # those of 333 and 666 more recently; 222's is same-account.
    *{("role-unused-cross-account", f"arn:aws:iam::{a}:role/security/SecurityAuditor")
      for a in ["444444444444", "555555555555", "777777777777", "888888888888"]},
    # D17: OrganizationAccountAccessRole (AdministratorAccess) trusts the management account root without MFA;
    # DevAdmin (AdministratorAccess) trusts InfraAdmin of 444 without MFA. SecurityAuditor (D09) requires MFA
    # and is read-only; InfraAdmin (PowerUserAccess) has no IAM permissions management.
    *{("trust-cross-account-admin-no-mfa", oaar(a)) for a in MEMBERS},
    ("trust-cross-account-admin-no-mfa", "arn:aws:iam::777777777777:role/DevAdmin"),
}


@pytest.fixture(scope="module")
def demo_report():
    snap = load_snapshot(DEMO_ORG)
    return find(snap, build_trust_graph(snap))


def test_demo_findings_are_exactly_the_planted_items(demo_report):
    found = demo_report.pairs()
    assert sorted(found - EXPECTED) == [], "unexpected findings (false positives?)"
    assert sorted(EXPECTED - found) == [], "planted items not found"
    assert demo_report.checks_skipped == {}


@pytest.mark.parametrize("safe", [
    "arn:aws:iam::666666666666:role/AcmeMonitoringIntegration",  # D10 ExternalId
    "arn:aws:iam::444444444444:role/github-actions-infra-deploy",  # D13
    "arn:aws:iam::444444444444:role/ArtifactReader",  # D16 "*" + PrincipalOrgID
    "arn:aws:s3:::example-corp-app-logs", "arn:aws:s3:::example-corp-org-cloudtrail",  # D25
    "arn:aws:kms:eu-west-1:333333333333:key/1f2e3d4c-5b6a-4789-8a0b-1c2d3e4f5a6b",  # D26 both sides present
    "arn:aws:iam::222222222222:policy/ForceMFA",  # D27 BoolIfExists
    "arn:aws:iam::666666666666:role/service-role/order-processor-lambda",  # D21
])
def test_safe_demo_items_are_not_flagged(demo_report, safe):
    assert [f.rule for f in demo_report.findings if f.subject == safe] == []


def test_demo_ids_are_stable_across_runs(demo_report):
    snap = load_snapshot(DEMO_ORG)
    again = find(snap, build_trust_graph(snap))
    assert [f.id for f in again.findings] == [f.id for f in demo_report.findings]
    assert len({f.id for f in demo_report.findings}) == len(demo_report.findings)


def test_demo_findings_carry_evidence_and_remediation(demo_report):
    by = {(f.rule, f.subject): f for f in demo_report.findings}
    f = by[("trust-external-no-externalid", "arn:aws:iam::444444444444:role/AcmeCostExplorerReadOnly")]
    assert f.evidence[0].json_path == "$.Statement[0]" and f.evidence[0].source.startswith("accounts/444444444444/")
    assert f.remediation.statement["Condition"]["StringEquals"]["sts:ExternalId"]
    f = by[("admin-reachable-external", "arn:aws:iam::888888888888:role/github-actions-sandbox")]
    assert f.evidence[0].data["shortest_chains"][0]["nodes"] == [
        "arn:aws:iam::888888888888:oidc-provider/token.actions.githubusercontent.com",
        "arn:aws:iam::888888888888:role/github-actions-sandbox"]
