"""Time the findings (every check), the diff and the CloudTrail overlay on synthetic organizations.

    python benchmarks/bench_findings.py [--accounts 10 20] [--principals 20]
Prints one line per size: load, graph, findings (static / graph checks), diff, overlay, in seconds.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, nargs="+", default=[5, 20])
    ap.add_argument("--principals", type=int, default=20)
    args = ap.parse_args()
    from explorer.analysis.cloudtrail import overlay
    from explorer.analysis.diff import diff_graphs
    from explorer.analysis.findings import find
    from explorer.graph import build_trust_graph
    from explorer.snapshot import load_snapshot
    from explorer.snapshot.synthetic import generate_org
    for n in args.accounts:
        with tempfile.TemporaryDirectory() as tmp:
            path = generate_org(Path(tmp) / "org", accounts=n, principals_per_account=args.principals, seed=1)
            t0 = time.perf_counter()
            snap = load_snapshot(path)
            t1 = time.perf_counter()
            tg = build_trust_graph(snap)
            t2 = time.perf_counter()
            static = find(snap, None)
            t3 = time.perf_counter()
            full = find(snap, tg)
            t4 = time.perf_counter()
            snap2 = load_snapshot(path)
            tg2 = build_trust_graph(snap2)
            t5 = time.perf_counter()
            diff_graphs(tg, tg2)
            t6 = time.perf_counter()
            overlay(tg)
            t7 = time.perf_counter()
        roles = sum(1 for _ in snap.roles())
        print(f"accounts={n:4d} roles={roles:6d} edges={tg.graph.number_of_edges():7d} load={t1 - t0:6.2f}s "
              f"graph={t2 - t1:6.2f}s findings-static={t3 - t2:6.2f}s ({len(static.findings)}) "
              f"findings-all={t4 - t3:6.2f}s ({len(full.findings)}) diff={t6 - t5:6.2f}s overlay={t7 - t6:6.2f}s",
              flush=True)


if __name__ == "__main__":
    main()
