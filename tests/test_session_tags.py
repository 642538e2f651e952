"""The rules for session tags on role sessions (explorer/graph/session_tags.py, D11)."""
from __future__ import annotations

from explorer.graph.session_tags import allows_tag_session, tag_alternatives, tag_names
from explorer.iam.conditions import requirement_holds
from explorer.iam.context import UNKNOWN
from explorer.iam import compile_policy
from explorer.iam.decision import Requirement

TEAM = "aws:principaltag/team"


def _req(op, *values, key="aws:PrincipalTag/team"):
    return Requirement(key, op, tuple(values))


def _holds(req, value):
    return requirement_holds(req, lambda _key: value)


def test_requirement_holds_on_present_absent_and_unknown_values():
    assert _holds(_req("StringEquals", "admin"), ("admin",)) is True
    assert _holds(_req("StringEquals", "admin"), ("dev",)) is False
    assert _holds(_req("StringEquals", "admin"), None) is False
    assert _holds(_req("StringEqualsIfExists", "admin"), None) is True
    assert _holds(_req("StringNotEquals", "admin"), None) is True
    assert _holds(_req("Null", "true"), None) is True
    assert _holds(_req("Null", "true"), ("dev",)) is False
    assert _holds(_req("not(StringLike)", "ad*"), ("admin",)) is False
    assert _holds(_req("StringLike", "ad*"), ("admin",)) is True
    assert _holds(_req("StringEquals", "admin"), UNKNOWN) is None
    assert _holds(_req("NoSuchOperator", "x"), ("x",)) is None


def test_a_session_tag_changes_a_tag_value_but_never_removes_it():
    alts = ((_req("Null", "true"),), (_req("StringEquals", "admin"),))
    got = tag_alternatives(alts, frozenset({TEAM}), {TEAM: ("dev",)})
    assert got == [((_req("StringEquals", "admin"),), frozenset({TEAM}))]
    # a role without the tag: the session may lack it too, nothing to pass
    got = tag_alternatives(alts, frozenset({TEAM}), {TEAM: None})
    assert got[0] == ((_req("Null", "true"),), frozenset())


def test_only_tags_the_role_does_not_already_satisfy_are_needed():
    env = _req("StringEquals", "prod", key="aws:PrincipalTag/env")
    alt = (_req("StringEquals", "admin"), env)
    (got,) = tag_alternatives((alt,), frozenset({TEAM, "aws:principaltag/env"}),
                              {TEAM: ("admin",), "aws:principaltag/env": None})
    assert got[1] == frozenset({"aws:principaltag/env"})
    assert tag_names(got[1]) == ["env"]


def _trust(*statements):
    return compile_policy({"Version": "2012-10-17", "Statement": list(statements)}, name="t", kind="trust")


def test_which_trusts_let_sessions_carry_tags():
    allow = {"Effect": "Allow", "Principal": {"AWS": "111111111111"}, "Action": ["sts:AssumeRole", "sts:TagSession"]}
    assert allows_tag_session(_trust(allow))
    assert not allows_tag_session(_trust({**allow, "Action": "sts:AssumeRole"}))
    deny_all = {"Effect": "Deny", "Principal": "*", "Action": "sts:TagSession"}
    assert not allows_tag_session(_trust(allow, deny_all))
    # a Deny with a condition, or for some principals only, leaves others able to pass tags
    assert allows_tag_session(_trust(allow, {**deny_all, "Condition": {"StringEquals": {"aws:RequestTag/x": "y"}}}))
    assert allows_tag_session(_trust(allow, {**deny_all, "Principal": {"AWS": "222222222222"}}))
    assert not allows_tag_session(None)


