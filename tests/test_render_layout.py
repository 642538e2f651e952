"""Layout and scene building (no Qt): layering, bands, views, geometry."""
from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from explorer.graph import schema as S
from explorer.render import layout as L
from explorer.render import scene as SC
from explorer.render import style as ST
from ui_fixtures import DEV, FOREIGN, MGMT, PROD, arn, large_graph, small_estate, small_graph


def test_longest_path_layering_breaks_cycles():
    nodes = ["a", "b", "c", "d"]
    layers = L.longest_path_layers(nodes, [("a", "b"), ("b", "c"), ("c", "b"), ("a", "c"), ("c", "d")])
    assert layers["a"] == 0
    assert layers["b"] < layers["c"] < layers["d"]  # the back edge c->b is ignored
    assert layers["d"] == 3


def test_break_cycles_leaves_a_dag():
    g = nx.gnp_random_graph(60, 0.08, seed=3, directed=True)
    succ = {n: list(g.successors(n)) for n in g}
    back = L.break_cycles(succ, list(g))
    dag = nx.DiGraph([(u, v) for u, v in g.edges if (u, v) not in back])
    assert nx.is_directed_acyclic_graph(dag)


def test_layout_places_callers_left_and_groups_bands_by_ou():
    g, est = small_graph(), small_estate()
    lay = L.layered_layout(g, est)
    alice, admin = arn(MGMT, "user", "alice"), arn(MGMT, "role", "OrgAdmin")
    deploy, ro = arn(DEV, "role", "Deployer"), arn(PROD, "role", "ReadOnly")
    assert lay.pos[alice][0] < lay.pos[admin][0] < lay.pos[deploy][0]
    assert lay.layers[deploy] < lay.layers[ro]  # the cycle Deployer <-> ReadOnly is broken one way
    keys = [b.key for b in lay.bands]
    assert keys == [MGMT, DEV, PROD, L.FOREIGN_BAND, L.EXTERNAL_BAND]  # root, Workloads/NonProd, Workloads/Prod
    for n, (x, y) in lay.pos.items():
        band = next(b for b in lay.bands if b.key == lay.band_of[n])
        assert band.y0 < y < band.y1 and band.x0 <= x <= band.x1
    # no two nodes share a place
    assert len(set(lay.pos.values())) == len(lay.pos)


def test_denied_edges_do_not_layer():
    g, est = small_graph(), small_estate()
    lay = L.layered_layout(g, est)
    # bob -> ProdAdmin is denied: ProdAdmin's layer comes from OrgAdmin (conditional) and the prod root
    assert lay.layers[arn(PROD, "role", "ProdAdmin")] == lay.layers[arn(MGMT, "role", "OrgAdmin")] + 1


def test_wide_cells_wrap_into_sub_columns():
    g, est = large_graph(2000, 3000, accounts=2)
    lay = L.layered_layout(g, est)
    for b in lay.bands:
        assert (b.y1 - b.y0) <= L.BAND_PAD_TOP + L.MAX_ROWS * L.ROW_H + L.BAND_PAD_BOTTOM + 1
    assert len(set(lay.pos.values())) == len(lay.pos)


def test_scene_styles_edges_by_account_and_state():
    g, est = small_graph(), small_estate()
    sc = SC.build_scene(g, est)
    cross_cond = sc.edge_pairs[ST.edge_style_key(True, S.CONDITIONAL)]
    assert (f"arn:aws:iam::{FOREIGN}:root", arn(PROD, "role", "ReadOnly")) in cross_cond
    same_cond = sc.edge_pairs[ST.edge_style_key(False, S.CONDITIONAL)]
    assert (arn(MGMT, "user", "alice"), arn(MGMT, "role", "OrgAdmin")) in same_cond
    assert not sc.edge_pairs[ST.edge_style_key(True, S.DENIED)]  # hidden by default
    assert {b[2] for b in sc.badges} >= {"MFA", "ExternalId"}
    shown = SC.build_scene(g, est, show_denied=True)
    assert (arn(DEV, "user", "bob"), arn(PROD, "role", "ProdAdmin")) in shown.edge_pairs[
        ST.edge_style_key(True, S.DENIED)]
    # a coarse outline of two segments per edge, the drawn curve of `curve_segs` segments per edge, and one
    # arrowhead per target (and arrival direction) at most
    for key, pairs in sc.edge_pairs.items():
        assert sc.edge_segments[key].shape == (2 * len(pairs), 4)
        assert sc.edge_curves[key].shape == (sc.curve_segs * len(pairs), 4)
        targets = {v for _u, v in pairs}
        assert len(targets) <= len(sc.arrows[key]) <= len(pairs)
        for i, (u, v) in enumerate(pairs):  # each drawn edge runs from its source to its target
            poly = sc.edge_polyline(key, i)
            assert np.allclose(poly[0, :2], sc.position(u)) and np.allclose(poly[-1, 2:], sc.position(v))
            assert np.allclose(poly[1:, :2], poly[:-1, 2:])  # connected
    assert ST.EDGE_STYLES[ST.edge_style_key(False, S.CONDITIONAL)].dash
    assert not ST.EDGE_STYLES[ST.edge_style_key(False, S.ALLOWED)].dash


