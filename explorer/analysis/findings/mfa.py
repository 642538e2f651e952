"""Deny statements that mean to enforce MFA with `Bool aws:MultiFactorAuthPresent false`: the key is absent for
long-term access keys, so `Bool` is false and the Deny does not apply to exactly the credentials it was meant
for (spec K1, M6). `BoolIfExists` is the working form."""
from __future__ import annotations

import copy

from explorer.analysis.findings.model import MEDIUM, Remediation
from explorer.analysis.findings.policy import statements
from explorer.analysis.findings.registry import check, make_finding
from explorer.analysis.findings.scope import statement_evidence
from explorer.snapshot.model import Group

FAMILY = "mfa"
KEY = "aws:multifactorauthpresent"


def _broken_entries(st) -> list[str]:
    """Operators (as written) of the statement's `Bool aws:MultiFactorAuthPresent false` entries."""
    out = []
    for op, key, vals in st.conditions():
        name = op.split(":", 1)[1] if ":" in op else op
        if key == KEY and name == "Bool" and "false" in [v.lower() for v in vals]:
            out.append(op)
    return out


def _fixed(raw: dict, operators: list[str]) -> dict:
    fixed = copy.deepcopy(raw)
    cond = fixed["Condition"]
    for op in operators:
        block = cond[op]
        key = next(k for k in block if k.lower() == KEY)
        value = block.pop(key)
        new_op = op + "IfExists"
        cond.setdefault(new_op, {})[key] = value
        if not block:
            del cond[op]
    return fixed


def _members(acct) -> dict[str, list[str]]:
    """Group name -> ARNs of the account's users in that group (membership is by group name, as GAAD lists it)."""
    out: dict[str, list[str]] = {}
    for u in acct.users.values():
        for gname in u.groups:
            out.setdefault(gname, []).append(u.arn)
    return out


def _applies_to(ent, members: dict[str, list[str]]) -> list[str]:
    """The principals an identity policy of `ent` applies to: the user or role itself, a group's members."""
    if getattr(ent, "kind", "") in ("user", "role"):
        return [ent.arn]
    return list(members.get(ent.name, ()))


def _policies(snapshot):
    """(subject ARN, policy label, kind, source, document, related ARNs) of every policy a reviewer owns.

    related: the principals (users, roles) an identity policy applies to, sorted, so that the finding leads to them
    on the graph; for a managed policy the groups attaching it follow their members."""
    for acct in sorted(snapshot.accounts.values(), key=lambda a: a.id):
        members = _members(acct)
        principals_by_policy: dict[str, set[str]] = {}
        groups_by_policy: dict[str, set[str]] = {}
        for ent in list(acct.users.values()) + list(acct.roles.values()) + list(acct.groups.values()):
            for ref in ent.attached_policies:
                if ref.arn:
                    principals_by_policy.setdefault(ref.arn, set()).update(_applies_to(ent, members))
                    if isinstance(ent, Group):
                        groups_by_policy.setdefault(ref.arn, set()).add(ent.arn)
        for pol in sorted(acct.managed_policies.values(), key=lambda p: p.arn):
            if not pol.is_aws_managed:
                yield (pol.arn, pol.arn, "identity", pol.source, pol.document,
                       tuple(sorted(principals_by_policy.get(pol.arn, ())))
                       + tuple(sorted(groups_by_policy.get(pol.arn, ()))))
        for ent in sorted(list(acct.users.values()) + list(acct.groups.values()) + list(acct.roles.values()),
                          key=lambda e: e.arn):
            if getattr(ent, "is_service_linked", False):
                continue
            for ref in ent.inline_policies:
                related = tuple(sorted(set(_applies_to(ent, members)) - {ent.arn}))
                yield ent.arn, f"inline policy {ref.name} of {ent.arn}", "identity", ref.source, ref.document, related
            if getattr(ent, "kind", "") == "role":
                yield ent.arn, f"trust policy of {ent.arn}", "trust", ent.source, ent.trust_policy, ()
        for rp in sorted(acct.resource_policies.values(), key=lambda r: r.arn):
            yield rp.arn, f"resource policy of {rp.arn}", "resource", rp.source, rp.policy, ()
    org = snapshot.organization
    if org is not None:
        for pol in sorted(org.policies, key=lambda p: p.id):
            if pol.aws_managed:
                continue
            kind = "scp" if pol.type == "SERVICE_CONTROL_POLICY" else "rcp"
            arn = f"arn:aws:organizations::{org.master_account_id}:policy/{org.id}/{pol.type.lower()}/{pol.id}"
            yield arn, f"{kind.upper()} {pol.name} ({pol.id})", kind, pol.source, pol.document, tuple(pol.targets)


@check("policy-deny-mfa-bool", family=FAMILY, severity=MEDIUM,
       title="MFA Deny uses Bool instead of BoolIfExists",
       description="`Deny ... Bool aws:MultiFactorAuthPresent false` does not stop long-term access keys, whose "
                   "requests carry no aws:MultiFactorAuthPresent key at all; `BoolIfExists` does (spec K1).")
def deny_mfa_bool(snapshot, tg, settings):
    for subject, label, kind, source, doc, related in _policies(snapshot):
        for st in statements(doc):
            if not st.is_deny:
                continue
            ops = _broken_entries(st)
            if not ops:
                continue
            yield make_finding(
                "policy-deny-mfa-bool", subject,
                (f"{label}: the Deny at {st.path} uses Bool aws:MultiFactorAuthPresent false, which does "
                 f"not apply to long-term access keys (the key is absent for them)."),
                evidence=(statement_evidence(label, kind, source, st),),
                remediation=Remediation("Use BoolIfExists so that requests without the key are denied too.",
                                        _fixed(st.raw, ops)),
                related=related)
