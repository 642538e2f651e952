"""Benchmark: explorer.graph.policy_report.policy_issues on a synthetic estate, after build_trust_graph (the
documents the build compiled are reused), and with a fresh compiler (every document compiled here: the worst case).

    python benchmarks/bench_policy_report.py                      # 100 accounts x 100 principals
    python benchmarks/bench_policy_report.py --accounts 1000      # 1,000 accounts x 100 principals
    python benchmarks/bench_policy_report.py --snapshot DIR       # an existing snapshot folder

Target: a few seconds at 1,000 accounts (it runs in a background job of the window). Prints the times.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_SECONDS_PER_1000_ACCOUNTS = 5.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--principals", type=int, default=100, help="principals per account (default 100)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--snapshot", help="use this snapshot folder instead of generating one")
    args = parser.parse_args(argv)

    from explorer.graph import build_trust_graph
    from explorer.graph.policies import PolicyCompiler
    from explorer.graph.policy_report import policy_issues
    from explorer.snapshot import load_snapshot

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.snapshot) if args.snapshot else Path(tmp) / "synthetic"
        if not args.snapshot:
            from explorer.snapshot.synthetic import generate_org
            generate_org(folder, accounts=args.accounts, principals_per_account=args.principals, seed=args.seed)
        snap = load_snapshot(folder)
        start = time.perf_counter()
        tg = build_trust_graph(snap)
        build = time.perf_counter() - start
        start = time.perf_counter()
        issues = policy_issues(tg)
        after_build = time.perf_counter() - start
        tg.__dict__.pop("_policy_issues", None)
        tg.compiler = PolicyCompiler()
        start = time.perf_counter()
        fresh = policy_issues(tg)
        cold = time.perf_counter() - start
    accounts = len(snap.accounts)
    principals = sum(len(a.users) + len(a.roles) for a in snap.accounts.values())
    target = TARGET_SECONDS_PER_1000_ACCOUNTS * max(accounts, 1) / 1000
    print(f"estate: {accounts} accounts, {principals} principals; build_trust_graph {build:.2f} s")
    print(f"policy_issues after the build: {after_build:.3f} s ({len(issues)} issues)")
    print(f"policy_issues, fresh compiler:  {cold:.3f} s ({len(fresh)} issues)")
    print(f"target (scaled: {TARGET_SECONDS_PER_1000_ACCOUNTS} s per 1,000 accounts): {target:.2f} s -> "
          f"{'met' if after_build <= target else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
