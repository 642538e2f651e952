"""CloudTrail overlay (View > Show edge use): the snapshot's recorded assume events mapped onto the graph's edges
by explorer.analysis.cloudtrail.overlay, computed in the background.

On the graph every used edge gets a purple mark, thicker the more it was used, with a badge "N×"; "Only used
edges" hides every edge no event used (the model's edge filter; the nodes stay where they are). The CloudTrail
dock lists the used edges (count, first and last seen, session names), the assumptions the snapshot cannot
explain (with the reason, first and last seen and the session names) and the failed attempts. An event that names
only the calling account, with several of that account's principals holding an edge to the role, marks each of
those edges "possibly used (the event names only the account)": a "N×?" badge on the graph, a row of its own in
the Used edges tab, and they count as used for "Only used edges".
"""
from __future__ import annotations

import math

from PySide6 import QtCore, QtWidgets

from explorer.ui import model as M
from explorer.ui import workers as W

OWNER = "trail"
FILTER = "used edges"
ROLE_ITEM = QtCore.Qt.ItemDataRole.UserRole + 1


def _t(dt) -> str:
    return dt.strftime("%Y-%m-%d %H:%M") if dt is not None else "?"


class TrailController(QtCore.QObject):
    changed = QtCore.Signal()

    def __init__(self, model: M.ExplorerModel, parent=None):
        super().__init__(parent)
        self.model = model
        self.overlay = None
        self.show_use = False
        self.only_used = False
        self.busy = False
        self.error = ""
        model.snapshotLoaded.connect(self._graph_replaced)
        model.graphChanged.connect(self._graph_replaced)

    def set_show_use(self, on: bool) -> None:
        self.show_use = bool(on)
        if self.show_use and self.overlay is None and not self.busy:
            self.compute()
        self._apply()
        self.changed.emit()

    def set_only_used(self, on: bool) -> None:
        self.only_used = bool(on)
        if self.only_used and self.overlay is None and not self.busy:
            self.compute()
        self._apply()
        self.changed.emit()

    def label(self, arn: str) -> str:
        """A node's label; for a principal missing from the graph, its name and "(not in the snapshot)"."""
        tg = self.model.tg
        if tg is not None and arn in tg.graph:
            return self.model.label(arn)
        if arn.startswith("arn:") and "/" in arn:
            return f"{arn.rsplit('/', 1)[-1]} (not in the snapshot)"
        return arn

    def compute(self) -> None:
        if self.model.tg is None:
            return
        self.busy = True
        self.error = ""
        self.changed.emit()
        self.model.run_job("overlay", W.overlay_job, self.model.tg, done=self._done, failed=self._failed)

    def _done(self, ov) -> None:
        self.overlay = ov
        self.busy = False
        self._apply()
        self.changed.emit()

    def _failed(self, msg: str) -> None:
        self.busy = False
        self.error = msg
        self.changed.emit()

    def _graph_replaced(self) -> None:
        self.overlay = None
        if self.model.edge_filter is not None and self.model.edge_filter[0] == FILTER:
            self.model.set_edge_filter(None)
        self.model.clear_edge_marks(OWNER)
        if self.show_use or self.only_used:
            self.compute()
        else:
            self.changed.emit()

    def marks(self) -> dict:
        """One mark per drawn pair: the events of its actions added up, thicker the more it was used."""
        ov = self.overlay
        if ov is None:
            return {}
        per_pair: dict = {}
        for (u, v, k), use in sorted(ov.edge_use.items()):
            per_pair.setdefault((u, v), []).append((k, use))
        out: dict = {}
        for pair, uses in per_pair.items():
            count = sum(use.count for _k, use in uses)
            tip = "\n".join(f"{k}: {use.count} times, {_t(use.first_seen)} – {_t(use.last_seen)} "
                            f"({', '.join(sorted(use.session_names)) or 'no session name'})" for k, use in uses)
            out[pair] = M.EdgeMark(M.MARK_USED, f"{count}×", weight=1.0 + math.log2(count) * 0.6, tooltip=tip)
        for (u, v, k), use in sorted(ov.possible_use.items()):
            if (u, v) in out:
                continue  # already drawn as used
            tip = (f"{k}: {use.possible_reason}: {use.count} times, {_t(use.first_seen)} – {_t(use.last_seen)}; "
                   f"other candidates: {', '.join(sorted(use.candidates))}")
            out[(u, v)] = M.EdgeMark(M.MARK_USED, f"{use.count}×?", weight=1.0, tooltip=tip)
        return out

    def _apply(self) -> None:
        m = self.model
        if self.show_use and self.overlay is not None:
            m.set_edge_marks(self.marks(), owner=OWNER)
        else:
            m.clear_edge_marks(OWNER)
        if self.only_used and self.overlay is not None:
            m.set_edge_filter(set(self.overlay.edge_use) | set(self.overlay.possible_use), name=FILTER)
        elif m.edge_filter is not None and m.edge_filter[0] == FILTER:
            m.set_edge_filter(None)


