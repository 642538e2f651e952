"""CloudTrail overlay: a conditional edge explains an event only if the event does not contradict its requirements
(caller's account, organization membership, ARN, source IP), and an event naming only the calling account is not
credited to one arbitrary principal of that account (account-level, "possibly used")."""
from __future__ import annotations

import dataclasses
import json
import shutil
from datetime import datetime, timezone

import pytest
from conftest import DEMO_ORG
from test_findings_helpers import A, B, C, ORG, allow_assume, role, run, snapshot, trust, user

from explorer.analysis.cloudtrail import overlay, requirement_verdict
from explorer.cli import main
from explorer.graph import build_trust_graph
from explorer.iam.decision import Requirement
from explorer.snapshot import load_snapshot
from explorer.snapshot.model import TrailEvent

RULE = "cloudtrail-unexplained-assumption"
ANY = "sts:AssumeRole"


def account_event(account, role_arn, t=1, ip="198.51.100.9"):
    return TrailEvent(event_time=datetime(2026, 5, t, tzinfo=timezone.utc), event_name="AssumeRole",
                      role_arn=role_arn, caller_arn=None, caller_type="AWSAccount", caller_account=account,
                      session_name=f"s{t}", source_ip=ip, event_id=f"e{t}", source=f"cloudtrail/x.json#$.Records[{t}]")


def user_event(user_arn, role_arn, t=1, ip="198.51.100.9"):
    return TrailEvent(event_time=datetime(2026, 5, t, tzinfo=timezone.utc), event_name="AssumeRole",
                      role_arn=role_arn, caller_arn=user_arn, caller_type="IAMUser", caller_account=user_arn[13:25],
                      session_name=f"s{t}", source_ip=ip, event_id=f"u{t}", source=f"cloudtrail/x.json#$.Records[{t}]")


def org_only_role(account=B, name="reader", condition=None):
    cond = condition or {"StringEquals": {"aws:PrincipalOrgID": ORG}}
    return role(account, name, trust(allow_assume({"AWS": "*"}, cond)))


# --- the requirement test itself: the engine's operators, Null and IfExists on absent keys -----------------

@pytest.mark.parametrize("req, known, expected", [
    (Requirement("aws:PrincipalOrgID", "StringEquals", (ORG,)), {"aws:principalorgid": None}, False),
    (Requirement("aws:PrincipalOrgID", "StringEquals", (ORG,)), {"aws:principalorgid": (ORG,)}, True),
    (Requirement("aws:PrincipalOrgID", "StringEquals", (ORG,)), {}, None),  # unknown stays possible
    (Requirement("aws:PrincipalOrgID", "StringEqualsIfExists", (ORG,)), {"aws:principalorgid": None}, True),
    (Requirement("aws:PrincipalOrgID", "StringNotEquals", (ORG,)), {"aws:principalorgid": None}, True),
    (Requirement("aws:PrincipalOrgID", "Null", ("true",)), {"aws:principalorgid": None}, True),
    (Requirement("aws:PrincipalOrgID", "Null", ("false",)), {"aws:principalorgid": None}, False),
    (Requirement("aws:PrincipalOrgPaths", "ForAnyValue:StringLike", (f"{ORG}/r-1/*",)),
     {"aws:principalorgpaths": None}, False),
    (Requirement("aws:PrincipalOrgPaths", "ForAnyValue:StringLike", (f"{ORG}/r-1/*",)),
     {"aws:principalorgpaths": (f"{ORG}/r-1/",)}, True),
    (Requirement("aws:PrincipalAccount", "not(StringLike)", (C,)), {"aws:principalaccount": (C,)}, False),
    (Requirement("aws:PrincipalArn", "ArnLike", (f"arn:aws:iam::{A}:user/*",)),
     {"aws:principalarn": (f"arn:aws:iam::{A}:user/alice",)}, True),
    (Requirement("aws:SourceIp", "IpAddress", ("203.0.113.0/24",)), {"aws:sourceip": ("198.51.100.9",)}, False),
    (Requirement("explorer:CallerPolicies", "OutsideSnapshot", ("*",)), {"aws:principalaccount": (C,)}, None),
])
def test_requirement_verdict(req, known, expected):
    assert requirement_verdict(req, known) is expected


