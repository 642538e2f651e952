"""Checks on the trust graph: session settings that never take effect, and administrative roles reachable from
outside the organization or from many principals (with the shortest chains as evidence)."""
from __future__ import annotations

from explorer.analysis.findings.model import CRITICAL, HIGH, LOW, MEDIUM, Evidence, Remediation
from explorer.analysis.findings.registry import check, make_finding
from explorer.analysis.findings.scope import is_internal
from explorer.graph import schema as S

FAMILY = "graph"
CHAINING_CAP = 3600
# Callers whose AssumeRole is role chaining (or a service, to which MaxSessionDuration does not apply either).
_CHAINED_SOURCES = (S.ROLE, S.SERVICE_LINKED_ROLE)
_NO_MAX_SOURCES = (S.SERVICE,)


def _in_edges(tg, node):
    for u, _, key, data in tg.graph.in_edges(node, keys=True, data=True):
        if data.get(S.STATE) != S.DENIED:
            yield u, key, data


@check("session-max-duration-chaining-only", family=FAMILY, severity=LOW, needs_graph=True,
       title="MaxSessionDuration above one hour on a role reachable only by role chaining",
       description="Role chaining caps a session at one hour whatever MaxSessionDuration says (spec D2); a role "
                   "that only other roles (or services, D9) can assume never gets a longer session, so the "
                   "setting misleads readers and callers asking for more than 3600 seconds fail.")
def max_session_chaining_only(snapshot, tg, settings):
    g = tg.graph
    for node in sorted(n for n, d in g.nodes(data=True) if d.get(S.KIND) == S.ROLE):
        role = snapshot.principal(node)
        if role is None or role.max_session_duration <= CHAINING_CAP:
            continue
        incoming = list(_in_edges(tg, node))
        kinds = {g.nodes[u].get(S.KIND) for u, _, _ in incoming}
        if not kinds or not kinds <= set(_CHAINED_SOURCES + _NO_MAX_SOURCES) or not kinds & set(_CHAINED_SOURCES):
            continue
        callers = sorted({u for u, _, _ in incoming})
        yield make_finding(
            "session-max-duration-chaining-only", node,
            (f"{role.name} has MaxSessionDuration {role.max_session_duration} s, but it is reachable only "
             f"from role sessions ({len(callers)} caller(s)), where role chaining caps the session at "
             f"3600 s: the setting never takes effect."),
            evidence=(Evidence(policy=f"role {node}", policy_kind="role", json_path="$.MaxSessionDuration",
                               source=role.source,
                               data={"max_session_duration": role.max_session_duration,
                                     "max_session_duration_known": role.max_session_duration_known,
                                     "callers": callers}),),
            remediation=Remediation(
                "Set MaxSessionDuration to 3600, or, if long sessions are needed, let the intended callers assume "
                "the role directly from user or federated credentials."),
            related=tuple(callers))


def _chains(paths: list, limit: int) -> list[dict]:
    ordered = sorted(paths, key=lambda p: (len(p.hops), [(h.source, h.target, h.action) for h in p.hops]))
    return [p.to_json() for p in ordered[:limit]]


def _needs_our_org(requirement, org: str) -> bool:
    key = requirement.key.lower()
    if key not in ("aws:principalorgid", "aws:principalorgpaths", "aws:sourceorgid", "aws:sourceorgpaths"):
        return False
    if "not" in requirement.operator.lower():
        return False
    return bool(requirement.values) and all(v.startswith(org) for v in requirement.values)


def _first_hop_needs_our_org(snapshot, path) -> bool:
    """Does every alternative of the chain's first hop require the caller to be in our organization?"""
    org = snapshot.organization.id if snapshot.organization is not None else None
    if org is None or not path.hops:
        return False
    requires = path.hops[0].requires
    return bool(requires) and all(any(_needs_our_org(r, org) for r in alt) for alt in requires)


