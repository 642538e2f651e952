"""Layout regressions at the default 1400x900 window on the demo organization: the Chains dock and the
inspector's hop table keep their short columns (session limit) in view, the Findings detail header wraps
without cutting a line, a selected node's bold label stays within its column, and the dark theme draws the
spin boxes' arrows."""
from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from explorer.render import scene as SC
from explorer.render import style as ST
from explorer.ui.findings_dock import FindingsDock
from explorer.ui.paths_panel import CONDITIONS, HOPS, SESSION
from ui_fixtures import open_demo_window

ALICE = "arn:aws:iam::222222222222:user/people/alice.nguyen"
BREAK_GLASS = "arn:aws:iam::666666666666:role/BreakGlassAdmin"
ACME = "arn:aws:iam::666666666666:role/AcmeMonitoringIntegration"
VENDOR = "arn:aws:iam::999999999999:root"


def _settle(w):
    w.model.wait(60000)
    for _ in range(5):
        QtWidgets.QApplication.processEvents()


def _cell_in_view(tree, item, col) -> bool:
    """The cell's whole text is inside the viewport: its column ends inside it and is wide enough."""
    header = tree.header()
    left = header.sectionViewportPosition(col)
    width = tree.columnWidth(col)
    text_w = QtGui.QFontMetrics(tree.font()).horizontalAdvance(item.text(col))
    return left >= 0 and left + width <= tree.viewport().width() and text_w + 6 <= width


def _chain_window(qtbot, tmp_path):
    w = open_demo_window(qtbot, tmp_path)
    w.paths_dock.raise_()
    w.model.find_paths(ALICE, BREAK_GLASS)
    qtbot.waitUntil(lambda: not w.model.paths_searching and w.paths_panel.tree.topLevelItemCount() > 0,
                    timeout=30000)
    w.paths_panel.select_row(0)
    _settle(w)
    return w


def test_chains_and_hop_table_keep_the_session_limit_in_view(qtbot, tmp_path):
    w = _chain_window(qtbot, tmp_path)
    tree = w.paths_panel.tree
    qtbot.waitUntil(lambda: tree.viewport().width() > 200, timeout=5000)
    _settle(w)
    item = tree.topLevelItem(0)
    assert item.text(SESSION).startswith("1 h")
    for col in (HOPS, SESSION):
        assert _cell_in_view(tree, item, col), (col, [tree.columnWidth(c) for c in range(tree.columnCount())])
    assert "1 h cap" in item.toolTip(SESSION)  # the cap explained in full
    assert item.toolTip(CONDITIONS)
    assert tree.textElideMode() == QtCore.Qt.TextElideMode.ElideMiddle
    for c in range(tree.columnCount()):  # nothing hidden beyond the right edge but the free-text conditions
        if c != CONDITIONS:
            assert tree.header().sectionViewportPosition(c) + tree.columnWidth(c) <= tree.viewport().width()

    w.inspector.tabs.setCurrentIndex(w.inspector.tab_names().index("hops") if "hops" in w.inspector.tab_names()
                                     else 0)
    hops = w.inspector.hops
    _settle(w)
    assert hops.topLevelItemCount() == 4
    for i in range(hops.topLevelItemCount()):
        hop = hops.topLevelItem(i)
        assert hop.text(2) == "1 h"
        assert _cell_in_view(hops, hop, 2), [hops.columnWidth(c) for c in range(hops.columnCount())]


def test_findings_header_wraps_within_the_dock_without_cutting_a_line(qtbot, tmp_path):
    w = open_demo_window(qtbot, tmp_path, ready=lambda w: w.model.findings is not None)
    fd = w.findChild(FindingsDock)
    qtbot.waitUntil(lambda: fd.tree.topLevelItemCount() > 0, timeout=30000)
    fd.select_finding(0)
    _settle(w)
    label, scroll = fd.detail_title, fd.detail_scroll
    f = fd.current_finding()
    assert f.subject in label.toolTip()  # the full text (provider ARN included) in the tooltip
    assert label.width() <= scroll.viewport().width()  # wrapped to the pane: never wider than it
    assert label.height() >= label.heightForWidth(label.width())  # never squeezed: every line is laid out
    visible = scroll.viewport().height()
    if visible < label.height():  # longer than the room: scrollable, showing whole lines only
        assert scroll.verticalScrollBar().maximum() > 0
        assert visible >= 2 * QtGui.QFontMetrics(label.font()).lineSpacing()
    # the pane keeps its width: the header's text is wrapped, not cut at the right
    assert fd.splitter.widget(1).geometry().right() <= fd.width()


