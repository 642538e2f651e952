"""Console role switching (spec D8, T9): what a person signed in to the AWS Management Console can become with
Switch Role, and who can reach a role that way.

The console authorizes every switch with the identity that signed in, never with the role switched to (D8), so
console chains are short:
  - an IAM user, or a principal of an account outside the snapshot, signs in and switches to a role: one hop
    (user -> role). Switching again is made by the user again (another one-hop chain), never by the role;
  - a SAML or OIDC provider signs a person in as a role (federated sign-in; OIDC through a custom broker's
    federation URL); switching from that console is made by that role session: provider -> role -> role, and the
    second hop is role chaining (one hour, D2/D8);
  - a role as the source stands for a console session of it (a federated sign-in, or a sign-in URL made from a
    session of it): role -> role, role chaining.
A console switch cannot pass sts:ExternalId (T9): a hop is a console hop only through the alternatives of its
requirements that hold with sts:ExternalId absent. When the graph's context fixes sts:ExternalId to a value, the
console answers come from the same graph re-decided with it absent (`console_graph`).

The answers are `explorer.analysis.paths.RolePath`s made with console=True: their sessions follow the console
credential kinds of `explorer.iam.sessions` (an IAM user's switch lasts up to the role's MaxSessionDuration and no
longer than the console sign-in; a switch from a federated console session is capped at one hour).
"""
from __future__ import annotations

from explorer.analysis.paths import RolePath, _check_node, _RANK
from explorer.graph import schema as S
from explorer.iam.conditions import requirement_holds
from explorer.iam.context import UNKNOWN

EXTERNAL_ID = "sts:externalid"

# How a node of each kind is the console's signed-in identity: "user" (it switches, one hop), "federation" (it signs
# in as a role, which may then switch: two hops), "session" (a console session of the role itself: one hop).
CONSOLE_SOURCES = {S.USER: "user", S.FOREIGN_ACCOUNT: "user", S.ANYONE: "user",
                   S.SAML_PROVIDER: "federation", S.OIDC_PROVIDER: "federation", S.ROLE: "session"}
_SIGN_IN_ACTION = {S.SAML_PROVIDER: S.ASSUME_ROLE_SAML, S.OIDC_PROVIDER: S.ASSUME_ROLE_WEB_IDENTITY}


def not_a_console_identity(tg, node: str) -> str | None:
    """Why `node` cannot be the console's signed-in identity, as words that follow "<node> is " (None when it
    can): for an empty answer."""
    kind = tg.graph.nodes[node].get(S.KIND) if node in tg.graph else None
    if kind in CONSOLE_SOURCES:
        return None
    what = {S.SERVICE: "an AWS service", S.ACCOUNT: "an account's root user (root cannot assume roles, T6)",
            S.SERVICE_LINKED_ROLE: "a service-linked role"}.get(kind, f"a {kind or 'node'}")
    return (f"{what}, not a console identity (an IAM user, a principal outside the snapshot, a SAML or OIDC "
            "provider's federated sign-in, or a console session of a role)")


def _external_id_absent_ok(req) -> bool:
    if req.key.lower() != EXTERNAL_ID:
        return True
    return requirement_holds(req, lambda k: None if k == EXTERNAL_ID else UNKNOWN) is True


def console_requires(requires) -> tuple | None:
    """The alternatives of an edge's requirements that a console switch can meet (those that hold with
    sts:ExternalId absent); () for an unconditional edge; None when no alternative can be met from the console."""
    requires = tuple(requires or ())
    if not requires:
        return ()
    kept = tuple(alt for alt in requires if all(_external_id_absent_ok(r) for r in alt))
    return kept or None


def console_graph(tg):
    """The graph console answers come from: `tg`, or `tg` re-decided with sts:ExternalId absent when its context
    fixes sts:ExternalId to a value (a console switch cannot pass one). Cached on `tg`."""
    value = tg.context.get(EXTERNAL_ID)
    if value is None or value is UNKNOWN:
        return tg
    cache = tg.__dict__.setdefault("_path_cache", {})
    got = cache.get("console graph")
    if got is None:
        got = cache["console graph"] = tg.with_context(tg.context.with_values({EXTERNAL_ID: None}))
    return got


