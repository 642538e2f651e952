"""Session revocation (spec K8): what "Revoke active sessions" does to a role, before doing it.

AWS revokes a role's sessions by attaching the inline policy `AWSRevokeOlderSessions`, which denies every action
to sessions whose credentials were issued before a chosen time (DateLessThan aws:TokenIssueTime). Sessions issued
earlier lose every permission, sts:AssumeRole included, so their outgoing edges vanish; sessions issued later
keep theirs.

    p = preview(tg, role_arn, revoke_before)   # datetime or ISO 8601 text
    p.policy            the inline policy document, exactly AWS's form
    p.edges_lost        outgoing edges (target, action) an *old* session loses
    p.edges_kept        outgoing edges a *new* session keeps (with their state)
    p.old_graph / p.new_graph   trust graphs of the modified snapshot, seen from an old / a new session

The original snapshot and graph are never modified: the role gets a copy of its inline policies with the
revocation policy added (replacing an earlier AWSRevokeOlderSessions, as AWS does).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from explorer.errors import InputError
from explorer.graph import schema as S
from explorer.snapshot.model import PolicyRef

POLICY_NAME = "AWSRevokeOlderSessions"


def _parse_time(value) -> datetime:
    if isinstance(value, datetime):
        dt = value
    else:
        text = str(value).strip()
        try:
            dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise InputError(f"not an ISO 8601 time: {value!r} (for example 2026-11-20T09:00:00Z)") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc).replace(microsecond=0)


def iso_z(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def revocation_policy(revoke_before) -> dict:
    """The inline policy the IAM console attaches ("Revoke active sessions"), for sessions issued before T."""
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Deny",
            "Action": ["*"],
            "Resource": ["*"],
            "Condition": {"DateLessThan": {"aws:TokenIssueTime": iso_z(_parse_time(revoke_before))}},
        }],
    }


def revoked_snapshot(snapshot, role_arn: str, revoke_before):
    """A copy of the snapshot in which the role carries the revocation policy (the original is untouched)."""
    role = snapshot.principal(role_arn)
    if role is None or getattr(role, "kind", "") != "role":
        raise InputError(f"no role {role_arn} in the snapshot")
    doc = revocation_policy(revoke_before)
    inline = [p for p in role.inline_policies if p.name != POLICY_NAME]
    inline.append(PolicyRef(POLICY_NAME, "inline", doc, source=f"(preview of {POLICY_NAME})"))
    new_role = dataclasses.replace(role, inline_policies=inline)
    account = snapshot.accounts[role.account_id]
    new_account = dataclasses.replace(account, roles={**account.roles, role.arn: new_role})
    return dataclasses.replace(snapshot, accounts={**snapshot.accounts, account.id: new_account}), doc


@dataclass
class EdgeChange:
    target: str
    action: str
    state_before: str
    state_after: str | None  # None: the edge is gone
    reason: str = ""

    def to_json(self) -> dict:
        return {"to": self.target, "action": self.action, "state_before": self.state_before,
                "state_after": self.state_after, "reason": self.reason}


@dataclass
class RevocationPreview:
    role_arn: str
    revoke_before: datetime
    policy: dict
    edges_lost: list[EdgeChange] = field(default_factory=list)  # for sessions issued before revoke_before
    edges_kept: list[EdgeChange] = field(default_factory=list)  # for sessions issued at or after it
    old_graph: object | None = None
    new_graph: object | None = None

    @property
    def policy_name(self) -> str:
        return POLICY_NAME

    def to_json(self) -> dict:
        return {"role": self.role_arn, "revoke_before": iso_z(self.revoke_before), "policy_name": POLICY_NAME,
                "policy": self.policy,
                "old_sessions": {"issued_before": iso_z(self.revoke_before),
                                 "edges_lost": [e.to_json() for e in self.edges_lost],
                                 "permissions": "every action denied (explicit Deny of AWSRevokeOlderSessions)"},
                "new_sessions": {"issued_at_or_after": iso_z(self.revoke_before),
                                 "edges_kept": [e.to_json() for e in self.edges_kept],
                                 "permissions": "unchanged"}}


def _out_edges(tg, node) -> dict[tuple[str, str], dict]:
    return {(v, k): d for _, v, k, d in tg.graph.out_edges(node, keys=True, data=True)
            if d.get(S.STATE) != S.DENIED}


def preview(tg, role_arn: str, revoke_before) -> RevocationPreview:
    from explorer.graph import build_trust_graph
    when = _parse_time(revoke_before)
    node = tg.node_for(role_arn) if hasattr(tg, "node_for") else role_arn
    node = node or role_arn
    snapshot2, doc = revoked_snapshot(tg.snapshot, node, when)
    before = _out_edges(tg, node)
    ctx = tg.context
    old_ctx = ctx.with_values({"aws:TokenIssueTime": iso_z(when - timedelta(seconds=1))})
    new_ctx = ctx.with_values({"aws:TokenIssueTime": iso_z(when)})
    old_tg = build_trust_graph(snapshot2, context=old_ctx, settings=tg.settings)
    new_tg = old_tg.with_context(new_ctx)
    old_edges = _out_edges(old_tg, node)
    new_edges = _out_edges(new_tg, node)
    result = RevocationPreview(node, when, doc, old_graph=old_tg, new_graph=new_tg)
    for (v, k), d in sorted(before.items()):
        after = old_edges.get((v, k))
        if after is None:
            denied = old_tg.graph.get_edge_data(node, v, key=k)
            result.edges_lost.append(EdgeChange(v, k, d[S.STATE], (denied or {}).get(S.STATE),
                                                (denied or {}).get(S.REASON, "") or "denied by AWSRevokeOlderSessions"))
        kept = new_edges.get((v, k))
        if kept is not None:
            result.edges_kept.append(EdgeChange(v, k, d[S.STATE], kept[S.STATE], kept.get(S.REASON, "")))
    return result
