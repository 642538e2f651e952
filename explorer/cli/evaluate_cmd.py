"""`evaluate SNAPSHOT --path ARN ARN... [--action A --resource ARN] [--session-policy FILE] [--context ...]
[--json]`: each hop's evaluation, the final session's limits, and its effective permissions or one decision
(interfaces.md §3)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from explorer.cli.common import add_graph_arguments, build_graph, print_json, resolve
from explorer.errors import InputError
from explorer.graph import schema as S
from explorer.graph.edges import requirement_text


def register(subparsers) -> None:
    p = subparsers.add_parser("evaluate", help="evaluate a chain: each hop, the final session's limits, and its "
                                               "permissions or one decision",
                              description="Evaluate a chain of principals: each hop as AWS decides it, the "
                                          "longest final session, and the final session's effective permissions "
                                          "(or, with --action and --resource, one decision, compared with the "
                                          "first principal making the same request directly).")
    p.add_argument("snapshot", help="snapshot folder or file")
    p.add_argument("--path", nargs="+", required=True, metavar="ARN", help="the chain: a caller, then each role")
    p.add_argument("--action", metavar="ACTION", help="decide this action (with --resource)")
    p.add_argument("--resource", metavar="ARN", help="the resource of --action")
    p.add_argument("--session-policy", metavar="FILE", help="a session policy (JSON) applied to the final session")
    add_graph_arguments(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def _read_policy(path: str) -> dict:
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise InputError(f"cannot read the session policy: {exc.strerror or exc}", file=path) from None
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise InputError(f"not valid JSON: {exc}", file=path) from None
    if not isinstance(doc, dict):
        raise InputError("a policy document must be a JSON object", file=path, where="$")
    return doc


def evaluate_path(tg, nodes: list[str], *, action=None, resource=None, session_policy=None,
                  unreachable_permissions: bool = True) -> dict:
    """The evaluate JSON for a chain of node ids (also usable by other front ends). With
    unreachable_permissions=False, the effective permissions of a final session that the chain cannot reach are
    not computed (the text output does not list them)."""
    from explorer.analysis.effective_permissions import (decide_for_principal, decide_on_path,
                                                         effective_permissions)
    from explorer.analysis.paths import RolePath
    g = tg.graph
    hops = []
    all_edges = True
    for u, v in zip(nodes, nodes[1:]):
        if tg.caller(u) is None or tg.role_info(v) is None:
            raise InputError(f"{v} is not a role of the snapshot, or {u} cannot call AssumeRole: a chain is a "
                             "caller followed by roles")
        ex = tg.explain_hop(u, v)
        state = ex["state"]
        all_edges = all_edges and state is not None
        hops.append({"from": u, "to": v, "action": "sts:AssumeRole" if ex["action"] == S.SERVICE_ASSUME
                     else ex["action"], "allowed": state in (S.ALLOWED, S.CONDITIONAL),
                     "state": state or "no edge", "reason": ex["reason"],
                     "requires": [[r.to_json() for r in alt] for alt in ex["requires"]],
                     "explanation": ex["decision"].explanation_json(),
                     "trust_explanation": ex["trust_decision"].explanation_json() if ex["trust_decision"] else None,
                     "identity_explanation": ex["identity_decision"].explanation_json()
                     if ex["identity_decision"] else None,
                     "cross_account": bool(g[u][v][ex["action"]].get(S.CROSS_ACCOUNT)) if state else
                     (g.nodes[u].get(S.ACCOUNT_ID) != g.nodes[v].get(S.ACCOUNT_ID))})
    out: dict = {"path": list(nodes), "hops": hops, "context": tg.context.to_json()}
    if len(nodes) > 1 and all_edges:
        rp = RolePath(tg, nodes, [hop_key(tg, u, v) for u, v in zip(nodes, nodes[1:])])
        for h, hj in zip(rp.hops, hops):
            hj["max_session_seconds"] = h.max_session_seconds
            hj["chained"] = h.chained
            hj["limited_by"] = h.session.limited_by
        out["session"] = rp.session_summary()
        out["allowed"] = all(h["allowed"] for h in hops)
        out["conditional"] = rp.conditional
    elif len(nodes) > 1:
        out["allowed"] = False
        out["session"] = None
    # Whether the final session can be obtained along this chain (a single principal evaluates itself). The
    # decision / effective permissions below are computed either way: when False they are what the final
    # session would have if the chain were allowed.
    out["reachable"] = bool(out.get("allowed", True))
    final = nodes[-1]
    if action:
        d = decide_on_path(tg, nodes, action, resource, session_policy=session_policy)
        out["decision"] = {**d.to_json(), "principal": final}
        first = nodes[0]
        if len(nodes) > 1 and tg.caller(first) is not None and tg.caller(first).policies is not None:
            direct = decide_for_principal(tg, first, action, resource)
            out["decision_direct"] = {**direct.to_json(), "principal": first}
            out["comparison"] = (
                f"with its own credentials {first} gets {direct.result.value} (a resource policy keeps the caller's "
                f"own permissions); as a session of {final} it gets {d.result.value} (assuming a role gives them up "
                "for the role's)")
    elif out["reachable"] or unreachable_permissions:
        eff = effective_permissions(tg, final, session_policy=session_policy)
        out["effective_permissions"] = eff.by_service()
        out["effective_permissions_detail"] = eff.to_json()
    return out


def hop_key(tg, u, v) -> str:
    keys = tg.graph[u][v]
    return min(keys, key=lambda k: {S.ALLOWED: 0, S.CONDITIONAL: 1}.get(keys[k][S.STATE], 2))


def run(args) -> int:
    if bool(args.action) != bool(args.resource):
        raise InputError("--action and --resource go together")
    session_policy = _read_policy(args.session_policy) if args.session_policy else None
    tg = build_graph(args)
    nodes = [resolve(tg, a, "--path element") for a in args.path]
    out = evaluate_path(tg, nodes, action=args.action, resource=args.resource, session_policy=session_policy,
                        unreachable_permissions=args.json)
    if args.json:
        print_json(out, args)
        return 0
    write = sys.stdout.write
    write("Chain: " + " -> ".join(nodes) + "\n")
    failing = [(i, h) for i, h in enumerate(out["hops"], 1) if not h["allowed"]]
    if failing:
        write(f"NOT ALLOWED: {_failing_text(failing)}.\n")
    for i, h in enumerate(out["hops"], 1):
        verdict = {"allowed": "ALLOWED", "conditional": "ALLOWED IF", "denied": "DENIED"}.get(h["state"],
                                                                                             "NO EDGE")
        write(f"  {i}. {h['from']} -> {h['to']} ({h['action']}{', cross-account' if h['cross_account'] else ''}):"
              f" {verdict}\n")
        if h["state"] == "conditional":
            write(f"     only if {_requirements_text(h['requires'])}\n")
        write(f"     {h['reason']}\n")
        if "max_session_seconds" in h:
            if h["chained"]:
                write(f"     session: at most {h['max_session_seconds']} s (role chaining caps it at one hour)\n")
            elif h["max_session_seconds"] is None:
                write("     session: set by the service\n")
            else:
                write(f"     session: at most {h['max_session_seconds']} s ({h['limited_by']})\n")
    sess = out.get("session")
    if failing:
        write(f"\nThe chain is NOT allowed: {_failing_text(failing)}. No session of {nodes[-1]} can be obtained "
              "along this chain.\n")
    if sess and not failing:
        write(f"Final session of {sess['role']}: at most {sess['max_session_seconds']} s, limited by "
              f"{sess['limited_by']}\n")
        if sess.get("note"):
            write(f"  note: {sess['note']}\n")
    if "decision" in out:
        d = out["decision"]
        if failing:
            write("\nIf the chain were allowed (it is not), the final session would get:\n")
        write(f"\n{args.action} on {args.resource} by the final session: {d['decision']} ({d['reason']})\n")
        if d.get("requires"):
            write(f"  only if {_requirements_text(d['requires'])}\n")
        if "decision_direct" in out:
            dd = out["decision_direct"]
            write(f"Same request by {dd['principal']} directly: {dd['decision']} ({dd['reason']})\n")
            if dd.get("requires"):
                write(f"  only if {_requirements_text(dd['requires'])}\n")
            write(f"  {out['comparison']}\n")
    elif failing:
        write("Effective permissions not listed: the final session is not reachable along this chain (--json "
              "still gives them, with \"reachable\": false).\n")
    elif "effective_permissions" in out:
        eff = out["effective_permissions"]
        write(f"\nEffective permissions of the final session ({out['effective_permissions_detail']['allowed_actions']}"
              f" actions):\n")
        for svc, levels in eff.items():
            counts = ", ".join(f"{lvl} {len(acts)}" for lvl, acts in levels.items())
            write(f"  {svc}: {counts}\n")
    return 0


def _failing_text(failing) -> str:
    parts = []
    for i, h in failing:
        parts.append(f"hop {i} ({h['from']} -> {h['to']}) fails: {h['state']}")
    return "; ".join(parts)


def _requirements_text(requires) -> str:
    """requirement_text of a decision's JSON "requires" (alternatives of requirements, or one list)."""
    from explorer.iam.decision import Requirement
    alts = requires if requires and isinstance(requires[0], list) else [requires]
    return requirement_text(tuple(tuple(Requirement(r["key"], r["operator"], tuple(r.get("values") or ()))
                                        for r in alt) for alt in alts))
