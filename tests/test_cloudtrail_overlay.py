"""CloudTrail overlay: events mapped onto trust edges, unused edges, and unexplained assumptions (findings)."""
from __future__ import annotations

from datetime import datetime, timezone

from test_findings_helpers import A, B, C, allow_assume, role, run, snapshot, trust, user

from explorer.analysis.cloudtrail import overlay
from explorer.graph import build_trust_graph
from explorer.snapshot.model import TrailEvent

ASSUME_ANY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}


def ev(caller_arn, role_arn, *, t, session="s", ctype="IAMUser", error=None, name="AssumeRole", provider=None, i=0):
    return TrailEvent(event_time=datetime(2026, 5, t, tzinfo=timezone.utc), event_name=name, role_arn=role_arn,
                      caller_arn=caller_arn, caller_type=ctype, caller_identity_provider=provider, session_name=session,
                      error_code=error, event_id=f"e{t}{i}", source=f"cloudtrail/x.json#$.Records[{t}]")


def world(*events):
    u = user(A, "alice")
    ops = role(A, "ops", trust(allow_assume({"AWS": u.arn})))
    deep = role(B, "deep", trust(allow_assume({"AWS": ops.arn})))
    ops.inline_policies[:] = []
    from explorer.snapshot.model import PolicyRef
    ops.inline_policies.append(PolicyRef("assume", "inline", ASSUME_ANY))
    lonely = role(A, "lonely", trust(allow_assume({"AWS": f"arn:aws:iam::{A}:user/bob"})))
    bob = user(A, "bob")
    return snapshot(u, bob, ops, deep, lonely, trail=list(events)), u, ops, deep, lonely


def test_events_are_mapped_onto_edges():
    snap, u, ops, deep, lonely = world(
        ev(f"arn:aws:iam::{A}:user/alice", f"arn:aws:iam::{A}:role/ops", t=1, session="a1"),
        ev(f"arn:aws:iam::{A}:user/alice", f"arn:aws:iam::{A}:role/ops", t=3, session="a2"),
        ev(f"arn:aws:sts::{A}:assumed-role/ops/a1", f"arn:aws:iam::{B}:role/deep", t=2, ctype="AssumedRole"),
    )
    ov = overlay(build_trust_graph(snap))
    use = ov.edge_use[(u.arn, ops.arn, "sts:AssumeRole")]
    assert use.count == 2 and use.session_names == {"a1", "a2"}
    assert use.first_seen.day == 1 and use.last_seen.day == 3
    assert ov.edge_use[(ops.arn, deep.arn, "sts:AssumeRole")].count == 1
    assert (f"arn:aws:iam::{A}:user/bob", lonely.arn, "sts:AssumeRole") in ov.unused_edges
    assert (u.arn, ops.arn, "sts:AssumeRole") not in ov.unused_edges
    assert ov.unexplained == []
    assert ov.to_json()["edges"][0]["count"] >= 1


def test_unexplained_and_failed_events():
    snap, u, ops, deep, lonely = world(
        ev(f"arn:aws:iam::{A}:user/alice", f"arn:aws:iam::{A}:role/lonely", t=1),  # no edge
        ev(f"arn:aws:iam::{A}:user/alice", f"arn:aws:iam::{A}:role/deleted", t=2),  # role not in snapshot
        ev(f"arn:aws:iam::{A}:user/bob", f"arn:aws:iam::{A}:role/ops", t=3, error="AccessDenied"),  # failed
    )
    ov = overlay(build_trust_graph(snap))
    codes = {(x.role_arn, x.reason_code) for x in ov.unexplained}
    assert codes == {(f"arn:aws:iam::{A}:role/lonely", "no-edge"), (f"arn:aws:iam::{A}:role/deleted",
                                                                      "role-not-in-snapshot")}
    assert ov.failed == {(f"arn:aws:iam::{A}:user/bob", f"arn:aws:iam::{A}:role/ops", "sts:AssumeRole"): 1}
    findings = run(snap, "cloudtrail-unexplained-assumption", tg=build_trust_graph(snap))
    assert sorted((f.subject, f.severity) for f in findings) == [
        (f"arn:aws:iam::{A}:role/deleted", "medium"), (f"arn:aws:iam::{A}:role/lonely", "high")]
    # ids do not depend on event order or file positions
    snap2, *_ = world(ev(f"arn:aws:iam::{A}:user/alice", f"arn:aws:iam::{A}:role/deleted", t=9),
                      ev(f"arn:aws:iam::{A}:user/alice", f"arn:aws:iam::{A}:role/lonely", t=8))
    ids2 = {f.id for f in run(snap2, "cloudtrail-unexplained-assumption", tg=build_trust_graph(snap2))}
    assert ids2 == {f.id for f in findings}


def test_explained_events_give_no_findings_and_denied_edges_are_unexplained():
    deny_scp = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "sts:AssumeRole",
                                                        "Resource": "*"}]}
    u = user(B, "carol")
    r = role(B, "target", trust(allow_assume({"AWS": u.arn})))
    snap = snapshot(u, r, scps=[deny_scp], trail=[ev(u.arn, r.arn, t=4)])
    ov = overlay(build_trust_graph(snap))
    [item] = ov.unexplained
    assert item.reason_code == "denied-edge"
    ok = snapshot(user(B, "carol"), role(B, "target", trust(allow_assume({"AWS": u.arn}))), trail=[ev(u.arn, r.arn, t=4)])
    assert run(ok, "cloudtrail-unexplained-assumption", tg=build_trust_graph(ok)) == []


def test_account_caller_and_service_events():
    vendor = role(A, "vendor", trust(allow_assume({"AWS": C}, {"StringEquals": {"sts:ExternalId": "x"}})))
    svc = role(A, "lambda-role", trust(allow_assume({"Service": "lambda.amazonaws.com"})))
    snap = snapshot(vendor, svc, trail=[
        ev(None, vendor.arn, t=5, ctype="AWSAccount"),
        ev(None, svc.arn, t=6, ctype="AWSService", provider="lambda.amazonaws.com"),
    ])
    ov = overlay(build_trust_graph(snap))
    assert ov.unexplained == []
    assert ov.edge_use[(f"arn:aws:iam::{C}:root", vendor.arn, "sts:AssumeRole")].count == 1
    assert ov.edge_use[("lambda.amazonaws.com", svc.arn, "service")].count == 1


def test_root_caller_cannot_assume():
    r = role(A, "r", trust(allow_assume({"AWS": f"arn:aws:iam::{A}:root"})))
    snap = snapshot(r, trail=[ev(f"arn:aws:iam::{A}:root", r.arn, t=7, ctype="Root")])
    [item] = overlay(build_trust_graph(snap)).unexplained
    assert item.reason_code == "caller-cannot-assume"
