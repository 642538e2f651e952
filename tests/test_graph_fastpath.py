"""The trust graph's fast path (docs/trust-graph.md "Performance") gives exactly the graph of the plain path.

The fast path decides identical sub-problems once (a memo keyed by explorer.iam.evaluate.request_key), compiles
each distinct trust text once (PolicyCompiler, Policy.renamed) and freezes the garbage collector's view of the
graph after the build. With `builder.MEMOISE_DECISIONS` off, every candidate
edge is decided by the engine on its own: both must give the same edges with the same attributes, also after
`with_context` and for a graph built under a context.
"""
from __future__ import annotations

import pytest

from conftest import DEMO_ORG
from explorer.graph import build_trust_graph
from explorer.graph import builder
from explorer.graph import policies as graph_policies
from explorer.graph import schema as S
from explorer.iam import compile_policy
from explorer.iam.context import Context
from explorer.iam.evaluate import evaluate, request_key
from explorer.iam.principal import IAM_USER, ROLE_SESSION, Principal
from explorer.iam.request import Request
from explorer.snapshot import load_snapshot
from explorer.snapshot.synthetic import ORG_ID, generate_org

ATTRS = (S.ACTION, S.STATE, S.REQUIRES, S.CROSS_ACCOUNT, S.REASON, S.BADGES, S.VIA, S.NOTES)
CONTEXTS = ({"aws:MultiFactorAuthPresent": "true"}, {"sts:ExternalId": "x"}, {"aws:PrincipalOrgID": ORG_ID},
            {"aws:PrincipalOrgID": "o-other"}, {"aws:SourceIp": "10.0.0.1"},
            {"aws:TokenIssueTime": "2026-01-01T00:00:00Z"},
            {"aws:MultiFactorAuthPresent": "false", "sts:ExternalId": "vendor"})


def _edges(tg, decisions: bool) -> dict:
    out = {}
    for u, v, k, d in tg.graph.edges(keys=True, data=True):
        rec = {a: d[a] for a in ATTRS}
        rec[S.SESSION_TAGS] = d.get(S.SESSION_TAGS)
        if decisions:
            for a in (S.DECISION, S.TRUST_DECISION, S.IDENTITY_DECISION):
                rec[a] = None if d[a] is None else d[a].to_json()
        out[(u, v, k)] = rec
    return out


def _both(snapshot, monkeypatch, context=None):
    fast = build_trust_graph(snapshot, context=context)
    with monkeypatch.context() as m:
        m.setattr(builder, "MEMOISE_DECISIONS", False)
        m.setattr(builder, "FREEZE_AFTER_BUILD", False)
        m.setattr(graph_policies, "SHARED_COMPILATION", ())  # every trust policy compiled on its own
        plain = build_trust_graph(snapshot, context=context)
    assert fast._memo is not None and plain._memo is None
    return fast, plain


def _compare(fast, plain, decisions: bool) -> None:
    a, b = _edges(fast, decisions), _edges(plain, decisions)
    assert a.keys() == b.keys()
    diffs = [e for e in a if a[e] != b[e]]
    assert not diffs, (diffs[:3], [(a[e], b[e]) for e in diffs[:1]])
    assert not any("\x00" in r[S.REASON] for r in a.values())  # the memo's placeholder never shows


@pytest.fixture(scope="module")
def demo():
    return load_snapshot(DEMO_ORG)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    folder = generate_org(tmp_path_factory.mktemp("synth") / "org", accounts=12, principals_per_account=15, seed=1)
    return load_snapshot(folder)


def test_demo_org_fast_path_matches_plain_path(demo, monkeypatch):
    fast, plain = _both(demo, monkeypatch)
    assert fast.graph.number_of_edges() > 50
    _compare(fast, plain, decisions=True)
    for ctx in CONTEXTS:
        _compare(fast.with_context(Context(ctx, closed=False)), plain.with_context(Context(ctx, closed=False)),
                 decisions=True)


