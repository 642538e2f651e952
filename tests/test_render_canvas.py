"""The drawn picture (offscreen Qt): fitting the view, labels by zoom, the selected chain on top of dimmed edges,
the legend in the canvas corner."""
from __future__ import annotations

import pytest
from PySide6 import QtWidgets

from explorer.render import scene as SC
from explorer.render import style as ST
from explorer.ui import canvas as C
from ui_fixtures import DEV, MGMT, arn, small_estate, small_graph

CHAIN = [arn(MGMT, "user", "alice"), arn(MGMT, "role", "OrgAdmin"), arn(DEV, "role", "Deployer")]


@pytest.fixture()
def canvas(qtbot):
    c = C.GraphCanvas()
    c.resize(900, 600)
    qtbot.addWidget(c)
    c.show()
    c.set_scene(SC.build_scene(small_graph(), small_estate()))
    QtWidgets.QApplication.processEvents()
    c.fit()
    QtWidgets.QApplication.processEvents()
    return c


def _paint(c):
    c.viewport().repaint()
    QtWidgets.QApplication.processEvents()


def test_fit_shows_everything_and_fills_the_view(canvas):
    sc = canvas.scene_data
    (x0, x1), (y0, y1) = canvas.viewbox.viewRange()
    assert x0 <= 0 and y0 <= 0 and x1 >= sc.width and y1 >= sc.height
    px = canvas.viewbox.viewPixelSize()
    sx, sy = 1 / px[0], 1 / px[1]
    assert max(sx, sy) / min(sx, sy) <= C.MAX_STRETCH + 1e-6
    w_px, h_px = sc.width * sx, sc.height * sy
    vw, vh = canvas.viewbox.width(), canvas.viewbox.height()
    assert w_px >= 0.85 * vw or h_px >= 0.85 * vh  # no large empty strips


def test_labels_follow_the_zoom_and_the_chain_always_shows(canvas):
    items = canvas.items
    _paint(canvas)
    assert items.labels.drawn_labels == canvas.scene_data.node_count  # readable at the fitted zoom
    canvas.zoom(12.0)  # far out: too small to read
    _paint(canvas)
    assert items.labels.drawn_labels == 0
    canvas.set_highlight(SC.path_highlight([CHAIN]))
    _paint(canvas)
    assert items.labels.drawn_labels == len(CHAIN)  # the selected chain keeps its labels


def test_chain_on_top_of_dimmed_edges(canvas):
    items = canvas.items
    layer = next(iter(items.curves.values()))
    before = layer.full_pen.color().alphaF()
    canvas.set_highlight(SC.path_highlight([CHAIN]))
    assert layer.full_pen.color().alphaF() == pytest.approx(before * ST.DIM_OPACITY, abs=0.01)
    assert items.highlight_curve.zValue() > items.edges.zValue() and items.highlight_curve.zValue() > items.arrows.zValue()
    assert len(items.hl_arrows.data) == len(CHAIN) - 1
    canvas.set_highlight(SC.Highlight())
    assert layer.full_pen.color().alphaF() == pytest.approx(before, abs=0.01)


def test_legend_overlay_lists_what_is_drawn_and_folds(canvas):
    legend = canvas.legend
    assert legend.isVisible()
    kinds = {k.kind for k in legend.kinds}
    assert kinds == canvas.scene_data.kinds_present()
    assert "MFA" in legend.badges
    tall = legend.height()
    legend.set_expanded(False)
    assert legend.height() < tall / 3
    r = canvas.rect()
    assert r.contains(legend.geometry())  # in the canvas's corner
