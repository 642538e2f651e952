"""What changed between two snapshots, seen through their trust graphs.

    d = diff_graphs(old_tg, new_tg)       # or diff_snapshots(old_snapshot, new_snapshot, context=None)
    d.edges_added / d.edges_removed       EdgeInfo (source, target, action, state, requires, reason)
    d.edges_changed                        EdgeChange (old and new EdgeInfo, what changed: state/conditions/explanation)
    d.principals_added / d.principals_removed   user and role ARNs
    d.chains_added / d.chains_lost         ChainChange: a principal that can now (or no longer) reach an
                                           administrative role, with the shortest chain
Everything is sorted, so the same two snapshots always give the same output.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from explorer.graph import schema as S


def _requires_json(requires) -> list:
    out = []
    for alt in requires or ():
        out.append(sorted(([r.to_json() for r in alt] if not isinstance(alt, dict) else [alt]),
                          key=lambda r: (r.get("key", ""), r.get("operator", ""), r.get("values", []))))
    return sorted(out, key=lambda a: str(a))


@dataclass(frozen=True)
class EdgeInfo:
    source: str
    target: str
    action: str
    state: str
    requires: tuple = ()
    reason: str = ""
    cross_account: bool = False

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.source, self.target, self.action)

    def to_json(self) -> dict:
        out = {"from": self.source, "to": self.target, "action": self.action, "state": self.state,
               "cross_account": self.cross_account, "reason": self.reason}
        if self.requires:
            out["requires"] = _requires_json(self.requires)
        return out


@dataclass(frozen=True)
class EdgeChange:
    old: EdgeInfo
    new: EdgeInfo
    changed: tuple[str, ...]  # "state", "conditions", "explanation"

    def to_json(self) -> dict:
        return {"from": self.old.source, "to": self.old.target, "action": self.old.action,
                "changed": list(self.changed), "old": self.old.to_json(), "new": self.new.to_json()}


@dataclass(frozen=True)
class ChainChange:
    source: str
    admin_role: str
    chain: tuple[str, ...]  # the nodes of the shortest chain (in the graph where it exists)
    conditional: bool = False

    def to_json(self) -> dict:
        return {"from": self.source, "to": self.admin_role, "chain": list(self.chain), "hops": len(self.chain) - 1,
                "conditional": self.conditional}


@dataclass
class GraphDiff:
    edges_added: list[EdgeInfo] = field(default_factory=list)
    edges_removed: list[EdgeInfo] = field(default_factory=list)
    edges_changed: list[EdgeChange] = field(default_factory=list)
    principals_added: list[str] = field(default_factory=list)
    principals_removed: list[str] = field(default_factory=list)
    chains_added: list[ChainChange] = field(default_factory=list)
    chains_lost: list[ChainChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any((self.edges_added, self.edges_removed, self.edges_changed, self.principals_added,
                        self.principals_removed, self.chains_added, self.chains_lost))

    def to_json(self) -> dict:
        return {
            "edges": {"added": [e.to_json() for e in self.edges_added],
                      "removed": [e.to_json() for e in self.edges_removed],
                      "changed": [c.to_json() for c in self.edges_changed]},
            "principals": {"added": list(self.principals_added), "removed": list(self.principals_removed)},
            "admin_chains": {"added": [c.to_json() for c in self.chains_added],
                             "lost": [c.to_json() for c in self.chains_lost]},
            "summary": {"edges_added": len(self.edges_added), "edges_removed": len(self.edges_removed),
                        "edges_changed": len(self.edges_changed), "principals_added": len(self.principals_added),
                        "principals_removed": len(self.principals_removed),
                        "admin_chains_added": len(self.chains_added), "admin_chains_lost": len(self.chains_lost)},
        }


def edge_infos(tg) -> dict[tuple[str, str, str], EdgeInfo]:
    out = {}
    for u, v, k, d in tg.graph.edges(keys=True, data=True):
        out[(u, v, k)] = EdgeInfo(u, v, k, d.get(S.STATE, ""), tuple(d.get(S.REQUIRES) or ()),
                                  d.get(S.REASON, "") or "", bool(d.get(S.CROSS_ACCOUNT)))
    return out


def _principals(snapshot) -> set[str]:
    return {u.arn for u in snapshot.users()} | {r.arn for r in snapshot.roles()}


def admin_chains(tg, *, max_hops: int | None = None) -> dict[tuple[str, str], ChainChange]:
    """(source, administrative role) -> shortest chain, for every principal that can reach an admin role."""
    from explorer.analysis.admin import admin_roles
    from explorer.analysis.paths import reach_to
    out = {}
    for arn in admin_roles(tg.snapshot, settings=tg.settings):
        node = tg.node_for(arn) or arn
        if node not in tg.graph:
            continue
        for src, path in reach_to(tg, node, max_hops=max_hops).items():
            out[(src, node)] = ChainChange(src, node, tuple(path.nodes), path.conditional)
    return out


def diff_graphs(old_tg, new_tg, *, max_hops: int | None = None) -> GraphDiff:
    d = GraphDiff()
    old_e, new_e = edge_infos(old_tg), edge_infos(new_tg)
    d.edges_added = [new_e[k] for k in sorted(set(new_e) - set(old_e))]
    d.edges_removed = [old_e[k] for k in sorted(set(old_e) - set(new_e))]
    for k in sorted(set(old_e) & set(new_e)):
        a, b = old_e[k], new_e[k]
        what = []
        if a.state != b.state:
            what.append("state")
        if _requires_json(a.requires) != _requires_json(b.requires):
            what.append("conditions")
        if a.reason != b.reason:
            what.append("explanation")
        if what:
            d.edges_changed.append(EdgeChange(a, b, tuple(what)))
    old_p, new_p = _principals(old_tg.snapshot), _principals(new_tg.snapshot)
    d.principals_added = sorted(new_p - old_p)
    d.principals_removed = sorted(old_p - new_p)
    old_c, new_c = admin_chains(old_tg, max_hops=max_hops), admin_chains(new_tg, max_hops=max_hops)
    d.chains_added = [new_c[k] for k in sorted(set(new_c) - set(old_c))]
    d.chains_lost = [old_c[k] for k in sorted(set(old_c) - set(new_c))]
    return d


def diff_snapshots(old_snapshot, new_snapshot, *, context=None, settings=None, max_hops: int | None = None) -> GraphDiff:
    from explorer.graph import build_trust_graph
    return diff_graphs(build_trust_graph(old_snapshot, context=context, settings=settings),
                       build_trust_graph(new_snapshot, context=context, settings=settings), max_hops=max_hops)


def describe(d: GraphDiff) -> list[str]:
    """Human-readable lines (the CLI's text output)."""
    lines: list[str] = []

    def section(title, items, fmt):
        lines.append(f"{title} ({len(items)})")
        lines.extend("  " + fmt(x) for x in items)

    section("Trust edges added", d.edges_added, lambda e: f"+ {e.source} -> {e.target} [{e.action}] {e.state}")
    section("Trust edges removed", d.edges_removed, lambda e: f"- {e.source} -> {e.target} [{e.action}] {e.state}")
    section("Trust edges changed", d.edges_changed,
            lambda c: f"~ {c.old.source} -> {c.old.target} [{c.old.action}] {', '.join(c.changed)}: "
                      f"{c.old.state} -> {c.new.state}")
    section("Principals added", d.principals_added, lambda p: f"+ {p}")
    section("Principals removed", d.principals_removed, lambda p: f"- {p}")
    section("New chains to administrative roles", d.chains_added,
            lambda c: f"+ {c.source} => {c.admin_role} via {' -> '.join(c.chain)}")
    section("Lost chains to administrative roles", d.chains_lost,
            lambda c: f"- {c.source} => {c.admin_role} via {' -> '.join(c.chain)}")
    return lines
