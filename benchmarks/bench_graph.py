"""Trust-graph benchmark on the synthetic generator (prints numbers; no assertions).

    python benchmarks/bench_graph.py --accounts 100 --principals 100 [--no-double] [--pairs 50] [--seed 0]

Prints: load time, build time (wall and CPU: the machine may be shared), build/load ratio, peak memory
(tracemalloc of load+build, and the process's max RSS), build time at twice the size (unless --no-double), paths
median over random pairs (up to 5 hops), reach median, the re-evaluation times after context changes, and at the
end every target of issue 4 with whether it is met (the absolute targets are for 1,000 accounts / 100,000
principals): built < 30 s and within 3x of load time, peak < 2 GB; doubling <= 2.2x; paths median < 50 ms;
reach < 200 ms; re-eval < 5 s. "floor" is the time to make the bare graph structure (nodes, candidates, edge
dicts) with no IAM evaluation: what this design costs whatever the engine does.
"""
from __future__ import annotations

import argparse
import gc
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from explorer.analysis.paths import find_paths, path_view, reach_from, reach_to  # noqa: E402
from explorer.graph import build_trust_graph  # noqa: E402
from explorer.graph import schema as S  # noqa: E402
from explorer.iam.context import Context  # noqa: E402
from explorer.snapshot import load_snapshot  # noqa: E402


def _load_and_build(folder: Path, trace: bool, workers: int = 1):
    gc.collect()
    if trace:
        tracemalloc.start()
    t0, c0 = time.perf_counter(), time.process_time()
    snap = load_snapshot(folder)
    t1, c1 = time.perf_counter(), time.process_time()
    tg = build_trust_graph(snap, workers=workers)
    t2, c2 = time.perf_counter(), time.process_time()
    peak = None
    if trace:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    tg.timings["load_cpu"], tg.timings["build_cpu"] = c1 - c0, c2 - c1
    return snap, tg, t1 - t0, t2 - t1, peak


def _generate(folder: Path, accounts: int, principals: int, seed: int) -> None:
    """Generate in a child process, so that this process's peak memory is the load and build only."""
    subprocess.run([sys.executable, "-m", "explorer.snapshot.synthetic", "--accounts", str(accounts),
                    "--principals", str(principals), "--seed", str(seed), "--out", str(folder)],
                   check=True, stdout=subprocess.DEVNULL, cwd=str(Path(__file__).resolve().parent.parent))