def _hop(tg, u: str, v: str, action: str, include_denied: bool) -> str | None:
    """The edge key of a console hop u -> v made with `action` (None: none usable)."""
    keys = tg.graph.succ.get(u, {}).get(v)
    if not keys or action not in keys:
        return None
    data = keys[action]
    rank = _RANK.get(data.get(S.STATE), 3)
    if rank == 2 and not include_denied or rank > 2:
        return None
    if rank < 2 and console_requires(data.get(S.REQUIRES)) is None:
        return None
    return action


def _first_action(kind: str) -> str:
    return _SIGN_IN_ACTION.get(kind, S.ASSUME_ROLE)


def _source_kind(tg, node: str) -> str | None:
    return CONSOLE_SOURCES.get(tg.graph.nodes[node].get(S.KIND))


def _firsts(tg, source: str, include_denied: bool) -> list[str]:
    """Roles the source's console identity reaches in one hop."""
    action = _first_action(tg.graph.nodes[source].get(S.KIND))
    return [v for v in tg.graph.succ.get(source, {}) if _hop(tg, source, v, action, include_denied)]


def _path(tg, nodes: list[str]) -> RolePath:
    g = tg.graph
    keys = [_first_action(g.nodes[nodes[0]].get(S.KIND))] + [S.ASSUME_ROLE] * (len(nodes) - 2)
    return RolePath(tg, nodes, keys, console=True)


def console_paths(tg, source: str, target: str, *, include_denied: bool = False,
                  max_hops: int | None = None) -> list[RolePath]:
    """The console chains from `source` to `target` (one or two hops, see the module docstring), shortest first,
    at most max_hops long. `tg` should be `console_graph(...)`."""
    source = _check_node(tg, source, "source")
    target = _check_node(tg, target, "target")
    how = _source_kind(tg, source)
    if how is None or source == target:
        return []
    out = []
    firsts = _firsts(tg, source, include_denied)
    if target in firsts:
        out.append(_path(tg, [source, target]))
    if how == "federation":
        for a in sorted(firsts):
            if a != target and _hop(tg, a, target, S.ASSUME_ROLE, include_denied):
                out.append(_path(tg, [source, a, target]))
    return _usable(out, max_hops, include_denied)


def _usable(paths, max_hops: int | None, include_denied: bool):
    """Chains at most max_hops long, without those whose session tags cannot be passed (RolePath) unless
    include_denied. A list stays a list; a dict (reach) keeps its keys."""
    def ok(p):
        return (max_hops is None or len(p) <= max_hops) and (include_denied or not p.session_tags_blocked)
    if isinstance(paths, dict):
        return {n: p for n, p in paths.items() if ok(p)}
    return [p for p in paths if ok(p)]


def console_reach_from(tg, source: str, max_hops: int | None = None, *,
                       include_denied: bool = False) -> dict[str, RolePath]:
    """Every role the source's console identity can switch to (or sign in as), one shortest chain each."""
    source = _check_node(tg, source, "source")
    how = _source_kind(tg, source)
    if how is None:
        return {}
    firsts = _firsts(tg, source, include_denied)
    found = {v: _path(tg, [source, v]) for v in firsts}
    if how == "federation":
        for a in sorted(firsts):
            for v in _firsts(tg, a, include_denied) if _source_kind(tg, a) else ():
                if v != source and v not in found:
                    found[v] = _path(tg, [source, a, v])
    return _usable(found, max_hops, include_denied)


def console_reach_to(tg, target: str, max_hops: int | None = None, *,
                     include_denied: bool = False) -> dict[str, RolePath]:
    """Every console identity that can reach the role by Switch Role (users, accounts outside the snapshot,
    providers through a federated sign-in, roles as console sessions), one shortest chain each."""
    target = _check_node(tg, target, "target")
    g = tg.graph
    found: dict[str, RolePath] = {}
    for u in g.pred.get(target, {}):
        how = _source_kind(tg, u)
        if how is not None and _hop(tg, u, target, _first_action(g.nodes[u].get(S.KIND)), include_denied):
            found[u] = _path(tg, [u, target])
    for a in sorted(u for u in found if _source_kind(tg, u) == "session"):
        for p in g.pred.get(a, {}):
            if (p not in found and p != target and _source_kind(tg, p) == "federation"
                    and _hop(tg, p, a, _first_action(g.nodes[p].get(S.KIND)), include_denied)):
                found[p] = _path(tg, [p, a, target])
    return _usable(found, max_hops, include_denied)
