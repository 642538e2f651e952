"""Data-driven trust-graph scenarios: one file per rule in tests/scenarios/graph/ (format: tests/graph_scenarios.py).

Each case is checked twice: on a graph re-decided with `with_context` from the open-context graph, and on a graph
built from scratch under the case's context; both must agree.
"""
from __future__ import annotations

import pytest

from explorer.graph import build_trust_graph
from explorer.graph import schema as S
from explorer.iam.context import Context
from explorer.iam.settings import Settings
from graph_scenarios import build_snapshot, load_scenario, scenario_files

FILES = scenario_files()


def _cases():
    for path in FILES:
        spec = load_scenario(path)
        for i, case in enumerate(spec["cases"]):
            yield pytest.param(path, i, id=f"{path.stem}[{case.get('name', i)}]")


def _node(tg, ref: str) -> str:
    node = tg.node_for(ref)
    assert node is not None, f"{ref!r} does not resolve to a node"
    return node


def _check(tg, case: dict, where: str) -> None:
    g = tg.graph
    for node_ref, kind in (case.get("nodes") or {}).items():
        assert g.nodes[_node(tg, node_ref)][S.KIND] == kind, f"{where}: kind of {node_ref}"
    for exp in case.get("edges", []):
        u = _node(tg, exp["from"])
        v = _node(tg, exp["to"])
        label = f"{where}: {exp['from']} -> {exp['to']}"
        action = exp.get("action")
        edges = dict(g[u][v]) if g.has_edge(u, v) else {}
        if action is not None and action in edges:
            edges = {action: edges[action]}
        elif action is not None:
            edges = {}
        if exp["state"] == "absent":
            assert not edges, f"{label}: expected no edge, got {[(k, d[S.STATE], d[S.REASON]) for k, d in edges.items()]}"
            continue
        assert edges, f"{label}: expected a {exp['state']} edge, there is none"
        assert len(edges) == 1, f"{label}: several edges {list(edges)}"
        (key, data), = edges.items()
        assert data[S.STATE] == exp["state"], f"{label}: state {data[S.STATE]} ({data[S.REASON]})"
        assert data[S.ACTION] == key
        if "badges" in exp:
            assert list(data[S.BADGES]) == exp["badges"], f"{label}: badges {data[S.BADGES]}"
        if "requires_keys" in exp:
            keys = {r.key.lower() for alt in data[S.REQUIRES] for r in alt}
            assert keys == {k.lower() for k in exp["requires_keys"]}, f"{label}: requirement keys {keys}"
        if "session_tags" in exp:
            got = list(data.get(S.SESSION_TAGS) or ())
            assert got == exp["session_tags"], f"{label}: session tags {got}"
            if got:
                assert any("session tags" in n for n in data[S.NOTES]), f"{label}: notes {data[S.NOTES]}"
        if "cross_account" in exp:
            assert data[S.CROSS_ACCOUNT] is exp["cross_account"], f"{label}: cross_account"
        if "reason_contains" in exp:
            assert exp["reason_contains"].lower() in data[S.REASON].lower(), f"{label}: reason {data[S.REASON]}"
        # every edge explains both sides
        assert data[S.DECISION] is not None and data[S.REASON]
        trust = data[S.TRUST_DECISION]
        assert trust is not None
        if exp["state"] != "denied":
            assert trust.allowed, f"{label}: trust side {trust.reason}"
        assert S.IDENTITY_DECISION in data
        if exp["state"] == "conditional":
            assert data[S.REQUIRES] and data[S.BADGES]
        else:
            assert not data[S.REQUIRES]
    for ref in case.get("no_out_edges", []):
        node = _node(tg, ref)
        assert g.out_degree(node) == 0, f"{where}: {ref} has out edges {list(g.out_edges(node))}"
    for ref in case.get("no_in_edges", []):
        node = _node(tg, ref)
        assert g.in_degree(node) == 0, f"{where}: {ref} has in edges {list(g.in_edges(node))}"
    for exp in case.get("chains", []):
        _check_chains(tg, exp, where)
    for ref, text in (case.get("role_notes") or {}).items():
        notes = " | ".join(g.nodes[_node(tg, ref)][S.NOTES])
        assert text.lower() in notes.lower(), f"{where}: notes of {ref}: {notes}"


def _check_chains(tg, exp: dict, where: str) -> None:
    """The chains from one node to another (explorer.analysis.paths, or console_switch with "console")."""
    from explorer.analysis.console_switch import console_graph, console_paths
    from explorer.analysis.paths import find_paths
    src, dst = _node(tg, exp["from"]), _node(tg, exp["to"])
    denied = bool(exp.get("include_denied"))
    if exp.get("console"):
        paths = console_paths(console_graph(tg), src, dst, include_denied=denied)
    else:
        paths = find_paths(tg, src, dst, include_denied=denied)
    label = f"{where}: {'console ' if exp.get('console') else ''}chains {exp['from']} -> {exp['to']}"
    want = [[_node(tg, ref) for ref in nodes] for nodes in exp["paths"]]
    assert [p.nodes for p in paths] == want, f"{label}: {[p.nodes for p in paths]}"
    if not paths:
        return
    first = paths[0]
    if "max_session" in exp:
        assert first.max_session_seconds == exp["max_session"], f"{label}: session {first.max_session_seconds}"
    if "limited_by" in exp:
        assert first.limited_by == exp["limited_by"], f"{label}: limited by {first.limited_by}"
    if "conditional" in exp:
        assert first.conditional is exp["conditional"], f"{label}: conditional {first.conditional}"
    if "blocked" in exp:
        assert bool(first.session_tags_blocked) is exp["blocked"], f"{label}: blocked {first.session_tags_blocked}"


_BASE: dict = {}


def _base_graph(path, settings):
    key = (path, settings)
    if key not in _BASE:
        _BASE[key] = build_trust_graph(build_snapshot(load_scenario(path), path.stem), Context(closed=False),
                                       settings)
    return _BASE[key]


@pytest.mark.parametrize("path,index", list(_cases()))
def test_graph_scenario(path, index):
    spec = load_scenario(path)
    case = spec["cases"][index]
    settings = Settings.from_json({**(spec.get("settings") or {}), **(case.get("settings") or {})})
    context = Context(case.get("context") or {}, closed=False)
    fresh = build_trust_graph(build_snapshot(spec, path.stem), context, settings)
    _check(fresh, case, f"{path.name} [{case.get('name')}] built")
    rebased = _base_graph(path, settings).with_context(context)
    _check(rebased, case, f"{path.name} [{case.get('name')}] with_context")
    same = {(u, v, k, d[S.STATE], tuple(d[S.BADGES])) for u, v, k, d in fresh.graph.edges(keys=True, data=True)}
    other = {(u, v, k, d[S.STATE], tuple(d[S.BADGES])) for u, v, k, d in rebased.graph.edges(keys=True, data=True)}
    assert same == other


def test_every_scenario_file_has_rules_and_cases():
    assert len(FILES) >= 20
    for path in FILES:
        spec = load_scenario(path)
        assert spec.get("title") and spec.get("rules") and spec.get("cases"), path.name
