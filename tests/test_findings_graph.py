"""Graph-based checks on small model-built snapshots: MaxSessionDuration only reachable by chaining, and
administrative roles reachable from outside the organization or from many principals."""
from __future__ import annotations

from test_findings_helpers import ADMIN, A, B, C, ORG, READONLY, allow_assume, role, run, snapshot, trust, user

from explorer.graph import build_trust_graph

ASSUME_ANY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}


def graph_run(snap, rule, **settings):
    return run(snap, rule, tg=build_trust_graph(snap), **settings)


RULE_SESSION = "session-max-duration-chaining-only"


def test_long_max_session_reachable_only_by_chaining_is_flagged():
    caller = role(A, "caller", trust(allow_assume({"AWS": f"arn:aws:iam::{A}:user/u"})), policies=[ASSUME_ANY])
    target = role(A, "target", trust(allow_assume({"AWS": caller.arn})), max_session=43200)
    [f] = graph_run(snapshot(caller, target, user(A, "u")), RULE_SESSION)
    assert f.subject == target.arn and f.evidence[0].data["callers"] == [caller.arn]
    assert f.evidence[0].json_path == "$.MaxSessionDuration"


def test_max_session_safe_twins():
    caller = role(A, "caller", trust(allow_assume({"AWS": f"arn:aws:iam::{A}:user/u"})), policies=[ASSUME_ANY])
    u = user(A, "u")
    # a user can assume it directly: the long session is reachable
    direct = role(A, "target", trust(allow_assume({"AWS": [caller.arn, u.arn]})), max_session=43200)
    assert graph_run(snapshot(caller, direct, u), RULE_SESSION) == []
    # only role callers, but MaxSessionDuration is one hour anyway
    short = role(A, "target", trust(allow_assume({"AWS": caller.arn})), max_session=3600)
    assert graph_run(snapshot(caller, short, u), RULE_SESSION) == []
    # nobody can assume it at all: nothing to say here
    lonely = role(A, "target", trust(allow_assume({"AWS": f"arn:aws:iam::{A}:role/gone"})), max_session=43200)
    assert graph_run(snapshot(lonely), RULE_SESSION) == []


RULE_EXT = "admin-reachable-external"


def test_admin_reachable_from_outside_through_a_chain():
    door = role(A, "door", trust(allow_assume({"AWS": C})), policies=[ASSUME_ANY])  # third party, no ExternalId
    admin = role(A, "admin", trust(allow_assume({"AWS": door.arn})), policies=[ADMIN])
    [f] = graph_run(snapshot(door, admin), RULE_EXT)
    assert f.subject == admin.arn and f.severity == "critical"
    assert f.related == (f"arn:aws:iam::{C}:root",)
    [chain] = f.evidence[0].data["shortest_chains"]
    assert chain["nodes"] == [f"arn:aws:iam::{C}:root", door.arn, admin.arn]


def test_admin_reachable_external_safe_twins():
    # the outside account reaches only a read-only role
    door = role(A, "door", trust(allow_assume({"AWS": C})), policies=[READONLY])
    admin = role(A, "admin", trust(allow_assume({"AWS": f"arn:aws:iam::{A}:user/u"})), policies=[ADMIN])
    assert graph_run(snapshot(door, admin, user(A, "u")), RULE_EXT) == []
    # the admin role trusts a partner account in the organization only
    inside = role(B, "admin", trust(allow_assume({"AWS": A})), policies=[ADMIN])
    assert graph_run(snapshot(inside), RULE_EXT) == []
    # "*" narrowed to the organization
    star = role(A, "admin", trust(allow_assume("*", {"StringEquals": {"aws:PrincipalOrgID": ORG}})), policies=[ADMIN])
    assert graph_run(snapshot(star), RULE_EXT) == []


RULE_MANY = "admin-reachable-many"


def test_admin_reachable_from_many_principals():
    users = [user(A, f"u{i}", policies=[ASSUME_ANY]) for i in range(12)]
    admin = role(A, "admin", trust(allow_assume({"AWS": f"arn:aws:iam::{A}:root"})), policies=[ADMIN])
    [f] = graph_run(snapshot(admin, *users), RULE_MANY)
    assert f.evidence[0].data["count"] >= 12
    assert len(f.evidence[0].data["shortest_chains"]) == 3
    # safe twin: a higher threshold, or only a few users with permission
    assert graph_run(snapshot(admin, *users), RULE_MANY, many_principals=50) == []
    few = [user(A, f"v{i}", policies=[ASSUME_ANY]) for i in range(2)] + [user(A, f"w{i}") for i in range(10)]
    assert graph_run(snapshot(admin, *few), RULE_MANY) == []


def test_graph_checks_are_skipped_without_a_graph():
    from explorer.analysis.findings import find
    report = find(snapshot(role(A, "r", trust(allow_assume({"AWS": B})))))
    assert set(report.checks_skipped) == {"session-max-duration-chaining-only", "admin-reachable-external",
                                          "admin-reachable-many", "cloudtrail-unexplained-assumption"}


def test_admin_reachable_through_an_open_github_trust():
    from explorer.snapshot.model import OidcProvider
    gh = "token.actions.githubusercontent.com"
    provider = OidcProvider(arn=f"arn:aws:iam::{A}:oidc-provider/{gh}", account_id=A, url=gh,
                            client_ids=["sts.amazonaws.com"])
    cond = {"StringEquals": {f"{gh}:aud": "sts.amazonaws.com"}, "StringLike": {f"{gh}:sub": "repo:*"}}
    open_admin = role(A, "ci", trust(allow_assume({"Federated": provider.arn}, cond,
                                                  action="sts:AssumeRoleWithWebIdentity")), policies=[ADMIN])
    [f] = graph_run(snapshot(open_admin, provider), RULE_EXT)
    assert f.related == (provider.arn,)
    # safe twin: the subject is pinned to one repository
    cond["StringLike"] = {f"{gh}:sub": "repo:acme/infra:ref:refs/heads/main"}
    pinned = role(A, "ci", trust(allow_assume({"Federated": provider.arn}, cond,
                                              action="sts:AssumeRoleWithWebIdentity")), policies=[ADMIN])
    assert graph_run(snapshot(pinned, provider), RULE_EXT) == []