class TrailDock(QtWidgets.QWidget):
    edgeChosen = QtCore.Signal(object, object)
    nodeChosen = QtCore.Signal(object)

    def __init__(self, controller: TrailController, parent=None):
        super().__init__(parent)
        self.controller = controller
        self.show_check = QtWidgets.QCheckBox("Show edge use")
        self.only_check = QtWidgets.QCheckBox("Only used edges")
        self.show_check.toggled.connect(controller.set_show_use)
        self.only_check.toggled.connect(controller.set_only_used)
        self.status = QtWidgets.QLabel("")
        self.status.setWordWrap(True)
        self.used = QtWidgets.QTreeWidget()
        self.used.setHeaderLabels(["edge", "times", "first seen", "last seen", "session names"])
        self.used.setRootIsDecorated(False)
        self.used.setColumnWidth(0, 330)
        self.used.setColumnWidth(1, 45)
        self.used.setColumnWidth(2, 115)
        self.used.setColumnWidth(3, 115)
        self.unexplained = QtWidgets.QTreeWidget()
        self.unexplained.setHeaderLabels(["caller → role", "why unexplained", "times", "first seen", "last seen",
                                          "session names"])
        self.unexplained.setRootIsDecorated(False)
        self.unexplained.setColumnWidth(0, 330)
        self.unexplained.setColumnWidth(1, 240)
        self.unexplained.setColumnWidth(2, 45)
        self.unexplained.setColumnWidth(3, 115)
        self.unexplained.setColumnWidth(4, 115)
        self.failed = QtWidgets.QLabel("")
        self.failed.setWordWrap(True)
        self.tabs = QtWidgets.QTabWidget()
        self.tabs.addTab(self.unexplained, "Unexplained assumptions")
        self.tabs.addTab(self.used, "Used edges")
        self.used.itemClicked.connect(self._clicked)
        self.unexplained.itemClicked.connect(self._clicked)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.show_check)
        row.addWidget(self.only_check)
        row.addStretch(1)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(row)
        lay.addWidget(self.status)
        lay.addWidget(self.tabs, 1)
        lay.addWidget(self.failed)
        controller.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        c = self.controller
        for box, on in ((self.show_check, c.show_use), (self.only_check, c.only_used)):
            if box.isChecked() != on:
                box.blockSignals(True)
                box.setChecked(on)
                box.blockSignals(False)
        self.used.clear()
        self.unexplained.clear()
        self.failed.setText("")
        ov = c.overlay
        if c.error:
            self.status.setText(f"Could not read the events: {c.error.splitlines()[0]}")
            return
        if ov is None:
            self.status.setText("Matching the CloudTrail events to edges…" if c.busy else
                                "Tick “Show edge use” to read the snapshot's CloudTrail events.")
            return
        if not ov.has_events:
            self.status.setText("The snapshot holds no CloudTrail assume events (collect with --cloudtrail-days).")
            return
        lab = c.label
        self.status.setText(f"{ov.event_count} assume events: {len(ov.edge_use)} edges used, "
                            + (f"{len(ov.possible_use)} possibly used (the event names only the account), "
                               if ov.possible_use else "") +
                            f"{len(ov.unexplained)} unexplained assumptions, "
                            f"{sum(ov.failed.values())} failed attempts; "
                            f"{len(ov.unused_edges)} allowed or conditional edges never used in these events."
                            + (" On the graph: purple = used (thicker when used more; the badge counts the events)."
                               if c.show_use else ""))
        for (u, v, k), use in sorted(ov.edge_use.items(), key=lambda kv: (-kv[1].count, kv[0])):
            item = QtWidgets.QTreeWidgetItem(self.used, [f"{lab(u)} → {lab(v)} ({k})", str(use.count),
                                                         _t(use.first_seen), _t(use.last_seen),
                                                         ", ".join(sorted(use.session_names))])
            item.setData(0, ROLE_ITEM, ("edge", u, v))
            item.setToolTip(0, f"{u} → {v}\ncallers: {', '.join(sorted(use.callers))}")
        for (u, v, k), use in sorted(ov.possible_use.items(), key=lambda kv: (-kv[1].count, kv[0])):
            item = QtWidgets.QTreeWidgetItem(self.used, [
                f"{lab(u)} → {lab(v)} ({k}) — possibly used (the event names only the account)", str(use.count),
                _t(use.first_seen), _t(use.last_seen), ", ".join(sorted(use.session_names))])
            item.setData(0, ROLE_ITEM, ("edge", u, v))
            item.setToolTip(0, f"{u} → {v}\n{use.possible_reason}\nother candidates: "
                               f"{', '.join(lab(c) for c in sorted(use.candidates))}\n"
                               f"callers: {', '.join(sorted(use.callers))}")
        for x in ov.unexplained:
            item = QtWidgets.QTreeWidgetItem(self.unexplained, [
                f"{lab(x.caller)} → {lab(x.role_arn)} ({x.action})", x.reason, str(x.count), _t(x.first_seen),
                _t(x.last_seen), ", ".join(sorted(x.session_names))])
            item.setData(0, ROLE_ITEM, ("node", x.role_arn if x.role_arn in c.model.tg.graph else x.caller))
            item.setToolTip(0, f"{x.caller} → {x.role_arn}")
            item.setToolTip(1, f"{x.reason} [{x.reason_code}]\nevents: {', '.join(x.sources[:5])}")
        for tree in (self.used, self.unexplained):
            for col in range(tree.columnCount() - 1):
                tree.resizeColumnToContents(col)
                tree.setColumnWidth(col, min(tree.columnWidth(col) + 12, 460))
        if ov.failed:
            self.failed.setText("Failed attempts (they explain nothing): " + "; ".join(
                f"{lab(cl)} → {lab(r)} ×{n}" for (cl, r, _a), n in sorted(ov.failed.items())))

    def used_rows(self) -> list[str]:
        return [" | ".join(self.used.topLevelItem(i).text(c) for c in range(5))
                for i in range(self.used.topLevelItemCount())]

    def unexplained_rows(self) -> list[str]:
        return [" | ".join(self.unexplained.topLevelItem(i).text(c) for c in range(6))
                for i in range(self.unexplained.topLevelItemCount())]

    def _clicked(self, item, _col) -> None:
        data = item.data(0, ROLE_ITEM)
        g = self.controller.model.tg.graph if self.controller.model.tg is not None else None
        if not data or g is None:
            return
        if data[0] == "edge" and g.has_edge(data[1], data[2]):
            self.edgeChosen.emit(data[1], data[2])
        elif data[0] == "node" and data[1] in g:
            self.nodeChosen.emit(data[1])
