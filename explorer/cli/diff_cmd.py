"""`diff OLD NEW [--json] [--context ...]`: trust edges, principals and chains to administrative roles added and
removed between two snapshots (explorer/analysis/diff.py). Exit 0 when it ran, whatever changed.

The load problems of both snapshots are reported (stderr summary, "load_report" in the JSON with each snapshot's
report under "old" / "new"). A change that may come from a file that could not be loaded is flagged: an edge
added, removed or changed, or an admin chain added or lost, while EITHER snapshot had load errors in a file of
the account of one of its nodes (for a chain: of any node of the chain, so of any of its edges) or in a file of
no one account, such as organization.json. Both snapshots count in both directions: a lost file of SCPs in the
new snapshot can add edges and chains (nothing denies them any more) as well as remove them, and a broken old
snapshot can make edges look added or removed alike. A principal is flagged when it was removed while the new
snapshot had such errors, or added while the old one had. Text marks a flagged change "[may be a load error:
FILE]"; JSON gives the edge or chain entry "load_errors": [FILE, ...] (and, for principals,
"principals_load_errors": {"added" | "removed": {ARN: [FILE, ...]}})."""
from __future__ import annotations

import re
import sys

from explorer.cli.common import (add_graph_arguments, graph_for, load_snapshot_arg, loaded_snapshots, parse_context,
                                 parse_settings, print_json, require_at_least_one)
from explorer.snapshot.model import account_of_arn

_ACCOUNT_IN_PATH = re.compile(r"(?:^|[/\\])accounts[/\\](\d{12})(?:[/\\]|$)")
# Files whose errors do not change trust edges (activity, description of the collection).
_NO_EDGE_EFFECT = re.compile(r"(?:^|[/\\])(cloudtrail|manifest\.json|README)", re.IGNORECASE)


def register(subparsers) -> None:
    p = subparsers.add_parser("diff", help="trust edges and chains added and removed between two snapshots",
                              description="Compare two snapshots: trust edges added, removed and changed (state, "
                                          "conditions, explanation), principals added and removed, and new or "
                                          "lost chains from any principal to an administrative role. Load "
                                          "problems of either snapshot are reported, and changes that may come "
                                          "from a file that could not be loaded are flagged.")
    p.add_argument("old", help="the older snapshot folder or file")
    p.add_argument("new", help="the newer snapshot folder or file")
    p.add_argument("--max-hops", type=int, default=None, metavar="N", help="longest chain considered (default: any)")
    p.add_argument("--json", action="store_true", help="print JSON")
    add_graph_arguments(p)
    p.set_defaults(func=run)


def error_files_by_account(loaded) -> dict[str | None, list[str]]:
    """The files with load errors of one loaded snapshot: account id -> files, None -> files of no one account
    (they may affect every account, e.g. organization.json)."""
    out: dict[str | None, list[str]] = {}
    for issue in loaded.errors:
        file = issue.file or ""
        if _NO_EDGE_EFFECT.search(file):
            continue
        m = _ACCOUNT_IN_PATH.search(file)
        files = out.setdefault(m.group(1) if m else None, [])
        if file not in files:
            files.append(file)
    return out


def suspect_files(files_by_account: dict, *arns: str) -> list[str]:
    """The error files that may explain a change touching these principals."""
    if not files_by_account:
        return []
    out = list(files_by_account.get(None, []))
    for arn in arns:
        account = account_of_arn(arn)
        for f in files_by_account.get(account, []) if account else []:
            if f not in out:
                out.append(f)
    return out