def test_selected_bold_label_stays_in_its_column(qtbot, tmp_path):
    w = open_demo_window(qtbot, tmp_path)
    canvas = w.canvas
    canvas.set_highlight(SC.path_highlight([[VENDOR, ACME]]))
    canvas.viewport().repaint()
    _settle(w)
    sc = canvas.scene_data
    labels = canvas.items.labels
    i = sc.ids.index(ACME) if isinstance(sc.ids, list) else list(sc.ids).index(ACME)
    assert i in labels.strong
    tr = labels.deviceTransform(canvas.viewportTransform())
    sx = abs(tr.m11()) or abs(tr.m12())
    assert sx < 1.0  # the fitted demo is zoomed out: this is where the bold label used to run over
    bold = [(shown, width) for (j, _mw, _px, is_bold), (shown, width) in labels._elided.items() if j == i and is_bold]
    assert bold, "the selected label was not drawn"
    shown, width = bold[-1]
    # the text ends before the next column's node in the same band row
    pt = tr.map(QtCore.QPointF(sc.xs[i], sc.ys[i]))
    x_text = pt.x() + (ST.kind_style(sc.kinds[i]).size / 2 + 4) * labels.pixel_scale
    right = x_text + width
    same_row = np.nonzero((np.abs(sc.ys - sc.ys[i]) < 1e-6) & (sc.xs > sc.xs[i]))[0]
    assert len(same_row)
    nxt = same_row[np.argmin(sc.xs[same_row])]
    nxt_pt = tr.map(QtCore.QPointF(sc.xs[nxt], sc.ys[nxt]))
    assert right < nxt_pt.x() + (ST.kind_style(sc.kinds[nxt]).size / 2 + 4) * labels.pixel_scale, right


def _arrow_pixels(spin) -> int:
    """Light pixels in the spin box's up/down button area (the arrows on the buttons)."""
    spin.repaint()
    img = spin.grab().toImage()
    opt = QtWidgets.QStyleOptionSpinBox()
    spin.initStyleOption(opt)
    style = spin.style()
    count = 0
    for sub in (QtWidgets.QStyle.SubControl.SC_SpinBoxUp, QtWidgets.QStyle.SubControl.SC_SpinBoxDown):
        r = style.subControlRect(QtWidgets.QStyle.ComplexControl.CC_SpinBox, opt, sub, spin)
        colours = set()
        for x in range(r.left(), r.right() + 1):
            for y in range(r.top(), r.bottom() + 1):
                if img.rect().contains(x, y):
                    colours.add(img.pixel(x, y))
        # a visible arrow: the button area holds clearly different colours (arrow on its face)
        lum = sorted(QtGui.QColor(c).lightness() for c in colours)
        count += int(bool(lum) and lum[-1] - lum[0] >= 100)
    return count


def test_dark_theme_spin_box_arrows_are_visible(qtbot, tmp_path):
    w = open_demo_window(qtbot, tmp_path)
    w.set_theme("dark")
    _settle(w)
    for spin in (w.paths_panel.hops_spin, *[s for s in w.findChildren(QtWidgets.QSpinBox)
                                            if s is not w.paths_panel.hops_spin][:1]):
        assert spin.isVisible()
        assert _arrow_pixels(spin) == 2, spin.prefix()


def test_selected_label_with_nothing_to_its_right_is_drawn_whole(qtbot, tmp_path):
    """The last node of a selected chain has no neighbour to its right in its row: its name is not cut."""
    alice = "arn:aws:iam::222222222222:user/people/alice.nguyen"
    chain = [alice, "arn:aws:iam::222222222222:role/SecurityAdmin", "arn:aws:iam::444444444444:role/InfraAdmin",
             "arn:aws:iam::666666666666:role/ProdAdmin", "arn:aws:iam::666666666666:role/BreakGlassAdmin"]
    w = open_demo_window(qtbot, tmp_path)
    canvas = w.canvas
    canvas.set_highlight(SC.path_highlight([chain]))
    canvas.viewport().repaint()
    _settle(w)
    sc = canvas.scene_data
    labels = canvas.items.labels
    ids = list(sc.ids)
    i = ids.index(chain[-1])
    right = np.nonzero((np.abs(sc.ys - sc.ys[i]) < 1e-6) & (sc.xs > sc.xs[i]))[0]
    assert not len(right)
    drawn = [shown for (j, _mw, _px, is_bold), (shown, _w) in labels._elided.items() if j == i and is_bold]
    assert drawn and drawn[-1] == "BreakGlassAdmin"
