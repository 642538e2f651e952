"""The desktop explorer on the demo organization (offscreen): open, select, inspect, what-if, paths, export."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from conftest import DEMO_ORG
from explorer.graph import schema as S
from explorer.render import scene as SC
from explorer.ui.main_window import MainWindow
from ui_fixtures import open_demo_window

ALICE = "arn:aws:iam::222222222222:user/people/alice.nguyen"
SECURITY_ADMIN = "arn:aws:iam::222222222222:role/SecurityAdmin"
BREAK_GLASS = "arn:aws:iam::666666666666:role/BreakGlassAdmin"


@pytest.fixture()
def window(qtbot, tmp_path):
    return open_demo_window(qtbot, tmp_path)


def _settle(window):
    window.model.wait(60000)
    QtWidgets.QApplication.processEvents()


def test_opens_demo_with_counts_and_load_report(window):
    m = window.model
    assert m.snapshot.name == "demo-org"
    assert m.view.mode == SC.FULL  # a small estate opens on the whole picture
    sc = window.canvas.scene_data
    assert sc.node_count == m.tg.graph.number_of_nodes()
    assert "accounts" in window.counts_label.text() and "principals" in window.counts_label.text()
    # the demo has a collector gap and load warnings: one click away
    assert window.load_report.problem_count() >= 1
    assert window.report_button.isVisible()
    window.report_button.click()
    assert window.report_dock.isVisible()
    # remembered in the recent list
    assert window.recent() and window.recent()[0].endswith("demo-org")


def test_click_on_node_selects_and_inspects(window, qtbot):
    window.canvas.center_on(SECURITY_ADMIN)
    QtWidgets.QApplication.processEvents()
    pos = window.canvas.view_pos_of(SECURITY_ADMIN)
    assert pos is not None and window.canvas.viewport().rect().contains(pos)
    qtbot.mouseClick(window.canvas.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=pos)
    qtbot.waitUntil(lambda: window.model.selection is not None, timeout=5000)
    assert window.model.selection.value == SECURITY_ADMIN
    text = window.inspector.text()
    assert "SecurityAdmin" in text and SECURITY_ADMIN in text and "MaxSessionDuration" in text
    assert "Trust policy" in window.inspector.tab_names()
    assert '"Statement"' in window.inspector.trust_json.toPlainText()
    # the selection ring is drawn
    assert len(window.canvas.items.rings.data) == 1


def test_path_selected_through_the_api_is_listed_highlighted_and_explained(window):
    m = window.model
    m.find_paths(ALICE, BREAK_GLASS)
    _settle(window)
    assert m.paths, "the demo has a chain from alice to BreakGlassAdmin"
    assert window.paths_panel.tree.topLevelItemCount() == len(m.paths)
    window.paths_panel.select_row(0)
    path = m.paths[0]
    assert m.selection.kind == "path"
    hl = window.canvas.items.highlight_curve
    k = window.canvas.scene_data.curve_segs
    assert len(hl.xData) == 2 * k * len(path.hops)  # per hop: the drawn curve, k segments of two points each
    assert len(window.canvas.items.hl_arrows.data) == len(path.hops)  # and an arrowhead at each hop's target
    text = window.inspector.text()
    assert "alice.nguyen" in text and "BreakGlassAdmin" in text
    assert "one hour" in window.inspector.session_note.text()  # the role-chaining cap, said in words
    assert window.inspector.tab_names() == ["Hops", "Effective permissions", "Evaluate an action"]


def test_edge_click_shows_both_sides(window, qtbot):
    m = window.model
    m.select_edge(ALICE, SECURITY_ADMIN)
    text = window.inspector.text()
    assert "alice.nguyen → SecurityAdmin" in text
    assert "role side" in text and "caller side" in text
    assert "MultiFactorAuthPresent" in text


def test_edge_from_a_foreign_account_says_its_caller_side_is_unknown(window):
    window.model.select_edge("arn:aws:iam::999999999999:root",
                             "arn:aws:iam::666666666666:role/AcmeMonitoringIntegration")
    text = window.inspector.text()
    assert "sts:ExternalId" in text
    assert "policies in account 999999999999 are not in the snapshot" in text
    assert "SAML/OIDC providers" not in text


def test_whatif_mfa_changes_edges(window, qtbot):
    m = window.model
    before = m.tg.graph[ALICE][SECURITY_ADMIN][S.ASSUME_ROLE][S.STATE]
    assert before == S.CONDITIONAL
    window.whatif.mfa.setCurrentText("true")  # applies on change
    _settle(window)
    assert m.tg.graph[ALICE][SECURITY_ADMIN][S.ASSUME_ROLE][S.STATE] == S.ALLOWED
    assert "MultiFactorAuthPresent" in window.export_scene().caption[1]
    window.whatif.mfa.setCurrentText("false")
    _settle(window)
    data = m.tg.graph.get_edge_data(ALICE, SECURITY_ADMIN) or {}
    assert all(d[S.STATE] == S.DENIED for d in data.values())
    # the canvas was redrawn from the re-evaluated graph: the edge is no longer drawn (denied hidden)
    sc = window.canvas.scene_data
    assert all((ALICE, SECURITY_ADMIN) not in pairs for key, pairs in sc.edge_pairs.items() if "denied" not in key)


def test_search_centres_and_selects(window):
    node = window.search.lookup("BreakGlassAdmin")
    assert node == BREAK_GLASS
    window.find_node(node)
    _settle(window)
    assert window.model.selection.value == BREAK_GLASS
    pos = window.canvas.view_pos_of(BREAK_GLASS)
    assert window.canvas.viewport().rect().contains(pos)


def test_back_forward_and_copy_arn(window):
    m = window.model
    m.select_node(ALICE)
    m.select_node(SECURITY_ADMIN)
    window.act_back.trigger()
    assert m.selection.value == ALICE
    window.act_forward.trigger()
    assert m.selection.value == SECURITY_ADMIN
    window.copy_arn()
    assert QtWidgets.QApplication.clipboard().text() == SECURITY_ADMIN


def test_views_focus_overview_and_expand(window):
    m = window.model
    window.focus_on(SECURITY_ADMIN)
    _settle(window)
    sc = window.canvas.scene_data
    assert sc.view.mode == SC.FOCUS and SECURITY_ADMIN in sc.index and sc.node_count < m.tg.graph.number_of_nodes()
    m.set_view(SC.View(SC.OVERVIEW))
    _settle(window)
    sc = window.canvas.scene_data
    assert sc.view.mode == SC.OVERVIEW and "666666666666" in sc.index
    window.expand_account("666666666666")
    _settle(window)
    sc = window.canvas.scene_data
    assert sc.view.mode == SC.ACCOUNT and BREAK_GLASS in sc.index


def test_path_mode_two_clicks(window, qtbot):
    window.set_path_mode(True)
    window._node_clicked(ALICE)
    window._node_clicked(BREAK_GLASS)
    _settle(window)
    assert window.model.path_source == ALICE and window.model.path_target == BREAK_GLASS
    assert window.model.paths


def test_context_menu_offers_chains(window):
    menu = window.build_context_menu(ALICE)
    texts = [a.text() for a in menu.actions()]
    assert "Chains from here" in texts and "Copy ARN" in texts
    next(a for a in menu.actions() if a.text() == "Chains from here").trigger()
    assert window.model.path_source == ALICE


def test_evaluate_action_on_path(window):
    m = window.model
    m.find_paths(ALICE, SECURITY_ADMIN)
    _settle(window)
    window.paths_panel.select_row(0)
    window.inspector.action_edit.setText("iam:ListRoles")
    window.inspector.evaluate_action()
    assert "iam:ListRoles" in window.inspector.eval_result.text()
    assert window.inspector.eval_tree.topLevelItemCount() > 0


def test_effective_permissions_table_filters(window):
    m = window.model
    m.select_node(SECURITY_ADMIN)
    window.inspector.compute_effective()
    _settle(window)
    model = window.inspector.perm_model
    assert model.rowCount() > 0
    total = window.inspector.perm_proxy.rowCount()
    service = model.rows[0][0]
    window.inspector.perm_filter.setText(service + ":")
    assert 0 < window.inspector.perm_proxy.rowCount() <= total


def test_window_exports_png_and_svg(window, tmp_path):
    png = tmp_path / "view.png"
    svg = tmp_path / "view.svg"
    window.export_to(png, 1920)
    window.export_to(svg, 1920)
    img = QtGui.QImage(str(png))
    assert img.width() == 1920
    colours = {img.pixel(x, y) for x in range(0, img.width(), 7) for y in range(0, img.height(), 7)}
    assert len(colours) > 50
    root = ET.parse(svg).getroot()
    text = ET.tostring(root, encoding="unicode")
    for name in ("security", "workloads-prod", "log-archive"):
        assert name in text


def test_load_failure_is_reported_not_raised(qtbot, tmp_path):
    settings = QtCore.QSettings(str(tmp_path / "s.ini"), QtCore.QSettings.Format.IniFormat)
    w = MainWindow(settings=settings)
    qtbot.addWidget(w)
    w.open_path(tmp_path / "missing")
    w.model.wait(20000)
    QtWidgets.QApplication.processEvents()
    assert "no such file" in getattr(w, "last_error", "")
    assert w.model.snapshot is None


def test_load_can_be_cancelled(qtbot, tmp_path):
    settings = QtCore.QSettings(str(tmp_path / "s.ini"), QtCore.QSettings.Format.IniFormat)
    w = MainWindow(settings=settings)
    qtbot.addWidget(w)
    w.open_path(DEMO_ORG)
    w.model.cancel("load")
    w.model.wait(20000)
    QtWidgets.QApplication.processEvents()
    assert w.model.snapshot is None  # a cancelled load shows nothing


def test_theme_switch(window):
    window.set_theme("dark")
    assert window.canvas.theme_name == "dark"
    window.set_theme("light")
    assert window.canvas.theme_name == "light"


def test_selected_chain_follows_whatif(window):
    m = window.model
    m.find_paths(ALICE, SECURITY_ADMIN)
    _settle(window)
    window.paths_panel.select_row(0)
    old = m.selection.value
    assert old.conditional
    window.whatif.mfa.setCurrentText("true")
    _settle(window)
    assert m.selection is not None and m.selection.kind == "path"
    assert m.selection.value is not old and m.selection.value.nodes == old.nodes
    assert not m.selection.value.conditional  # re-derived under MFA present


def test_hover_shows_tooltip(window):
    window.canvas.center_on(SECURITY_ADMIN)
    QtWidgets.QApplication.processEvents()
    pos = window.canvas.view_pos_of(SECURITY_ADMIN)
    window.canvas._on_move(window.canvas.mapToScene(pos))
    assert window.canvas._hover_key == ("node", SECURITY_ADMIN)
    assert "SecurityAdmin" in QtWidgets.QToolTip.text()


def test_drop_and_recent_open(window, qtbot):
    mime = QtCore.QMimeData()
    mime.setUrls([QtCore.QUrl.fromLocalFile(str(DEMO_ORG))])
    ev = QtGui.QDropEvent(QtCore.QPointF(10, 10), QtCore.Qt.DropAction.CopyAction, mime,
                          QtCore.Qt.MouseButton.NoButton, QtCore.Qt.KeyboardModifier.NoModifier)
    before = window.model.tg
    window.dropEvent(ev)
    _settle(window)
    assert window.model.tg is not before and window.model.snapshot.name == "demo-org"
    actions = window.recent_menu.actions()
    assert actions and actions[0].text().endswith("demo-org")


def test_large_estate_opens_on_overview_and_expands(qtbot, tmp_path, monkeypatch):
    from explorer.snapshot.synthetic import generate_org
    org = generate_org(tmp_path / "org", accounts=4, principals_per_account=10, seed=2)
    monkeypatch.setattr(SC, "LARGE_ESTATE", 20)
    settings = QtCore.QSettings(str(tmp_path / "s.ini"), QtCore.QSettings.Format.IniFormat)
    w = MainWindow(settings=settings)
    w.resize(1200, 800)
    qtbot.addWidget(w)
    w.show()
    w.open_path(org)
    _settle(w)
    qtbot.waitUntil(lambda: w.canvas.scene_data is not None, timeout=20000)
    sc = w.canvas.scene_data
    assert sc.view.mode == SC.OVERVIEW
    acct = next(k for k in sc.ids if k in w.model.snapshot.accounts)
    pos = w.canvas.view_pos_of(acct)
    qtbot.mouseDClick(w.canvas.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=pos)
    _settle(w)
    assert w.canvas.scene_data.view == SC.View(SC.ACCOUNT, account=acct)


def test_whatif_other_keys_and_bad_input(window):
    w = window.whatif
    w.tags.setText("team=platform, oops")
    w.apply()
    assert "Not applied" in w.status.text()
    w.tags.setText("team=platform")
    w.extra.setPlainText("sts:ExternalId=abc\naws:SourceIp=203.0.113.7")
    values = w.values()
    assert values["aws:PrincipalTag/team"] == "platform" and values["sts:ExternalId"] == "abc"
    w.apply()
    _settle(window)
    assert window.model.tg.context.get("aws:SourceIp") == ("203.0.113.7",)
    w.reset()
    _settle(window)
    assert window.model.tg.context.to_json() == {}


def test_large_estate_shows_accounts_while_the_graph_builds(qtbot, tmp_path, monkeypatch):
    from explorer.snapshot.synthetic import generate_org
    org = generate_org(tmp_path / "org", accounts=3, principals_per_account=10, seed=3)
    monkeypatch.setattr(SC, "LARGE_ESTATE", 20)
    settings = QtCore.QSettings(str(tmp_path / "s.ini"), QtCore.QSettings.Format.IniFormat)
    w = MainWindow(settings=settings)
    qtbot.addWidget(w)
    scenes = []
    w.model.sceneChanged.connect(scenes.append)
    w.open_path(org)
    _settle(w)
    assert scenes[0].graph is None and scenes[0].view.mode == SC.OVERVIEW  # the preview: accounts only
    assert set(scenes[0].ids) == set(w.model.snapshot.accounts)
    assert scenes[-1].graph is not None and scenes[-1].edge_count > 0


def test_export_selected_chain_alone(window, tmp_path):
    m = window.model
    m.find_paths(ALICE, BREAK_GLASS)
    _settle(window)
    window.paths_panel.select_row(0)
    out = tmp_path / "chain.svg"
    window.export_to(out, 1920, chain=True)
    root = ET.parse(out).getroot()
    text = ET.tostring(root, encoding="unicode")
    assert "selected path" in text and "edges-highlight" in text
    nodes = [g for g in root.iter("{http://www.w3.org/2000/svg}g") if (g.get("id") or "").startswith("nodes-")]
    drawn = sum(len(list(g)) for g in nodes)
    assert drawn == len(m.selection.value.nodes)
