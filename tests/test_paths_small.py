"""Paths on small built snapshots: requirement alternatives in JSON, first-hop credential kinds, cycles."""
from __future__ import annotations

from explorer.analysis.paths import find_paths, reach_from, reach_to, requires_json
from explorer.graph import build_trust_graph
from explorer.graph import schema as S
from explorer.iam.decision import Requirement
from graph_scenarios import build_snapshot

A, B, F = "111111111111", "222222222222", "999999999999"


def _trust(principal, cond=None):
    st = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    if cond:
        st["Condition"] = cond
    return st


def _allow(res="*"):
    return {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": res}


def test_requires_json_single_and_alternatives():
    a = Requirement("sts:ExternalId", "StringEquals", ("x",))
    b = Requirement("aws:SourceIp", "IpAddress", ("10.0.0.0/8",))
    assert requires_json(((a,),)) == [a.to_json()]
    assert requires_json(((a,), (b,))) == [{**a.to_json(), "alternative": 0}, {**b.to_json(), "alternative": 1}]
    assert requires_json(()) == []


def test_foreign_caller_chain_and_cycles():
    spec = {"accounts": {
        A: {"roles": [
            {"name": "Entry", "max_session": 43200, "trust": [_trust({"AWS": F})], "policies": [[_allow()]]},
            {"name": "Next", "max_session": 43200, "trust": [_trust({"AWS": A})], "policies": [[_allow()]]}]},
        B: {"roles": [{"name": "Far", "max_session": 7200, "trust": [_trust({"AWS": A})]}]}}}
    tg = build_trust_graph(build_snapshot(spec))
    foreign = f"arn:aws:iam::{F}:root"
    paths = find_paths(tg, foreign, f"arn:aws:iam::{B}:role/Far")
    assert paths and all(p.conditional for p in paths)  # the first hop needs the caller's own policies
    shortest = paths[0]
    assert shortest.nodes == [foreign, f"arn:aws:iam::{A}:role/Entry", f"arn:aws:iam::{B}:role/Far"]
    assert shortest.hops[0].max_session_seconds == 43200 and not shortest.hops[0].chained
    assert shortest.max_session_seconds == 3600 and shortest.limited_by == "role chaining"
    assert shortest.to_json()["hops"][0]["requires"][0]["key"] == S.CALLER_POLICIES_KEY
    # Entry <-> Next trust each other's account: simple paths never repeat a node
    for p in paths:
        assert len(set(p.nodes)) == len(p.nodes)
    assert set(reach_from(tg, foreign)) >= {f"arn:aws:iam::{A}:role/Entry", f"arn:aws:iam::{B}:role/Far"}
    assert foreign in reach_to(tg, f"arn:aws:iam::{B}:role/Far")


def test_saml_first_hop_session_and_k_paths():
    spec = {"accounts": {A: {
        "saml": ["Idp"],
        "roles": [{"name": "Fed", "max_session": 28800, "policies": [[_allow()]],
                   "trust": [{"Effect": "Allow", "Principal": {"Federated": f"arn:aws:iam::{A}:saml-provider/Idp"},
                              "Action": "sts:AssumeRoleWithSAML"}]},
                  {"name": "T1", "trust": [_trust({"AWS": A})], "policies": [[_allow()]]},
                  {"name": "T2", "trust": [_trust({"AWS": A})], "policies": [[_allow()]]},
                  {"name": "Goal", "max_session": 43200, "trust": [_trust({"AWS": A})]}]}}}
    tg = build_trust_graph(build_snapshot(spec))
    idp = f"arn:aws:iam::{A}:saml-provider/Idp"
    fed = find_paths(tg, idp, f"arn:aws:iam::{A}:role/Fed")[0]
    assert fed.hops[0].action == S.ASSUME_ROLE_SAML and fed.max_session_seconds == 28800
    everything = find_paths(tg, idp, "Goal", max_hops=4)
    assert [len(p) for p in everything] == sorted(len(p) for p in everything)
    assert len(everything) > 3
    two = find_paths(tg, idp, "Goal", k=2)
    assert len(two) == 2 and len(two[0]) == len(everything[0]) and len(two[0]) <= len(two[1])


def test_a_path_through_a_taggable_role_states_the_session_tags():
    """u -> Entry (its trust allows sts:TagSession) -> Admin (trust needs aws:PrincipalTag/team = admin): the second
    hop is conditional on a session tag that the first hop must pass (D11)."""
    admin = {"StringEquals": {"aws:PrincipalTag/team": "admin"}}
    entry_trust = {**_trust({"AWS": f"arn:aws:iam::{A}:user/u"}), "Action": ["sts:AssumeRole", "sts:TagSession"]}
    snap = build_snapshot({"accounts": {A: {
        "users": [{"name": "u", "policies": [[{**_allow(), "Action": ["sts:AssumeRole", "sts:TagSession"]}]]}],
        "roles": [{"name": "Entry", "tags": {"team": "dev"}, "trust": [entry_trust], "policies": [[_allow()]]},
                  {"name": "Admin", "trust": [_trust({"AWS": A}, admin)]}]}}})
    tg = build_trust_graph(snap)
    u, admin_role = tg.node_for("u"), tg.node_for("Admin")
    (path,) = find_paths(tg, u, admin_role)
    assert [h.state for h in path.hops] == [S.ALLOWED, S.CONDITIONAL]
    hop = path.to_json()["hops"][1]
    assert hop["session_tags"] == ["team"]
    assert "session_tags" not in path.to_json()["hops"][0]
    text = "\n".join(path.describe())
    assert f"needs session tags (team) on the session of arn:aws:iam::{A}:role/Entry, passed at hop 1" in text
    assert "aws:PrincipalTag/team" in text
