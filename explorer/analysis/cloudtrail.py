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

A conditional edge explains an event only if one of its alternatives (S.REQUIRES) is not contradicted by what the
event and the snapshot tell for sure about the call (`known_values`): the caller's account (aws:PrincipalAccount),
its organization membership (aws:PrincipalOrgID / aws:PrincipalOrgPaths: the values when the snapshot's
organization holds the account, absent when it does not, spec K5), the caller's ARN (aws:PrincipalArn) when the
event names a user or a role of the snapshot, and aws:SourceIp for a public address (K6). Every other key stays
possible. The requirements are tested by the engine's own condition operators (Null and IfExists included).

When the event names only the calling account (AWSAccount) and no edge from the account node itself explains it,
but edges from several of that account's principals do, no single one is credited: each of them is recorded in
`possible_use` ("possibly used: the event names only the account"), with the other candidates, and is not listed
among the never-used edges. With one candidate, that edge is credited as used.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import datetime

from explorer.graph import schema as S
from explorer.graph.callers import org_values
from explorer.iam.conditions import requirement_holds
from explorer.iam.context import UNKNOWN, _norm_values
from explorer.iam.decision import Requirement

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
    # account-level use (Overlay.possible_use): the events name only the account, and these other sources' edges
    # would explain them as well
    account_level: bool = False
    candidates: set[str] = field(default_factory=set)

    def add(self, ev, caller: str) -> None:
        _count_event(self, ev)
        self.callers.add(caller)
        if ev.event_id:
            self.event_ids.append(ev.event_id)

    @property
    def possible_reason(self) -> str:
        return (f"possibly used (the event names only the account; {len(self.candidates) + 1} principals of it "
                f"have an edge to the role)")

    def to_json(self) -> dict:
        out = {"from": self.source, "to": self.target, "action": self.action, "count": self.count,
               "first_seen": _iso(self.first_seen), "last_seen": _iso(self.last_seen),
               "session_names": sorted(self.session_names), "callers": sorted(self.callers)}
        if self.account_level:
            out.update(possible=True, reason=self.possible_reason, other_candidates=sorted(self.candidates))
        return out


@dataclass
class Unexplained:
    caller: str  # the caller's ARN (role ARN for a session), provider or service
    role_arn: str
    action: str
    reason_code: str  # "no-edge" | "denied-edge" | "role-not-in-snapshot" | "caller-cannot-assume"
    reason: str  # words
    count: int = 0
    # edges to the role whose requirements the event contradicts: [{"from", "requires" (the alternative's
    # requirements in words), "contradicted" (what the event shows)}]
    unmet: list[dict] = field(default_factory=list)
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
                "sources": self.sources[:20], "unmet_edges": self.unmet}


@dataclass
class Overlay:
    edge_use: dict[EdgeKey, EdgeUse] = field(default_factory=dict)
    # edges that may have been used: the event names only the calling account and several of its principals
    # have an edge (each such edge has an EdgeUse with account_level=True and the other candidates)
    possible_use: dict[EdgeKey, EdgeUse] = field(default_factory=dict)
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
                "possibly_used_edges": [self.possible_use[k].to_json() for k in sorted(self.possible_use)],
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


