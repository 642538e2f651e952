"""Compare mode: the opened snapshot against a second one (File > Compare with snapshot…).

The second snapshot is loaded and its trust graph built in the background under the same what-if context;
explorer.analysis.diff.diff_graphs says what changed. By default the opened snapshot is the newer one (the
other is the baseline); "Swap" reverses that. The Compare dock lists the changes (edges added / removed /
changed, principals added / removed, administrative chains gained / lost) and the graph shows them as marks:
green additions, red removals, amber changes; an edge missing from the opened graph is drawn as a dashed ghost
when both its nodes are shown. Leaving compare mode removes the marks. No diff logic lives here.
"""
from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from explorer.ui import model as M
from explorer.ui import workers as W

OWNER = "compare"
ADDED, REMOVED, CHANGED = "#1f9d3a", "#d62728", "#e08a00"
ROLE_ITEM = QtCore.Qt.ItemDataRole.UserRole + 1


class CompareController(QtCore.QObject):
    """Compare-mode state: the other snapshot and graph, the direction and the current GraphDiff."""
    changed = QtCore.Signal()  # diff ready, cleared or recomputing
    failed = QtCore.Signal(str)

    def __init__(self, model: M.ExplorerModel, parent=None):
        super().__init__(parent)
        self.model = model
        self.path: str | None = None
        self.other = None
        self.other_tg = None
        self.diff = None
        self.current_is_newer = True
        self.busy = False
        model.snapshotLoaded.connect(self.leave)
        model.graphChanged.connect(self._rediff)

    @property
    def active(self) -> bool:
        return self.path is not None

    def start(self, path, *, current_is_newer: bool = True) -> None:
        m = self.model
        if m.tg is None:
            self.failed.emit("Open a snapshot first")
            return
        self.path = str(path)
        self.current_is_newer = current_is_newer
        self.other = self.other_tg = self.diff = None
        self.busy = True
        self.changed.emit()
        m.run_job("compare", W.compare_job, self.path, m.tg, done=self._loaded, failed=self._failed,
                  current_is_newer=current_is_newer)

    def _loaded(self, result) -> None:
        self.other, self.other_tg, self.diff = result
        self.busy = False
        self.apply_marks()
        self.changed.emit()

    def _failed(self, msg: str) -> None:
        self.path = None
        self.busy = False
        self.model.clear_edge_marks(OWNER)
        self.changed.emit()
        self.failed.emit(msg)

    def swap(self) -> None:
        if self.other_tg is None:
            return
        self.current_is_newer = not self.current_is_newer
        self._rediff()

    def _rediff(self) -> None:
        if self.other_tg is None or self.model.tg is None:
            return
        self.busy = True
        self.changed.emit()

        def done(result):
            self.other_tg, self.diff = result
            self.busy = False
            self.apply_marks()
            self.changed.emit()
        self.model.run_job("compare", W.diff_job, self.model.tg, self.other_tg, done=done, failed=self._failed,
                           current_is_newer=self.current_is_newer, context=self.model.context)

    def leave(self) -> None:
        if self.path is None and self.diff is None:
            return
        self.model.cancel("compare")
        self.path = None
        self.other = self.other_tg = self.diff = None
        self.busy = False
        self.model.clear_edge_marks(OWNER)
        self.changed.emit()

    # ---- names ----
    @property
    def old_name(self) -> str:
        cur = self.model.snapshot.name if self.model.snapshot else "?"
        other = self.other.name if self.other is not None else Path(self.path or "?").name
        return other if self.current_is_newer else cur

    @property
    def new_name(self) -> str:
        cur = self.model.snapshot.name if self.model.snapshot else "?"
        other = self.other.name if self.other is not None else Path(self.path or "?").name
        return cur if self.current_is_newer else other

    def label(self, node) -> str:
        """A node's label from whichever graph has it."""
        for tg in (self.model.tg, self.other_tg):
            if tg is not None and node in tg.graph:
                from explorer.graph import schema as S
                return str(tg.graph.nodes[node].get(S.LABEL) or node)
        return str(node)

    # ---- marks ----
    def marks(self) -> tuple[dict, dict]:
        d = self.diff
        if d is None:
            return {}, {}
        edges: dict = {}
        for e in d.edges_changed:
            edges[(e.old.source, e.old.target)] = M.EdgeMark(
                M.MARK_CHANGED, "~", tooltip=f"{e.old.action}: {', '.join(e.changed)} {e.old.state} → {e.new.state}")
        for e in d.edges_removed:
            edges[(e.source, e.target)] = M.EdgeMark(M.MARK_REMOVED, "−", tooltip=f"removed {e.action} ({e.state})")
        for e in d.edges_added:
            edges[(e.source, e.target)] = M.EdgeMark(M.MARK_ADDED, "+", tooltip=f"added {e.action} ({e.state})")
        nodes = {p: M.EdgeMark(M.MARK_ADDED, "+") for p in d.principals_added}
        nodes.update({p: M.EdgeMark(M.MARK_REMOVED, "−") for p in d.principals_removed})
        return edges, nodes

    def apply_marks(self) -> None:
        edges, nodes = self.marks()
        self.model.set_edge_marks(edges, owner=OWNER, nodes=nodes)


