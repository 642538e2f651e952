"""CloudTrail overlay: the snapshot's recorded STS assume events (model `TrailEvent`) mapped onto the trust graph's
edges.

    ov = overlay(tg)
    ov.edge_use[(u, v, key)] -> EdgeUse   times used, first and last seen, session names
    ov.unused_edges                      edges (u, v, key) never seen in the events (allowed or conditional ones)
    ov.unexplained                       assumptions observed that the snapshot cannot explain
    ov.failed                            failed attempts (errorCode set), kept apart: they explain nothing
An event is matched to an edge from the most specific source node that has one: the calling user or role (the
role behind an assumed-role session), the caller's account node (account-root trusts), then "anyone". An event
that names only the calling account (userIdentity type AWSAccount: a cross-account caller as the role's account
logs it) is a call from that account's node; it is explained by an edge from that account or one of its
principals, never by another account's edge (spec T3).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from explorer.graph import schema as S

ACTIONS = {"AssumeRole": S.ASSUME_ROLE, "AssumeRoleWithSAML": S.ASSUME_ROLE_SAML,
           "AssumeRoleWithWebIdentity": S.ASSUME_ROLE_WEB_IDENTITY}

EdgeKey = tuple  # (source node, target node, edge key)
ANY_ACCOUNT_CALLER = "(an AWS account the event does not name)"


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


def _count_event(tally, ev) -> None:
    """Count one event in `tally` (an EdgeUse or Unexplained): widen its first/last-seen window and note the
    session name."""
    tally.count += 1
    if ev.event_time is not None:
        if tally.first_seen is None or ev.event_time < tally.first_seen:
            tally.first_seen = ev.event_time
        if tally.last_seen is None or ev.event_time > tally.last_seen:
            tally.last_seen = ev.event_time
    if ev.session_name:
        tally.session_names.add(ev.session_name)


@dataclass
class EdgeUse:
    source: str
    target: str
    action: str
    count: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    session_names: set[str] = field(default_factory=set)
    callers: set[str] = field(default_factory=set)  # the callers as CloudTrail names them
    event_ids: list[str] = field(default_factory=list)

    def add(self, ev, caller: str) -> None:
        _count_event(self, ev)
        self.callers.add(caller)
        if ev.event_id:
            self.event_ids.append(ev.event_id)

    def to_json(self) -> dict:
        return {"from": self.source, "to": self.target, "action": self.action, "count": self.count,
                "first_seen": _iso(self.first_seen), "last_seen": _iso(self.last_seen),
                "session_names": sorted(self.session_names), "callers": sorted(self.callers)}


@dataclass
class Unexplained:
    caller: str  # the caller's ARN (role ARN for a session), provider or service
    role_arn: str
    action: str
    reason_code: str  # "no-edge" | "denied-edge" | "role-not-in-snapshot" | "caller-cannot-assume"
    reason: str  # words
    count: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    session_names: set[str] = field(default_factory=set)
    sources: list[str] = field(default_factory=list)  # file#$.Records[i] of the events

    def add(self, ev) -> None:
        _count_event(self, ev)
        if ev.source:
            self.sources.append(ev.source)

    @property
    def first_seen_text(self) -> str:
        return _iso(self.first_seen) or "an unknown time"

    @property
    def last_seen_text(self) -> str:
        return _iso(self.last_seen) or "an unknown time"

    def to_json(self) -> dict:
        return {"caller": self.caller, "role": self.role_arn, "action": self.action, "reason_code": self.reason_code,
                "reason": self.reason, "count": self.count, "first_seen": _iso(self.first_seen),
                "last_seen": _iso(self.last_seen), "session_names": sorted(self.session_names),
                "sources": self.sources[:20]}


@dataclass
class Overlay:
    edge_use: dict[EdgeKey, EdgeUse] = field(default_factory=dict)
    unused_edges: list[EdgeKey] = field(default_factory=list)
    unexplained: list[Unexplained] = field(default_factory=list)
    failed: dict[tuple[str, str, str], int] = field(default_factory=dict)  # (caller, role, action) -> count
    event_count: int = 0
    ignored: int = 0  # events that are not assume events of a known kind

    @property
    def has_events(self) -> bool:
        return self.event_count > 0

    def use_of(self, u: str, v: str, key: str) -> EdgeUse | None:
        return self.edge_use.get((u, v, key))

    def to_json(self) -> dict:
        return {"event_count": self.event_count,
                "edges": [self.edge_use[k].to_json() for k in sorted(self.edge_use)],
                "unused_edges": [{"from": u, "to": v, "action": k} for u, v, k in self.unused_edges],
                "unexplained": [x.to_json() for x in self.unexplained],
                "failed": [{"caller": c, "role": r, "action": a, "count": n}
                           for (c, r, a), n in sorted(self.failed.items())]}


def _role_index(snapshot) -> dict[tuple[str, str], str]:
    """(account, role name) -> role ARN: assumed-role ARNs drop the role's path."""
    return {(r.account_id, r.name): r.arn for r in snapshot.roles()}


