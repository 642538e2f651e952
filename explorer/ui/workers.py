"""Work that must not block the window: loading, re-evaluating edges, laying out, finding paths, effective
permissions. Each job is a plain function run on a QThreadPool by `Job`, which reports progress, the result or
the error through Qt signals (delivered on the GUI thread) and can be cancelled.

The functions here only call explorer.snapshot / explorer.graph / explorer.analysis / explorer.render: no IAM
logic lives in the UI.
"""
from __future__ import annotations

import threading
import time
import traceback

from PySide6 import QtCore


PROGRESS_INTERVAL = 0.05


class Cancelled(Exception):
    pass


class JobSignals(QtCore.QObject):
    progress = QtCore.Signal(int, int, str)
    partial = QtCore.Signal(object)  # an intermediate result (the loaded snapshot before its graph)
    done = QtCore.Signal(object)
    failed = QtCore.Signal(str)
    finished = QtCore.Signal()


class Job(QtCore.QRunnable):
    """Runs fn(progress=..., cancel=..., *args, **kwargs) on a pool thread."""

    def __init__(self, fn, *args, name: str = "", **kwargs):
        super().__init__()
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.name = name or getattr(fn, "__name__", "job")
        self.signals = JobSignals()
        self._cancel = threading.Event()
        self._last_emit = 0.0
        self.setAutoDelete(False)

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def _progress(self, done, total, message=""):
        if self._cancel.is_set():
            raise Cancelled()
        now = time.monotonic()
        if now - self._last_emit < PROGRESS_INTERVAL and done < (total or 0):
            return  # at most ~20 updates a second cross to the GUI thread
        self._last_emit = now
        self._emit(self.signals.progress, int(done), int(total or 0), str(message or ""))

    def _emit(self, signal, *args) -> None:
        try:
            signal.emit(*args)
        except RuntimeError:  # the receiver is gone (the window closed while the job ran)
            pass

    def run(self) -> None:
        try:
            result = self.fn(*self.args, progress=self._progress, cancel=self._cancel.is_set, **self.kwargs)
            if not self._cancel.is_set():
                self._emit(self.signals.done, result)
        except Cancelled:
            pass
        except Exception as exc:  # every failure is reported in the window, never a crash
            from explorer.errors import InputError
            if not self._cancel.is_set():
                msg = str(exc) if isinstance(exc, InputError) else (
                    f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc(limit=6)}")
                self._emit(self.signals.failed, msg)
        finally:
            self._emit(self.signals.finished)


def pool() -> QtCore.QThreadPool:
    return QtCore.QThreadPool.globalInstance()


def start(job: Job) -> Job:
    pool().start(job)
    return job


# ---- the jobs -----------------------------------------------------------------------------------------------

def load_job(path, *, progress, cancel, context=None, settings=None, loaded=None):
    """Load a snapshot and build its trust graph: (snapshot, TrustGraph). `loaded(snapshot)` is called between
    the two (the window draws the accounts while the graph is being built)."""
    from explorer.graph import build_trust_graph
    from explorer.iam.context import Context
    from explorer.snapshot import load_snapshot

    def loader_progress(done, total, message=""):
        progress(done, max(total, 1) * 2, f"loading: {message}")

    snap = load_snapshot(path, progress=loader_progress, cancel=cancel)
    if cancel():
        raise Cancelled()
    if not snap.accounts:
        from explorer.errors import SnapshotError
        raise SnapshotError("the snapshot holds no account (no authorization-details data was found)",
                            file=str(path))
    if loaded is not None:
        loaded(snap)

    def graph_progress(done, total, message=""):
        total = max(total, 1)
        progress(total + done, total * 2, f"building the trust graph: {message}")

    tg = build_trust_graph(snap, context=context or Context({}, closed=False), settings=settings,
                           progress=graph_progress)
    return snap, tg


def policy_issues_job(tg, *, progress, cancel):
    """The grammar problems of every policy document of the graph's snapshot, as LoadIssues (cached on tg)."""
    from explorer.graph.policy_report import policy_issues

    def p(done, total, message=""):
        if cancel():
            raise Cancelled()
        progress(done, total, message)
    return policy_issues(tg, progress=p)


def context_job(tg, context, *, progress, cancel):
    """The graph re-decided under a what-if context."""
    def p(done, total, message=""):
        progress(done, total, f"re-evaluating edges: {message}")
    return tg.with_context(context, progress=p)


