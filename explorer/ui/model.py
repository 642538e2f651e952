"""The window's state, in one QObject (the napari pattern): the snapshot, the trust graph under the current
what-if context, the view, the selection (with back / forward history), the chains found between a source and
a target. Widgets read it and report user actions to it; it emits signals when something changes. Long work
runs on the thread pool (workers.py); results arrive as signals, so the window never waits.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6 import QtCore

from explorer.graph import schema as S
from explorer.render import scene as SC
from explorer.render.layout import LayoutCache
from explorer.ui import workers as W

NODE, EDGE, PATH = "node", "edge", "path"

# Edge marks: what the review features (compare, CloudTrail overlay, revocation preview, findings) paint over the
# graph. Generic: a mark is a kind and an optional badge; the marks layer (explorer/ui/marks_layer.py) decides the
# colours. Marked pairs missing from the drawn graph are drawn as ghost (dashed) lines when both nodes are shown.
MARK_ADDED, MARK_REMOVED, MARK_CHANGED, MARK_USED, MARK_LOST, MARK_KEPT, MARK_FOCUS = (
    "added", "removed", "changed", "used", "lost", "kept", "focus")


@dataclass(frozen=True)
class EdgeMark:
    kind: str  # one of the MARK_* kinds
    label: str = ""  # a short badge drawn at the middle of the edge ("3x", "+", ...)
    weight: float = 1.0  # line width multiplier (edge use: more events, thicker)
    tooltip: str = ""


@dataclass(frozen=True)
class Selection:
    kind: str  # NODE | EDGE | PATH
    value: Any  # node id | (u, v) | RolePath

    def key(self):
        if self.kind == PATH:
            return (PATH, tuple(self.value.nodes))
        return (self.kind, self.value)


class ExplorerModel(QtCore.QObject):
    snapshotLoaded = QtCore.Signal()  # a new snapshot and graph
    graphChanged = QtCore.Signal()  # edges re-evaluated (what-if)
    sceneChanged = QtCore.Signal(object)  # a Scene ready to draw
    selectionChanged = QtCore.Signal()
    pathsChanged = QtCore.Signal()
    contextChanged = QtCore.Signal()
    busyChanged = QtCore.Signal(str)  # "" when idle
    progress = QtCore.Signal(int, int, str)
    error = QtCore.Signal(str)
    loadFailed = QtCore.Signal(str)
    marksChanged = QtCore.Signal()  # edge / node marks or the edge filter changed
    findingsChanged = QtCore.Signal()  # model.findings replaced (or cleared)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.snapshot = None
        self.base_tg = None  # built under the open context
        self.tg = None  # under the current context
        self.context = None
        self.view = SC.View(SC.FULL)
        self.show_denied = False
        self.scene: SC.Scene | None = None
        self.selection: Selection | None = None
        self.history: list[Selection] = []
        self.history_pos = -1
        self.path_source = None
        self.path_target = None
        self.paths: list = []
        self.paths_searching = False
        self.max_hops = 5
        self.console_only = False  # chains: console Switch Role only (explorer.analysis.console_switch)
        self.layouts = LayoutCache()
        self._generation = 0
        self._jobs: dict[str, W.Job] = {}
        self._scene_pending = False
        # review features (explorer/ui/review.py): marks per owner, an optional edge filter, the findings report
        self.mark_sets: dict[str, dict] = {}  # owner -> {(u, v) or (u, v, key): EdgeMark}
        self.node_mark_sets: dict[str, dict] = {}  # owner -> {node: EdgeMark}
        self.edge_filter: tuple[str, frozenset] | None = None  # (name, {(u, v, key)}) edges drawn, or None: all
        self.findings = None  # explorer.analysis.findings.FindingsReport of the current graph
        self.findings_error = ""

    # ---- jobs ----
    def _run(self, slot: str, fn, *args, done=None, busy: str = "", failed=None, partial=None, partial_arg=None,
             **kwargs) -> W.Job:
        old = self._jobs.pop(slot, None)
        if old is not None:
            old.cancel()
        job = W.Job(fn, *args, name=slot, **kwargs)
        self._jobs[slot] = job
        if partial is not None:
            job.kwargs[partial_arg] = lambda result, job=job: job._emit(job.signals.partial, result)

            def on_partial(result, job=job):
                if self._jobs.get(slot) is job:
                    partial(result)
            job.signals.partial.connect(on_partial)

        def on_done(result, job=job):
            if self._jobs.get(slot) is job and done is not None:
                done(result)

        def on_failed(msg, job=job):
            if self._jobs.get(slot) is job:
                (failed or self.error.emit)(msg)

        def on_finished(job=job):
            if self._jobs.get(slot) is job:
                self._jobs.pop(slot, None)
            self.busyChanged.emit(self.busy_text())

        job.signals.done.connect(on_done)
        job.signals.failed.connect(on_failed)
        job.signals.finished.connect(on_finished)
        job.signals.progress.connect(self.progress.emit)
        W.start(job)
        self.busyChanged.emit(busy or self.busy_text())
        return job

    run_job = _run

    def busy_text(self) -> str:
        names = {"load": "loading", "context": "re-evaluating edges", "scene": "laying out", "paths": "finding chains",
                 "effective": "effective permissions", "findings": "checking findings",
                 "compare": "comparing snapshots", "overlay": "reading CloudTrail", "revoke": "revocation preview"}
        return ", ".join(names.get(k, k) for k in self._jobs)

    def is_busy(self, slot: str | None = None) -> bool:
        return bool(self._jobs) if slot is None else slot in self._jobs

    def cancel(self, slot: str = "load") -> None:
        job = self._jobs.pop(slot, None)
        if job is not None:
            job.cancel()
        self.busyChanged.emit(self.busy_text())

    def cancel_all(self) -> None:
        for slot in list(self._jobs):
            self.cancel(slot)

    def wait(self, timeout_ms: int = 60000) -> bool:
        """Block until no job runs (tests, the exporter)."""
        timer = QtCore.QElapsedTimer()
        timer.start()
        while self._jobs and timer.elapsed() < timeout_ms:
            QtCore.QCoreApplication.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 50)
            W.pool().waitForDone(10)
        QtCore.QCoreApplication.processEvents()
        return not self._jobs

    # ---- loading ----
    def open(self, path) -> None:
        self._run("load", W.load_job, str(path), done=self._loaded, busy=f"loading {path}",
                  failed=self.loadFailed.emit, partial=self._preview, partial_arg="loaded")

    def _preview(self, snapshot) -> None:
        """A large snapshot is loaded and its graph is being built: show its accounts meanwhile."""
        principals = sum(len(a.users) + len(a.roles) for a in snapshot.accounts.values())
        if principals > SC.LARGE_ESTATE:
            self.sceneChanged.emit(SC.preview_scene(snapshot))

    def set_loaded(self, snapshot, tg) -> None:
        """Show an already loaded snapshot and graph (tests, benchmarks, the command line)."""
        self._loaded((snapshot, tg))

    def _loaded(self, result) -> None:
        snap, tg = result
        self.snapshot, self.base_tg, self.tg = snap, tg, tg
        self.context = tg.context
        self._generation += 1
        self.layouts.clear()
        self.selection, self.history, self.history_pos = None, [], -1
        self.path_source = self.path_target = None
        self.paths = []
        principals = sum(1 for _, a in tg.graph.nodes(data=True)
                         if a.get(S.KIND) in (S.USER, S.ROLE, S.SERVICE_LINKED_ROLE))
        self.view = SC.View(SC.OVERVIEW) if principals > SC.LARGE_ESTATE else SC.View(SC.FULL)
        self.snapshotLoaded.emit()
        self.contextChanged.emit()
        self.pathsChanged.emit()
        self.selectionChanged.emit()
        self.request_scene()

    # ---- what-if ----
    def set_context(self, context) -> None:
        if self.base_tg is None:
            return
        self.context = context
        self.contextChanged.emit()
        self._run("context", W.context_job, self.base_tg, context, done=self._context_done)

    def _context_done(self, tg) -> None:
        self.tg = tg
        self.graphChanged.emit()
        # chains and the selected path are re-derived from the new graph
        if self.path_source and self.path_target:
            self.find_paths(self.path_source, self.path_target)
        elif self.selection and self.selection.kind == PATH:
            self.selection = None
            self.selectionChanged.emit()
        else:
            self.selectionChanged.emit()
        self.request_scene()

    # ---- view ----
    def set_view(self, view: SC.View) -> None:
        self.view = view
        self.request_scene()

    def set_show_denied(self, show: bool) -> None:
        if show != self.show_denied:
            self.show_denied = show
            self.request_scene()

    def layout_generation(self):
        if self.view.mode in (SC.FULL, SC.OVERVIEW, SC.PATH):
            return self._generation
        if self.edge_filter is not None:  # a filtered focus / account view has its own node set
            return (self._generation, self.context, self.edge_filter)
        return (self._generation, self.context)

    def request_scene(self) -> None:
        if self.tg is None:
            return
        self._run("scene", W.scene_job, self.display_tg(), self.view, done=self._scene_done, highlight=self.highlight(),
                  show_denied=self.show_denied, cache=self.layouts, generation=self.layout_generation())

    def _scene_done(self, scene) -> None:
        self.scene = scene
        self.sceneChanged.emit(scene)

    def highlight(self) -> SC.Highlight:
        sel = self.selection
        if sel is None:
            return SC.Highlight()
        if sel.kind == PATH:
            hl = SC.path_highlight([sel.value.nodes])
            return SC.Highlight(hl.nodes, hl.edges)
        if sel.kind == EDGE:
            u, v = sel.value
            return SC.Highlight(frozenset((u, v)), frozenset([(u, v)]))
        return SC.Highlight(selected=sel.value)

    # ---- selection and history ----
    def select(self, kind: str | None, value=None, *, record: bool = True) -> None:
        sel = None if kind is None else Selection(kind, value)
        if sel is not None and self.selection is not None and sel.key() == self.selection.key():
            return
        self.selection = sel
        if record and sel is not None:
            del self.history[self.history_pos + 1:]
            self.history.append(sel)
            self.history_pos = len(self.history) - 1
        self.selectionChanged.emit()

    def select_node(self, node) -> None:
        self.select(NODE, node)

    def select_edge(self, u, v) -> None:
        self.select(EDGE, (u, v))

    def select_path(self, path) -> None:
        self.select(PATH, path)

    def can_go_back(self) -> bool:
        return self.history_pos > 0

    def can_go_forward(self) -> bool:
        return self.history_pos < len(self.history) - 1

    def back(self) -> None:
        if self.can_go_back():
            self.history_pos -= 1
            self.selection = self.history[self.history_pos]
            self.selectionChanged.emit()

    def forward(self) -> None:
        if self.can_go_forward():
            self.history_pos += 1
            self.selection = self.history[self.history_pos]
            self.selectionChanged.emit()

    # ---- paths ----
    def set_path_source(self, node) -> None:
        self.path_source = node
        self.pathsChanged.emit()
        if self.path_target:
            self.find_paths(node, self.path_target)

    def set_path_target(self, node) -> None:
        self.path_target = node
        self.pathsChanged.emit()
        if self.path_source:
            self.find_paths(self.path_source, node)

    def find_paths(self, source, target) -> None:
        self.path_source, self.path_target = source, target
        self.paths = []
        self.paths_searching = True
        self.pathsChanged.emit()
        self._run("paths", W.paths_job, self.tg, source, target, done=self._paths_done, max_hops=self.max_hops,
                  include_denied=self.show_denied, console=self.console_only)

    def _paths_done(self, paths) -> None:
        self.paths_searching = False
        self.paths = list(paths)
        self.pathsChanged.emit()
        sel = self.selection
        if sel is not None and sel.kind == PATH and (sel.value.tg is not self.tg or self.console_only
                                                     or sel.value.console):
            # the chains were re-derived (what-if): keep the same chain selected, now from the new graph
            same = next((p for p in self.paths if list(p.nodes) == list(sel.value.nodes)), None)
            self.selection = Selection(PATH, same) if same is not None else None
            if 0 <= self.history_pos < len(self.history) and self.history[self.history_pos] is sel:
                if same is not None:
                    self.history[self.history_pos] = self.selection
            self.selectionChanged.emit()

    def clear_paths(self) -> None:
        self.cancel("paths")
        self.paths_searching = False
        self.path_source = self.path_target = None
        self.paths = []
        self.pathsChanged.emit()

    # ---- small lookups for widgets ----
    def label(self, node) -> str:
        if self.tg is None or node not in self.tg.graph:
            return str(node)
        return str(self.tg.graph.nodes[node].get(S.LABEL) or node)

    def principal_count(self) -> int:
        if self.tg is None:
            return 0
        return sum(1 for _, a in self.tg.graph.nodes(data=True)
                   if a.get(S.KIND) in (S.USER, S.ROLE, S.SERVICE_LINKED_ROLE))

    # ---- review features: marks, edge filter, findings ----
    def set_edge_marks(self, marks: dict, *, owner: str = "marks", nodes: dict | None = None) -> None:
        """Marks drawn over the graph: {(u, v) or (u, v, key): EdgeMark or kind}; `nodes`: {node: EdgeMark or
        kind}. Each feature owns one set (`owner`); setting an empty dict removes that owner's marks."""
        def norm(d):
            return {k: (m if isinstance(m, EdgeMark) else EdgeMark(str(m))) for k, m in (d or {}).items()}
        edge_marks, node_marks = norm(marks), norm(nodes)
        if edge_marks:
            self.mark_sets[owner] = edge_marks
        else:
            self.mark_sets.pop(owner, None)
        if node_marks:
            self.node_mark_sets[owner] = node_marks
        else:
            self.node_mark_sets.pop(owner, None)
        self.marksChanged.emit()

    def clear_edge_marks(self, owner: str | None = None) -> None:
        if owner is None:
            self.mark_sets.clear()
            self.node_mark_sets.clear()
        else:
            self.mark_sets.pop(owner, None)
            self.node_mark_sets.pop(owner, None)
        self.marksChanged.emit()

    def edge_marks(self) -> dict:
        """Every owner's edge marks merged per drawn pair (u, v): the owner set last wins."""
        out: dict = {}
        for marks in self.mark_sets.values():
            for key, mark in marks.items():
                out[(key[0], key[1])] = mark
        return out

    def node_marks(self) -> dict:
        out: dict = {}
        for marks in self.node_mark_sets.values():
            out.update(marks)
        return out

    def set_edge_filter(self, edges, name: str = "filter") -> None:
        """Draw only these edges ({(u, v, key)}); None: every edge. Nodes and their positions stay."""
        new = None if edges is None else (name, frozenset(edges))
        if new != self.edge_filter:
            self.edge_filter = new
            self.marksChanged.emit()
            self.request_scene()

    def display_tg(self):
        """The graph the canvas draws: the current one, or a read-only view of it without the filtered edges."""
        if self.tg is None or self.edge_filter is None:
            return self.tg
        return FilteredGraph(self.tg, self.edge_filter[1])

    def compute_findings(self, settings=None) -> None:
        """Run the finding checks on the current graph in the background; `findingsChanged` when done."""
        if self.tg is None:
            return
        self.findings = None
        self.findings_error = ""
        self.findingsChanged.emit()

        def failed(msg):
            self.findings_error = msg
            self.findingsChanged.emit()
        self._run("findings", W.findings_job, self.snapshot, self.tg, done=self._findings_done, failed=failed,
                  settings=settings)

    def _findings_done(self, report) -> None:
        self.findings = report
        self.findingsChanged.emit()


class FilteredGraph:
    """A TrustGraph seen without some edges (a read-only networkx view: nothing is copied or changed)."""

    def __init__(self, tg, keep: frozenset):
        import networkx as nx
        self.base = tg
        self.snapshot, self.context, self.settings = tg.snapshot, tg.context, tg.settings
        self.graph = nx.subgraph_view(tg.graph, filter_edge=lambda u, v, k: (u, v, k) in keep)

    def node_for(self, arn_or_name):
        return self.base.node_for(arn_or_name)
