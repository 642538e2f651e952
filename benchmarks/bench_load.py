"""Benchmark: load a large synthetic snapshot, against plain `json.load` of the same files in the same run.

    python benchmarks/bench_load.py                       # 1,000 accounts, 100,000 principals
    python benchmarks/bench_load.py --accounts 20 --principals 2000
    python benchmarks/bench_load.py --snapshot DIR        # an existing snapshot folder (not generated)

Targets: load time within 2x of the raw parse; peak memory under 1.5 GB. The snapshot is generated in a child
process (explorer.snapshot.synthetic.generate_org) so that the generator's memory does not count; the peak
reported is the benchmark process's peak resident size, which covers both the raw parse and the load.
Prints both times, the ratio, the peak, and whether each target is met (exit code 0 either way unless
--check is given, then 1 when a target is missed).
"""
from __future__ import annotations

import argparse
import gc
import gzip
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TIME_RATIO_TARGET = 2.0
MEMORY_TARGET_MB = 1536


def generate(out_dir: Path, accounts: int, per_account: int, seed: int) -> Path:
    code = ("import sys; from explorer.snapshot.synthetic import generate_org; "
            "print(generate_org(sys.argv[1], accounts=int(sys.argv[2]), principals_per_account=int(sys.argv[3]), "
            "seed=int(sys.argv[4])))")
    result = subprocess.run([sys.executable, "-c", code, str(out_dir), str(accounts), str(per_account), str(seed)],
                            cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"generating the synthetic snapshot failed:\n{result.stderr.strip()}")
    printed = result.stdout.strip().splitlines()
    return Path(printed[-1]) if printed and Path(printed[-1]).is_dir() else out_dir


def json_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name.endswith((".json", ".json.gz")))


def raw_parse(files: list[Path]) -> float:
    start = time.perf_counter()
    for path in files:
        if path.name.endswith(".gz"):
            with gzip.open(path, "rb") as fh:
                json.load(fh)
        else:
            with open(path, "rb") as fh:
                json.load(fh)
    return time.perf_counter() - start


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=1000, help="accounts to generate (default 1000)")
    parser.add_argument("--principals", type=int, default=100_000,
                        help="principals in total, spread over the accounts (default 100000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--snapshot", help="use this snapshot folder instead of generating one")
    parser.add_argument("--keep", help="generate into this folder and keep it (default: a temporary folder)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each, the best is reported (default 3)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)

    from explorer.snapshot import load_snapshot

    temp = None
    if args.snapshot:
        folder = Path(args.snapshot)
    else:
        per_account = max(1, args.principals // max(1, args.accounts))
        folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-load-"))
        temp = None if args.keep else folder
        print(f"generating {args.accounts} accounts x {per_account} principals into {folder} ...", flush=True)
        start = time.perf_counter()
        folder = generate(folder, args.accounts, per_account, args.seed)
        print(f"  generated in {time.perf_counter() - start:.1f} s", flush=True)
    try:
        files = json_files(folder)
        size_mb = sum(p.stat().st_size for p in files) / 1e6
        print(f"snapshot: {len(files)} JSON files, {size_mb:.1f} MB on disk")

        # Alternate the two, best of --repeat each: the machine's other load then affects both alike.
        # Alternate the two, best of --repeat each: other load on the machine then affects both alike.
        raw = load = float("inf")
        snap = None
        for _ in range(max(1, args.repeat)):
            gc.collect()
            raw = min(raw, raw_parse(files))
            snap = None
            gc.collect()
            start = time.perf_counter()
            snap = load_snapshot(folder)
            load = min(load, time.perf_counter() - start)
        peak = peak_rss_mb()

        principals = sum(len(a.users) + len(a.roles) for a in snap.accounts.values())
        ratio = load / raw if raw else float("inf")
        print(f"loaded: {len(snap.accounts)} accounts, {principals} principals, "
              f"{len(snap.report.errors)} errors, {len(snap.report.warnings)} warnings")
        print(f"raw json.load : {raw:8.2f} s   (best of {max(1, args.repeat)})")
        print(f"load_snapshot : {load:8.2f} s")
        print(f"ratio         : {ratio:8.2f} x   (target <= {TIME_RATIO_TARGET:.1f}x: "
              f"{'met' if ratio <= TIME_RATIO_TARGET else 'MISSED'})")
        print(f"peak memory   : {peak:8.0f} MB  (target < {MEMORY_TARGET_MB} MB: "
              f"{'met' if peak < MEMORY_TARGET_MB else 'MISSED'})")
        missed = ratio > TIME_RATIO_TARGET or peak >= MEMORY_TARGET_MB
        return 1 if args.check and missed else 0
    finally:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