def scene_job(tg, view, *, progress, cancel, highlight=None, show_denied=False, cache=None, generation=0):
    """A Scene (layout from the cache or computed here)."""
    from explorer.render.scene import scene_for_graph
    progress(0, 1, "laying out")
    return scene_for_graph(tg, view, highlight=highlight, show_denied=show_denied, cache=cache,
                           generation=generation)


def paths_job(tg, source, target, *, progress, cancel, max_hops=5, include_denied=False, limit=500, console=False):
    """The chains from source to target; console=True: console Switch Role chains only (analysis.console_switch)."""
    progress(0, 1, "finding chains")
    if console:
        from explorer.analysis.console_switch import console_graph, console_paths
        return console_paths(console_graph(tg), source, target, include_denied=include_denied, max_hops=max_hops)
    from explorer.analysis.paths import find_paths
    return find_paths(tg, source, target, max_hops=max_hops, include_denied=include_denied, limit=limit)


def effective_job(tg, path_or_node, *, progress, cancel):
    from explorer.analysis.effective_permissions import effective_permissions
    progress(0, 1, "evaluating the final session's permissions")
    return effective_permissions(tg, path_or_node)


def export_job(scene, out, width, theme, *, progress, cancel):
    """Write the picture (SVG here; PNG must be drawn on the GUI thread: see MainWindow.export)."""
    from explorer.render.svg import write_svg
    write_svg(scene, out, width, theme=theme)
    return str(out)


# ---- review features (findings, compare, CloudTrail, revocation, collection) --------------------------------

def findings_job(snapshot, tg, *, progress, cancel, settings=None):
    """The finding checks on the current graph (explorer.analysis.findings.find)."""
    from explorer.analysis.findings import find
    progress(0, 1, "checking findings")
    return find(snapshot, tg, settings)


def compare_job(path, current_tg, *, progress, cancel, current_is_newer=True):
    """Load a second snapshot, build its graph under the current context and diff the two:
    (other snapshot, other graph, GraphDiff). With `current_is_newer` the loaded one is the baseline (old)."""
    from explorer.analysis.diff import diff_graphs
    from explorer.graph import build_trust_graph
    from explorer.snapshot import load_snapshot

    def p(done, total, message=""):
        progress(done, max(total, 1) * 3, f"loading the other snapshot: {message}")
    other = load_snapshot(path, progress=p, cancel=cancel)
    if not other.accounts:
        from explorer.errors import SnapshotError
        raise SnapshotError("the snapshot holds no account (no authorization-details data was found)",
                            file=str(path))
    progress(1, 3, "building the other snapshot's trust graph")
    other_tg = build_trust_graph(other, context=current_tg.context, settings=current_tg.settings)
    if cancel():
        raise Cancelled()
    progress(2, 3, "comparing")
    diff = diff_graphs(other_tg, current_tg) if current_is_newer else diff_graphs(current_tg, other_tg)
    return other, other_tg, diff


def diff_job(current_tg, other_tg, *, progress, cancel, current_is_newer=True, context=None):
    """Diff two built graphs again (direction swapped, or a what-if changed the context: the other graph is then
    re-evaluated under the same context first). Returns (other graph, GraphDiff)."""
    from explorer.analysis.diff import diff_graphs
    if context is not None and other_tg.context != context:
        progress(0, 2, "re-evaluating the other snapshot's edges")
        other_tg = other_tg.with_context(context)
    progress(1, 2, "comparing")
    diff = diff_graphs(other_tg, current_tg) if current_is_newer else diff_graphs(current_tg, other_tg)
    return other_tg, diff


def overlay_job(tg, *, progress, cancel):
    """The CloudTrail overlay of the current graph (explorer.analysis.cloudtrail.overlay)."""
    from explorer.analysis.cloudtrail import overlay
    progress(0, 1, "matching CloudTrail events to edges")
    return overlay(tg)


def revoke_job(tg, role, revoke_before, *, progress, cancel):
    """explorer.analysis.revocation.preview: a modified copy of the snapshot, the original is untouched."""
    from explorer.analysis.revocation import preview
    progress(0, 1, "previewing the revocation")
    return preview(tg, role, revoke_before)


def collect_job(options, *, progress, cancel, event=None):
    """explorer.collect.collect_snapshot with its progress events forwarded (`event(ProgressEvent)`) and the
    job's cancel flag as the collector's cancel callable. Returns the CollectResult."""
    from explorer.collect import collect_snapshot

    def on_event(ev):
        if event is not None:
            event(ev)
        try:
            progress(ev.accounts_done, ev.accounts_total, ev.message or ev.kind)
        except Cancelled:  # the collector checks `cancel` itself and stops cleanly
            pass
    return collect_snapshot(options, progress=on_event, cancel=cancel)