def test_overview_aggregates_cross_account_edges():
    g, est = small_graph(), small_estate()
    sc = SC.build_scene(g, est, SC.View(SC.OVERVIEW))
    assert set(sc.ids) == {MGMT, DEV, PROD, L.FOREIGN_BAND, L.EXTERNAL_BAND}
    agg = sc.overview_edges[(MGMT, DEV)]
    assert agg["count"] == 1 and agg[S.ALLOWED] == 1
    assert any(text.startswith("×") for *_xy, text in sc.badges)
    assert "dev" in sc.node_tooltip(DEV)


def test_focus_and_path_views():
    g, est = small_graph(), small_estate()
    admin = arn(MGMT, "role", "OrgAdmin")
    one = SC.build_scene(g, est, SC.View(SC.FOCUS, focus=admin, hops=1))
    assert admin in one.index and arn(MGMT, "user", "alice") in one.index
    assert arn(PROD, "role", "ReadOnly") not in one.index
    two = SC.build_scene(g, est, SC.View(SC.FOCUS, focus=admin, hops=2))
    assert arn(PROD, "role", "ReadOnly") in two.index
    seq = [arn(MGMT, "user", "alice"), admin, arn(DEV, "role", "Deployer")]
    sc = SC.build_scene(g, est, SC.View(SC.PATH, path_nodes=tuple(seq)), highlight=SC.path_highlight([seq]))
    assert sc.ids and set(sc.ids) == set(seq)
    assert len(sc.edge_pairs[ST.HIGHLIGHT]) == 2
    acct = SC.build_scene(g, est, SC.View(SC.ACCOUNT, account=PROD))
    assert arn(PROD, "role", "ProdAdmin") in acct.index and admin in acct.index  # a caller from another account


def test_layout_cache_reuses_positions():
    g, est = small_graph(), small_estate()
    cache = L.LayoutCache()
    a = SC.build_scene(g, est, cache=cache, generation=1)
    g2 = g.copy()
    for u, v, k, d in g2.edges(keys=True, data=True):
        d[S.STATE] = S.ALLOWED
    b = SC.build_scene(g2, est, cache=cache, generation=1)
    assert np.array_equal(a.xs, b.xs) and np.array_equal(a.ys, b.ys)


def test_tooltips_and_caption():
    g, est = small_graph(), small_estate()
    sc = SC.build_scene(g, est)
    tip = sc.node_tooltip(arn(MGMT, "role", "OrgAdmin"))
    assert "MaxSessionDuration 2 h" in tip and "management" in tip
    etip = sc.edge_tooltip(arn(MGMT, "user", "alice"), arn(MGMT, "role", "OrgAdmin"))
    assert "requires aws:MultiFactorAuthPresent Bool true" in etip
    assert sc.caption[0].startswith("fixture-org") and "2026-01-02" in sc.caption[0]


def test_large_scene_builds_quickly_enough_to_be_useful():
    g, est = large_graph(3000, 9000)
    sc = SC.build_scene(g, est)
    assert sc.node_count == 3000
    assert sc.edge_count > 5000
    assert sc.width < 20 * L.COL_W * 10  # layers are capped, the picture stays readable


# ---- readability: rows, columns sized by labels, crossings, label cuts, curves -------------------------------

def _columns(lay):
    cols: dict[float, list] = {}
    for n, (x, _y) in lay.pos.items():
        cols.setdefault(x, []).append(n)
    return dict(sorted(cols.items()))


def test_labels_fit_their_column_and_rows_do_not_overlap():
    g, est = large_graph(600, 1500, accounts=4)
    lay = L.layered_layout(g, est)
    xs = sorted(_columns(lay))
    for n, (x, y) in lay.pos.items():
        # the label (to the right of the node, at most its column's room) ends before the next column starts
        nxt = next((c for c in xs if c > x), None)
        if nxt is not None:
            assert x + L.NODE_W / 2 + lay.label_room[n] + 20 < nxt
        room = lay.label_room[n]
        assert L.label_width(str(g.nodes[n][S.LABEL])) <= room <= L.LABEL_MAX_W
    for x, members in _columns(lay).items():
        ys = sorted(lay.pos[n][1] for n in members)
        assert all(b - a >= L.ROW_H - 1e-6 for a, b in zip(ys, ys[1:]))  # one row per node, never closer


