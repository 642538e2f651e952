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
