"""policy-deny-mfa-bool names, as `related`, the principals its policy applies to, so that the findings dock can
show them on the graph: a group's members, every user/role attaching a managed policy and the members of every
group attaching it, sorted."""
from __future__ import annotations

from conftest import DEMO_ORG
from test_findings_helpers import A, B, role, run, snapshot, trust, user

from explorer.analysis.findings import find
from explorer.graph import build_trust_graph
from explorer.snapshot import load_snapshot
from explorer.snapshot.model import Group, ManagedPolicy, PolicyRef

RULE = "policy-deny-mfa-bool"
BOOL_DENY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Deny", "NotAction": "iam:*Mfa*", "Resource": "*",
     "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}]}


def group(account, name, *, inline=(), attached=()):
    return Group(name=name, arn=f"arn:aws:iam::{account}:group/{name}", group_id=f"AGPA{name.upper()}",
                 account_id=account, inline_policies=[PolicyRef(f"p{i}", "inline", d) for i, d in enumerate(inline)],
                 attached_policies=list(attached))


def add(snap, *groups):
    for g in groups:
        snap.accounts[g.account_id].groups[g.arn] = g


def test_group_inline_policy_relates_the_group_members_in_order():
    zed, amy, other = user(A, "zed", groups=["Auditors"]), user(A, "amy", groups=["Auditors", "x"]), user(A, "ned")
    twin = user(B, "bea", groups=["Auditors"])  # same group name in another account: not a member
    snap = snapshot(zed, amy, other, twin)
    add(snap, group(A, "Auditors", inline=[BOOL_DENY]))
    [f] = run(snap, RULE)
    assert f.subject == f"arn:aws:iam::{A}:group/Auditors"
    assert f.related == (amy.arn, zed.arn)


def test_managed_policy_relates_users_roles_and_group_members_then_groups():
    pol = ManagedPolicy(arn=f"arn:aws:iam::{A}:policy/RequireMFA", name="RequireMFA", document=BOOL_DENY)
    ref = PolicyRef("RequireMFA", "managed", BOOL_DENY, arn=pol.arn)
    direct, member, outsider = user(A, "direct"), user(A, "member", groups=["ops"]), user(A, "outsider")
    direct.attached_policies.append(ref)
    r = role(A, "runner", trust({"Effect": "Allow", "Principal": {"AWS": A}, "Action": "sts:AssumeRole"}))
    r.attached_policies.append(ref)
    member.attached_policies.append(ref)  # attached directly and through its group: listed once
    snap = snapshot(direct, member, outsider, r)
    snap.accounts[A].managed_policies[pol.arn] = pol
    add(snap, group(A, "ops", attached=[ref]), group(A, "empty", attached=[ref]))
    [f] = run(snap, RULE)
    assert f.subject == pol.arn
    assert f.related == (r.arn, direct.arn, member.arn,  # sorted ARNs
                         f"arn:aws:iam::{A}:group/empty", f"arn:aws:iam::{A}:group/ops")


def test_demo_auditors_finding_leads_to_bob_and_carol():
    # resources/demo-org/README.md D27: RequireMFA (group Auditors) affects bob.martin and carol.smith
    snap = load_snapshot(DEMO_ORG)
    tg = build_trust_graph(snap)
    [f] = [f for f in find(snap, tg, rules=[RULE]).findings if f.subject == "arn:aws:iam::222222222222:group/Auditors"]
    assert f.related == ("arn:aws:iam::222222222222:user/people/bob.martin",
                         "arn:aws:iam::222222222222:user/people/carol.smith")
    assert all(a in tg.graph for a in f.related)