def caller_of(ev, roles: dict[tuple[str, str], str]) -> tuple[str, str | None]:
    """(the caller as a principal ARN / provider / service, its account or None).

    userIdentity types (CloudTrail): IAMUser, AssumedRole, FederatedUser and Root carry an ARN; SAMLUser and
    WebIdentityUser a provider; AWSService the service; AWSAccount (a caller from another account, as the role's
    account logs it) only the account id and an opaque principal id; Unknown whatever it can. An event without an
    ARN that names an account is a call from that account: `arn:aws:iam::<account>:root`, the account's node, in
    the snapshot or not. ANY_ACCOUNT_CALLER is left for AWSAccount/Root events that name no account at all."""
    if ev.event_name in ("AssumeRoleWithSAML", "AssumeRoleWithWebIdentity") or ev.caller_type in (
            "SAMLUser", "WebIdentityUser", "AWSService"):
        ident = ev.caller_identity_provider or ev.caller_arn or "unknown"
        parts = ident.split(":")
        return ident, parts[4] if len(parts) > 4 and parts[4].isdigit() else None
    if not ev.caller_arn:
        # (AWSAccount: a caller from another account, as the role's account logs it; Unknown; a trimmed record)
        acct = ev.caller_account or ""
        if acct.isdigit() and len(acct) == 12:
            return account_root(acct), acct
        if ev.caller_type in ("AWSAccount", "Root"):
            return ANY_ACCOUNT_CALLER, None
        return "unknown", None
    arn = ev.caller_arn
    parts = arn.split(":", 5)
    account = parts[4] if len(parts) > 5 and parts[4].isdigit() else None
    if len(parts) > 5 and parts[2] == "sts" and parts[5].startswith("assumed-role/"):
        name = parts[5].split("/")[1]
        return roles.get((account, name), f"arn:aws:iam::{account}:role/{name}"), account
    return arn, account


def account_root(account: str) -> str:
    return f"arn:aws:iam::{account}:root"


def _source_candidates(tg, caller: str, account: str | None, ev, target: str) -> list[str]:
    """Source nodes whose edge to `target` would explain the event, most specific first."""
    g = tg.graph
    out = []
    if caller in g:
        out.append(caller)
    node = tg.node_for(caller) if hasattr(tg, "node_for") else None
    if node and node not in out and node in g:
        out.append(node)
    if ev.event_name == "AssumeRoleWithWebIdentity" and ":oidc-provider/" not in caller:
        # CloudTrail names the issuer host; the graph node is the provider ARN in the role's account
        for n, d in g.nodes(data=True):
            if d.get(S.KIND) == S.OIDC_PROVIDER and n.endswith(f":oidc-provider/{caller}"):
                out.append(n)
    if account:
        root = account_root(account)
        if root in g and root not in out:
            out.append(root)
        if caller == root:
            # only the account is known (AWSAccount): some principal of that account made the call, so an
            # edge from any of the account's principals explains it too; no other account's does
            out.extend(sorted(u for u, _, _ in g.in_edges(target, keys=True)
                              if u not in out and g.nodes[u].get(S.ACCOUNT_ID) == account
                              and g.nodes[u].get(S.KIND) not in (S.SERVICE, S.ANYONE)))
    if caller == ANY_ACCOUNT_CALLER:
        # only "some account" is known: any account-level source of the role explains it
        out.extend(sorted(u for u, _, _ in g.in_edges(target, keys=True)
                          if g.nodes[u].get(S.KIND) in (S.ACCOUNT, S.FOREIGN_ACCOUNT) and u not in out))
    if S.ANYONE_ID in g and S.ANYONE_ID not in out:
        out.append(S.ANYONE_ID)
    return out


def overlay(tg) -> Overlay:
    snapshot = tg.snapshot
    g = tg.graph
    roles = _role_index(snapshot)
    ov = Overlay()
    unexplained: dict[tuple[str, str, str], Unexplained] = {}
    for ev in sorted(snapshot.trail_events, key=lambda e: (e.event_time is None, e.event_time or datetime.min,
                                                              e.event_id, e.source)):
        action = ACTIONS.get(ev.event_name)
        if action is None or not ev.role_arn:
            ov.ignored += 1
            continue
        ov.event_count += 1
        caller, account = caller_of(ev, roles)
        if ev.caller_type == "AWSService":
            action = S.SERVICE_ASSUME
        if ev.error_code:
            key3 = (caller, ev.role_arn, action)
            ov.failed[key3] = ov.failed.get(key3, 0) + 1
            continue
        target = tg.node_for(ev.role_arn) if hasattr(tg, "node_for") else None
        target = target or ev.role_arn
        chosen = None
        denied = None
        if target in g and snapshot.principal(ev.role_arn) is not None and ev.caller_type != "Root":
            for src in _source_candidates(tg, caller, account, ev, target):
                data = g.get_edge_data(src, target, key=action)
                if data is None:
                    continue
                if data.get(S.STATE) == S.DENIED:
                    denied = denied or (src, data)
                    continue
                chosen = (src, target, action)
                break
        if chosen is not None:
            use = ov.edge_use.get(chosen)
            if use is None:
                use = ov.edge_use[chosen] = EdgeUse(*chosen)
            use.add(ev, caller)
            continue
        if snapshot.principal(ev.role_arn) is None:
            code, reason = "role-not-in-snapshot", "the role is not in the snapshot"
        elif ev.caller_type == "Root":
            code, reason = "caller-cannot-assume", "root user credentials cannot call AssumeRole (spec T6)"
        elif denied is not None:
            code = "denied-edge"
            reason = f"the snapshot denies that edge ({denied[1].get(S.REASON) or 'denied'})"
        else:
            code, reason = "no-edge", "no trust edge from that caller to the role exists in the snapshot"
        k = (caller, ev.role_arn, action)
        item = unexplained.get(k)
        if item is None:
            item = unexplained[k] = Unexplained(caller, ev.role_arn, action, code, reason)
        item.add(ev)
    ov.unexplained = [unexplained[k] for k in sorted(unexplained)]
    ov.unused_edges = sorted((u, v, k) for u, v, k, d in g.edges(keys=True, data=True)
                             if d.get(S.STATE) != S.DENIED and (u, v, k) not in ov.edge_use)
    return ov