def test_the_quick_look_at_a_raw_trust_never_misses_a_taggable_one():
    from explorer.graph.session_tags import may_allow_tag_session
    allow = {"Effect": "Allow", "Principal": {"AWS": "111111111111"}}
    cases = [("sts:AssumeRole", False), (["sts:AssumeRole", "sts:TagSession"], True), ("sts:*", True), ("*", True),
             ("STS:tag*", True), ("sts:Tag?ession", True), (["sts:AssumeRoleWithSAML"], False)]
    for actions, expected in cases:
        doc = {"Version": "2012-10-17", "Statement": [{**allow, "Action": actions}]}
        assert may_allow_tag_session(doc) is expected, actions
        # never False where the compiled check says True
        assert may_allow_tag_session(doc) or not allows_tag_session(_trust({**allow, "Action": actions}))
    assert may_allow_tag_session({"Statement": {**allow, "NotAction": "sts:AssumeRole"}})
    assert not may_allow_tag_session({"Statement": [{**allow, "Effect": "Deny", "Action": "sts:TagSession"}]})
    assert not may_allow_tag_session(None)


# ---- along a chain: the tags must be passed at the previous hop (sts:TagSession for that hop's caller) ----
def _chain_estate():
    """Tagged (account A) trusts users x and y for AssumeRole but lets only x pass session tags (and only with
    aws:SourceIp in 10/8); Target trusts sessions of Tagged carrying aws:PrincipalTag/team=blue."""
    from graph_scenarios import build_snapshot
    acct = "111111111111"
    x, y = f"arn:aws:iam::{acct}:user/x", f"arn:aws:iam::{acct}:user/y"
    tagged = f"arn:aws:iam::{acct}:role/Tagged"
    allow = [{"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"], "Resource": "*"}]
    spec = {"accounts": {acct: {
        "users": [{"name": "x", "policies": [allow]}, {"name": "y", "policies": [allow]}],
        "roles": [
            {"name": "Tagged", "policies": [allow], "trust": [
                {"Effect": "Allow", "Principal": {"AWS": [x, y]}, "Action": "sts:AssumeRole"},
                {"Effect": "Allow", "Principal": {"AWS": x}, "Action": "sts:TagSession",
                 "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]},
            {"name": "Target", "trust": [
                {"Effect": "Allow", "Principal": {"AWS": tagged}, "Action": "sts:AssumeRole",
                 "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}}}]}]}}}
    return build_snapshot(spec), x, y, tagged, f"arn:aws:iam::{acct}:role/Target"


def test_a_chain_needs_its_session_tags_passed_at_the_previous_hop():
    from explorer.analysis.paths import find_paths, path_from_nodes, reach_from, reach_to
    from explorer.graph import build_trust_graph
    snap, x, y, tagged, target = _chain_estate()
    tg = build_trust_graph(snap)
    # the edge Tagged -> Target needs session tags on Tagged's sessions (the trust lets someone pass them)
    assert tg.graph[tagged][target]["sts:AssumeRole"].get("session_tags") == ("team",)
    via_x = find_paths(tg, x, target)
    assert [p.nodes for p in via_x] == [[x, tagged, target]]
    first = via_x[0].hops[0]
    # x may pass them only from 10/8: the first hop now needs that too
    assert any(r.key == "aws:SourceIp" for alt in first.requires for r in alt)
    assert tg.graph[x][tagged]["sts:AssumeRole"]["state"] == "allowed"  # the edge alone needs nothing
    assert first.state == "conditional" and via_x[0].conditional and first.to_json()["state"] == "conditional"
    assert via_x[0].hops[1].tags_blocked is None and via_x[0].to_json()["hops"][1]["session_tags_passed"]["allowed"]
    # y may assume Tagged but not pass tags: no chain to Target through it
    assert find_paths(tg, y, target) == []
    assert target not in reach_from(tg, y) and y not in reach_to(tg, target) and x in reach_to(tg, target)
    blocked = path_from_nodes(tg, [y, tagged, target])
    assert blocked.session_tags_blocked == [1] and blocked.to_json()["session_tags_blocked"] is True
    assert any("BLOCKED" in line and "sts:TagSession" in line for line in blocked.describe())
    shown = find_paths(tg, y, target, include_denied=True)
    assert [p.nodes for p in shown] == [[y, tagged, target]] and shown[0].session_tags_blocked == [1]
