"""`reach SNAPSHOT (--from ARN | --to ARN) [--max-hops N] [--context ...] [--console] [--json]`: everything a principal can
become, or everyone who can become a role (interfaces.md §3)."""
from __future__ import annotations

import sys

from explorer.cli.common import (add_console_argument, add_graph_arguments, add_include_denied_argument,
                                 build_graph, print_json, require_at_least_one, resolve)
from explorer.graph import schema as S


def register(subparsers) -> None:
    p = subparsers.add_parser("reach", help="everything a principal can become, or everyone who can become a role",
                              description="With --from: every role the principal can obtain a session of. With "
                                          "--to: every principal that can obtain a session of the role. One "
                                          "shortest chain each.")
    p.add_argument("snapshot", help="snapshot folder or file")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--from", dest="source", metavar="ARN", help="the starting principal (ARN or name)")
    group.add_argument("--to", dest="target", metavar="ARN", help="the role (ARN or name)")
    p.add_argument("--max-hops", type=int, default=None, metavar="N", help="longest chain (default: no limit)")
    add_include_denied_argument(p)
    add_console_argument(p)
    add_graph_arguments(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    require_at_least_one(args.max_hops, "--max-hops")
    tg = build_graph(args)
    if args.console:  # console Switch Role chains (explorer.analysis.console_switch), at most max_hops long
        from explorer.analysis.console_switch import console_graph, console_reach_from, console_reach_to
        tg = console_graph(tg)
        reach_from, reach_to = console_reach_from, console_reach_to  # (the signatures of analysis.paths')
    else:
        from explorer.analysis.paths import reach_from, reach_to
    if args.source:
        node = resolve(tg, args.source, "--from")
        found = reach_from(tg, node, args.max_hops, include_denied=args.include_denied)
        direction = "from"
    else:
        node = resolve(tg, args.target, "--to")
        found = reach_to(tg, node, args.max_hops, include_denied=args.include_denied)
        direction = "to"
    g = tg.graph
    items = sorted(found.items(), key=lambda kv: (len(kv[1]), kv[0]))
    if args.json:
        out = {direction: node, "context": tg.context.to_json(), "reach": [
            {"principal": n, "kind": g.nodes[n].get(S.KIND), "account": g.nodes[n].get(S.ACCOUNT_ID),
             "hops": len(p), "conditional": p.conditional, "denied": p.denied,
             "max_session_seconds": p.max_session_seconds, "limited_by": p.limited_by, "path": p.to_json()}
            for n, p in items]}
        if args.console:
            out["console"] = True
        print_json(out, args)
        return 0
    write = sys.stdout.write
    how = " by console Switch Role" if args.console else ""
    if direction == "from":
        write(f"{node} can become {len(items)} role{'s' if len(items) != 1 else ''}{how}:\n")
    else:
        write(f"{len(items)} principal{'s' if len(items) != 1 else ''} can become {node}{how}:\n")
    for n, p in items:
        flag = " [conditional]" if p.conditional else ""
        flag += " [denied hop]" if p.denied else ""
        kind = g.nodes[n].get(S.KIND)
        via = " -> ".join(p.nodes[1:-1])
        write(f"  {n} ({kind}), {len(p)} hop{'s' if len(p) != 1 else ''}{flag}"
              f"{', via ' + via if via else ''}; final session at most "
              f"{p.max_session_seconds if p.max_session_seconds is not None else 'service-set'} s"
              f"{' (role chaining: one hour)' if p.chained else ''}\n")
        note = p.session_summary().get("note")
        if note:
            write(f"    note: {note}\n")
    if args.console and direction == "from" and not items:
        from explorer.analysis.console_switch import not_a_console_identity
        why = not_a_console_identity(tg, node)
        if why:
            write(f"  ({node} is {why})\n")
    if any(p.denied for _, p in items):
        write("[denied hop]: the chain uses an edge that the trust policy allows but another layer denies "
              "(--include-denied)\n")
    return 0

