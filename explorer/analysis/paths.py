"""Role chains in the trust graph: paths between two principals, everything a principal can become, everyone who
can become a role; and the session limits along each chain (spec §7, via explorer.iam.sessions).

Paths run on a directed view of the trust graph that keeps, for each (caller, role) pair, its best edge
(allowed before conditional); denied edges (trusted but not permitted) never form paths unless include_denied.
Search is bounded: nodes that cannot lie on a chain of at most max_hops (by BFS distance from the source and to the
target) are pruned before networkx enumerates simple paths.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from itertools import islice

import networkx as nx

from explorer.graph import schema as S
from explorer.graph.edges import and_requirements, requirement_text
from explorer.iam.decision import Result
from explorer.iam.principal import (CRED_CONSOLE, CRED_CONSOLE_FEDERATED, CRED_IAM_USER, CRED_OIDC,
                                    CRED_ROLE_SESSION, CRED_SAML, CRED_SERVICE)
from explorer.iam.sessions import ROLE_CHAINING_CAP_SECONDS, assume_role_session, credential_kind_after

DEFAULT_MAX_HOPS = 5
_RANK = {S.ALLOWED: 0, S.CONDITIONAL: 1, S.DENIED: 2}

# Credential kind of the first hop, by the source node's kind.
FIRST_HOP_CREDENTIAL = {
    S.USER: CRED_IAM_USER,
    S.ROLE: CRED_ROLE_SESSION,
    S.SERVICE_LINKED_ROLE: CRED_ROLE_SESSION,
    S.SAML_PROVIDER: CRED_SAML,
    S.OIDC_PROVIDER: CRED_OIDC,
    S.SERVICE: CRED_SERVICE,
    S.FOREIGN_ACCOUNT: CRED_IAM_USER,  # a principal outside the snapshot: the longest case (not chained)
    S.ANYONE: CRED_IAM_USER,
    S.ACCOUNT: CRED_IAM_USER,
}

# ... of a console chain (explorer.analysis.console_switch, D8): the signed-in identity's kind
CONSOLE_FIRST_HOP_CREDENTIAL = {
    S.USER: CRED_CONSOLE,
    S.FOREIGN_ACCOUNT: CRED_CONSOLE,
    S.ANYONE: CRED_CONSOLE,
    S.SAML_PROVIDER: CRED_SAML,
    S.OIDC_PROVIDER: CRED_OIDC,
    S.ROLE: CRED_CONSOLE_FEDERATED,
}


def _sts_action(edge_key: str) -> str:
    return "sts:AssumeRole" if edge_key == S.SERVICE_ASSUME else edge_key


def requires_json(requires) -> list[dict]:
    """Requirements as the paths JSON lists them: one alternative -> its requirements; several -> every
    requirement with "alternative": index (the hop is allowed when all requirements of one alternative hold)."""
    requires = tuple(requires or ())
    if len(requires) == 1:
        return [r.to_json() for r in requires[0]]
    return [{**r.to_json(), "alternative": i} for i, alt in enumerate(requires) for r in alt]


@dataclass
class Hop:
    source: str
    target: str
    action: str  # edge key: sts:AssumeRole / ...WithSAML / ...WithWebIdentity / service
    cross_account: bool
    requires: tuple
    max_session_seconds: int | None
    chained: bool
    session: object  # explorer.iam.sessions.SessionRule
    edge: dict
    max_session_known: bool = True
    # a hop whose caller's session needs session tags (SESSION_TAGS) passed at the previous hop: the engine's
    # Decision on that hop's sts:TagSession, and why it cannot be passed there (None: it can, or not known)
    tags_passed: object = None
    tags_blocked: str | None = None

    def session_tags_lines(self, index: int, source_label: str) -> list[str]:
        """What the chain says about the session tags this hop needs on its caller's session (SESSION_TAGS, D11),
        for hop number `index` (1-based): where they are passed, and BLOCKED with the reason when they cannot be.
        [] when the hop needs none."""
        tags = self.edge.get(S.SESSION_TAGS)
        if not tags:
            return []
        if index == 1:
            at = "when it was assumed"
        elif self.tags_blocked:
            at = f"at hop {index - 1}, which does not allow sts:TagSession"
        elif self.tags_passed is not None:
            at = f"at hop {index - 1} (sts:TagSession allowed there)"
        else:
            at = f"at hop {index - 1}, which must also allow sts:TagSession"
        lines = [f"needs session tags ({', '.join(tags)}) on the session of {source_label}, passed {at} (D11)"]
        if self.tags_blocked:
            lines.append(f"BLOCKED: {self.tags_blocked}")
        return lines

    @property
    def state(self) -> str:
        """The edge's state; an allowed edge is conditional here when this chain adds requirements to it (the
        session tags the next hop needs, RolePath._check_session_tags)."""
        state = self.edge.get(S.STATE, S.ALLOWED)
        return S.CONDITIONAL if state == S.ALLOWED and self.requires else state

    @property
    def conditional(self) -> bool:
        return self.state == S.CONDITIONAL

    def to_json(self) -> dict:
        out = {"from": self.source, "to": self.target, "action": self.action, "sts_action": _sts_action(self.action),
               "cross_account": self.cross_account,
               "requires": requires_json(self.requires), "max_session_seconds": self.max_session_seconds,
               "chained": self.chained, "state": self.state,
               "badges": list(self.edge.get(S.BADGES, ())),
               "limited_by": self.session.limited_by if self.session is not None else None}
        if self.edge.get(S.SESSION_TAGS):
            out["session_tags"] = list(self.edge[S.SESSION_TAGS])
            if self.tags_passed is not None:
                out["session_tags_passed"] = {"allowed": self.tags_blocked is None,
                                              "reason": getattr(self.tags_passed, "reason", "")}
        if not self.max_session_known:
            out["max_session_note"] = ("MaxSessionDuration not in the snapshot (roles.json missing or unreadable): "
                                   "3600 s assumed")
        return out


class RolePath:
    """A chain of hops from `source` to `target` (nodes[0] .. nodes[-1])."""

    def __init__(self, tg, nodes: list[str], keys: list[str] | None = None, *, console: bool = False):
        self.tg = tg
        self.nodes = list(nodes)
        self._keys = keys
        # a console chain (explorer.analysis.console_switch): console credential kinds, and only the requirement
        # alternatives a console switch can meet
        self.console = console

    @property
    def source(self) -> str:
        return self.nodes[0]

    @property
    def target(self) -> str:
        return self.nodes[-1]

    def __len__(self) -> int:
        return len(self.nodes) - 1

    def __repr__(self) -> str:
        return f"RolePath({' -> '.join(self.nodes)})"

    @cached_property
    def hops(self) -> list[Hop]:
        g = self.tg.graph
        out: list[Hop] = []
        kind0 = g.nodes[self.source].get(S.KIND)
        cred = (CONSOLE_FIRST_HOP_CREDENTIAL.get(kind0, CRED_CONSOLE) if self.console
                else FIRST_HOP_CREDENTIAL.get(kind0, CRED_IAM_USER))
        settings = self.tg.settings
        for i, (u, v) in enumerate(zip(self.nodes, self.nodes[1:])):
            key = self._keys[i] if self._keys else _best_key(g, u, v)
            data = g[u][v][key]
            vdata = g.nodes[v]
            role_max = vdata.get(S.MAX_SESSION)
            known = bool(vdata.get(S.MAX_SESSION_KNOWN, False))
            action = _sts_action(key)
            kind = cred
            if key == S.SERVICE_ASSUME:
                kind = CRED_SERVICE
            session = assume_role_session(kind, role_max if isinstance(role_max, int) else None,
                                          settings=settings, action=action)
            requires = tuple(data.get(S.REQUIRES) or ())
            if self.console:
                from explorer.analysis.console_switch import console_requires
                requires = console_requires(requires) or ()
            out.append(Hop(u, v, key, bool(data.get(S.CROSS_ACCOUNT)), requires,
                           session.max_seconds, session.chained, session, data, known))
            if self.console:  # D8: the console keeps the signed-in identity (a federated sign-in: its role session)
                cred = credential_kind_after(action, kind, via_console=True) or CRED_CONSOLE_FEDERATED
            else:
                cred = session.credential_kind_after or CRED_ROLE_SESSION
        self._check_session_tags(out)
        return out

    def _check_session_tags(self, hops: list) -> None:
        """A hop that needs session tags on its caller's session (SESSION_TAGS, D11) needs them passed at the
        previous hop of this chain: that hop's caller must be allowed sts:TagSession on that role (trust and
        identity side, TrustGraph.tag_session). Its requirements are added to the previous hop's; when it is not
        allowed the chain is blocked there (`session_tags_blocked`)."""
        tag_session = getattr(self.tg, "tag_session", None)
        if tag_session is None:
            return
        for i in range(1, len(hops)):
            h, prev = hops[i], hops[i - 1]
            if not h.edge.get(S.SESSION_TAGS):
                continue
            decision = tag_session(prev.source, prev.target, prev.action)
            if decision is None:
                continue
            h.tags_passed = decision
            if decision.result is not Result.ALLOW:
                h.tags_blocked = (f"{prev.source} may not pass session tags when it assumes {prev.target} "
                                  f"(sts:TagSession): {decision.reason}")
            elif decision.requirements:
                prev.requires = and_requirements(prev.requires, tuple(tuple(a) for a in decision.requirements))

    @property
    def session_tags_blocked(self) -> list[int]:
        """Indexes (0-based) of the hops whose session tags cannot be passed at the previous hop. (Looks at the
        edges first: a chain in which no later hop needs session tags is not worked out hop by hop for this.)"""
        if "hops" not in self.__dict__ and not self._needs_passed_tags():
            return []
        return [i for i, h in enumerate(self.hops) if h.tags_blocked]

    def _needs_passed_tags(self) -> bool:
        g = self.tg.graph
        for i in range(1, len(self.nodes) - 1):
            u, v = self.nodes[i], self.nodes[i + 1]
            key = self._keys[i] if self._keys else _best_key(g, u, v)
            if dict.get(g[u][v][key], S.SESSION_TAGS):
                return True
        return False

    @property
    def states(self) -> list[str]:
        return [h.state for h in self.hops]

    @property
    def conditional(self) -> bool:
        return any(h.state == S.CONDITIONAL for h in self.hops)

    @property
    def denied(self) -> bool:
        return any(h.state == S.DENIED for h in self.hops)

    @property
    def final(self) -> Hop | None:
        return self.hops[-1] if self.hops else None

    @property
    def max_session_seconds(self) -> int | None:
        return self.final.max_session_seconds if self.final else None

    @property
    def limited_by(self) -> str | None:
        return self.final.session.limited_by if self.final else None

    @property
    def chained(self) -> bool:
        return bool(self.final and self.final.chained)

    @property
    def requirements(self) -> list[tuple]:
        """Per hop, the alternatives of requirements (empty tuple for unconditional hops)."""
        return [h.requires for h in self.hops]

    def session_summary(self) -> dict:
        final = self.final
        if final is None:
            return {"role": self.target, "max_session_seconds": None, "limited_by": None}
        out = {"role": self.target, "max_session_seconds": final.max_session_seconds,
               "limited_by": final.session.limited_by, "chained": final.chained,
               "reason": final.session.reason}
        if not final.max_session_known and final.edge is not None:
            out["note"] = "MaxSessionDuration not in the snapshot (roles.json missing or unreadable): 3600 s assumed"
        return out

    def to_json(self) -> dict:
        out = {"hops": [h.to_json() for h in self.hops], "conditional": self.conditional,
               "max_session_seconds": self.max_session_seconds, "limited_by": self.limited_by,
               "nodes": list(self.nodes)}
        if self.console:
            out["console"] = True
        if self.denied:
            out["denied"] = True
        if self.session_tags_blocked:
            out["session_tags_blocked"] = True
        if self.final is not None and not self.final.max_session_known:
            out["max_session_note"] = ("MaxSessionDuration not in the snapshot (roles.json missing or unreadable): "
                                   "3600 s assumed")
        return out

    def describe(self) -> list[str]:
        """Human-readable lines: one per hop, then the session limit."""
        g = self.tg.graph
        lines = []
        for i, h in enumerate(self.hops, 1):
            cross = " (cross-account)" if h.cross_account else ""
            how = ""
            if self.console:
                how = (" (console sign-in)" if h.action in (S.ASSUME_ROLE_SAML, S.ASSUME_ROLE_WEB_IDENTITY)
                       else " (console Switch Role)")
            lines.append(f"  {i}. {_label(g, h.source)} -> {_label(g, h.target)} via {_sts_action(h.action)}"
                         f"{' by the service' if h.action == S.SERVICE_ASSUME else ''}{how}{cross}")
            if h.state == S.CONDITIONAL:
                lines.append(f"     only if {requirement_text(h.requires)}")
            if h.edge.get(S.SESSION_TAGS):
                lines.extend("     " + line for line in h.session_tags_lines(i, _label(g, h.source)))
            elif h.state == S.DENIED:
                lines.append(f"     DENIED: {h.edge.get(S.REASON, '')}")
            if h.max_session_seconds is None:
                lines.append(f"     session: {h.session.limited_by or 'n/a'} ({h.session.reason})")
            elif h.chained:
                lines.append(f"     session: at most {h.max_session_seconds} s - role chaining caps it at one hour "
                             f"({ROLE_CHAINING_CAP_SECONDS} s)")
            elif self.console and h.action == S.ASSUME_ROLE:
                lines.append(f"     session: at most {h.max_session_seconds} s ({h.session.limited_by}), and no "
                             "longer than the console sign-in it was switched from")
            else:
                lines.append(f"     session: at most {h.max_session_seconds} s ({h.session.limited_by})")
            if not h.max_session_known:
                lines.append("     note: MaxSessionDuration not in the snapshot (roles.json missing or unreadable): "
                             "3600 s assumed")
        return lines


def _label(g, node: str) -> str:
    return node


def _best_key(g, u: str, v: str) -> str:
    keys = g[u][v]
    return min(keys, key=lambda k: (_RANK.get(keys[k].get(S.STATE), 3), k))


# ---------------------------------------------------------------------- views
def path_view(tg, include_denied: bool = False) -> nx.DiGraph:
    """A DiGraph with the best usable edge per (caller, role) pair (cached on the TrustGraph)."""
    cache = tg.__dict__.setdefault("_path_cache", {})
    key = ("view", include_denied)
    view = cache.get(key)
    if view is None:
        view = nx.DiGraph()
        view.add_nodes_from(tg.graph)
        # (written into networkx's adjacency directly, as add_edges_from would, in the graph's edge order; the
        # state is read with dict.get: edges may be EdgeData, whose get is Python code)
        succ, pred = view._succ, view._pred
        rank_of, dget, state = _RANK.get, dict.get, S.STATE
        for u, nbrs in tg.graph._succ.items():
            su = succ[u]
            for v, keydict in nbrs.items():
                best = None
                for k, d in keydict.items():
                    r = rank_of(dget(d, state), 3)
                    if r == 2 and not include_denied:
                        continue
                    if best is None or (r, k) < best:
                        best = (r, k)
                if best is not None:
                    su[v] = pred[v][u] = {"key": best[1], "rank": best[0]}
        cache[key] = view
    return view


def _check_node(tg, node: str, what: str) -> str:
    if node in tg.graph:
        return node
    found = tg.node_for(node)
    if found is None:
        from explorer.errors import InputError
        raise InputError(f"{what} {node!r} is not a node of the trust graph")
    return found


def _make(tg, view, nodes) -> RolePath:
    return RolePath(tg, nodes, [view[u][v]["key"] for u, v in zip(nodes, nodes[1:])])


def find_paths(tg, source: str, target: str, *, max_hops: int = DEFAULT_MAX_HOPS, k: int | None = None,
               include_denied: bool = False, limit: int | None = None) -> list[RolePath]:
    """All simple chains of at most max_hops from source to target (or the k shortest when k is given),
    shortest first. `limit` caps the number of chains enumerated (None: no cap)."""
    source = _check_node(tg, source, "source")
    target = _check_node(tg, target, "target")
    if source == target:
        return []
    view = path_view(tg, include_denied)
    fwd = nx.single_source_shortest_path_length(view, source, cutoff=max_hops)
    if target not in fwd:
        return []
    back = nx.single_source_shortest_path_length(view.reverse(copy=False), target, cutoff=max_hops)
    keep = [n for n, d in fwd.items() if n in back and d + back[n] <= max_hops]
    sub = view.subgraph(keep)
    if k is not None:
        out = []
        for nodes in nx.shortest_simple_paths(sub, source, target):
            if len(nodes) - 1 > max_hops or len(out) >= k:
                break
            p = _make(tg, view, nodes)
            if include_denied or not p.session_tags_blocked:
                out.append(p)
        return out
    gen = (_make(tg, view, nodes) for nodes in nx.all_simple_paths(sub, source, target, cutoff=max_hops))
    if not include_denied:  # (a chain whose session tags cannot be passed is no way: see RolePath)
        gen = (p for p in gen if not p.session_tags_blocked)
    if limit is not None:
        gen = islice(gen, limit)
    paths = list(gen)
    paths.sort(key=lambda p: (len(p), _non_allowed(view, p.nodes), p.nodes))
    return paths


def _non_allowed(view, nodes) -> int:
    return sum(1 for u, v in zip(nodes, nodes[1:]) if view[u][v]["rank"] != 0)


def reach_from(tg, source: str, max_hops: int | None = None, *, include_denied: bool = False) -> dict[str, RolePath]:
    """Every role the source can become (a session of), with one shortest chain each."""
    source = _check_node(tg, source, "source")
    view = path_view(tg, include_denied)
    found = nx.single_source_shortest_path(view, source, cutoff=max_hops)
    return _unblocked(tg, {n: _make(tg, view, nodes) for n, nodes in found.items() if n != source}, max_hops,
                      include_denied)


def reach_to(tg, target: str, max_hops: int | None = None, *, include_denied: bool = False) -> dict[str, RolePath]:
    """Everyone (users, roles, providers, services, foreign accounts) who can become the target, with one
    shortest chain each."""
    target = _check_node(tg, target, "target")
    view = path_view(tg, include_denied)
    found = nx.single_source_shortest_path(view.reverse(copy=False), target, cutoff=max_hops)
    return _unblocked(tg, {n: _make(tg, view, list(reversed(nodes))) for n, nodes in found.items() if n != target},
                      max_hops, include_denied)


def _unblocked(tg, found: dict, max_hops: int | None, include_denied: bool) -> dict:
    """`found` with each chain whose session tags cannot be passed (RolePath.session_tags_blocked) replaced by the
    shortest chain between the same ends that can, or dropped when there is none (kept with include_denied)."""
    if include_denied:
        return found
    for n, p in list(found.items()):
        if p.session_tags_blocked:
            other = find_paths(tg, p.source, p.target, max_hops=max_hops or DEFAULT_MAX_HOPS, k=1)
            if other:
                found[n] = other[0]
            else:
                del found[n]
    return found


def path_from_nodes(tg, nodes: list[str], *, include_denied: bool = True) -> RolePath:
    """A RolePath along the given nodes (each consecutive pair must have an edge). Raises InputError naming the
    first missing hop."""
    from explorer.errors import InputError
    resolved = [_check_node(tg, n, "path element") for n in nodes]
    if len(resolved) < 2:
        raise InputError("a path needs at least two principals (a caller and a role)")
    keys = []
    for u, v in zip(resolved, resolved[1:]):
        if not tg.graph.has_edge(u, v):
            raise InputError(f"no edge from {u} to {v}: the trust graph has no way for the first to assume the "
                             "second")
        key = _best_key(tg.graph, u, v)
        if not include_denied and tg.graph[u][v][key].get(S.STATE) == S.DENIED:
            raise InputError(f"the edge from {u} to {v} is denied: {tg.graph[u][v][key].get(S.REASON)}")
        keys.append(key)
    return RolePath(tg, resolved, keys)