def _source_tiers(tg, caller: str, account: str | None, ev, target: str) -> list[tuple[bool, list[str]]]:
    """Source nodes whose edge to `target` would explain the event, most specific first, in tiers
    (ambiguous, nodes). In a plain tier the first node whose edge explains the event is credited; an ambiguous
    tier holds alternatives the event cannot tell apart (the principals of the only account it names)."""
    g = tg.graph
    tiers: list[tuple[bool, list[str]]] = []
    seen: set[str] = set()

    def plain(nodes):
        nodes = [n for n in nodes if n not in seen]
        seen.update(nodes)
        if nodes:
            tiers.append((False, nodes))

    def ambiguous(nodes):
        nodes = [n for n in nodes if n not in seen]
        seen.update(nodes)
        if nodes:
            tiers.append((True, nodes))

    first = []
    if caller in g:
        first.append(caller)
    node = tg.node_for(caller) if hasattr(tg, "node_for") else None
    if node and node not in first and node in g:
        first.append(node)
    if ev.event_name == "AssumeRoleWithWebIdentity" and ":oidc-provider/" not in caller:
        # CloudTrail names the issuer host; the graph node is the provider ARN in the role's account
        for n, d in g.nodes(data=True):
            if d.get(S.KIND) == S.OIDC_PROVIDER and n.endswith(f":oidc-provider/{caller}"):
                first.append(n)
    plain(first)
    if account:
        root = account_root(account)
        if root in g:
            plain([root])
        if caller == root:
            # only the account is known (AWSAccount): some principal of that account made the call, so an
            # edge from any of the account's principals explains it too; no other account's does
            ambiguous(sorted(u for u, _, _ in g.in_edges(target, keys=True)
                             if g.nodes[u].get(S.ACCOUNT_ID) == account
                             and g.nodes[u].get(S.KIND) not in (S.SERVICE, S.ANYONE)))
    if caller == ANY_ACCOUNT_CALLER:
        # only "some account" is known: any account-level source of the role explains it
        ambiguous(sorted(u for u, _, _ in g.in_edges(target, keys=True)
                         if g.nodes[u].get(S.KIND) in (S.ACCOUNT, S.FOREIGN_ACCOUNT)))
    if S.ANYONE_ID in g:
        plain([S.ANYONE_ID])
    return tiers


def _source_candidates(tg, caller: str, account: str | None, ev, target: str) -> list[str]:
    """Source nodes whose edge to `target` would explain the event, most specific first."""
    return [n for _amb, nodes in _source_tiers(tg, caller, account, ev, target) for n in nodes]


# Addresses that may be a VPC endpoint caller's private address (aws:SourceIp is then absent, spec K6): such an
# address tells nothing sure about aws:SourceIp.
_NON_PUBLIC = [ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16", "127.0.0.0/8",
    "0.0.0.0/8", "fc00::/7", "fe80::/10", "::1/128")]


def _public_ip(text: str | None) -> str | None:
    try:
        ip = ipaddress.ip_address((text or "").strip())
    except ValueError:
        return None  # a service name ("ec2.amazonaws.com"): a service called on the caller's behalf
    return None if any(ip in net for net in _NON_PUBLIC) else str(ip)


def known_values(snapshot, ev, caller: str, account: str | None, roles: dict) -> dict[str, tuple | None]:
    """The condition keys whose value the event and the snapshot tell for sure: lower-case key -> values (a
    tuple) or None (absent). Keys not listed are unknown."""
    out: dict[str, tuple | None] = {}
    signed = ev.event_name == "AssumeRole" and ev.caller_type not in ("AWSService", "SAMLUser", "WebIdentityUser")
    if signed and account:
        out["aws:principalaccount"] = (account,)
        if snapshot.organization is not None:  # without the organization, membership is not known
            for key, value in org_values(snapshot, account, "Principal").items():
                out[key.lower()] = _norm_values(value)
        if ev.caller_arn and caller.startswith("arn:") and caller != account_root(account):
            parts = ev.caller_arn.split(":", 5)
            session = len(parts) > 5 and parts[5].startswith("assumed-role/")
            # a session names its role without the role's path: only a role of the snapshot has a sure ARN
            if not session or (account, parts[5].split("/")[1]) in roles:
                out["aws:principalarn"] = (caller,)
    if ev.caller_type != "AWSService":
        ip = _public_ip(ev.source_ip)
        if ip:
            out["aws:sourceip"] = (ip,)
    # what the call passed: requestParameters.externalId, and an MFA device (serialNumber: MFA present for that
    # call, K3). A record without them says nothing sure (trimmed records exist): those keys stay unknown.
    if ev.external_id:
        out["sts:externalid"] = (ev.external_id,)
    if ev.mfa_authenticated:
        out["aws:multifactorauthpresent"] = ("true",)
    return out


def requirement_verdict(req: Requirement, known: dict) -> bool | None:
    """Does the requirement hold for the known values (lower-case key -> tuple, None for absent)? True / False,
    or None when it depends on a key that is not known (explorer.iam.conditions.requirement_holds)."""
    return requirement_holds(req, lambda low: known[low] if low in known else UNKNOWN)


def _value_text(known: dict, key: str) -> str:
    value = known.get(key.lower())
    return "absent" if value is None else ", ".join(value)