class CompareDock(QtWidgets.QWidget):
    edgeChosen = QtCore.Signal(object, object)
    nodeChosen = QtCore.Signal(object)

    def __init__(self, controller: CompareController, parent=None):
        super().__init__(parent)
        self.controller = controller
        self.header = QtWidgets.QLabel("Not comparing. File > Compare with snapshot… loads a second snapshot.")
        self.header.setWordWrap(True)
        self.header.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.swap_button = QtWidgets.QPushButton("Swap older / newer")
        self.swap_button.clicked.connect(controller.swap)
        self.leave_button = QtWidgets.QPushButton("Leave compare mode")
        self.leave_button.clicked.connect(controller.leave)
        self.tree = QtWidgets.QTreeWidget()
        self.tree.setHeaderLabels(["change", "detail"])
        self.tree.setColumnWidth(0, 380)
        self.tree.itemClicked.connect(self._clicked)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.swap_button)
        row.addWidget(self.leave_button)
        row.addStretch(1)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.header)
        lay.addLayout(row)
        lay.addWidget(self.tree, 1)
        controller.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        c = self.controller
        self.tree.clear()
        self.swap_button.setEnabled(c.diff is not None)
        self.leave_button.setEnabled(c.active)
        if not c.active:
            self.header.setText("Not comparing. <i>File › Compare with snapshot…</i> loads a second snapshot.")
            return
        if c.busy or c.diff is None:
            self.header.setText(f"Comparing with <b>{_html(Path(c.path).name)}</b>…")
            return
        d = c.diff
        s = d.to_json()["summary"]
        self.header.setText(
            f"<b>{_html(c.old_name)}</b> (older) → <b>{_html(c.new_name)}</b> (newer)<br>"
            f"edges: <span style='color:#1f9d3a'>{s['edges_added']} added</span>, "
            f"<span style='color:#d62728'>{s['edges_removed']} removed</span>, "
            f"<span style='color:#e08a00'>{s['edges_changed']} changed</span> · principals: "
            f"{s['principals_added']} added, {s['principals_removed']} removed · chains to administrative roles: "
            f"{s['admin_chains_added']} new, {s['admin_chains_lost']} lost"
            + (" · <b>no change</b>" if d.empty else "")
            + "<br><span style='color:gray'>On the graph: green added, red removed, amber changed; dashed where "
              "the edge is not in the opened snapshot.</span>")
        lab = c.label

        def section(title, items, fmt, colour=None):
            top = QtWidgets.QTreeWidgetItem(self.tree, [f"{title} ({len(items)})", ""])
            f = top.font(0)
            f.setBold(True)
            top.setFont(0, f)
            for x in items:
                text, detail, data = fmt(x)
                child = QtWidgets.QTreeWidgetItem(top, [text, detail])
                child.setData(0, ROLE_ITEM, data)
                child.setToolTip(0, text)
                child.setToolTip(1, detail)
                if colour:
                    child.setForeground(0, QtGui.QColor(colour))
            top.setExpanded(bool(items))
            return top

        section("Edges added", d.edges_added,
                lambda e: (f"+ {lab(e.source)} → {lab(e.target)}", f"{e.action} · {e.state}",
                           ("edge", e.source, e.target)), ADDED)
        section("Edges removed", d.edges_removed,
                lambda e: (f"− {lab(e.source)} → {lab(e.target)}", f"{e.action} · was {e.state}",
                           ("edge", e.source, e.target)), REMOVED)
        section("Edges changed", d.edges_changed,
                lambda ch: (f"~ {lab(ch.old.source)} → {lab(ch.old.target)}",
                            f"{ch.old.action}: {', '.join(ch.changed)}: {ch.old.state} → {ch.new.state}",
                            ("edge", ch.old.source, ch.old.target)), CHANGED)
        section("Principals added", d.principals_added, lambda p: (f"+ {lab(p)}", p, ("node", p)), ADDED)
        section("Principals removed", d.principals_removed, lambda p: (f"− {lab(p)}", p, ("node", p)), REMOVED)
        section("New chains to administrative roles", d.chains_added,
                lambda ch: (f"+ {lab(ch.source)} ⇒ {lab(ch.admin_role)}",
                            " → ".join(lab(n) for n in ch.chain), ("node", ch.source)), ADDED)
        section("Lost chains to administrative roles", d.chains_lost,
                lambda ch: (f"− {lab(ch.source)} ⇒ {lab(ch.admin_role)}",
                            " → ".join(lab(n) for n in ch.chain), ("node", ch.source)), REMOVED)
        self.tree.resizeColumnToContents(0)

    def rows(self) -> list[str]:
        """Every change row as text (tests)."""
        out = []
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            for j in range(top.childCount()):
                out.append(f"{top.child(j).text(0)} | {top.child(j).text(1)}")
        return out

    def _clicked(self, item, _col) -> None:
        data = item.data(0, ROLE_ITEM)
        if not data:
            return
        g = self.controller.model.tg.graph if self.controller.model.tg is not None else None
        if data[0] == "edge" and g is not None and g.has_edge(data[1], data[2]):
            self.edgeChosen.emit(data[1], data[2])
        elif data[0] == "edge" and g is not None and data[1] in g:
            self.nodeChosen.emit(data[1])
        elif data[0] == "node" and g is not None and data[1] in g:
            self.nodeChosen.emit(data[1])


def _html(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