# --- bug 1: org-restricted "Principal: *" does not explain callers known to be outside the organization -----

def test_org_restricted_anyone_edge_does_not_explain_an_outside_account():
    r = org_only_role()
    snap = snapshot(r, trail=[account_event(C, r.arn, 1)])
    tg = build_trust_graph(snap)
    ov = overlay(tg)
    assert not any(k[1] == r.arn for k in ov.edge_use)
    [item] = ov.unexplained
    assert (item.caller, item.reason_code) == (f"arn:aws:iam::{C}:root", "no-edge")
    assert "aws:PrincipalOrgID StringEquals" in item.reason and "not in the organization" in item.reason
    assert item.to_json()["unmet_edges"][0]["from"] == "*"
    [f] = run(snap, RULE, tg=tg)
    assert f.subject == r.arn and f.severity == "high"


def test_org_restricted_edge_explains_a_principal_inside_the_organization():
    u = user(A, "alice")
    r = org_only_role()
    snap = snapshot(u, r, trail=[user_event(u.arn, r.arn, 1)])
    ov = overlay(build_trust_graph(snap))
    assert ov.unexplained == []
    assert sum(use.count for k, use in ov.edge_use.items() if k[1] == r.arn) == 1


def test_without_the_organization_membership_stays_unknown():
    r = org_only_role()
    snap = snapshot(r, org=False, trail=[account_event(C, r.arn, 1)])
    ov = overlay(build_trust_graph(snap))
    assert ov.unexplained == []
    assert [k[0] for k in ov.edge_use] == ["*"]


