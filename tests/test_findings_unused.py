"""Unused roles trusted across accounts (RoleLastUsed older than the threshold before collected_at, or never)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from test_findings_helpers import COLLECTED, A, B, C, allow_assume, role, run, snapshot, trust

RULE = "role-unused-cross-account"
CROSS = trust(allow_assume({"AWS": f"arn:aws:iam::{B}:root"}))


@pytest.mark.parametrize("last_used,created", [
    (COLLECTED - timedelta(days=91), None),
    (None, None),
    (None, COLLECTED - timedelta(days=400)),
])
def test_unused_cross_account_role_is_flagged(last_used, created):
    r = role(A, "old", CROSS, last_used=last_used, created=created)
    [f] = run(snapshot(r), RULE)
    assert f.evidence[0].json_path == "$.RoleLastUsed" and f.evidence[1].json_path == "$.Statement[0]"
    assert f.severity == "low"


def test_external_trust_raises_severity():
    r = role(A, "old", trust(allow_assume({"AWS": C})))
    [f] = run(snapshot(r), RULE)
    assert f.severity == "medium"


@pytest.mark.parametrize("r", [
    role(A, "recent", CROSS, last_used=COLLECTED - timedelta(days=89)),
    role(A, "new", CROSS, created=COLLECTED - timedelta(days=3)),
    role(A, "local", trust(allow_assume({"AWS": f"arn:aws:iam::{A}:root"}))),
    role(A, "svc", trust(allow_assume({"Service": "lambda.amazonaws.com"}))),
])
def test_used_new_or_same_account_roles_are_safe(r):
    assert run(snapshot(r), RULE) == []


def test_threshold_is_a_parameter():
    r = role(A, "r", CROSS, last_used=COLLECTED - timedelta(days=40))
    assert run(snapshot(r), RULE) == []
    assert len(run(snapshot(r), RULE, unused_days=30)) == 1
