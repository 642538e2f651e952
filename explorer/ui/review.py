"""The review features of the window, installed by `install(window)` (one line in main_window.py):

  Findings dock      explorer.analysis.findings, run in the background after the graph is built and after every
                     what-if change; File > Export findings (JSON / SARIF)
  Compare mode       File > Compare with snapshot… / Leave compare mode; the Compare dock; marks on the graph
  CloudTrail         View > Show edge use, View > Only used edges; the CloudTrail dock
  Revoke sessions…   Edit menu and a role's context menu: the revocation preview dialog
  Collect from AWS…  File menu: the collector dialog; the snapshot opens when written

The marks these features put on the graph go through the model (`set_edge_marks`) and are painted by one
MarksLayer item on the canvas. Everything here wires widgets; the logic is in explorer.analysis / collect.
"""
from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from explorer.graph import schema as S
from explorer.ui.collect_dialog import CollectDialog
from explorer.ui.compare import CompareController, CompareDock
from explorer.ui.findings_dock import FindingsDock, write_findings
from explorer.ui.marks_layer import MarksLayer
from explorer.ui.model import NODE
from explorer.ui.revoke_dialog import RevokeDialog
from explorer.ui.trail_overlay import TrailController, TrailDock

ROLE_KINDS = (S.ROLE,)


def _menu(window, title: str) -> QtWidgets.QMenu:
    for act in window.menuBar().actions():
        if act.menu() is not None and act.text().replace("&", "") == title:
            return act.menu()
    return window.menuBar().addMenu(title)