def test_principal_arn_and_public_source_ip_are_checked_private_ip_is_not():
    u = user(C, "mallory")
    ip_role = role(B, "office", trust(allow_assume({"AWS": "*"}, {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}})))
    arn_role = role(B, "named", trust(allow_assume({"AWS": "*"},
                                                   {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{A}:user/*"}})))
    snap = snapshot(ip_role, arn_role, trail=[
        user_event(u.arn, ip_role.arn, 1, ip="198.51.100.9"),  # public, outside the range: contradicted
        user_event(u.arn, ip_role.arn, 2, ip="10.1.2.3"),  # maybe a VPC endpoint: aws:SourceIp not known
        user_event(u.arn, arn_role.arn, 3, ip="203.0.113.5")])  # ARN of another account: contradicted
    ov = overlay(build_trust_graph(snap))
    assert sorted((x.role_arn, x.count) for x in ov.unexplained) == [(arn_role.arn, 1), (ip_role.arn, 1)]
    assert ov.edge_use[("*", ip_role.arn, ANY)].event_ids == ["u2"]


def test_external_id_is_checked_when_the_event_carries_it():
    vendor = role(A, "vendor", trust(allow_assume({"AWS": C}, {"StringEquals": {"sts:ExternalId": "right"}})))
    good = dataclasses.replace(account_event(C, vendor.arn, 1), external_id="right")
    bad = dataclasses.replace(account_event(C, vendor.arn, 2), external_id="wrong")
    silent = account_event(C, vendor.arn, 3)  # a record without externalId: the key stays unknown
    ov = overlay(build_trust_graph(snapshot(vendor, trail=[good, bad, silent])))
    assert ov.edge_use[(f"arn:aws:iam::{C}:root", vendor.arn, ANY)].event_ids == ["e1", "e3"]
    [item] = ov.unexplained
    assert "sts:ExternalId is right" not in item.reason and "sts:ExternalId is wrong" in item.reason


# --- bug 2: an event naming only the account is account-level when several principals could have made it ---

def two_candidates_world(*events):
    x = role(B, "x", None)
    y = role(B, "y", None)
    principals = [x.arn, y.arn]
    target = role(A, "target", trust(allow_assume({"AWS": principals})))
    for r in (x, y):
        r.trust_policy = trust(allow_assume({"Service": "ec2.amazonaws.com"}))
        from explorer.snapshot.model import PolicyRef
        r.inline_policies.append(PolicyRef("assume", "inline", {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
    return snapshot(x, y, target, trail=list(events)), x, y, target


def test_account_event_with_several_candidate_principals_is_possible_use_of_each():
    snap, x, y, target = two_candidates_world(account_event(B, f"arn:aws:iam::{A}:role/target", 1))
    ov = overlay(build_trust_graph(snap))
    assert not any(k[1] == target.arn for k in ov.edge_use)
    assert ov.unexplained == []
    assert set(ov.possible_use) == {(x.arn, target.arn, ANY), (y.arn, target.arn, ANY)}
    use = ov.possible_use[(x.arn, target.arn, ANY)]
    assert use.account_level and use.count == 1 and use.candidates == {y.arn}
    assert (x.arn, target.arn, ANY) not in ov.unused_edges
    j = ov.to_json()
    assert {e["from"] for e in j["possibly_used_edges"]} == {x.arn, y.arn}
    assert all(e["possible"] and "names only the account" in e["reason"] for e in j["possibly_used_edges"])
    assert "possible" not in json.dumps(j["edges"])


def test_account_root_edge_is_credited_when_the_account_is_trusted():
    # an account outside the snapshot trusted as a whole, and two named roles of it: the account's edge explains it
    names = [f"arn:aws:iam::{C}:role/p", f"arn:aws:iam::{C}:role/q"]
    target = role(A, "target", trust(allow_assume({"AWS": [C, *names]})))
    ov = overlay(build_trust_graph(snapshot(target, trail=[account_event(C, target.arn, 1)])))
    assert ov.edge_use[(f"arn:aws:iam::{C}:root", target.arn, ANY)].count == 1
    assert ov.possible_use == {}


def test_account_event_with_one_candidate_principal_credits_it():
    named = f"arn:aws:iam::{C}:role/poller"
    target = role(A, "target", trust(allow_assume({"AWS": named})))
    ov = overlay(build_trust_graph(snapshot(target, trail=[account_event(C, target.arn, 1)])))
    assert ov.edge_use[(named, target.arn, ANY)].count == 1 and ov.possible_use == {}


# --- the QA repro on a demo copy ------------------------------------------------------------------------------

def _record(i, account, role_arn):
    return {"eventVersion": "1.08", "eventTime": f"2026-11-19T12:0{i}:00Z", "eventSource": "sts.amazonaws.com",
            "eventName": "AssumeRole", "awsRegion": "eu-west-1", "sourceIPAddress": "198.51.100.9",
            "userIdentity": {"type": "AWSAccount", "principalId": "AROAEXAMPLEXXXXXXXXX1:sess", "accountId": account},
            "requestParameters": {"roleArn": role_arn, "roleSessionName": f"s{i}"},
            "eventID": f"qa-{i}", "recipientAccountId": role_arn.split(":")[4]}


ARTIFACT = "arn:aws:iam::444444444444:role/ArtifactReader"
LEGACY = "arn:aws:iam::333333333333:role/LegacyAuditAccess"


@pytest.fixture(scope="module")
def demo_copy(tmp_path_factory):
    copy = tmp_path_factory.mktemp("ct") / "demo"
    shutil.copytree(DEMO_ORG, copy)
    records = [_record(1, "999999999999", ARTIFACT), _record(2, "123456789012", ARTIFACT),
               _record(3, "444444444444", LEGACY)]
    (copy / "cloudtrail" / "qa_extra.json").write_text(json.dumps({"Records": records}))
    return copy


def test_demo_copy_outside_callers_and_account_level_use(demo_copy, capsys):
    ov = overlay(build_trust_graph(load_snapshot(demo_copy)))
    assert ("*", ARTIFACT, ANY) not in ov.edge_use
    assert {x.caller for x in ov.unexplained if x.role_arn == ARTIFACT} == {
        "arn:aws:iam::999999999999:root", "arn:aws:iam::123456789012:root"}
    assert not any(k[1] == LEGACY for k in ov.edge_use)
    sources = {k[0].rsplit("/", 1)[-1] for k in ov.possible_use if k[1] == LEGACY}
    assert {"InfraAdmin", "OrganizationAccountAccessRole", "github-actions-infra-deploy"} <= sources
    code = main(["findings", str(demo_copy), "--rule", RULE, "--json"])
    assert code == 0
    found = json.loads(capsys.readouterr().out)["findings"]
    messages = [f["message"] for f in found if f["subject"] == ARTIFACT]
    assert any("999999999999" in m for m in messages) and any("123456789012" in m for m in messages)
    assert not any(f["subject"] == LEGACY for f in found)
