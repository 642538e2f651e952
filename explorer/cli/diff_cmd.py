"""`diff OLD NEW [--json] [--context ...]`: trust edges, principals and chains to administrative roles added and
removed between two snapshots (explorer/analysis/diff.py). Exit 0 when it ran, whatever changed."""
from __future__ import annotations

import sys

from explorer.cli.common import (add_graph_arguments, load_snapshot_arg, parse_context, parse_settings, print_json,
                                 require_at_least_one)


def register(subparsers) -> None:
    p = subparsers.add_parser("diff", help="trust edges and chains added and removed between two snapshots",
                              description="Compare two snapshots: trust edges added, removed and changed (state, "
                                          "conditions, explanation), principals added and removed, and new or "
                                          "lost chains from any principal to an administrative role.")
    p.add_argument("old", help="the older snapshot folder or file")
    p.add_argument("new", help="the newer snapshot folder or file")
    p.add_argument("--max-hops", type=int, default=None, metavar="N", help="longest chain considered (default: any)")
    p.add_argument("--json", action="store_true", help="print JSON")
    add_graph_arguments(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from explorer.analysis.diff import describe, diff_snapshots
    require_at_least_one(args.max_hops, "--max-hops")
    context = parse_context(args.context)
    settings = parse_settings(args.setting)
    old = load_snapshot_arg(args.old)
    new = load_snapshot_arg(args.new)
    d = diff_snapshots(old, new, context=context, settings=settings, max_hops=args.max_hops)
    if args.json:
        out = {"old": args.old, "new": args.new, "context": context.to_json(), **d.to_json()}
        print_json(out)
        return 0
    for line in describe(d):
        sys.stdout.write(line + "\n")
    if d.empty:
        sys.stdout.write("No differences.\n")
    return 0