def test_synthetic_org_fast_path_matches_plain_path(synthetic, monkeypatch):
    fast, plain = _both(synthetic, monkeypatch)
    states = {d[S.STATE] for _, _, d in fast.graph.edges(data=True)}
    assert states == {S.ALLOWED, S.CONDITIONAL, S.DENIED}
    # identical sub-problems were decided once
    assert len(fast._memo) < fast.graph.number_of_edges() / 2
    _compare(fast, plain, decisions=False)
    for ctx in CONTEXTS:
        f2, p2 = fast.with_context(Context(ctx, closed=False)), plain.with_context(Context(ctx, closed=False))
        assert f2.timings["reevaluated"] == p2.timings["reevaluated"]
        _compare(f2, p2, decisions=False)


def test_role_twins_share_decisions_and_match_the_plain_path(synthetic, monkeypatch):
    """Role twins (explorer/graph/role_twins.py): most candidates of the synthetic organization find their outcome
    by their twin key, without a request, and the graph is the same with twins off (and without the memo at all,
    above); tests/scenarios/graph/role_twins.json has the roles they must keep apart."""
    fast = build_trust_graph(synthetic)
    assert fast._twins is not None
    # (202 twin keys for 365 candidates here; 93,801 for 465,362 in the 1,000-account benchmark)
    assert len(fast._twin_memo) < 0.6 * len(fast.candidates)
    with monkeypatch.context() as m:
        m.setattr(builder, "TWINS", False)
        alone = build_trust_graph(synthetic)
    assert alone._twins is None and not alone._twin_memo
    _compare(fast, alone, decisions=False)
    ctx = Context({"aws:PrincipalOrgID": "o-other"}, closed=False)
    _compare(fast.with_context(ctx), alone.with_context(ctx), decisions=False)


def test_synthetic_org_built_under_a_context(synthetic, monkeypatch):
    ctx = Context({"aws:MultiFactorAuthPresent": "true", "aws:PrincipalOrgID": ORG_ID}, closed=False)
    fast, plain = _both(synthetic, monkeypatch, ctx)
    _compare(fast, plain, decisions=False)


def test_session_tag_edges_match_plain_path(monkeypatch):
    """Edges that session tags open (docs/trust-graph.md "Session tags") are the same on both paths, built under a
    context or re-decided from another one, including fixing a principal tag to the role's own value and back."""
    from pathlib import Path
    from graph_scenarios import build_snapshot, load_scenario
    path = Path(__file__).parent / "scenarios" / "graph" / "D11_session_tags_on_role_sessions.json"
    snap = build_snapshot(load_scenario(path), path.stem)
    fast, plain = _both(snap, monkeypatch)
    assert any(d.get(S.SESSION_TAGS) for _, _, d in fast.graph.edges(data=True))
    _compare(fast, plain, decisions=True)
    for ctx in ({"aws:PrincipalTag/team": "dev"}, {"aws:PrincipalTag/team": "admin"}, {"sts:ExternalId": "x"}):
        f2, p2 = fast.with_context(Context(ctx, closed=False)), plain.with_context(Context(ctx, closed=False))
        _compare(f2, p2, decisions=True)
        _compare(f2.with_context(Context({}, closed=False)), fast, decisions=True)
        built = build_trust_graph(snap, Context(ctx, closed=False))
        _compare(f2, built, decisions=True)


def test_denied_reason_names_each_role(synthetic):
    """A memoised 'no identity policy allows ... on <role>' reason is reused for other roles: it names its own."""
    tg = build_trust_graph(synthetic)
    named = [(v, d[S.REASON]) for _, v, d in tg.graph.edges(data=True)
             if "no identity policy allows" in d[S.REASON]]
    assert named
    for role, reason in named:
        assert reason.rstrip(")").split(" on ")[-1].split(" ")[0] == role


