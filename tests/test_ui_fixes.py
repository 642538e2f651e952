"""Regression tests of GUI / export fixes: the inspector's one-hop counts leave denied edges apart, a selected
denied edge is never drawn like a usable path (window, PNG, SVG), and the overview's "×n" badges keep off the
band titles."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from conftest import DEMO_ORG
from explorer.graph import build_trust_graph
from explorer.render import layout as L
from explorer.render import scene as SC
from explorer.render import style as ST
from explorer.snapshot import load_snapshot
from ui_fixtures import small_estate, small_graph

DAVE = "arn:aws:iam::222222222222:user/people/dave.contractor"
INCIDENT = "arn:aws:iam::222222222222:role/IncidentResponder"
BREAK_GLASS = "arn:aws:iam::666666666666:role/BreakGlassAdmin"
CONTRACTOR = "arn:aws:iam::777777777777:role/ContractorAccess"
SVG_NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def demo_tg():
    return build_trust_graph(load_snapshot(DEMO_ORG))


def _denied_highlight():
    return SC.Highlight(frozenset((DAVE, INCIDENT)), frozenset([(DAVE, INCIDENT)]))


# ---- 1. inspector counts ------------------------------------------------------------------------------------

@pytest.mark.parametrize("node, expected", [
    (BREAK_GLASS, "1 can become it (+3 denied) · it can become 1 (+1 denied)"),  # only ProdAdmin; 3 SCP-denied
    (CONTRACTOR, "0 can become it (+1 denied)"),  # its only caller is denied by an RCP
    (INCIDENT, "1 can become it (+1 denied)"),  # dave.contractor is denied
])
def test_reach_summary_counts_distinct_allowed_neighbours(demo_tg, node, expected):
    assert SC.reach_summary(demo_tg.graph, node).startswith(expected)


def test_reach_summary_counts_multi_edges_once():
    g = small_graph()
    admin = "arn:aws:iam::111111111111:role/OrgAdmin"
    alice = "arn:aws:iam::111111111111:user/alice"
    g.add_edge(alice, admin, key="sts:TagSession", state="allowed")  # a second action, same two principals
    g.add_edge(alice, admin, key="sts:SetSourceIdentity", state="denied")  # denied, but alice can already
    assert SC.neighbour_counts(g, admin) == (2, 0, 2, 0)
    assert "(+" not in SC.reach_summary(g, admin)
    assert "incoming" not in SC.node_tooltip(g, admin)  # the canvas tooltip uses the same counts
    assert "2 can become it" in SC.node_tooltip(g, admin)


def test_inspector_node_summary_leaves_denied_apart(qtbot, tmp_path):
    from ui_fixtures import open_demo_window
    w = open_demo_window(qtbot, tmp_path)
    for node, expected in ((BREAK_GLASS, "1 can become it (+3 denied)"), (CONTRACTOR, "0 can become it (+1 denied)"),
                           (INCIDENT, "1 can become it (+1 denied)")):
        w.model.select_node(node)
        summary = w.inspector.text().splitlines()[1]
        assert expected in summary, summary
    # a selected denied edge: the canvas draws it in the denied style, with its marker, not as the chain
    w.model.select_edge(DAVE, INCIDENT)
    items = w.canvas.items
    qtbot.waitUntil(lambda: len(items.denied_curve.segments) > 0, timeout=5000)
    assert len(items.highlight_curve.segments) == 0
    assert [m[2] for m in items.labels.marks] == [ST.DENIED_MARK]
    assert ST.EDGE_STYLES[ST.HIGHLIGHT_DENIED] in w.canvas.legend.edges


# ---- 2. a selected denied edge -----------------------------------------------------------------------------

def test_selected_denied_edge_scene_and_svg(demo_tg):
    from explorer.render.svg import scene_to_svg
    sc = SC.scene_for_graph(demo_tg, SC.View(), highlight=_denied_highlight())
    assert sc.edge_pairs[ST.HIGHLIGHT_DENIED] == [(DAVE, INCIDENT)]
    assert not sc.edge_pairs.get(ST.HIGHLIGHT)
    assert [m[2] for m in sc.denied_marks] == [ST.DENIED_MARK]
    root = ET.fromstring(scene_to_svg(sc))
    groups = {g.get("id"): g for g in root.iter(f"{SVG_NS}g") if g.get("id")}
    assert "edges-highlight" not in groups  # never the magenta "selected path"
    den = groups["edges-highlight-denied"]
    assert den.get("stroke") == ST.EDGE_STYLES[ST.HIGHLIGHT_DENIED].color
    assert den.get("stroke-dasharray")
    assert "denied" in den.find(f"{SVG_NS}path/{SVG_NS}title").text
    marks = groups["denied-marks"]
    assert [t.text for t in marks.iter(f"{SVG_NS}text")] == [ST.DENIED_MARK]
    legend = " ".join(t.text or "" for t in groups["legend"].iter(f"{SVG_NS}text"))
    assert ST.EDGE_STYLES[ST.HIGHLIGHT_DENIED].name in legend and "selected path" not in legend


def test_selected_chain_with_allowed_hops_keeps_the_path_style(demo_tg):
    prod_admin = "arn:aws:iam::666666666666:role/ProdAdmin"
    prod_deploy = "arn:aws:iam::666666666666:role/ProdDeploy"
    hl = SC.path_highlight([[prod_deploy, BREAK_GLASS], [prod_admin, BREAK_GLASS]])
    sc = SC.scene_for_graph(demo_tg, SC.View(), highlight=hl)
    assert sc.edge_pairs[ST.HIGHLIGHT] == [(prod_admin, BREAK_GLASS)]
    assert sc.edge_pairs[ST.HIGHLIGHT_DENIED] == [(prod_deploy, BREAK_GLASS)]


def _count(img, color: str, x0, y0, x1, y1, tol: int = 40) -> int:
    from PySide6 import QtGui
    want = QtGui.QColor(color)
    n = 0
    for y in range(max(0, int(y0)), min(img.height(), int(y1))):
        for x in range(max(0, int(x0)), min(img.width(), int(x1)), 2):
            c = img.pixelColor(x, y)
            if abs(c.red() - want.red()) + abs(c.green() - want.green()) + abs(c.blue() - want.blue()) < tol:
                n += 1
    return n


def test_selected_denied_edge_png(demo_tg):
    from explorer.render.png import render_image
    sc = SC.scene_for_graph(demo_tg, SC.View(), highlight=_denied_highlight())
    fr = SC.frame_for(sc, 1200)
    img = render_image(sc, 1200)
    (ux, uy), (vx, vy) = sc.position(DAVE), sc.position(INCIDENT)
    # the stretch between the two nodes' selection rings (magenta too): the edge's curve, not the rings
    x0, x1 = ux + (vx - ux) * 0.45, ux + (vx - ux) * 0.9
    box = [fr.graph_x + x0 * fr.scale, fr.graph_y + min(uy, vy) * fr.scale - 4,
           fr.graph_x + x1 * fr.scale, fr.graph_y + max(uy, vy) * fr.scale + 4]
    assert _count(img, ST.EDGE_STYLES[ST.HIGHLIGHT].color, *box) == 0  # no magenta "selected path" stroke
    assert _count(img, ST.DENIED_MARK_BG, *box) > 20  # the red dashes and the marker
    mx, my = sc.denied_marks[0][:2]
    px, py = fr.graph_x + mx * fr.scale, fr.graph_y + my * fr.scale
    assert _count(img, ST.DENIED_MARK_BG, px - 15, py - 5, px + 15, py + 5) > 10


def test_canvas_items_draw_a_selected_denied_edge_apart(qtbot):
    from explorer.render.qt_canvas import SceneItems
    g = small_graph()
    bob, prod_admin = "arn:aws:iam::222222222222:user/bob", "arn:aws:iam::333333333333:role/ProdAdmin"
    sc = SC.build_scene(g, small_estate(), SC.View())
    items = SceneItems(sc)
    items.set_highlight(SC.Highlight(frozenset((bob, prod_admin)), frozenset([(bob, prod_admin)])))
    assert len(items.denied_curve.segments) and not len(items.highlight_curve.segments)
    assert items.denied_curve.full_pen.color().name() == ST.EDGE_STYLES[ST.HIGHLIGHT_DENIED].color
    assert items.denied_curve.full_pen.dashPattern()
    assert [m[2] for m in items.labels.marks] == [ST.DENIED_MARK]
    assert ST.HIGHLIGHT_DENIED in sc.edge_keys_present()
    items.set_highlight(SC.Highlight())
    assert not len(items.denied_curve.segments) and not items.labels.marks
    assert ST.HIGHLIGHT_DENIED not in sc.edge_keys_present()


# ---- 3. overview badges and band titles ----------------------------------------------------------------------

def _intersects(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_overview_badges_keep_off_band_titles(demo_tg):
    sc = SC.scene_for_graph(demo_tg, SC.View(SC.OVERVIEW))
    assert len(sc.badges) > 20
    titles = {b.title: L.title_rect(b) for b in sc.bands}
    assert "Infrastructure" in titles and "Outside the organization's accounts" in titles
    for x, y, text in sc.badges:
        r = SC.badge_rect(x, y, text, SC.OVERVIEW_BADGE_PX)
        hit = [t for t, tr in titles.items() if _intersects(r, tr)]
        assert not hit, f"badge {text} at ({x:.0f}, {y:.0f}) covers the band title {hit}"
    rects = [SC.badge_rect(x, y, t, SC.OVERVIEW_BADGE_PX) for x, y, t in sc.badges]
    overlaps = sum(_intersects(a, b) for i, a in enumerate(rects) for b in rects[i + 1:])
    assert overlaps <= 2  # badges mostly keep off each other too


def test_overview_svg_badges_keep_off_band_titles(demo_tg):
    from explorer.render.svg import scene_to_svg
    sc = SC.scene_for_graph(demo_tg, SC.View(SC.OVERVIEW))
    root = ET.fromstring(scene_to_svg(sc))
    badges = next(g for g in root.iter(f"{SVG_NS}g") if g.get("id") == "badges")
    titles = [L.title_rect(b) for b in sc.bands]
    for rect in badges.iter(f"{SVG_NS}rect"):
        x, y, w, h = (float(rect.get(a)) for a in ("x", "y", "width", "height"))
        assert not any(_intersects((x, y, x + w, y + h), t) for t in titles)


def test_full_view_badges_keep_off_band_titles(demo_tg):
    sc = SC.scene_for_graph(demo_tg, SC.View())
    titles = [L.title_rect(b) for b in sc.bands]
    for x, y, text in sc.badges:
        assert not any(_intersects(SC.badge_rect(x, y, text), t) for t in titles), text


def test_badge_spot_moves_along_the_edge_off_a_title():
    pts = [(float(x), 50.0) for x in range(0, 110, 10)]
    title = (40.0, 40.0, 70.0, 60.0)
    x, y = SC.badge_spot(pts, 5, "×1", SC.OVERVIEW_BADGE_PX, [title])
    assert not _intersects(SC.badge_rect(x, y, "×1", SC.OVERVIEW_BADGE_PX), title)
    assert re.fullmatch(r"\d+\.0", str(x)) and 0 < x < 100  # a point of the edge, off its ends
