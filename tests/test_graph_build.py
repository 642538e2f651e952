"""Trust-graph building: node lookup, progress, what-if re-evaluation, candidate indexes, lazy explanations,
GraphML/GEXF export."""
from __future__ import annotations

import networkx as nx
import pytest

from explorer.errors import InputError
from explorer.graph import build_trust_graph
from explorer.graph import schema as S
from explorer.graph.export import write_graph_file
from explorer.iam.context import Context
from explorer.iam.decision import Decision
from graph_scenarios import build_snapshot

A, B, C = "111111111111", "222222222222", "333333333333"


def _spec(extra_users: int = 0) -> dict:
    users = [{"name": "u", "id": "AIDAUNIQUEUSERID00001", "tags": {"team": "ops"},
              "policies": [[{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": f"arn:aws:iam::{B}:role/*"}]]}]
    users += [{"name": f"idle{i}"} for i in range(extra_users)]
    return {"accounts": {
        A: {"users": users, "roles": [{"name": "Shared", "trust": [{"Effect": "Allow", "Principal": {"AWS": B},
                                                                    "Action": "sts:AssumeRole"}]}]},
        B: {"roles": [{"name": "R", "trust": [{"Effect": "Allow", "Principal": {"AWS": A}, "Action": "sts:AssumeRole",
                                               "Condition": {"StringEquals": {"sts:ExternalId": "x"}}}]},
                      {"name": "Shared", "trust": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
                                                    "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}],
                       "policies": [[{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]]}]}}}


@pytest.fixture(scope="module")
def tg():
    return build_trust_graph(build_snapshot(_spec()))


def test_node_for(tg):
    u = f"arn:aws:iam::{A}:user/u"
    assert tg.node_for(u) == u
    assert tg.node_for("u") == u
    assert tg.node_for("AIDAUNIQUEUSERID00001") == u
    assert tg.node_for(A) == f"arn:aws:iam::{A}:root"
    assert tg.node_for(f"arn:aws:sts::{B}:assumed-role/R/alice") == f"arn:aws:iam::{B}:role/R"
    assert tg.node_for("Shared") is None  # two roles named Shared: ambiguous
    assert sorted(tg.nodes_named("Shared")) == [f"arn:aws:iam::{A}:role/Shared", f"arn:aws:iam::{B}:role/Shared"]
    assert tg.node_for("nothing") is None and tg.node_for("") is None


def test_node_attributes(tg):
    g = tg.graph
    assert g.nodes[f"arn:aws:iam::{A}:user/u"][S.KIND] == S.USER
    assert g.nodes[f"arn:aws:iam::{A}:user/u"][S.TAGS] == {"team": "ops"}
    role = g.nodes[f"arn:aws:iam::{B}:role/R"]
    assert role[S.KIND] == S.ROLE and role[S.MAX_SESSION] == 3600 and role[S.MAX_SESSION_KNOWN] is False
    assert role[S.TRUST_PRINCIPALS] == [f"account {A}"]
    assert g.nodes[f"arn:aws:iam::{A}:root"][S.KIND] == S.ACCOUNT


def test_progress_is_reported():
    seen = []
    build_trust_graph(build_snapshot(_spec()), progress=lambda d, t, m: seen.append((d, t, m)))
    assert seen and seen[-1][0] == seen[-1][1] and seen[-1][2] == "done"
    assert all(isinstance(d, int) and isinstance(t, int) and isinstance(m, str) for d, t, m in seen)


def test_with_context_reuses_indexes_and_only_redoes_affected_edges(tg):
    u, r = f"arn:aws:iam::{A}:user/u", f"arn:aws:iam::{B}:role/R"
    assert tg.graph[u][r][S.ASSUME_ROLE][S.STATE] == S.CONDITIONAL
    fixed = tg.with_context(Context({"sts:ExternalId": "x"}, closed=False))
    assert fixed.graph[u][r][S.ASSUME_ROLE][S.STATE] == S.ALLOWED
    assert fixed.timings["reevaluated"] == 1  # only the edge whose trust refers to sts:ExternalId
    assert fixed.compiler is tg.compiler and fixed.candidates is tg.candidates
    assert tg.graph[u][r][S.ASSUME_ROLE][S.STATE] == S.CONDITIONAL  # the original is unchanged
    wrong = tg.with_context(Context({"sts:ExternalId": "y"}, closed=False))
    assert not wrong.graph.has_edge(u, r)
    unrelated = tg.with_context(Context({"aws:RequestedRegion": "eu-west-1"}, closed=False))
    assert unrelated.timings["reevaluated"] == 0
    assert unrelated.graph.number_of_edges() == tg.graph.number_of_edges()
    ip = tg.with_context(Context({"aws:SourceIp": "10.1.2.3"}, closed=False))
    assert all(d[S.STATE] != S.CONDITIONAL or {"ExternalId", "Foreign"} & set(d[S.BADGES])
               for _, _, d in ip.graph.edges(data=True))
    assert not any("IP" in d[S.BADGES] for _, _, d in ip.graph.edges(data=True))


def test_public_trust_candidates_come_from_the_identity_index():
    tg = build_trust_graph(build_snapshot(_spec(extra_users=40)))
    # 40 idle users in A have no identity Allow: they are not candidates of B's public role
    shared_b = f"arn:aws:iam::{B}:role/Shared"
    callers = {c.caller for c in tg.candidates.values() if c.role == shared_b}
    assert not any("idle" in c for c in callers)
    assert f"arn:aws:iam::{A}:user/u" in callers and S.ANYONE_ID in callers


def test_edges_explain_both_sides_lazily(tg):
    u, r = f"arn:aws:iam::{A}:user/u", f"arn:aws:iam::{B}:role/R"
    data = tg.graph[u][r][S.ASSUME_ROLE]
    assert S.TRUST_DECISION in data and S.IDENTITY_DECISION in data
    assert isinstance(data.get(S.TRUST_DECISION), Decision)
    assert isinstance(data[S.IDENTITY_DECISION], Decision) and data[S.IDENTITY_DECISION].allowed
    assert data[S.CROSS_ACCOUNT] is True and data[S.VIA] == ("account",)
    explained = tg.explain_hop(f"arn:aws:iam::{A}:user/idle0", r) if tg.graph.has_node(
        f"arn:aws:iam::{A}:user/idle0") else None
    assert explained is None


def test_explain_hop_for_a_missing_edge():
    tg = build_trust_graph(build_snapshot(_spec(extra_users=1)))
    ex = tg.explain_hop(f"arn:aws:iam::{A}:user/idle0", f"arn:aws:iam::{B}:role/R")
    assert ex["state"] is None and not ex["decision"].allowed
    assert ex["trust_decision"].allowed  # the trust names the account: the identity side says no
    assert not ex["identity_decision"].allowed


def test_missing_managed_policy_is_noted():
    from explorer.snapshot.model import PolicyRef
    snap = build_snapshot(_spec())
    user = next(snap.users())
    user.attached_policies.append(PolicyRef("Gone", "managed", None, arn=f"arn:aws:iam::{A}:policy/Gone"))
    tg = build_trust_graph(snap)
    assert any("Gone" in n for n in tg.graph.nodes[user.arn][S.NOTES])


@pytest.mark.parametrize("suffix", [".graphml", ".gexf"])
def test_export(tg, tmp_path, suffix):
    out = write_graph_file(tg, tmp_path / f"g{suffix}")
    back = nx.read_graphml(out) if suffix == ".graphml" else nx.read_gexf(out)
    assert back.number_of_nodes() == tg.graph.number_of_nodes()
    assert back.number_of_edges() == tg.graph.number_of_edges()
    text = out.read_text()
    assert "conditional" in text and "sts:ExternalId" in text


def test_export_rejects_other_formats(tg, tmp_path):
    with pytest.raises(InputError):
        write_graph_file(tg, tmp_path / "g.png")
    with pytest.raises(InputError):
        write_graph_file(tg, tmp_path / "missing-dir" / "g.graphml")


def test_org_levels_match_the_model():
    """The graph compiles exactly the model's SCP/RCP levels, and the model's indexed lookup gives what a plain
    scan of every policy's targets gives (also after a policy is added)."""
    from conftest import DEMO_ORG
    from explorer.snapshot import load_snapshot
    from explorer.snapshot.model import RCP, RCP_FULL_AWS_ACCESS, SCP, OrgPolicy
    if not DEMO_ORG.exists():
        pytest.skip("demo organization not present")
    snap = load_snapshot(DEMO_ORG)
    tg = build_trust_graph(snap)
    org = snap.organization

    def plain_scan(acct, kind):
        of_type = [p for p in org.policies if p.type == kind]
        listed_full = any(p.name == "RCPFullAWSAccess" for p in of_type)
        levels = []
        for target in org.path_of(acct):
            level = [p for p in of_type if target in p.targets]
            if kind == RCP and not listed_full:
                level = [RCP_FULL_AWS_ACCESS, *level]
            levels.append([p.name for p in level])
        return levels

    for acct in list(org.accounts) + ["999999999999"]:
        if not org.contains(acct):
            continue
        for kind in (SCP, RCP):
            model = [[p.name for p in level] for level in org.policy_levels(acct, kind)]
            assert model == plain_scan(acct, kind), (acct, kind)
            compiled, _keys = tg._org_policy_levels(acct, kind)
            assert [[pol.name.split(" ", 1)[1] for pol in level] for level in compiled] == \
                [[n for n, p in zip(names, level) if p.document is not None]
                 for names, level in zip(model, org.policy_levels(acct, kind))], (acct, kind)
    acct = next(iter(org.accounts))
    org.policies.append(OrgPolicy(id="p-added", name="Added", type=SCP, document=None, targets=[acct]))
    assert org.policy_levels(acct, SCP)[-1][-1].name == "Added"
    assert org.policy_levels(acct, SCP) and [[p.name for p in lv] for lv in org.policy_levels(acct, SCP)] \
        == plain_scan(acct, SCP)


def test_with_context_keeps_the_adjacency_consistent(tg):
    before = sorted((u, v, k) for u, v, k in tg.graph.edges(keys=True))
    for ctx in ({"sts:ExternalId": "y"}, {"sts:ExternalId": "x"}, {"aws:SourceIp": "192.0.2.1"}):
        g = tg.with_context(Context(ctx, closed=False)).graph
        succ = sorted((u, v, k) for u, v, k in g.edges(keys=True))
        pred = sorted((u, v, k) for v in g for u, v, k in g.in_edges(v, keys=True))
        assert succ == pred
        assert g.number_of_nodes() == tg.graph.number_of_nodes()
    assert sorted((u, v, k) for u, v, k in tg.graph.edges(keys=True)) == before


def test_workers_give_the_same_graph(monkeypatch):
    import sys as _sys
    from conftest import DEMO_ORG
    from explorer.graph import builder
    from explorer.snapshot import load_snapshot
    if not DEMO_ORG.exists() or not _sys.platform.startswith("linux"):
        pytest.skip("needs the demo organization and the fork start method")
    monkeypatch.setattr(builder, "PARALLEL_MIN_CANDIDATES", 0)
    snap = load_snapshot(DEMO_ORG)
    serial = build_trust_graph(snap)
    parallel = build_trust_graph(snap, workers=2)
    assert parallel.timings["workers"] == 2

    def edges(t):
        return {(u, v, k, d[S.STATE], d[S.REASON], d[S.REQUIRES]) for u, v, k, d in t.graph.edges(keys=True, data=True)}

    assert edges(serial) == edges(parallel)
    some = next(iter(parallel.graph.edges(data=True)))[2]
    assert isinstance(some[S.DECISION], Decision)
    ctx = Context({"aws:MultiFactorAuthPresent": "true"}, closed=False)
    assert edges(serial.with_context(ctx)) == edges(parallel.with_context(ctx))


def test_with_context_between_open_and_closed_redecides_every_edge():
    """An open context leaves unknown keys conditional; a closed one takes them as absent. Switching between the
    two changes no key's value, yet every candidate must be decided again (it once changed nothing)."""
    from conftest import DEMO_ORG
    from explorer.snapshot import load_snapshot
    snap = load_snapshot(DEMO_ORG)

    def edges(t):
        return {(u, v, k, d[S.STATE], d[S.REQUIRES]) for u, v, k, d in t.graph.edges(keys=True, data=True)}

    opened = build_trust_graph(snap)
    closed = build_trust_graph(snap, Context({}, closed=True))
    assert edges(opened) != edges(closed)  # the demo has conditional edges that a closed context refuses
    assert edges(opened.with_context(Context({}, closed=True))) == edges(closed)
    assert edges(closed.with_context(Context({}, closed=False))) == edges(opened)
    ctx = {"sts:ExternalId": "x"}
    assert (edges(opened.with_context(Context(ctx, closed=True)))
            == edges(build_trust_graph(snap, Context(ctx, closed=True))))


def test_a_trust_policy_problem_note_says_where_the_trust_policy_is(demo_copy):
    import json
    from explorer.snapshot import load_snapshot
    path = demo_copy / "accounts" / "666666666666" / "authorization-details.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    i, role = next((i, r) for i, r in enumerate(data["RoleDetailList"]) if r["RoleName"] == "BreakGlassAdmin")
    trust = role["AssumeRolePolicyDocument"]
    if isinstance(trust, str):
        from urllib.parse import unquote
        trust = json.loads(unquote(trust))
    trust["Statement"][0]["Condition"] = {"StringEqualz": {"aws:PrincipalTag/x": "y"}}
    role["AssumeRolePolicyDocument"] = trust
    path.write_text(json.dumps(data), encoding="utf-8")
    tg = build_trust_graph(load_snapshot(demo_copy))
    notes = tg.graph.nodes["arn:aws:iam::666666666666:role/BreakGlassAdmin"][S.NOTES]
    assert any("StringEqualz" in n and f"accounts/666666666666/authorization-details.json at $.RoleDetailList[{i}]"
               ".AssumeRolePolicyDocument" in n for n in notes), notes


def test_one_sided_decisions_name_the_other_side_not_a_missing_organization():
    """The role side alone leaves the caller's SCPs out and the caller side alone the role account's RCPs: the
    explanation says so, instead of 'not in an organization' for accounts that are in it (O1, O5)."""
    from conftest import DEMO_ORG
    from explorer.snapshot import load_snapshot
    tg = build_trust_graph(load_snapshot(DEMO_ORG))
    d = tg.graph.get_edge_data("arn:aws:iam::222222222222:user/people/alice.nguyen",
                               "arn:aws:iam::222222222222:role/SecurityAdmin")[S.ASSUME_ROLE]

    def notes(decision, layer):
        return [l.note for l in decision.layers if l.layer == layer]

    assert notes(d[S.TRUST_DECISION], "scp") == [
        "the caller's SCPs are part of the caller side (not evaluated in the role side)"]
    assert notes(d[S.IDENTITY_DECISION], "rcp") == [
        "the role account's RCPs are part of the role side (not evaluated in the caller side)"]
    everything = " ".join(l.note or "" for dec in (d[S.TRUST_DECISION], d[S.IDENTITY_DECISION], d[S.DECISION])
                          for l in dec.layers)
    assert "not in an organization" not in everything
