"""Odd or broken policy documents never crash a check (they are static readers of what is written)."""
from __future__ import annotations

import pytest

from test_findings_helpers import A, B, resource_policy, role, snapshot, user

from explorer.analysis.findings import find
from explorer.graph import build_trust_graph

ODD = [
    {},
    {"Statement": "nonsense"},
    {"Statement": [None, 3, "x", []]},
    {"Statement": {"Effect": "Allow", "Principal": {"AWS": None}, "Action": "sts:AssumeRole"}},
    {"Statement": [{"Effect": "Allow", "Principal": {"AWS": [1, {"x": 1}]}, "Action": ["sts:AssumeRole", 5]}]},
    {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole", "Condition": "oops"}]},
    {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": "oops", "Bool": {"aws:MultiFactorAuthPresent": [True]}}}]},
    {"Statement": [{"Effect": "Deny", "NotPrincipal": {"AWS": B}, "NotAction": "s3:*",
                    "Condition": {"Bool": {"aws:MultiFactorAuthPresent": False}}}]},
    {"Statement": [{"Effect": "allow", "Principal": {"Federated": ["x", None]},
                    "Action": "sts:AssumeRoleWithWebIdentity"}]},
]


@pytest.mark.parametrize("doc", ODD)
def test_odd_documents_do_not_crash(doc):
    r = role(A, "odd", doc, policies=[doc])
    snap = snapshot(r, user(A, "u", policies=[doc]), resource_policy("arn:aws:s3:::odd", A, doc,
                                                                        ObjectOwnership="ObjectWriter"),
                    resource_policy(f"arn:aws:kms:eu-west-1:{A}:key/odd", A, doc))
    report = find(snap, build_trust_graph(snap))
    assert report.checks_skipped == {}
    for f in report.findings:
        f.to_json()