def test_renamed_policy_names_itself_and_decides_the_same():
    """Policy.renamed (a trust text compiled once for every role that has it): the same decisions, with its own
    name in labels, explanations and a Deny's memo token; the original keeps its own."""
    doc = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "sts:AssumeRole"},
        {"Sid": "NoBob", "Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::111111111111:user/bob"},
         "Action": "sts:AssumeRole"},
        {"Effect": "Allow", "Principal": {"AWS": "111111111111"}, "Action": "sts:AssumeRole", "Bogus": 1}]}
    first = compile_policy(doc, name="trust policy of A", kind="trust", source="a.json")
    assert first.statements[1].memo_token and first.statements[1].matched().policy == "trust policy of A"
    copy = dict(doc)
    second = first.renamed(copy, name="trust policy of B", source="b.json")
    fresh = compile_policy(copy, name="trust policy of B", kind="trust", source="b.json")
    assert second.document is copy and second.source == "b.json"
    assert second.problems == fresh.problems and second.problems  # (the bogus element)
    assert [st.label() for st in second.statements] == [st.label() for st in fresh.statements]
    assert second.statements[1].label() == "trust policy of B / NoBob"
    assert first.statements[1].label() == "trust policy of A / NoBob"
    assert second.statements[1].memo_token == fresh.statements[1].memo_token != first.statements[1].memo_token
    assert second.statements[0].memo_token == first.statements[0].memo_token  # (an Allow names no policy)
    assert second.statements[1].matched().policy == "trust policy of B"
    for user in ("alice", "bob"):
        p = Principal(arn=f"arn:aws:iam::111111111111:user/{user}", kind=IAM_USER, account_id="111111111111")
        decisions = []
        for pol in (second, fresh):
            req = Request(principal=p, action="sts:AssumeRole", resource="arn:aws:iam::222222222222:role/B",
                          context=Context(closed=False), resource_account="222222222222",
                          identity_policies=[ADMIN], resource_policy=pol)
            decisions.append(evaluate(req).to_json())
        assert decisions[0] == decisions[1]
    bob = evaluate(Request(principal=Principal(arn="arn:aws:iam::111111111111:user/bob", kind=IAM_USER,
                                               account_id="111111111111"),
                           action="sts:AssumeRole", resource="arn:aws:iam::222222222222:role/B",
                           context=Context(closed=False), resource_account="222222222222",
                           identity_policies=[ADMIN], resource_policy=second))
    assert "trust policy of B / NoBob" in bob.reason


# ---- request_key itself -------------------------------------------------------------------------------------
TRUST = compile_policy({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "sts:AssumeRole"}]},
    name="trust", kind="trust")
ADMIN = compile_policy({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*",
                                                                "Resource": "*"}]}, name="admin", kind="identity")
BY_ARN = compile_policy({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*",
     "Condition": {"StringLike": {"aws:PrincipalArn": "arn:aws:iam::111111111111:user/a*"}}}]},
    name="by-arn", kind="identity")


def _req(user: str, identity, role: str = "arn:aws:iam::111111111111:role/target", **kw) -> Request:
    p = Principal(arn=f"arn:aws:iam::111111111111:user/{user}", kind=IAM_USER, account_id="111111111111")
    return Request(principal=p, action="sts:AssumeRole", resource=role, context=Context(closed=False),
                   resource_account="111111111111", identity_policies=identity, resource_policy=TRUST, **kw)


def test_request_key_ignores_what_no_statement_reads():
    intern: dict = {}
    a, b = _req("alice", [ADMIN]), _req("bob", [ADMIN])
    assert request_key(a, intern) == request_key(b, intern)
    assert evaluate(a).reason == evaluate(b).reason
    # another role of the same account: equal only without the resource in the key
    c = _req("bob", [ADMIN], role="arn:aws:iam::111111111111:role/other")
    assert request_key(a, intern) != request_key(c, intern)
    assert request_key(a, intern, resource_in_key=False) == request_key(c, intern, resource_in_key=False)


def test_request_key_follows_what_statements_read():
    intern: dict = {}
    alice, bob = _req("alice", [BY_ARN]), _req("bob", [BY_ARN])
    assert evaluate(alice).allowed and not evaluate(bob).allowed
    assert request_key(alice, intern) != request_key(bob, intern)
    # a role session: its kind is part of the key
    p = Principal(arn="arn:aws:sts::111111111111:assumed-role/r/s", kind=ROLE_SESSION, account_id="111111111111",
                  role_arn="arn:aws:iam::111111111111:role/r")
    sess = Request(principal=p, action="sts:AssumeRole", resource="arn:aws:iam::111111111111:role/target",
                   context=Context(closed=False), resource_account="111111111111", identity_policies=[ADMIN],
                   resource_policy=TRUST)
    assert request_key(sess, intern) != request_key(_req("alice", [ADMIN]), intern)


def test_request_key_declines_what_it_does_not_cover():
    assert request_key(_req("alice", [{"Version": "2012-10-17", "Statement": []}])) is None  # a document
    tags = _req("alice", [ADMIN])
    tags.context = Context({"aws:RequestTag/team": "x"}, closed=False)
    assert request_key(tags) is None  # session tags: sts:TagSession is decided too (T9)


