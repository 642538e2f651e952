"""The main window: the canvas in the middle, docks around it (inspector, chains, what-if, legend, load report),
menus, a toolbar with the search box, shortcuts, a status bar with counts and the progress of background work.
The window wires widgets to the model (explorer/ui/model.py); it holds no IAM logic."""
from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from explorer.graph import schema as S
from explorer.render import scene as SC
from explorer.ui.canvas import GraphCanvas
from explorer.ui.inspector import Inspector
from explorer.ui.legend import LegendWidget
from explorer.ui.load_report import LoadReportWidget
from explorer.ui.model import EDGE, NODE, PATH, ExplorerModel
from explorer.ui.paths_panel import PathsPanel
from explorer.ui.search import SearchBox, search_entries
from explorer.ui.whatif_panel import WhatIfPanel
from explorer.ui import review

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
DEMO_ORG = RESOURCES / "demo-org"
MAX_RECENT = 8
SETTINGS_ORG, SETTINGS_APP = "iam-trust-explorer", "explorer"


def system_theme() -> str:
    app = QtWidgets.QApplication.instance()
    try:
        scheme = app.styleHints().colorScheme()
        if scheme == QtCore.Qt.ColorScheme.Dark:
            return "dark"
        if scheme == QtCore.Qt.ColorScheme.Light:
            return "light"
    except AttributeError:
        pass
    return "dark" if app.palette().color(QtGui.QPalette.ColorRole.Window).lightness() < 128 else "light"