def _external_source(snapshot, tg, node, path) -> bool:
    """Is the chain's source outside the organization? Anyone, a foreign account or principal, or a web-identity
    provider whose first hop accepts tokens of any subject (GitHub Actions with `repo:*`: any repository)."""
    data = tg.graph.nodes[node]
    kind = data.get(S.KIND)
    if kind == S.ANYONE:
        return not _first_hop_needs_our_org(snapshot, path)
    if kind == S.OIDC_PROVIDER:
        from explorer.analysis.findings.trust import open_subject_roles
        first = path.hops[0].target if path.hops else None
        return first in open_subject_roles(snapshot)
    if kind in (S.SERVICE,):
        return False
    acct = data.get(S.ACCOUNT_ID)
    return bool(acct) and not is_internal(snapshot, acct)


def _admin_reach(snapshot, tg, settings):
    """(role ARN, AdminAccess, {source node: RolePath}) for every administrative role of the graph."""
    from explorer.analysis.admin import admin_roles
    from explorer.analysis.paths import reach_to
    cache = tg.__dict__.setdefault("_findings_admin_reach", {})
    key = (settings.engine, settings.max_hops, tg.context, id(tg.graph))
    if key not in cache:
        out = []
        for arn, access in admin_roles(snapshot, settings=settings.engine).items():
            node = tg.node_for(arn) or arn
            if node not in tg.graph:
                continue
            reach = reach_to(tg, node, max_hops=settings.max_hops)
            reach = {src: p for src, p in reach.items() if src != node}
            out.append((arn, access, reach))
        cache[key] = out
    return cache[key]


@check("admin-reachable-external", family=FAMILY, severity=CRITICAL, needs_graph=True,
       title="Administrative role reachable from outside the organization",
       description="A role with administrative or permissions-management access that a principal outside the "
                   "organization (a foreign account, anyone) can reach through some chain of role assumptions. "
                   "Conditional edges count: the chain is shown with what it requires.")
def admin_reachable_external(snapshot, tg, settings):
    for arn, access, reach in _admin_reach(snapshot, tg, settings):
        outside = sorted(src for src in reach if _external_source(snapshot, tg, src, reach[src]))
        if not outside:
            continue
        paths = [reach[s] for s in outside]
        yield make_finding(
            "admin-reachable-external", arn,
            (f"{arn} ({access.describe()}) is reachable from {len(outside)} principal(s) outside the "
             f"organization: {', '.join(outside[:5])}{', ...' if len(outside) > 5 else ''}."),
            severity=CRITICAL if access.is_admin else HIGH,
            evidence=(Evidence(policy="trust graph", policy_kind="graph", json_path="$.reach_to",
                               data={"outside_sources": outside, "count": len(outside),
                                     "shortest_chains": _chains(paths, settings.max_chains),
                                     "access": access.to_json()}),),
            remediation=Remediation(
                "Remove or narrow the trust that admits the outside principal at the first hop of each chain "
                "(aws:PrincipalOrgID, a named principal, sts:ExternalId and MFA for third parties)."),
            related=tuple(outside))


@check("admin-reachable-many", family=FAMILY, severity=MEDIUM, needs_graph=True,
       title="Administrative role reachable from many principals",
       description="A role with administrative or permissions-management access that many distinct principals "
                   "(at least `many_principals`, 10 by default) can reach directly or by chaining: every one of "
                   "them is an administrator in effect.")
def admin_reachable_many(snapshot, tg, settings):
    for arn, access, reach in _admin_reach(snapshot, tg, settings):
        sources = sorted(s for s in reach if tg.graph.nodes[s].get(S.KIND) != S.SERVICE)
        if len(sources) < settings.many_principals and S.ANYONE_ID not in reach:
            continue
        yield make_finding(
            "admin-reachable-many", arn,
            (f"{arn} ({access.describe()}) is reachable from {len(sources)} principal(s)"
             f"{' including anyone' if S.ANYONE_ID in reach else ''}."),
            severity=HIGH if access.is_admin else MEDIUM,
            evidence=(Evidence(policy="trust graph", policy_kind="graph", json_path="$.reach_to",
                               data={"count": len(sources), "sources": sources[:50],
                                     "shortest_chains": _chains([reach[s] for s in sources], settings.max_chains),
                                     "access": access.to_json()}),),
            remediation=Remediation(
                "Narrow the trust of the role (and of the roles leading to it) to the few principals that need "
                "administrative access, and require MFA."),
            related=tuple(sources[:50]))