def run(args) -> int:
    from explorer.analysis.diff import describe, diff_graphs
    require_at_least_one(args.max_hops, "--max-hops")
    context = parse_context(args.context)
    parse_settings(args.setting)
    require_at_least_one(args.workers, "--workers")
    old = load_snapshot_arg(args.old, args, "old")
    new = load_snapshot_arg(args.new, args, "new")
    d = diff_graphs(graph_for(old, args), graph_for(new, args), max_hops=args.max_hops)
    loaded_old, loaded_new = loaded_snapshots(args)[-2:]
    old_err, new_err = error_files_by_account(loaded_old), error_files_by_account(loaded_new)
    # (kind, key) -> the error files that may explain the change. Edges and chains: the errors of either snapshot
    # (a missing SCP file in one snapshot adds as well as removes edges and chains); for a chain, the accounts of
    # all its nodes (so of all its edges). Principals: removed by the new snapshot's errors, added by the old one's.
    either_err = _merge(old_err, new_err)
    flagged = {}
    for e in d.edges_removed + d.edges_added:
        flagged[("edge", e.key)] = suspect_files(either_err, e.source, e.target)
    for c in d.edges_changed:
        flagged[("edge", c.old.key)] = suspect_files(either_err, c.old.source, c.old.target)
    for c in d.chains_lost + d.chains_added:
        flagged[("chain", (c.source, c.admin_role))] = suspect_files(either_err, c.source, *c.chain, c.admin_role)
    for p in d.principals_removed:
        flagged[("principal", p)] = suspect_files(new_err, p)
    for p in d.principals_added:
        flagged[("principal", p)] = suspect_files(old_err, p)
    if args.json:
        out = {"old": args.old, "new": args.new, "context": context.to_json(), **d.to_json()}
        _flag_json(out, flagged)
        print_json(out, args)
        return 0
    marks = {}
    for (kind, key), files in flagged.items():
        if files:
            marks[(kind, key)] = f" [may be a load error: {', '.join(files[:3])}{', ...' if len(files) > 3 else ''}]"
    lines = describe(d)
    lines = _mark_text(lines, d, marks)
    for line in lines:
        sys.stdout.write(line + "\n")
    if d.empty:
        sys.stdout.write("No differences.\n")
    if marks:
        sys.stdout.write(f"\n{len(marks)} change(s) marked [may be a load error] touch an account (or the "
                         "organization) whose files could not all be loaded: they may not be real changes.\n")
    return 0


def _merge(a: dict, b: dict) -> dict:
    out: dict = {}
    for src in (a, b):
        for k, files in src.items():
            out.setdefault(k, [])
            out[k] += [f for f in files if f not in out[k]]
    return out


def _flag_json(out: dict, flagged: dict) -> None:
    for section in ("added", "removed", "changed"):
        for e in out["edges"][section]:
            files = flagged.get(("edge", (e["from"], e["to"], e["action"])))
            if files:
                e["load_errors"] = files
    for section in ("added", "lost"):
        for c in out["admin_chains"][section]:
            files = flagged.get(("chain", (c["from"], c["to"])))
            if files:
                c["load_errors"] = files
    suspects = {section: [p for p in out["principals"][section] if flagged.get(("principal", p))]
                for section in ("added", "removed")}
    if any(suspects.values()):
        out["principals_load_errors"] = {section: {p: flagged[("principal", p)] for p in ps}
                                         for section, ps in suspects.items() if ps}


def _mark_text(lines: list[str], d, marks: dict) -> list[str]:
    """Append the marks to describe()'s lines, which list the changes in the order of the GraphDiff lists."""
    if not marks:
        return lines
    order = ([("edge", e.key) for e in d.edges_added] + [("edge", e.key) for e in d.edges_removed]
             + [("edge", c.old.key) for c in d.edges_changed] + [("principal", p) for p in d.principals_added]
             + [("principal", p) for p in d.principals_removed]
             + [("chain", (c.source, c.admin_role)) for c in d.chains_added]
             + [("chain", (c.source, c.admin_role)) for c in d.chains_lost])
    out = []
    items = iter(order)
    for line in lines:
        if line.startswith("  "):
            key = next(items, None)
            line += marks.get(key, "")
        out.append(line)
    return out