class MainWindow(QtWidgets.QMainWindow):
    def __init__(self, model: ExplorerModel | None = None, settings: QtCore.QSettings | None = None):
        super().__init__()
        self.model = model or ExplorerModel(self)
        self.settings = settings or QtCore.QSettings(SETTINGS_ORG, SETTINGS_APP)
        self.setWindowTitle("IAM Trust Explorer")
        self.resize(1500, 950)
        self.setAcceptDrops(True)
        self.theme_choice = "system"
        self.path_mode = False
        self.focus_hops = 1

        self.canvas = GraphCanvas(self)
        self.setCentralWidget(self.canvas)
        self.inspector = Inspector(self.model)
        self.paths_panel = PathsPanel(self.model)
        self.whatif = WhatIfPanel(self.model)
        self.legend = LegendWidget()
        self.load_report = LoadReportWidget()
        self.search = SearchBox()

        # the graph dominates: one column of docks on the right (the inspector above; chains, what-if and the full
        # legend as tabs below); the canvas carries a compact legend in its corner
        right = QtCore.Qt.DockWidgetArea.RightDockWidgetArea
        self.inspector_dock = self._dock("Inspector", self.inspector, right)
        self.paths_dock = self._dock("Chains", self.paths_panel, right)
        self.whatif_dock = self._dock("What-if context", self.whatif, right)
        self.legend_dock = self._dock("Legend", self.legend, right)
        self.report_dock = self._dock("Load report", self.load_report, QtCore.Qt.DockWidgetArea.BottomDockWidgetArea)
        self.splitDockWidget(self.inspector_dock, self.paths_dock, QtCore.Qt.Orientation.Vertical)
        self.tabifyDockWidget(self.paths_dock, self.whatif_dock)
        self.tabifyDockWidget(self.whatif_dock, self.legend_dock)
        self.setTabPosition(right, QtWidgets.QTabWidget.TabPosition.North)
        self.paths_dock.raise_()
        self.legend_dock.hide()  # Help > Legend shows it; the canvas has the compact one
        self.resizeDocks([self.inspector_dock, self.paths_dock], [560, 330], QtCore.Qt.Orientation.Vertical)
        self.resizeDocks([self.inspector_dock], [430], QtCore.Qt.Orientation.Horizontal)
        self.setCorner(QtCore.Qt.Corner.BottomRightCorner, right)  # bottom docks sit under the graph only
        self.report_dock.hide()

        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_status()
        self._connect()
        self.apply_theme()
        review.install(self)  # findings, compare, CloudTrail, revocation, collection (explorer/ui/review.py)
        self._geometry_pending = True  # _graph_dominant on the first show, when the sizes are real

    # ---- construction ----
    def showEvent(self, ev) -> None:
        super().showEvent(ev)
        if getattr(self, "_geometry_pending", False):
            self._geometry_pending = False
            QtCore.QTimer.singleShot(0, self._graph_dominant)

    def _graph_dominant(self) -> None:
        """Default geometry: docks below the graph take a fifth of the window's height."""
        bottom = [d for d in self.findChildren(QtWidgets.QDockWidget)
                  if self.dockWidgetArea(d) == QtCore.Qt.DockWidgetArea.BottomDockWidgetArea and not d.isHidden()]
        if bottom:
            self.resizeDocks(bottom[:1], [max(150, self.height() // 5)], QtCore.Qt.Orientation.Vertical)

    def _dock(self, title: str, widget, area) -> QtWidgets.QDockWidget:
        dock = QtWidgets.QDockWidget(title, self)
        dock.setObjectName(title.replace(" ", "_"))
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _action(self, text, slot=None, shortcut=None, checkable=False, tip="") -> QtGui.QAction:
        act = QtGui.QAction(text, self)
        if shortcut:
            act.setShortcut(QtGui.QKeySequence(shortcut))
        act.setCheckable(checkable)
        if tip:
            act.setStatusTip(tip)
            act.setToolTip(tip)
        if slot is not None:
            act.triggered.connect(slot)
        self.addAction(act)
        return act

    def _build_actions(self) -> None:
        A = self._action
        self.act_open = A("&Open snapshot folder…", self.open_dialog, QtGui.QKeySequence.StandardKey.Open,
                          tip="open a snapshot folder (Ctrl+O)")
        self.act_open_file = A("Open snapshot &file…", self.open_file_dialog)
        self.act_demo = A("Open the &demo organization", lambda: self.open_path(DEMO_ORG))
        self.act_export = A("&Export picture…", self.export_dialog, "Ctrl+E", tip="PNG or SVG of the view (Ctrl+E)")
        self.act_export_chain = A("Export the selected &chain…", lambda: self.export_dialog(chain=True),
                                  tip="PNG or SVG of the selected chain alone")
        self.act_quit = A("&Quit", self.close, QtGui.QKeySequence.StandardKey.Quit)
        self.act_find = A("&Find…", self.focus_search, QtGui.QKeySequence.StandardKey.Find)
        self.act_copy = A("&Copy ARN", self.copy_arn, "Ctrl+Shift+C", tip="copy the ARN of the selection")
        self.act_back = A("&Back", self.model.back, "Alt+Left", tip="previous selection (Alt+Left)")
        self.act_forward = A("&Forward", self.model.forward, "Alt+Right", tip="next selection (Alt+Right)")
        self.act_overview = A("Account &overview", lambda: self.model.set_view(SC.View(SC.OVERVIEW)), "Ctrl+1")
        self.act_full = A("&Whole estate", lambda: self.model.set_view(SC.View(SC.FULL)), "Ctrl+2")
        self.act_focus = A("&Focus on selection", self.focus_selection, "Ctrl+3",
                           tip="show the neighbourhood of the selected principal")
        self.act_fit = A("Fit to &window", self.canvas.fit, "Ctrl+0")
        self.act_denied = A("Show &trusted-but-not-permitted edges", self.model.set_show_denied, "Ctrl+D",
                            checkable=True)
        self.act_path_mode = A("&Path mode (two clicks)", self.set_path_mode, "Ctrl+P", checkable=True,
                               tip="click a source, then a target: the chains between them are listed")
        self.act_report = A("&Load report", self.show_report, "Ctrl+L")
        self.theme_group = QtGui.QActionGroup(self)
        self.theme_actions = {}
        for name in ("system", "light", "dark"):
            act = A(f"{name.capitalize()} theme", lambda _c=False, n=name: self.set_theme(n), checkable=True)
            self.theme_group.addAction(act)
            self.theme_actions[name] = act
        self.theme_actions["system"].setChecked(True)

    def _build_menus(self) -> None:
        mb = self.menuBar()
        m = mb.addMenu("&File")
        m.addActions([self.act_open, self.act_open_file, self.act_demo])
        self.recent_menu = m.addMenu("Open &recent")
        m.addSeparator()
        m.addAction(self.act_export)
        m.addAction(self.act_export_chain)
        m.addAction(self.act_report)
        m.addSeparator()
        m.addAction(self.act_quit)
        m = mb.addMenu("&Edit")
        m.addActions([self.act_find, self.act_copy])
        m = mb.addMenu("&View")
        m.addActions([self.act_overview, self.act_full, self.act_focus, self.act_fit])
        m.addSeparator()
        m.addActions([self.act_denied, self.act_path_mode])
        m.addSeparator()
        for act in self.theme_actions.values():
            m.addAction(act)
        m.addSeparator()
        for dock in (self.inspector_dock, self.paths_dock, self.whatif_dock, self.legend_dock, self.report_dock):
            m.addAction(dock.toggleViewAction())
        m = mb.addMenu("&Go")
        m.addActions([self.act_back, self.act_forward])
        m = mb.addMenu("&Help")
        m.addAction("&Legend", lambda: (self.legend_dock.show(), self.legend_dock.raise_()))
        m.addAction("&About", self.about)
        self._refresh_recent()

    def _build_toolbar(self) -> None:
        tb = self.addToolBar("Main")
        tb.setObjectName("main_toolbar")
        tb.setMovable(False)
        tb.addAction(self.act_open)
        tb.addSeparator()
        tb.addActions([self.act_back, self.act_forward])
        tb.addSeparator()
        tb.addActions([self.act_overview, self.act_full, self.act_focus, self.act_fit])
        self.hops_spin = QtWidgets.QSpinBox()
        self.hops_spin.setRange(1, 6)
        self.hops_spin.setValue(self.focus_hops)
        self.hops_spin.setPrefix("hops ")
        self.hops_spin.setToolTip("focus: hops in and out")
        self.hops_spin.valueChanged.connect(self._hops_changed)
        tb.addWidget(self.hops_spin)
        tb.addSeparator()
        tb.addActions([self.act_denied, self.act_path_mode])
        tb.addSeparator()
        tb.addAction(self.act_export)
        tb.addSeparator()
        tb.addWidget(self.search)

    def _build_status(self) -> None:
        sb = self.statusBar()
        self.counts_label = QtWidgets.QLabel("No snapshot")
        self.view_label = QtWidgets.QLabel("")
        self.progress_bar = QtWidgets.QProgressBar()
        self.progress_bar.setMaximumWidth(220)
        self.progress_bar.setTextVisible(True)
        self.progress_bar.hide()
        self.busy_label = QtWidgets.QLabel("")
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.clicked.connect(lambda: self.model.cancel("load"))
        self.cancel_button.hide()
        self.report_button = QtWidgets.QPushButton("")
        self.report_button.setFlat(True)
        self.report_button.clicked.connect(self.show_report)
        self.report_button.hide()
        sb.addWidget(self.counts_label)
        sb.addWidget(self.view_label)
        sb.addPermanentWidget(self.report_button)
        sb.addPermanentWidget(self.busy_label)
        sb.addPermanentWidget(self.progress_bar)
        sb.addPermanentWidget(self.cancel_button)

    def _connect(self) -> None:
        m = self.model
        m.snapshotLoaded.connect(self._on_loaded)
        m.sceneChanged.connect(self._on_scene)
        m.selectionChanged.connect(self._on_selection)
        m.graphChanged.connect(self._update_counts)
        m.busyChanged.connect(self._on_busy)
        m.progress.connect(self._on_progress)
        m.error.connect(lambda msg: self.statusBar().showMessage(msg.splitlines()[0] if msg else "", 10000))
        m.loadFailed.connect(self._on_load_failed)
        self.load_report.countChanged.connect(self._show_issue_count)
        c = self.canvas
        c.nodeClicked.connect(self._node_clicked)
        c.edgeClicked.connect(m.select_edge)
        c.backgroundClicked.connect(lambda: m.select(None))
        c.nodeDoubleClicked.connect(self.focus_on)
        c.bandDoubleClicked.connect(self.expand_account)
        c.contextMenuAt.connect(self._context_menu)
        self.search.nodeChosen.connect(self.find_node)
        try:
            QtWidgets.QApplication.instance().styleHints().colorSchemeChanged.connect(
                lambda _s: self.apply_theme())
        except AttributeError:
            pass

    # ---- opening ----
    def open_dialog(self) -> None:
        path = QtWidgets.QFileDialog.getExistingDirectory(self, "Open a snapshot folder", self._last_dir())
        if path:
            self.open_path(path)

    def open_file_dialog(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Open an authorization-details file",
                                                        self._last_dir(), "JSON (*.json);;All files (*)")
        if path:
            self.open_path(path)

    def _last_dir(self) -> str:
        recent = self.recent()
        return str(Path(recent[0]).parent) if recent else str(Path.home())

    def open_path(self, path) -> None:
        self.statusBar().showMessage(f"Opening {path}…")
        self.model.open(str(path))
        self._pending_path = str(path)

    def recent(self) -> list[str]:
        value = self.settings.value("recent", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def _remember(self, path: str) -> None:
        items = [p for p in self.recent() if p != path]
        items.insert(0, path)
        self.settings.setValue("recent", items[:MAX_RECENT])
        self._refresh_recent()

    def _refresh_recent(self) -> None:
        self.recent_menu.clear()
        for p in self.recent():
            self.recent_menu.addAction(p, lambda _c=False, p=p: self.open_path(p))
        self.recent_menu.setEnabled(bool(self.recent()))

    def dragEnterEvent(self, ev) -> None:
        if ev.mimeData().hasUrls():
            ev.acceptProposedAction()

    def dropEvent(self, ev) -> None:
        urls = [u.toLocalFile() for u in ev.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.open_path(urls[0])
            ev.acceptProposedAction()

    def _on_loaded(self) -> None:
        m = self.model
        snap = m.snapshot
        self.setWindowTitle(f"IAM Trust Explorer — {snap.name}")
        self._remember(str(Path(snap.path).resolve()) if snap.path else snap.name)
        self.load_report.set_snapshot(snap, m.base_tg)  # load issues + policy-document problems (countChanged)
        self._show_issue_count(self.load_report.problem_count())
        self.search.set_entries(search_entries(m.tg.graph, SC.estate_of(m.tg)))
        self._update_counts()
        self.statusBar().showMessage(f"Opened {snap.name}", 5000)

    def _show_issue_count(self, n: int) -> None:
        """Warnings and errors of the load report (loader and policy documents), each once; info lines not."""
        self.report_button.setText(f"⚠ {n} load issue{'s' if n != 1 else ''}" if n else "load report: clean")
        self.report_button.show()

    def _on_load_failed(self, msg: str) -> None:
        self.statusBar().showMessage("Could not open the snapshot", 10000)
        box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Icon.Warning, "Could not open the snapshot", msg,
                                    QtWidgets.QMessageBox.StandardButton.Ok, self)
        box.setModal(False)
        box.open()
        self.last_error = msg

    def show_report(self) -> None:
        first = self.report_dock.isHidden() and not getattr(self, "_report_sized", False)
        self.report_dock.show()
        self.report_dock.raise_()
        if first:  # the first time: most of the bottom width, so file, place and message are readable
            self._report_sized = True
            bottom = QtCore.Qt.DockWidgetArea.BottomDockWidgetArea
            others = [d for d in self.findChildren(QtWidgets.QDockWidget) if d is not self.report_dock
                      and self.dockWidgetArea(d) == bottom and not d.isHidden() and not d.isFloating()]
            width = max(self.centralWidget().width(), 600)
            if others:
                self.resizeDocks([self.report_dock, others[0]], [width * 2 // 3, width // 3],
                                 QtCore.Qt.Orientation.Horizontal)

    # ---- view ----
    def _on_scene(self, scene: SC.Scene) -> None:
        old = self.canvas.scene_data
        same_view = old is not None and old.graph is not None and old.view == scene.view
        self.canvas.set_scene(scene, keep_view=same_view)
        if scene.graph is None:  # the accounts of a large snapshot, while its trust graph is being built
            self.view_label.setText(f" · {len(scene.ids)} accounts; building the trust graph…")
            return
        self.canvas.set_highlight(self.model.highlight())
        self.view_label.setText(f" · {scene.view.describe(self.model.tg.graph, SC.estate_of(self.model.tg))}: "
                                f"{scene.node_count} nodes, {scene.edge_count} edges drawn")
        sel = self.model.selection
        if sel is not None and sel.kind == NODE and getattr(self, "_center_pending", None) == sel.value:
            self.canvas.center_on(sel.value)
            self._center_pending = None

    def _update_counts(self) -> None:
        tg = self.model.tg
        if tg is None:
            return
        states = {}
        for *_e, d in tg.graph.edges(data=True):
            states[d.get(S.STATE)] = states.get(d.get(S.STATE), 0) + 1
        self.counts_label.setText(
            f"{len(tg.snapshot.accounts)} accounts · {self.model.principal_count()} principals · "
            f"{tg.graph.number_of_edges()} edges ({states.get(S.ALLOWED, 0)} allowed, "
            f"{states.get(S.CONDITIONAL, 0)} conditional, {states.get(S.DENIED, 0)} denied)")

    def focus_selection(self) -> None:
        sel = self.model.selection
        if sel is not None and sel.kind == NODE:
            self.focus_on(sel.value)
        elif sel is not None and sel.kind == PATH:
            self.model.set_view(SC.View(SC.PATH, path_nodes=tuple(sel.value.nodes)))

    def focus_on(self, node) -> None:
        self.model.select_node(node)
        self.model.set_view(SC.View(SC.FOCUS, focus=node, hops=self.focus_hops))

    def _hops_changed(self, value: int) -> None:
        self.focus_hops = value
        if self.model.view.mode == SC.FOCUS:
            self.model.set_view(SC.View(SC.FOCUS, focus=self.model.view.focus, hops=value))

    def expand_account(self, key: str) -> None:
        if self.model.view.mode == SC.OVERVIEW or self.model.view.mode == SC.FULL:
            self.model.set_view(SC.View(SC.ACCOUNT, account=key))

    def find_node(self, node) -> None:
        """Select and centre a node (switching to a view that shows it when needed)."""
        self.model.select_node(node)
        sc = self.canvas.scene_data
        if sc is not None and sc.view.mode != SC.OVERVIEW and node in sc.index:
            self.canvas.center_on(node)
        else:
            self._center_pending = node
            self.model.set_view(SC.View(SC.FOCUS, focus=node, hops=self.focus_hops))

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    # ---- selection ----
    def _node_clicked(self, node) -> None:
        m = self.model
        sc = self.canvas.scene_data
        if sc is not None and sc.view.mode == SC.OVERVIEW:
            self.statusBar().showMessage(f"{sc.node_tooltip(node).splitlines()[0]} — double-click to expand", 5000)
            return
        if self.path_mode:
            if m.path_source is None or m.path_target is not None:
                m.clear_paths()
                m.set_path_source(node)
                self.statusBar().showMessage(f"Path from {m.label(node)}: now click the target", 8000)
            else:
                m.set_path_target(node)
                self.paths_dock.show()
                self.paths_dock.raise_()
        m.select_node(node)

    def _on_selection(self) -> None:
        self.canvas.set_highlight(self.model.highlight())
        sel = self.model.selection
        if sel is not None and sel.kind == PATH:
            self.canvas.show_nodes(sel.value.nodes)
        self.act_back.setEnabled(self.model.can_go_back())
        self.act_forward.setEnabled(self.model.can_go_forward())

    def set_path_mode(self, on: bool) -> None:
        self.path_mode = bool(on)
        self.act_path_mode.setChecked(self.path_mode)
        if on:
            self.model.clear_paths()
            self.statusBar().showMessage("Path mode: click a source, then a target", 8000)

    def _context_menu(self, node, global_pos) -> None:
        menu = self.build_context_menu(node)
        if menu is not None:
            menu.popup(global_pos)

    def build_context_menu(self, node) -> QtWidgets.QMenu | None:
        m = self.model
        if node is None or m.tg is None or node not in m.tg.graph:
            return None
        menu = QtWidgets.QMenu(self)
        menu.addAction(f"Inspect {m.label(node)}", lambda: m.select_node(node))
        menu.addAction("Chains from here", lambda: (m.set_path_source(node), self.paths_dock.raise_()))
        menu.addAction("Chains to here", lambda: (m.set_path_target(node), self.paths_dock.raise_()))
        menu.addAction("Focus here", lambda: self.focus_on(node))
        menu.addAction("Copy ARN", lambda: QtWidgets.QApplication.clipboard().setText(self._arn_of(node)))
        self._last_menu = menu
        return menu

    def _arn_of(self, node) -> str:
        g = self.model.tg.graph
        return str(g.nodes[node].get(S.ARN) or node) if node in g else str(node)

    def copy_arn(self) -> None:
        sel = self.model.selection
        if sel is None:
            return
        if sel.kind == NODE:
            text = self._arn_of(sel.value)
        elif sel.kind == EDGE:
            text = f"{self._arn_of(sel.value[0])} -> {self._arn_of(sel.value[1])}"
        else:
            text = " ".join(self._arn_of(n) for n in sel.value.nodes)
        QtWidgets.QApplication.clipboard().setText(text)
        self.statusBar().showMessage(f"Copied {text}", 4000)

    # ---- busy ----
    def _on_busy(self, text: str) -> None:
        self.busy_label.setText(text)
        loading = self.model.is_busy("load")
        self.cancel_button.setVisible(loading)
        self.progress_bar.setVisible(bool(text))
        if not text:
            self.progress_bar.reset()

    def _on_progress(self, done: int, total: int, message: str) -> None:
        if total > 0:
            self.progress_bar.setRange(0, total)
            self.progress_bar.setValue(min(done, total))
        else:
            self.progress_bar.setRange(0, 0)
        if message:
            self.busy_label.setText(message[:60])

    # ---- export ----
    def export_scene(self, chain: bool = False) -> SC.Scene | None:
        """The scene as shown (view, highlight, what-if context) with the export caption; with `chain`, the
        selected chain alone."""
        m = self.model
        if m.tg is None:
            return None
        view = m.view
        if chain:
            sel = m.selection
            if sel is None or sel.kind != PATH:
                return None
            view = SC.View(SC.PATH, path_nodes=tuple(sel.value.nodes))
        return SC.scene_for_graph(m.tg, view, highlight=m.highlight(), show_denied=m.show_denied,
                                  cache=m.layouts, generation=m.layout_generation())

    def export_to(self, path, width: int = 1920, *, chain: bool = False) -> str:
        scene = self.export_scene(chain)
        if scene is None:
            raise RuntimeError("nothing to export" + (": select a chain first" if chain else ""))
        path = str(path)
        theme = self.current_theme()
        if path.lower().endswith(".svg"):
            from explorer.render.svg import write_svg
            write_svg(scene, path, width, theme=theme)
        else:
            from explorer.render.png import write_png
            write_png(scene, path, width, theme=theme)
        return path

    def export_dialog(self, chain: bool = False) -> None:
        if self.model.tg is None:
            return
        if chain and (self.model.selection is None or self.model.selection.kind != PATH):
            self.statusBar().showMessage("Select a chain first (Chains dock)", 6000)
            return
        path, flt = QtWidgets.QFileDialog.getSaveFileName(
            self, "Export the picture", str(Path(self._last_dir()) / f"{self.model.snapshot.name}.png"),
            "PNG image (*.png);;SVG vector (*.svg)")
        if not path:
            return
        if not path.lower().endswith((".png", ".svg")):
            path += ".svg" if "svg" in flt.lower() else ".png"
        sizes = ["1920 px (slides)", "4000 px (print)"]
        choice, ok = QtWidgets.QInputDialog.getItem(self, "Export width", "Width:", sizes, 0, False)
        if not ok:
            return
        width = 4000 if choice.startswith("4000") else 1920
        try:
            self.export_to(path, width, chain=chain)
            self.statusBar().showMessage(f"Exported {path}", 8000)
        except Exception as exc:  # a write error is shown, never a crash
            QtWidgets.QMessageBox.warning(self, "Export failed", str(exc))

    # ---- theme ----
    def set_theme(self, name: str) -> None:
        self.theme_choice = name
        self.theme_actions[name].setChecked(True)
        self.apply_theme()

    def current_theme(self) -> str:
        return system_theme() if self.theme_choice == "system" else self.theme_choice

    def apply_theme(self) -> None:
        name = self.current_theme()
        qss = RESOURCES / "styles" / f"{name}.qss"
        self.setStyleSheet(qss.read_text(encoding="utf-8") if qss.exists() else "")
        self.canvas.set_theme(name)
        self.legend.set_theme(name)
        for view in (self.inspector.trust_json, self.inspector.perm_json):
            view.highlighter.set_theme(name)

    def closeEvent(self, ev) -> None:
        self.model.cancel_all()  # background jobs stop at their next progress report
        super().closeEvent(ev)

    def about(self) -> None:
        QtWidgets.QMessageBox.about(self, "IAM Trust Explorer",
                                    "Who can become what in an AWS estate.\n\nThe trust graph, role chains, session "
                                    "limits and effective permissions of a snapshot.")
