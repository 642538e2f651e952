"""Benchmark: write a synthetic organization with explorer.snapshot.synthetic.generate_org.

    python benchmarks/bench_synthetic.py                          # 1,000 accounts x 100 principals
    python benchmarks/bench_synthetic.py --accounts 50 --principals 2000 --repeat 3

Prints the wall time of each run, the files and bytes written, and principals per second.
Target: 1,000 accounts x 100 principals (100,000 principals) well under a minute (aim: under 15 s).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from explorer.snapshot.synthetic import generate_org  # noqa: E402

TARGET_SECONDS = 15.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--principals", type=int, default=100, help="principals per account")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    times = []
    for run in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            out = generate_org(Path(tmp) / "org", accounts=args.accounts, principals_per_account=args.principals,
                               seed=args.seed)
            elapsed = time.perf_counter() - started
            files = [p for p in out.rglob("*") if p.is_file()]
            size = sum(p.stat().st_size for p in files)
        times.append(elapsed)
        total = args.accounts * args.principals
        print(f"run {run + 1}: {args.accounts} accounts x {args.principals} principals = {total:,} principals: "
              f"{elapsed:.2f} s, {len(files):,} files, {size / 1e6:.1f} MB, {total / elapsed:,.0f} principals/s")
    best = min(times)
    print(f"best {best:.2f} s, median {statistics.median(times):.2f} s (target < {TARGET_SECONDS:.0f} s): "
          f"{'OK' if best < TARGET_SECONDS else 'SLOW'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