class Review(QtCore.QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        m = self.model = window.model
        self.marks = MarksLayer.attach(window.canvas, m)

        # findings: computed for each new graph (a load, a what-if change), once its picture is drawn, so the
        # checks do not compete with the layout for the interpreter while the analyst waits for the first paint
        self._findings_due = False
        m.snapshotLoaded.connect(self._graph_is_new)
        m.graphChanged.connect(self._graph_is_new)
        m.sceneChanged.connect(self._scene_drawn)
        self.findings = FindingsDock(m)
        self.findings.subjectChosen.connect(window.find_node)
        self.findings.subjectFocused.connect(window.focus_on)
        self.findings.message.connect(lambda t: window.statusBar().showMessage(t, 6000))
        self.findings.exportRequested.connect(self.export_findings_dialog)
        self.compare = CompareController(m, self)
        self.compare_dock = CompareDock(self.compare)
        self.compare.failed.connect(self._compare_failed)
        self.compare_dock.edgeChosen.connect(m.select_edge)
        self.compare_dock.nodeChosen.connect(window.find_node)
        self.trail = TrailController(m, self)
        self.trail_dock = TrailDock(self.trail)
        self.trail_dock.edgeChosen.connect(m.select_edge)
        self.trail_dock.nodeChosen.connect(window.find_node)

        bottom = QtCore.Qt.DockWidgetArea.BottomDockWidgetArea
        self.findings_dockw = self._dock("Findings", self.findings, bottom)
        self.trail_dockw = self._dock("CloudTrail", self.trail_dock, bottom)
        self.compare_dockw = self._dock("Compare", self.compare_dock, bottom)
        window.tabifyDockWidget(self.findings_dockw, self.trail_dockw)
        window.tabifyDockWidget(self.findings_dockw, self.compare_dockw)
        self.trail_dockw.hide()
        self.compare_dockw.hide()
        self.findings_dockw.raise_()

        self._actions()
        self.compare.changed.connect(self._sync_actions)
        self.trail.changed.connect(self._sync_actions)
        m.selectionChanged.connect(self._sync_actions)
        m.findingsChanged.connect(self._sync_actions)
        self._wrap_window()
        self._sync_actions()
        self.revoke_dialog: RevokeDialog | None = None
        self.collect_dialog: CollectDialog | None = None
        window.installEventFilter(self)  # closing the window stops a running collection cleanly

    def eventFilter(self, obj, ev) -> bool:
        if obj is self.window and ev.type() == QtCore.QEvent.Type.Close and self.collect_dialog is not None:
            self.collect_dialog.cancel()
        return False

    def _dock(self, title, widget, area) -> QtWidgets.QDockWidget:
        dock = QtWidgets.QDockWidget(title, self.window)
        dock.setObjectName(f"review_{title.lower()}")
        dock.setWidget(widget)
        self.window.addDockWidget(area, dock)
        return dock

    # ---- menus ----
    def _actions(self) -> None:
        w = self.window
        A = w._action
        self.act_compare = A("Compare with snapshot…", self.compare_dialog,
                             tip="load a second snapshot and show what changed")
        self.act_leave_compare = A("Leave compare mode", self.compare.leave)
        self.act_collect = A("Collect from AWS…", self.collect_from_aws,
                             tip="collect a snapshot with read-only calls and open it")
        self.act_export_json = A("Export findings as JSON…", lambda: self.export_findings_dialog("json"))
        self.act_export_sarif = A("Export findings as SARIF…", lambda: self.export_findings_dialog("sarif"))
        self.act_edge_use = A("Show edge &use (CloudTrail)", self.set_show_use, checkable=True,
                              tip="mark the edges CloudTrail events used, with how often")
        self.act_only_used = A("Only &used edges", self.set_only_used, checkable=True,
                               tip="hide the edges no CloudTrail event used")
        self.act_revoke = A("&Revoke sessions…", lambda: self.revoke_sessions(),
                            tip="preview AWSRevokeOlderSessions on the selected role")
        file_menu = _menu(w, "File")
        quit_act = getattr(w, "act_quit", None)
        before = quit_act if quit_act in file_menu.actions() else None
        sep = QtGui.QAction(self)
        sep.setSeparator(True)
        items = [self.act_collect, self.act_compare, self.act_leave_compare, sep, self.act_export_json,
                 self.act_export_sarif]
        sep2 = QtGui.QAction(self)
        sep2.setSeparator(True)
        items.append(sep2)
        for act in items:
            file_menu.insertAction(before, act) if before is not None else file_menu.addAction(act)
        edit = _menu(w, "Edit")
        edit.addSeparator()
        edit.addAction(self.act_revoke)
        view = _menu(w, "View")
        view.addSeparator()
        view.addActions([self.act_edge_use, self.act_only_used])
        for dock in (self.findings_dockw, self.trail_dockw, self.compare_dockw):
            view.addAction(dock.toggleViewAction())

    def _sync_actions(self) -> None:
        self.act_leave_compare.setEnabled(self.compare.active)
        self.act_compare.setEnabled(self.model.tg is not None)
        has = self.model.findings is not None
        self.act_export_json.setEnabled(has)
        self.act_export_sarif.setEnabled(has)
        for act, on in ((self.act_edge_use, self.trail.show_use), (self.act_only_used, self.trail.only_used)):
            if act.isChecked() != on:
                act.blockSignals(True)
                act.setChecked(on)
                act.blockSignals(False)
        self.act_revoke.setEnabled(self.selected_role() is not None)

    def _wrap_window(self) -> None:
        """Add "Revoke sessions…" to a role's context menu and follow the theme in the JSON views."""
        w = self.window
        build = w.build_context_menu

        def build_context_menu(node):
            menu = build(node)
            if menu is not None and self.is_role(node):
                menu.addSeparator()
                menu.addAction("Revoke sessions…", lambda: self.revoke_sessions(node))
            return menu
        w.build_context_menu = build_context_menu
        apply_theme = w.apply_theme

        def themed():
            apply_theme()
            self.findings.set_theme(w.current_theme())
        w.apply_theme = themed
        self.findings.set_theme(w.current_theme())

    # ---- findings ----
    def _graph_is_new(self) -> None:
        self._findings_due = True

    def _scene_drawn(self, _scene) -> None:
        if self._findings_due and self.model.tg is not None:
            self._findings_due = False
            self.model.compute_findings()

    def export_findings_dialog(self, fmt: str = "json") -> None:
        m = self.model
        if m.findings is None:
            self.window.statusBar().showMessage("No findings yet: the checks are still running", 6000)
            return
        ext = ".sarif" if fmt == "sarif" else ".json"
        base = Path(self.window._last_dir()) / f"{m.snapshot.name}-findings{ext}"
        flt = "SARIF log (*.sarif *.sarif.json)" if fmt == "sarif" else "JSON (*.json)"
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self.window, "Export findings", str(base), flt)
        if not path:
            return
        try:
            write_findings(m, path, fmt)
            self.window.statusBar().showMessage(f"Exported {len(m.findings.findings)} findings to {path}", 8000)
        except OSError as exc:
            QtWidgets.QMessageBox.warning(self.window, "Export failed", str(exc))

    # ---- compare ----
    def compare_dialog(self) -> None:
        if self.model.tg is None:
            return
        path = QtWidgets.QFileDialog.getExistingDirectory(self.window, "Compare with which snapshot (folder)?",
                                                          self.window._last_dir())
        if path:
            self.start_compare(path)

    def start_compare(self, path, *, current_is_newer: bool = True) -> None:
        self.compare_dockw.show()
        self.compare_dockw.raise_()
        self.compare.start(path, current_is_newer=current_is_newer)

    def _compare_failed(self, msg: str) -> None:
        self.window.statusBar().showMessage("Could not compare", 8000)
        QtWidgets.QMessageBox.warning(self.window, "Could not compare", msg.splitlines()[0] if msg else "")

    # ---- CloudTrail ----
    def set_show_use(self, on: bool) -> None:
        self.trail.set_show_use(on)
        if on:
            self.trail_dockw.show()
            self.trail_dockw.raise_()

    def set_only_used(self, on: bool) -> None:
        self.trail.set_only_used(on)
        if on:
            self.trail_dockw.show()
            self.trail_dockw.raise_()

    # ---- revocation ----
    def is_role(self, node) -> bool:
        tg = self.model.tg
        return tg is not None and node in tg.graph and tg.graph.nodes[node].get(S.KIND) in ROLE_KINDS

    def selected_role(self):
        sel = self.model.selection
        if sel is not None and sel.kind == NODE and self.is_role(sel.value):
            return sel.value
        return None

    def revoke_sessions(self, role=None, *, when=None) -> RevokeDialog | None:
        role = role or self.selected_role()
        if role is None:
            self.window.statusBar().showMessage("Select a role first", 6000)
            return None
        if self.revoke_dialog is not None:
            self.revoke_dialog.close()
        dlg = RevokeDialog(self.model, role, self.window, when=when)
        dlg.policy_view.highlighter.set_theme(self.window.current_theme())
        dlg.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.destroyed.connect(lambda _o=None, d=dlg: self._forget_revoke(d))
        self.revoke_dialog = dlg
        dlg.show()
        return dlg

    def _forget_revoke(self, dlg) -> None:
        if self.revoke_dialog is dlg:
            self.revoke_dialog = None

    # ---- collection ----
    def collect_from_aws(self) -> CollectDialog:
        if self.collect_dialog is None:
            dlg = CollectDialog(self.window, settings=getattr(self.window, "settings", None))
            dlg.collected.connect(self.window.open_path)
            self.collect_dialog = dlg
        self.collect_dialog.show()
        self.collect_dialog.raise_()
        return self.collect_dialog


def install(window) -> Review:
    """Add the review features (menus, actions, docks, marks layer) to a MainWindow."""
    window.review = Review(window)
    return window.review
