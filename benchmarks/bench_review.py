"""Review features of the window on a synthetic estate (offscreen). Prints the numbers:
  findings computed in the background after the graph is built (wall time until the dock is filled)
  marks: every edge marked (the CloudTrail overlay's worst case): rebuild of the marks layer, one frame
  only-used-edges filter: time to the filtered scene
  compare with a second copy of the same estate: load + graph + diff until the Compare dock is filled

    python benchmarks/bench_review.py [--accounts 20 --principals 100] [--frames 10]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=20)
    ap.add_argument("--principals", type=int, default=100)
    ap.add_argument("--frames", type=int, default=10)
    args = ap.parse_args()
    from PySide6 import QtCore, QtWidgets
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    from explorer.snapshot.synthetic import generate_org
    from explorer.ui import model as M
    from explorer.ui.main_window import MainWindow

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        snap_dir = generate_org(tmp / "org", accounts=args.accounts, principals_per_account=args.principals, seed=1)
        settings = QtCore.QSettings(str(tmp / "s.ini"), QtCore.QSettings.Format.IniFormat)
        w = MainWindow(settings=settings)
        w.resize(1600, 1000)
        w.show()
        t = time.perf_counter()
        w.open_path(snap_dir)
        while w.model.tg is None or w.model.is_busy("load"):
            app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 20)
        t_open = time.perf_counter() - t
        t = time.perf_counter()
        w.model.wait(600000)
        while w.model.findings is None and not w.model.findings_error:
            app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 20)
        t_findings = time.perf_counter() - t
        g = w.model.tg.graph
        print(f"estate: {args.accounts} accounts x {args.principals} principals: {g.number_of_nodes()} nodes, "
              f"{g.number_of_edges()} edges; open {t_open:.2f} s")
        print(f"findings after the graph: {t_findings:.2f} s ({len(w.model.findings.findings)} findings)")

        w.model.set_view(w.model.view.__class__("full"))
        w.model.wait()
        edges = {(u, v): M.EdgeMark(M.MARK_USED, "3×", weight=2.0) for u, v in g.edges()}
        t = time.perf_counter()
        w.model.set_edge_marks(edges, owner="bench")
        t_rebuild = time.perf_counter() - t
        layer = w.review.marks
        vp = w.canvas.viewport()
        frames = []
        for i in range(args.frames):
            t = time.perf_counter()
            w.canvas.viewbox.scaleBy((0.9 if i % 2 else 1 / 0.9,) * 2)
            app.processEvents()
            vp.repaint()
            frames.append((time.perf_counter() - t) * 1000)
        print(f"marks on every edge ({len(layer.lines)} drawn lines): rebuild {t_rebuild * 1000:.0f} ms, frame "
              f"median {statistics.median(frames):.0f} ms, max {max(frames):.0f} ms")
        some = dict(list(edges.items())[::15])
        w.model.set_edge_marks(some, owner="bench")
        frames = []
        for i in range(args.frames):
            t = time.perf_counter()
            w.canvas.viewbox.scaleBy((0.9 if i % 2 else 1 / 0.9,) * 2)
            app.processEvents()
            vp.repaint()
            frames.append((time.perf_counter() - t) * 1000)
        print(f"marks on 1 edge in 15 ({len(layer.lines)} lines, {layer.painted_segments} segments drawn as "
              f"curves): frame median {statistics.median(frames):.0f} ms, max {max(frames):.0f} ms")
        w.model.clear_edge_marks("bench")

        keep = {(u, v, k) for i, (u, v, k) in enumerate(g.edges(keys=True)) if i % 10 == 0}
        t = time.perf_counter()
        w.model.set_edge_filter(keep, name="bench")
        w.model.wait()
        print(f"edge filter (1 edge in 10): scene in {(time.perf_counter() - t) * 1000:.0f} ms, "
              f"{w.canvas.scene_data.edge_count} lines drawn")
        w.model.set_edge_filter(None)
        w.model.wait()

        other = generate_org(tmp / "org2", accounts=args.accounts, principals_per_account=args.principals, seed=2)
        t = time.perf_counter()
        w.review.start_compare(other)
        while w.review.compare.diff is None and w.review.compare.active:
            app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 20)
        d = w.review.compare.diff
        print(f"compare with another estate of the same size: {time.perf_counter() - t:.2f} s "
              f"(+{len(d.edges_added)} / -{len(d.edges_removed)} edges, {len(w.review.compare_dock.rows())} rows)")
        w.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
