"""Deny + Bool aws:MultiFactorAuthPresent false (does not stop long-term keys) and its BoolIfExists twin."""
from __future__ import annotations

from test_findings_helpers import A, B, allow_assume, role, run, snapshot, trust, user

from explorer.snapshot.model import Group, ManagedPolicy, PolicyRef

RULE = "policy-deny-mfa-bool"


def deny(op):
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "AllowAll", "Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Sid": "DenyWithoutMFA", "Effect": "Deny", "NotAction": ["iam:*Mfa*", "sts:GetSessionToken"],
         "Resource": "*", "Condition": {op: {"aws:MultiFactorAuthPresent": "false"}}}]}


def test_inline_bool_deny_is_flagged_with_boolifexists_fix():
    u = user(A, "alice", policies=[deny("Bool")])
    [f] = run(snapshot(u), RULE)
    assert f.subject == u.arn and f.evidence[0].json_path == "$.Statement[1]"
    assert f.remediation.statement["Condition"] == {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
    assert u.inline_policies[0].document["Statement"][1]["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "false"}}


def test_boolifexists_and_allow_are_safe():
    assert run(snapshot(user(A, "alice", policies=[deny("BoolIfExists")])), RULE) == []
    allow_true = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
                                                          "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}]}
    assert run(snapshot(user(A, "bob", policies=[allow_true])), RULE) == []
    deny_true = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
                                                         "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}
    assert run(snapshot(user(A, "carol", policies=[deny_true])), RULE) == []


def test_managed_policy_group_trust_and_scp_are_scanned():
    snap = snapshot(role(A, "r", trust(allow_assume({"AWS": B}),
                                       {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole",
                                        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": False}}})),
                    scps=[deny("Bool")])
    pol = ManagedPolicy(arn=f"arn:aws:iam::{A}:policy/ForceMFA", name="ForceMFA", document=deny("Bool"))
    snap.accounts[A].managed_policies[pol.arn] = pol
    g = Group(name="devs", arn=f"arn:aws:iam::{A}:group/devs", group_id="AGPA1", account_id=A,
              attached_policies=[PolicyRef("ForceMFA", "managed", pol.document, arn=pol.arn)])
    snap.accounts[A].groups[g.arn] = g
    found = run(snap, RULE)
    subjects = sorted(f.subject for f in found)
    assert pol.arn in subjects and f"arn:aws:iam::{A}:role/r" in subjects
    assert any(s.startswith("arn:aws:organizations::") for s in subjects)
    assert len(found) == 3  # the managed policy once, not once per attachment
    [mp] = [f for f in found if f.subject == pol.arn]
    assert mp.related == (g.arn,)
