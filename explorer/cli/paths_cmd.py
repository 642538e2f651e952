"""`paths SNAPSHOT --from ARN --to ARN [--max-hops N] [--k K] [--context KEY=VALUE ...] [--include-denied]
[--console] [--json]`: every role chain from one principal to another (interfaces.md §3)."""
from __future__ import annotations

import sys

from explorer.cli.common import (add_console_argument, add_graph_arguments, add_include_denied_argument,
                                 build_graph, print_json, require_at_least_one, resolve)

PATH_LIMIT = 1000  # chains printed at most (the JSON says when the list was cut)


def register(subparsers) -> None:
    p = subparsers.add_parser("paths", help="every role chain from one principal to another",
                              description="Every chain of role assumptions from --from to --to, shortest first, "
                                          "with each hop's conditions and the session limits.")
    p.add_argument("snapshot", help="snapshot folder or file")
    p.add_argument("--from", dest="source", required=True, metavar="ARN", help="the starting principal (ARN or name)")
    p.add_argument("--to", dest="target", required=True, metavar="ARN", help="the role to reach (ARN or name)")
    p.add_argument("--max-hops", type=int, default=5, metavar="N", help="longest chain (default 5)")
    p.add_argument("--k", type=int, default=None, metavar="K", help="only the K shortest chains")
    add_include_denied_argument(p)
    add_console_argument(p)
    add_graph_arguments(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    from explorer.analysis.paths import find_paths
    require_at_least_one(args.max_hops, "--max-hops")
    require_at_least_one(args.k, "--k")
    tg = build_graph(args)
    source = resolve(tg, args.source, "--from")
    target = resolve(tg, args.target, "--to")
    api_tg = tg  # (the graph of API chains, for the hint when there is no console chain)
    if args.console:
        from explorer.analysis.console_switch import console_graph, console_paths
        tg = console_graph(tg)
        paths = console_paths(tg, source, target, include_denied=args.include_denied, max_hops=args.max_hops)[:args.k]
    else:
        paths = find_paths(tg, source, target, max_hops=args.max_hops, k=args.k,
                           include_denied=args.include_denied, limit=None if args.k else PATH_LIMIT + 1)
    truncated = len(paths) > PATH_LIMIT
    paths = paths[:PATH_LIMIT]
    if args.json:
        out = {"from": source, "to": target, "paths": [p.to_json() for p in paths],
               "max_hops": args.max_hops, "context": tg.context.to_json()}
        if args.console:
            out["console"] = True
        if truncated:
            out["truncated"] = True
        print_json(out, args)
        return 0
    write = sys.stdout.write
    write(f"{'Console (Switch Role) chains' if args.console else 'Chains'} from {source} to {target} "
          f"(at most {args.max_hops} hops"
          f"{', ' + str(args.k) + ' shortest' if args.k else ''}):\n")
    if not paths:
        write("  none\n")
        if args.console:
            from explorer.analysis.console_switch import not_a_console_identity
            why = not_a_console_identity(tg, source)
            if why:
                write(f"  ({source} is {why})\n")
            api = [] if why else find_paths(api_tg, source, target, max_hops=args.max_hops,
                                            include_denied=args.include_denied, limit=1)
            if api:
                write("  (there are chains by API calls: a console switch is made by the signed-in identity, not by "
                      "the role switched to, and cannot pass sts:ExternalId; run without --console to see them)\n")
    for i, p in enumerate(paths, 1):
        flag = " [conditional]" if p.conditional else ""
        flag += " [includes a denied hop]" if p.denied else ""
        write(f"\nChain {i}: {len(p)} hop{'s' if len(p) != 1 else ''}{flag}\n")
        for line in p.describe():
            write(line + "\n")
        write(f"  longest final session: {_seconds(p.max_session_seconds)} (limited by {p.limited_by})\n")
    if truncated:
        write(f"\n(only the first {PATH_LIMIT} chains are shown)\n")
    return 0


def _seconds(value) -> str:
    if value is None:
        return "set by the service"
    return f"{value} s ({value / 3600:g} h)"