def contradiction(data: dict, known: dict, notes: dict | None = None) -> list[dict] | None:
    """None when the edge may explain the event (an allowed edge, or a conditional one with an alternative that
    the known values do not contradict); otherwise one entry per alternative: its requirements in words and
    what the event shows against them."""
    if data.get(S.STATE) != S.CONDITIONAL:
        return None
    requires = data.get(S.REQUIRES) or ()
    if not requires:
        return None
    out = []
    for alt in requires:
        broken = [r for r in alt if requirement_verdict(r, known) is False]
        if not broken:
            return None
        notes = notes or {}
        out.append({"requires": " and ".join(str(r) for r in alt),
                    "unmet": " and ".join(str(r) for r in broken),
                    "contradicted": "; ".join(f"{r.key} is {_value_text(known, r.key)} for this call"
                                              + (f" ({notes[r.key.lower()]})" if r.key.lower() in notes else "")
                                              for r in broken)})
    return out


def _short(node: str) -> str:
    if node == S.ANYONE_ID:
        return "anyone"
    return node.rsplit("/", 1)[-1] if "/" in node else node


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
        possible: list[str] = []
        denied = None
        unmet: list[dict] = []
        if target in g and snapshot.principal(ev.role_arn) is not None and ev.caller_type != "Root":
            known = known_values(snapshot, ev, caller, account, roles)
            notes = {}
            org = snapshot.organization
            if org is not None and account and "aws:principalorgid" in known:
                where = "in" if org.contains(account) else "not in"
                notes = {k: f"account {account} is {where} the organization {org.id}"
                         for k in ("aws:principalorgid", "aws:principalorgpaths")}
            for is_ambiguous, nodes in _source_tiers(tg, caller, account, ev, target):
                fits = []
                for src in nodes:
                    data = g.get_edge_data(src, target, key=action)
                    if data is None:
                        continue
                    if data.get(S.STATE) == S.DENIED:
                        denied = denied or (src, data)
                        continue
                    broken = contradiction(data, known, notes)
                    if broken is not None:
                        unmet.extend({"from": src, **b} for b in broken)
                        continue
                    fits.append(src)
                    if not is_ambiguous:
                        break
                if len(fits) == 1 or (fits and not is_ambiguous):
                    chosen = (fits[0], target, action)
                    break
                if fits:
                    possible = fits
                    break
        if chosen is not None:
            use = ov.edge_use.get(chosen)
            if use is None:
                use = ov.edge_use[chosen] = EdgeUse(*chosen)
            use.add(ev, caller)
            continue
        if possible:
            for src in possible:
                k3 = (src, target, action)
                use = ov.possible_use.get(k3)
                if use is None:
                    use = ov.possible_use[k3] = EdgeUse(*k3, account_level=True)
                use.add(ev, caller)
                use.candidates.update(p for p in possible if p != src)
            continue
        if snapshot.principal(ev.role_arn) is None:
            code, reason = "role-not-in-snapshot", "the role is not in the snapshot"
        elif ev.caller_type == "Root":
            code, reason = "caller-cannot-assume", "root user credentials cannot call AssumeRole (spec T6)"
        elif denied is not None:
            code = "denied-edge"
            reason = f"the snapshot denies that edge ({denied[1].get(S.REASON) or 'denied'})"
        elif unmet:
            first = unmet[0]
            code = "no-edge"
            reason = (f"no trust edge from that caller to the role holds for this call: {_short(first['from'])} → "
                      f"{_short(ev.role_arn)} requires {first['unmet']}, but {first['contradicted']}")
            if len(unmet) > 1:
                reason += f" (and {len(unmet) - 1} more conditional edge(s) likewise)"
        else:
            code, reason = "no-edge", "no trust edge from that caller to the role exists in the snapshot"
        k = (caller, ev.role_arn, action)
        item = unexplained.get(k)
        if item is None:
            item = unexplained[k] = Unexplained(caller, ev.role_arn, action, code, reason, unmet=unmet)
        item.add(ev)
    ov.unexplained = [unexplained[k] for k in sorted(unexplained)]
    ov.unused_edges = sorted((u, v, k) for u, v, k, d in g.edges(keys=True, data=True)
                             if d.get(S.STATE) != S.DENIED and (u, v, k) not in ov.edge_use
                             and (u, v, k) not in ov.possible_use)
    return ov