# -- with_context: re-deciding by groups of one old memo key (builder._Regroup) and the copy-on-write adjacency
REGROUP_CONTEXTS = ({"aws:PrincipalOrgID": "o-other"}, {"aws:PrincipalOrgID": ORG_ID},
                    {"aws:SourceIp": "10.0.0.1"}, {"aws:PrincipalOrgID": "o-exmplcorp01"})


def _adjacency(tg) -> dict:
    return {u: {v: dict(kd) for v, kd in nbrs.items()} for u, nbrs in tg.graph._succ.items()}


def _check_structure(tg) -> None:
    """_succ and _pred describe the same edges with one shared key dict per (u, v), and no empty key dict."""
    g = tg.graph
    assert g._adj is g._succ
    n = 0
    for u, nbrs in g._succ.items():
        for v, kd in nbrs.items():
            assert kd and g._pred[v][u] is kd
            n += len(kd)
    assert n == sum(len(kd) for nbrs in g._pred.values() for kd in nbrs.values()) == g.number_of_edges()
    assert set(g._succ) == set(g._pred) == set(g._node)


@pytest.mark.parametrize("which", ["demo", "synthetic"])
def test_grouped_reevaluation_matches_plain_path(which, demo, synthetic, monkeypatch):
    """Re-deciding by groups gives the plain path's graph (each candidate decided by the engine on its own) and
    the fast path's without groups, also for a with_context of a with_context (keys decided under older values)
    and for the key fixed back to its first value."""
    snap = demo if which == "demo" else synthetic
    fast, plain = _both(snap, monkeypatch)
    previous_f, previous_p = fast, plain
    for ctx in (*REGROUP_CONTEXTS, {}, REGROUP_CONTEXTS[0]):
        f2 = previous_f.with_context(Context(ctx, closed=False))
        p2 = previous_p.with_context(Context(ctx, closed=False))
        with monkeypatch.context() as m:
            m.setattr(builder, "GROUP_REDECIDE", False)
            single = previous_f.with_context(Context(ctx, closed=False))
        assert single.timings["groups"] is None
        assert f2.timings["reevaluated"] == p2.timings["reevaluated"] == single.timings["reevaluated"]
        _compare(f2, p2, decisions=which == "demo")
        _compare(f2, single, decisions=False)
        _check_structure(f2)
        previous_f, previous_p = f2, p2


def test_grouped_reevaluation_decides_few_groups(synthetic):
    """Fixing aws:PrincipalOrgID changes a key nearly every edge depends on, the same way for every principal of
    the organization: the re-decided candidates fall in few groups."""
    tg = build_trust_graph(synthetic)
    tg2 = tg.with_context(Context({"aws:PrincipalOrgID": "o-other"}, closed=False))
    assert tg2.timings["reevaluated"] > tg.graph.number_of_edges() / 2
    assert tg2.timings["groups"] is not None and tg2.timings["groups"] < tg2.timings["reevaluated"] / 2


@pytest.mark.parametrize("which", ["demo", "synthetic"])
def test_with_context_leaves_the_old_graph_unchanged(which, demo, synthetic):
    """The new graph shares the old one's unchanged adjacency (copy-on-write): the old graph keeps its edges and
    both graphs have a consistent structure, equal to a graph built under the new context."""
    snap = demo if which == "demo" else synthetic
    tg = build_trust_graph(snap)
    before = _adjacency(tg)
    for ctx in REGROUP_CONTEXTS:
        tg2 = tg.with_context(Context(ctx, closed=False))
        assert _adjacency(tg) == before
        _check_structure(tg)
        _check_structure(tg2)
        built = build_trust_graph(snap, context=Context(ctx, closed=False))
        assert set(tg2.graph.edges(keys=True)) == set(built.graph.edges(keys=True))
        assert tg2.graph.number_of_edges() == len({e for e in tg2.graph.edges(keys=True)})
    if which == "synthetic":  # the organization's key removed edges, and those are gone from the new graph only
        tg2 = tg.with_context(Context({"aws:PrincipalOrgID": "o-other"}, closed=False))
        gone = set(tg.graph.edges(keys=True)) - set(tg2.graph.edges(keys=True))
        assert gone and all(tg.graph.has_edge(u, v, k) and not tg2.graph.has_edge(u, v, k) for u, v, k in gone)