def _structure_floor(tg) -> float:
    """Seconds to make the graph's bare structure again, with no IAM evaluation at all: a MultiDiGraph with the
    same nodes (attribute dicts copied), one Candidate per candidate and one EdgeData per edge with the same
    attributes, added the way the builder adds them. A lower bound of this design's build time."""
    from explorer.graph.builder import Candidate, put_edge
    from explorer.graph.edges import EdgeData
    import networkx as nx
    nodes = list(tg.graph.nodes(data=True))
    edges = [(u, v, k, dict(d)) for u, v, k, d in tg.graph.edges(keys=True, data=True)]
    cands = [(c.caller, c.role, c.action, c.key, c.via) for c in tg.candidates.values()]
    was = gc.isenabled()
    gc.disable()
    t = time.perf_counter()
    g = nx.MultiDiGraph()
    for n, d in nodes:
        g.add_node(n, **d)
    made = {}
    for u, v, a, k, via in cands:
        made[(u, v, k)] = Candidate(u, v, a, k, via)
    for u, v, k, d in edges:
        data = EdgeData(d)
        data.set_lazy(None, made.get((u, v, k)))
        put_edge(g, u, v, k, data)
    took = time.perf_counter() - t
    if was:
        gc.enable()
    return took


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000 if samples else float("nan")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--accounts", type=int, default=100)
    ap.add_argument("--principals", type=int, default=100, help="principals per account")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--pairs", type=int, default=50)
    ap.add_argument("--no-double", action="store_true", help="skip the 2x-size build")
    ap.add_argument("--trace", action="store_true", help="measure peak memory with tracemalloc (slower)")
    ap.add_argument("--workers", type=int, default=1, help="worker processes deciding edges (default 1: serial)")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "org"
        t = time.perf_counter()
        _generate(folder, args.accounts, args.principals, args.seed)
        print(f"generate  {args.accounts} accounts x {args.principals} principals: {time.perf_counter() - t:.1f} s")
        snap, tg, load_s, build_s, peak = _load_and_build(folder, args.trace, args.workers)
        principals = sum(len(a.users) + len(a.roles) for a in snap.accounts.values())
        st = tg.stats()
        print(f"principals {principals}; graph {st['nodes']} nodes, {st['edges']} edges "
              f"({st['allowed']} allowed, {st['conditional']} conditional, {st['denied']} denied), "
              f"{st['candidates']} candidates decided")
        tm = tg.timings
        print(f"load      {load_s:.2f} s (CPU {tm['load_cpu']:.2f} s)")
        print(f"build     {build_s:.2f} s (CPU {tm['build_cpu']:.2f} s) with {tm.get('workers', 1)} worker(s)  (index "
              f"{tm['index']:.2f}, candidates {tm['candidates']:.2f}, decide {tm['decide']:.2f}, gc "
              f"{tm.get('gc', 0):.2f})")
        memo = getattr(tg, "_memo", None)
        print(f"per edge  {1e6 * tm['decide'] / max(1, st['candidates']):.0f} us to decide a candidate; "
              + (f"{len(memo)} distinct sub-problems decided by the engine (fast path)" if memo is not None
                 else "fast path off"))
        print(f"ratio     build/load = {build_s / load_s:.2f} (CPU {tm['build_cpu'] / max(1e-9, tm['load_cpu']):.2f})")
        if peak is not None:
            print(f"peak      {peak / 2**20:.0f} MiB (tracemalloc, load + build)")
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"max RSS   {rss:.0f} MiB (this process: load + build; generation runs in a child process)")
        if tg.timings.get("workers", 1) > 1:
            print(f"          largest child {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MiB "
                  "(a worker, or the generator)")

        # (after the memory reading: the floor makes a second copy of the structure)
        floor = _structure_floor(tg)
        print(f"floor     {floor:.2f} s = {floor / load_s:.1f}x load: the bare graph structure alone (nodes, candidate "
              "objects, edge dicts; no IAM evaluation)")

        rng = random.Random(args.seed)
        g = tg.graph
        sources = [n for n in g if g.out_degree(n) > 0]
        roles = [n for n, d in g.nodes(data=True) if d.get(S.KIND) in (S.ROLE,) and g.in_degree(n) > 0]
        t = time.perf_counter()
        path_view(tg)
        print(f"path view {1000 * (time.perf_counter() - t):.0f} ms (built once per graph)")
        # pairs: a random source and, when it reaches something, a random role it reaches (longer chains
        # preferred), so that most pairs have chains to enumerate; else a random role
        samples, found, counts = [], 0, []
        for _ in range(args.pairs):
            s = rng.choice(sources)
            reached = reach_from(tg, s, max_hops=5)
            far = [n for n, p in reached.items() if len(p) >= 2]
            r = rng.choice(far or list(reached) or roles)
            t = time.perf_counter()
            ps = find_paths(tg, s, r, max_hops=5, limit=1000)
            samples.append(time.perf_counter() - t)
            found += bool(ps)
            counts.append(len(ps))
        path_median = _median_ms(samples)
        print(f"paths     median {_median_ms(samples):.1f} ms, max {max(samples) * 1000:.0f} ms over {args.pairs} "
              f"pairs ({found} with a chain, median {statistics.median(counts)} chains, max {max(counts)})")
        samples, sizes = [], []
        for _ in range(args.pairs):
            s = rng.choice(sources)
            t = time.perf_counter()
            sizes.append(len(reach_from(tg, s)))
            samples.append(time.perf_counter() - t)
        reach_median = _median_ms(samples)
        print(f"reach     from: median {_median_ms(samples):.1f} ms, max {max(samples) * 1000:.0f} ms "
              f"(median {statistics.median(sizes)} roles reached, max {max(sizes)})")
        samples, sizes = [], []
        for _ in range(args.pairs):
            r = rng.choice(roles)
            t = time.perf_counter()
            sizes.append(len(reach_to(tg, r)))
            samples.append(time.perf_counter() - t)
        reach_median = max(reach_median, _median_ms(samples))
        print(f"reach     to:   median {_median_ms(samples):.1f} ms, max {max(samples) * 1000:.0f} ms "
              f"(median {statistics.median(sizes)} principals, max {max(sizes)})")
        # a context change touching a few keys (typical what-if), then one that changes a key every cross-account
        # edge depends on (the RCP data perimeter refers to aws:PrincipalOrgID): close to a full rebuild
        reevals = []
        for ctx in ({"aws:MultiFactorAuthPresent": "true"}, {"aws:RequestedRegion": "eu-west-1"},
                    {"sts:ExternalId": "x"}, {"aws:PrincipalOrgID": "o-other"},
                    {"aws:PrincipalOrgID": "o-synth0000001"}):
            gc.collect()
            t, c = time.perf_counter(), time.process_time()
            tg2 = tg.with_context(Context(ctx, closed=False))
            wall, cpu = time.perf_counter() - t, time.process_time() - c
            reevals.append(wall)
            groups = tg2.timings.get("groups")
            print(f"re-eval   {ctx}: {wall:.2f} s (CPU {cpu:.2f} s) ({tg2.timings['reevaluated']} of "
                  f"{len(tg.candidates)} edges re-decided"
                  + (f", in {groups} groups of one old memo key and equal values)" if groups is not None else ")"))
            del tg2

        build2 = None
        if not args.no_double:
            folder2 = Path(tmp) / "org2"
            _generate(folder2, args.accounts * 2, args.principals, args.seed)
            del snap, tg
            _, tg2x, load2, build2, _ = _load_and_build(folder2, False, args.workers)
            print(f"2x size   load {load2:.2f} s, build {build2:.2f} s (CPU {tg2x.timings['build_cpu']:.2f} s): "
                  f"build grows {build2 / build_s:.2f}x (CPU {tg2x.timings['build_cpu'] / tm['build_cpu']:.2f}x)")

        full = args.accounts >= 1000 and args.principals >= 100
        scale = ("" if full else
                 f"  (absolute targets are for 1,000 x 100; this run is {args.accounts} x {args.principals})")
        print(f"targets (issue 4){scale}:")

        def target(name: str, ok: bool | None, value: str) -> None:
            print(f"  {name:<36} {value:<28} {'n/a' if ok is None else ('met' if ok else 'NOT met')}")

        target("build < 30 s", build_s < 30 if full else None, f"{build_s:.1f} s (CPU {tm['build_cpu']:.1f} s)")
        target("build within 3x of load", build_s <= 3 * load_s, f"{build_s / load_s:.1f}x")
        target("peak memory < 2 GB", rss < 2048 if full else None, f"{rss:.0f} MiB max RSS")
        target("doubling <= 2.2x build time", None if build2 is None else build2 / build_s <= 2.2,
               "not run" if build2 is None else f"{build2 / build_s:.2f}x")
        target("paths median < 50 ms", path_median < 50, f"{path_median:.1f} ms")
        target("reach median < 200 ms", reach_median < 200, f"{reach_median:.1f} ms")
        target("re-evaluation < 5 s (worst context)", max(reevals) < 5 if full else None, f"{max(reevals):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
