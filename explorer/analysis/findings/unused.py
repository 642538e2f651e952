"""Unused roles that other accounts may assume: a standing door nobody uses (RoleLastUsed older than
`settings.unused_days` before the snapshot's collection time, or never used)."""
from __future__ import annotations

from datetime import timedelta, timezone

from explorer.analysis.findings.model import LOW, MEDIUM, Evidence, Remediation
from explorer.analysis.findings.registry import check, make_finding
from explorer.analysis.findings.scope import (account_root_arns, is_internal, other_accounts_trusted, trust_evidence,
                                              trust_statements)

FAMILY = "unused"


def _aware(dt):
    return dt if dt is None or dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def cross_account_trusts(snapshot):
    """{role ARN: (role, [(statement, [other accounts or "*"])])} for Allow statements naming other accounts."""
    out: dict = {}
    for role, st in trust_statements(snapshot, "sts:AssumeRole"):
        others = other_accounts_trusted(role, st)
        if others:
            out.setdefault(role.arn, (role, []))[1].append((st, others))
    return out


@check("role-unused-cross-account", family=FAMILY, severity=LOW,
       title="Unused role trusted across accounts",
       description="A role that other accounts may assume but that has not been used for longer than the "
                   "threshold (90 days by default, before the snapshot was collected), or never, is access "
                   "nobody needs: remove the role or its cross-account trust. Roles created within the threshold "
                   "are not reported.")
def unused_cross_account(snapshot, tg, settings):
    now = settings.reference_time(snapshot)
    limit = now - timedelta(days=settings.unused_days)
    for arn, (role, trusts) in sorted(cross_account_trusts(snapshot).items()):
        last = _aware(role.last_used)
        created = _aware(role.create_date)
        if last is not None and last >= limit:
            continue
        if last is None and created is not None and created >= limit:
            continue
        accounts = sorted({a for _, accts in trusts for a in accts})
        external = [a for a in accounts if a == "*" or not is_internal(snapshot, a)]
        if last is None:
            when = "has never been used" + (f" since it was created on {created.date()}" if created else "")
        else:
            when = f"was last used on {last.date()} ({(now - last).days} days before {now.date()})"
        yield make_finding(
            "role-unused-cross-account", arn,
            f"{role.name} {when}, but account(s) {', '.join(accounts)} may assume it.",
            severity=MEDIUM if external else LOW,
            evidence=(Evidence(policy=f"role {arn}", policy_kind="role", json_path="$.RoleLastUsed",
                               source=role.source,
                               data={"last_used": last.isoformat() if last else None,
                                     "reference_time": now.isoformat(), "threshold_days": settings.unused_days,
                                     "trusted_accounts": accounts}),)
                     + tuple(trust_evidence(role, st, accounts=accts) for st, accts in trusts),
            remediation=Remediation(
                "Delete the role if nothing needs it, or remove the cross-account statements from its trust."),
            related=account_root_arns(accounts))