def _perimeter_snapshot():
    """Two callers of two accounts of the organization whose requests differ only in their account, and an RCP
    that reads aws:PrincipalOrgID together with aws:PrincipalAccount (one account excepted)."""
    from graph_scenarios import build_snapshot
    allow = [[{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]]
    return build_snapshot({
        "organization": {"id": "o-1", "master": "333333333333",
                         "accounts": {"111111111111": "r-1", "222222222222": "r-1", "555555555555": "r-1"},
                         "rcps": [{"name": "Perimeter", "targets": ["r-1"], "statements": [
                             {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole", "Resource": "*",
                              "Condition": {"StringNotEqualsIfExists": {
                                  "aws:PrincipalOrgID": "o-1", "aws:PrincipalAccount": ["111111111111"]}}}]}]},
        "accounts": {
            "111111111111": {"users": [{"name": "excepted", "policies": allow}]},
            "555555555555": {"users": [{"name": "member", "policies": allow}]},
            "222222222222": {"roles": [{"name": "R", "trust": [
                {"Effect": "Allow", "Principal": {"AWS": ["111111111111", "555555555555"]},
                 "Action": "sts:AssumeRole"}]}]}}})


def test_grouping_keeps_apart_what_a_co_read_key_separates(monkeypatch):
    """Under aws:PrincipalOrgID = o-1 both callers get the same memo key (the Deny does not apply to either);
    under o-other only the excepted account escapes it. Grouping by the old key and the new value of the changed
    key alone would give both the same answer: the values of the keys read with it keep them apart."""
    snap = _perimeter_snapshot()
    role = "arn:aws:iam::222222222222:role/R"
    excepted, member = "arn:aws:iam::111111111111:user/excepted", "arn:aws:iam::555555555555:user/member"
    fast, plain = _both(snap, monkeypatch, Context({"aws:PrincipalOrgID": "o-1"}, closed=False))
    assert fast._memo_codes[(excepted, role, S.ASSUME_ROLE)] == fast._memo_codes[(member, role, S.ASSUME_ROLE)]
    other = Context({"aws:PrincipalOrgID": "o-other"}, closed=False)
    f2, p2 = fast.with_context(other), plain.with_context(other)
    assert f2.timings["groups"] is not None
    _compare(f2, p2, decisions=True)
    assert f2.graph[excepted][role][S.ASSUME_ROLE][S.STATE] == S.ALLOWED
    assert f2.graph[member][role][S.ASSUME_ROLE][S.STATE] == S.DENIED


def test_graph_built_in_workers_records_its_keys_and_is_regrouped(demo, monkeypatch):
    """Workers send their memo keys with the process-local numbers replaced by what they stand for
    (_PortableKeys); this process records them, so a graph built with workers re-evaluates by groups, with the
    serial build's keys (the same groups) and the same answers."""
    import sys as _sys
    if not _sys.platform.startswith("linux"):
        pytest.skip("needs the fork start method")
    monkeypatch.setattr(builder, "PARALLEL_MIN_CANDIDATES", 0)
    parallel = build_trust_graph(demo, workers=2)
    serial = build_trust_graph(demo)
    assert parallel.timings["workers"] == 2
    assert set(parallel._memo_codes) == set(serial._memo_codes) and len(serial._memo_codes) > 100
    # equal keys in one build are equal keys in the other (the numbers differ, the partition is the same)
    by_code_p: dict = {}
    by_code_s: dict = {}
    for ck in serial._memo_codes:
        by_code_p.setdefault(parallel._memo_codes[ck], set()).add(ck)
        by_code_s.setdefault(serial._memo_codes[ck], set()).add(ck)
    assert sorted(map(sorted, by_code_p.values())) == sorted(map(sorted, by_code_s.values()))
    for ctx in ({"aws:PrincipalOrgID": "o-other"}, {"aws:SourceIp": "10.0.0.1"}):
        p2, s2 = parallel.with_context(Context(ctx, closed=False)), serial.with_context(Context(ctx, closed=False))
        assert p2.timings["groups"] is not None and s2.timings["groups"] is not None
        assert p2.timings["groups"] == s2.timings["groups"]
        _compare(p2, s2, decisions=False)
