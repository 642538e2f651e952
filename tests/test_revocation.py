"""Session revocation preview (spec K8): AWS's AWSRevokeOlderSessions policy, old sessions lose every outgoing
edge, new sessions keep them, and the original snapshot and graph stay untouched."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from test_findings_helpers import A, B, allow_assume, role, snapshot, trust, user

from explorer.analysis.revocation import POLICY_NAME, preview, revocation_policy
from explorer.errors import InputError
from explorer.graph import build_trust_graph
from explorer.graph import schema as S

ASSUME_ANY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}


def test_policy_is_aws_form():
    assert revocation_policy("2026-11-20T09:30:00+01:00") == {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": ["*"], "Resource": ["*"],
                       "Condition": {"DateLessThan": {"aws:TokenIssueTime": "2026-11-20T08:30:00Z"}}}]}
    with pytest.raises(InputError):
        revocation_policy("yesterday")


def make():
    u = user(A, "u")
    hub = role(A, "hub", trust(allow_assume({"AWS": u.arn})), policies=[ASSUME_ANY])
    t1 = role(A, "t1", trust(allow_assume({"AWS": hub.arn})))
    t2 = role(B, "t2", trust(allow_assume({"AWS": hub.arn})))
    return snapshot(u, hub, t1, t2), u, hub, t1, t2


def test_old_sessions_lose_every_edge_new_ones_keep_them():
    snap, u, hub, t1, t2 = make()
    tg = build_trust_graph(snap)
    before_edges = sorted((u_, v, k, d[S.STATE]) for u_, v, k, d in tg.graph.edges(keys=True, data=True))
    p = preview(tg, hub.arn, datetime(2026, 5, 1, tzinfo=timezone.utc))
    assert sorted((e.target, e.action) for e in p.edges_lost) == [(t1.arn, "sts:AssumeRole"), (t2.arn, "sts:AssumeRole")]
    assert sorted((e.target, e.state_after) for e in p.edges_kept) == [(t1.arn, "allowed"), (t2.arn, "allowed")]
    assert all(e.state_after in (None, S.DENIED) for e in p.edges_lost)
    # edges into the role are not affected: u can still get a (new) session
    old_in = p.old_graph.graph.get_edge_data(u.arn, hub.arn, key="sts:AssumeRole")
    assert old_in is not None and old_in[S.STATE] != S.DENIED
    # the original is untouched
    assert [x.name for x in snap.principal(hub.arn).inline_policies] == ["p0"]
    assert sorted((u_, v, k, d[S.STATE]) for u_, v, k, d in tg.graph.edges(keys=True, data=True)) == before_edges
    assert [x.name for x in p.new_graph.snapshot.principal(hub.arn).inline_policies] == ["p0", POLICY_NAME]
    out = p.to_json()
    assert out["policy_name"] == POLICY_NAME and out["revoke_before"] == "2026-05-01T00:00:00Z"
    assert len(out["old_sessions"]["edges_lost"]) == 2


def test_existing_revocation_policy_is_replaced_and_unknown_role_rejected():
    snap, u, hub, t1, t2 = make()
    from explorer.snapshot.model import PolicyRef
    hub.inline_policies.append(PolicyRef(POLICY_NAME, "inline", revocation_policy("2020-01-01T00:00:00Z")))
    tg = build_trust_graph(snap)
    p = preview(tg, hub.arn, "2026-05-01T00:00:00Z")
    names = [x.name for x in p.new_graph.snapshot.principal(hub.arn).inline_policies]
    assert names.count(POLICY_NAME) == 1
    assert len(p.edges_kept) == 2
    with pytest.raises(InputError):
        preview(tg, f"arn:aws:iam::{A}:role/none", "2026-05-01T00:00:00Z")


def test_demo_prod_deploy_revocation():
    """D20: ProdDeploy already revokes sessions before 2026-10-01, so its edge to ArtifactReader is conditional on
    aws:TokenIssueTime; a new revocation at 2026-11-20 denies it for older sessions and allows it for newer."""
    from conftest import DEMO_ORG
    from explorer.snapshot import load_snapshot
    tg = build_trust_graph(load_snapshot(DEMO_ORG))
    reader = "arn:aws:iam::444444444444:role/ArtifactReader"
    p = preview(tg, "arn:aws:iam::666666666666:role/ProdDeploy", "2026-11-20T09:00:00Z")
    assert [(e.target, e.state_before, e.state_after) for e in p.edges_lost] == [(reader, "conditional", "denied")]
    assert [(e.target, e.state_after) for e in p.edges_kept] == [(reader, "allowed")]
