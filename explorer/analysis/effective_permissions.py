"""What the session at the end of a chain can do (spec D10, E5, O2, P1).

effective_permissions: the final session's identity policies intersected with its boundary, its account's SCPs
and an optional session policy, summarised per service and access level (explorer.iam.catalogue). The engine
runs once per candidate action (the catalogued actions some Allow statement of the identity policies names),
with Resource "*" and no resource policy: the session's own permissions.

decide_on_path: one decision for a given action and resource by the final session, including that resource's
policy and the RCPs of its account when the snapshot holds them. decide_for_principal is the same request made
by the path's first principal directly: comparing the two shows P1 (a resource policy keeps the caller's own
permissions; a role gives them up for the role's).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from explorer.errors import InputError
from explorer.graph import schema as S
from explorer.graph.callers import role_session_principal
from explorer.iam import Request, compile_policy, evaluate
from explorer.iam.arns import parse_arn
from explorer.iam.decision import Decision, Result

_LEVEL_ORDER = ("List", "Read", "Write", "Tagging", "Permissions management")


@dataclass
class EffectiveRow:
    service: str
    access_level: str
    action: str
    decision: Decision

    @property
    def conditional(self) -> bool:
        return bool(self.decision.requirements)

    @property
    def statement(self) -> str:
        for layer in self.decision.layers:
            if layer.layer == "identity":
                for st in layer.statements:
                    if st.effect == "Allow":
                        return st.label()
        return ""

    def as_tuple(self) -> tuple:
        return (self.service, self.access_level, self.action, self.decision)


@dataclass
class EffectivePermissions:
    principal: str  # node id of the session's role (or user)
    rows: list[EffectiveRow] = field(default_factory=list)  # allowed (possibly conditionally)
    denied: list[EffectiveRow] = field(default_factory=list)  # candidates a layer refuses (SCP, boundary, deny...)
    evaluated: int = 0
    session_policy: bool = False
    notes: list[str] = field(default_factory=list)

    def by_service(self) -> dict[str, dict[str, list[str]]]:
        out: dict[str, dict[str, list[str]]] = {}
        for row in self.rows:
            out.setdefault(row.service, {}).setdefault(row.access_level, []).append(row.action)
        return {svc: {lvl: sorted(levels[lvl]) for lvl in sorted(levels, key=_level_rank)}
                for svc, levels in sorted(out.items())}

    def allows(self, action: str) -> bool:
        low = action.lower()
        return any(r.action.lower() == low for r in self.rows)

    def summary(self) -> dict[str, dict[str, int]]:
        return {svc: {lvl: len(acts) for lvl, acts in levels.items()} for svc, levels in self.by_service().items()}

    def to_json(self) -> dict:
        conditional = {r.action: [[q.to_json() for q in alt] for alt in r.decision.requirements]
                       for r in self.rows if r.conditional}
        out = {"principal": self.principal, "actions_evaluated": self.evaluated,
               "allowed_actions": len(self.rows), "effective_permissions": self.by_service()}
        if conditional:
            out["conditional"] = conditional
        if self.notes:
            out["notes"] = list(self.notes)
        return out


def _level_rank(level: str) -> int:
    return _LEVEL_ORDER.index(level) if level in _LEVEL_ORDER else len(_LEVEL_ORDER)


def _final_node(tg, path_or_arn) -> str:
    from explorer.analysis.paths import RolePath
    if isinstance(path_or_arn, RolePath):
        return path_or_arn.target
    if isinstance(path_or_arn, (list, tuple)):
        path_or_arn = path_or_arn[-1]
    node = tg.node_for(path_or_arn) if isinstance(path_or_arn, str) else None
    if node is None:
        raise InputError(f"{path_or_arn!r} is not a user or role of the snapshot")
    return node


def _first_node(tg, path) -> str:
    from explorer.analysis.paths import RolePath
    if isinstance(path, RolePath):
        return path.source
    if isinstance(path, (list, tuple)):
        path = path[0]
    node = tg.node_for(path) if isinstance(path, str) else None
    if node is None:
        raise InputError(f"{path!r} is not a node of the trust graph")
    return node


def _session_parts(tg, node: str):
    """(principal, caller, account) of the session a chain ending at `node` holds (a user: the user itself)."""
    caller = tg.caller(node)
    kind = tg.graph.nodes[node].get(S.KIND) if node in tg.graph else None
    if caller is None or caller.policies is None or kind not in (S.USER, S.ROLE, S.SERVICE_LINKED_ROLE):
        raise InputError(f"{node} is not a user or role of the snapshot: its permissions are not known")
    if kind == S.USER:
        return caller.principal, caller
    info = tg.role_info(node)
    return role_session_principal(info.role), caller


def _session_policy(session_policy):
    if session_policy is None:
        return None
    if isinstance(session_policy, dict):
        return compile_policy(session_policy, name="session policy", kind="session")
    return session_policy


def _request(tg, principal, caller, action: str, resource: str, *, session_policy=None, resource_policy=None,
             rcps=None, resource_account=None, resource_is_mgmt=False) -> Request:
    org = tg.snapshot.organization
    acct = caller.account_id
    return Request(principal=principal, action=action, resource=resource,
                   context=tg.request_context(caller, None), resource_account=resource_account or acct,
                   identity_policies=caller.policies.identity, permissions_boundary=caller.policies.boundary,
                   session_policy=session_policy, scps=tg.scps_for(acct), rcps=rcps, resource_policy=resource_policy,
                   principal_is_management_account=bool(org and org.is_management(acct)),
                   resource_is_management_account=resource_is_mgmt, settings=tg.settings,
                   unique_ids=getattr(tg, "_unique_ids", None))


def effective_permissions(tg, path_or_role_arn, *, session_policy=None, services=None) -> EffectivePermissions:
    """The final session's permissions: identity ∩ boundary ∩ SCPs (∩ session policy), per service and access
    level. `services`: optional iterable of service prefixes to restrict the evaluation to."""
    from explorer.iam.catalogue import candidate_actions, catalogue
    node = _final_node(tg, path_or_role_arn)
    principal, caller = _session_parts(tg, node)
    cat = catalogue()
    sp = _session_policy(session_policy)
    actions = candidate_actions(caller.policies.documents, cat=cat)
    if services is not None:
        wanted = {s.lower() for s in services}
        actions = [a for a in actions if a.split(":", 1)[0].lower() in wanted]
    out = EffectivePermissions(principal=node, session_policy=sp is not None)
    if caller.policies.missing:
        out.notes.extend(caller.policies.missing)
    for action in actions:
        d = evaluate(_request(tg, principal, caller, action, "*", session_policy=sp))
        service = action.split(":", 1)[0]
        row = EffectiveRow(service, cat.access_level(action) or "Unknown", action, d)
        if d.result is Result.ALLOW:
            out.rows.append(row)
        else:
            out.denied.append(row)
    out.evaluated = len(actions)
    return out


def _resource_side(tg, resource: str):
    """(compiled resource policy | None, its account | None, the snapshot's ResourcePolicy | None)."""
    snap = tg.snapshot
    rp = snap.resource_policy(resource)
    if rp is None:
        arn = parse_arn(resource)
        if arn is not None and arn.service == "s3" and "/" in arn.resource:
            rp = snap.resource_policy(f"arn:{arn.partition}:s3:::{arn.resource.split('/', 1)[0]}")
    if rp is None or rp.policy is None:
        arn = parse_arn(resource)
        return None, (arn.account if arn and arn.account else None), rp
    compiled = tg.compiler.compile(rp.policy, name=f"resource policy of {rp.arn}", kind="resource", source=rp.source)
    return compiled, rp.account_id, rp


def _decide(tg, node: str, action: str, resource: str, *, session_policy=None) -> Decision:
    principal, caller = _session_parts(tg, node)
    policy, res_acct, _ = _resource_side(tg, resource)
    org = tg.snapshot.organization
    rcps = tg.rcps_for(res_acct) if res_acct else None
    return evaluate(_request(tg, principal, caller, action, resource, session_policy=_session_policy(session_policy),
                             resource_policy=policy, rcps=rcps, resource_account=res_acct,
                             resource_is_mgmt=bool(org and res_acct and org.is_management(res_acct))))


def decide_on_path(tg, path, action: str, resource: str, *, session_policy=None) -> Decision:
    """The final session's decision for one action on one resource (its resource policy and RCPs included when
    the snapshot holds them)."""
    return _decide(tg, _final_node(tg, path), action, resource, session_policy=session_policy)


def decide_for_principal(tg, path_or_node, action: str, resource: str) -> Decision:
    """The same request made by the path's first principal with its own credentials (no role assumed)."""
    return _decide(tg, _first_node(tg, path_or_node), action, resource)