def test_columns_are_as_wide_as_their_longest_label():
    g, est = small_graph(), small_estate()
    lay = L.layered_layout(g, est)
    cols = list(_columns(lay).items())
    for (x, members), (nx_, _m) in zip(cols, cols[1:]):
        widest = max(L.label_width(str(g.nodes[n][S.LABEL])) for n in members)
        assert nx_ - x == pytest.approx(L.NODE_W + max(widest, L.LABEL_MIN_W) + L.COL_GAP, abs=1.0)


def test_barycentre_ordering_uncrosses_a_ladder():
    # two columns in one account: a_i -> b_i; the names are chosen so that sorting by name alone would cross
    # every edge; the sweeps must put each b next to its a
    g = nx.MultiDiGraph()
    callers = [arn(MGMT, "user", f"u{i}") for i in range(6)]
    targets = [arn(MGMT, "role", f"r{5 - i}") for i in range(6)]
    for i, (u, v) in enumerate(zip(callers, targets)):
        g.add_node(u, **{S.KIND: S.USER, S.LABEL: f"u{i}", S.ACCOUNT_ID: MGMT})
        g.add_node(v, **{S.KIND: S.ROLE, S.LABEL: f"r{5 - i}", S.ACCOUNT_ID: MGMT})
        g.add_edge(u, v, key=S.ASSUME_ROLE, **{S.STATE: S.ALLOWED, S.CROSS_ACCOUNT: False})
    lay = L.layered_layout(g, small_estate())
    for u, v in zip(callers, targets):
        assert lay.pos[u][1] == pytest.approx(lay.pos[v][1])  # level edges: no crossing at all


def test_layout_is_deterministic():
    g, est = large_graph(400, 900, accounts=3)
    a, b = L.layered_layout(g, est), L.layered_layout(g.copy(), est)
    assert a.pos == b.pos and [x.key for x in a.bands] == [x.key for x in b.bands]


def test_long_labels_are_cut_at_the_end_short_ones_never():
    assert ST.elide_end("OrganizationAccountAccessRole", L.LABEL_MAX_W) == "OrganizationAccountAccessRole"
    long = "token.actions.githubusercontent.com/very/long/provider/name"
    cut = ST.elide_end(long, L.LABEL_MAX_W)
    assert cut.endswith("…") and long.startswith(cut[:-1]) and ST.text_width(cut) <= L.LABEL_MAX_W
    assert L.label_width(long) == L.LABEL_MAX_W  # the column room is capped: the tooltip has the full name


def test_edges_leave_and_arrive_level_with_one_arrowhead_per_target():
    g, est = small_graph(), small_estate()
    sc = SC.build_scene(g, est)
    assert sc.curve_segs > 2
    key = ST.edge_style_key(True, S.ALLOWED)
    for i, (u, v) in enumerate(sc.edge_pairs[key]):
        poly = sc.edge_polyline(key, i)
        x0, y0 = sc.position(u)
        assert poly[0, 1] == pytest.approx(y0) and poly[0, 3] == pytest.approx(y0)  # the stub under the label
        assert poly[0, 2] > x0  # leaves at the end of the label
    # arrowheads sit at targets and point along the arrival direction (level edges: 0 degrees)
    for x, y, ang in sc.arrows[key]:
        assert any(np.allclose((x, y), sc.position(v)) for _u, v in sc.edge_pairs[key])
        assert -180 <= ang <= 360


def test_overview_edges_both_ways_do_not_coincide():
    g, est = small_graph(), small_estate()
    sc = SC.build_scene(g, est, SC.View(SC.OVERVIEW))
    key = ST.edge_style_key(True, S.ALLOWED)
    pairs = sc.edge_pairs[key]
    assert pairs
    for i, (a, b) in enumerate(pairs):
        poly = sc.edge_polyline(key, i)
        mid = poly[len(poly) // 2, :2]
        chord_mid = (np.array(sc.position(a)) + np.array(sc.position(b))) / 2
        assert np.linalg.norm(mid - chord_mid) > 1.0  # bowed: b -> a bows to the other side


def test_badges_once_per_target_and_condition():
    g, est = small_graph(), small_estate()
    sc = SC.build_scene(g, est)
    keys = [(e[1], b[2]) for e, b in zip(sc.badge_edges, sc.badges)]
    assert len(keys) == len(set(keys)) and len(sc.badge_edges) == len(sc.badges)
    fr = SC.frame_for(sc, 1920)
    assert fr.legend_badges and "MFA" in fr.legend_badges[2]
