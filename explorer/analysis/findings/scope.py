"""Shared helpers of the checks: which accounts are "ours", evidence for trust statements, and whether an outside
caller gets through a policy (the engine decides, with the policy's own Deny statements and the RCPs)."""
from __future__ import annotations

from explorer.analysis.findings.model import Evidence
from explorer.analysis.findings.policy import Stmt, as_list, principal_account, statements, with_condition
from explorer.snapshot.model import Role, Snapshot

# Condition keys that tie a `Principal: "*"` statement to known principals, accounts or organizations.
NARROWING_KEYS = ("aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:PrincipalArn", "aws:PrincipalAccount",
                  "aws:SourceAccount", "aws:SourceArn", "aws:SourceOrgID", "aws:SourceOrgPaths", "aws:userid",
                  "aws:SourceOwner")
ORG_KEYS = ("aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:SourceOrgID", "aws:SourceOrgPaths")


def is_internal(snapshot: Snapshot, account_id: str | None) -> bool:
    """An account of the organization; without an organization in the snapshot, an account of the snapshot."""
    if not account_id:
        return False
    if snapshot.organization is not None:
        return snapshot.organization.contains(account_id)
    return account_id in snapshot.accounts


def org_id(snapshot: Snapshot) -> str | None:
    return snapshot.organization.id if snapshot.organization is not None else None


def trust_label(role: Role) -> str:
    return f"trust policy of {role.arn}"


def statement_evidence(policy: str, kind: str, source: str, st: Stmt, **data) -> Evidence:
    """Evidence pointing at one statement of a policy (`policy` is its readable label, `kind` its policy_kind)."""
    return Evidence(policy=policy, policy_kind=kind, json_path=st.path, source=source, statement=st.raw, data=data)


def trust_evidence(role: Role, st: Stmt, **data) -> Evidence:
    return statement_evidence(trust_label(role), "trust", role.source, st, **data)


def account_root_arns(accounts) -> tuple[str, ...]:
    """The root ARNs of these account ids ("*" left out), for a finding's `related`."""
    return tuple(f"arn:aws:iam::{a}:root" for a in accounts if a != "*")


def keep_inside_fix(st: Stmt, org: str | None, account_id: str) -> tuple[dict, str]:
    """The statement with a condition keeping callers inside the organization (StringEquals aws:PrincipalOrgID)
    or, without an organization, inside `account_id` (aws:PrincipalAccount); and that condition in words."""
    key, value = ("aws:PrincipalOrgID", org) if org else ("aws:PrincipalAccount", account_id)
    return with_condition(st.raw, "StringEquals", key, value), f"StringEquals {key} {value}"


def other_accounts_trusted(role: Role, st: Stmt) -> list[str]:
    """The accounts other than the role's own that a trust statement names ("*" when it names any account
    without narrowing it to accounts), sorted."""
    out = set()
    for p in st.aws_principals():
        if p == "*":
            narrowed = narrowed_accounts(st)
            out.update(narrowed if narrowed is not None else ["*"])
        else:
            acct = principal_account(p)
            if acct:
                out.add(acct)
    out.discard(role.account_id)
    return sorted(out)


def customer_roles(snapshot: Snapshot):
    """Roles whose trust the customer controls (service-linked roles excluded), sorted by ARN."""
    for role in sorted(snapshot.roles(), key=lambda r: r.arn):
        if not role.is_service_linked and isinstance(role.trust_policy, dict):
            yield role


def trust_statements(snapshot: Snapshot, action: str | None = None):
    """(role, Allow statement) for every customer role; with `action`, statements covering it."""
    for role in customer_roles(snapshot):
        for st in statements(role.trust_policy):
            if st.is_allow and not st.has_not_principal and (action is None or st.covers_action(action)):
                yield role, st


def _concrete_actions(st: Stmt, service: str, limit: int = 2) -> list[str]:
    """Up to `limit` real actions the statement covers (wildcards expanded with the action catalogue)."""
    out: list[str] = []
    patterns = [str(a) for a in as_list(st.raw.get("Action"))] if "Action" in st.raw else [f"{service}:*"]
    for pat in patterns:
        if "*" not in pat and "?" not in pat:
            candidates = [pat]
        else:
            try:
                from explorer.iam.catalogue import catalogue
                cat = catalogue()
                scoped = pat if pat.split(":", 1)[0] not in ("*", "") else f"{service}:*"
                candidates = sorted(cat.expand(scoped))
            except ImportError:  # pragma: no cover - the catalogue ships with the project
                candidates = []
        for a in candidates:
            if st.covers_action(a) and a not in out:
                out.append(a)
                break
        if len(out) >= limit:
            break
    return out


def _concrete_resource(st: Stmt, resource_arn: str) -> str:
    for res in as_list(st.raw.get("Resource")):
        if isinstance(res, str) and res != "*" and resource_arn.split("/")[0].split(":")[-1] in res:
            return res.replace("*", "x").replace("?", "x")
    return resource_arn


def outsiders_admitted(snapshot: Snapshot, settings, *, st: Stmt, principals: list[str], resource_arn: str,
                       resource_account: str, document: dict, kind: str, label: str, source: str,
                       actions: list[str] | None = None) -> list[str]:
    """Which of `principals` (outside the organization; "*" for any outside account) the engine lets in through
    this statement's policy, the policy's own Deny statements and the RCPs of the resource's account."""
    from explorer.analysis.admin import _prober
    prober = _prober(snapshot, settings)
    service = resource_arn.split(":")[2] if resource_arn.count(":") >= 2 else "*"
    actions = actions or _concrete_actions(st, service)
    resource = _concrete_resource(st, resource_arn) if kind != "trust" else resource_arn
    admitted = []
    for principal in principals:
        for action in actions:
            decision = prober.outside_allowed(resource_arn=resource, resource_account=resource_account,
                                              document=document, kind=kind, label=label, source=source,
                                              action=action, principal=principal)
            if decision.allowed:
                admitted.append(principal)
                break
    return admitted


def narrowed_accounts(st: Stmt) -> list[str] | None:
    """For a `*` principal narrowed by account-valued keys, the accounts it is narrowed to (None if it is not
    narrowed to accounts)."""
    accounts: list[str] = []
    found = False
    for op, key, vals in st.positive_condition(("aws:PrincipalAccount", "aws:SourceAccount", "aws:PrincipalArn")):
        found = True
        for v in vals:
            if key == "aws:principalarn":
                parts = v.split(":")
                if len(parts) > 4 and parts[4].isdigit():
                    accounts.append(parts[4])
            elif v.isdigit():
                accounts.append(v)
    return sorted(set(accounts)) if found else None


def values_of(st: Stmt, key: str) -> list[str]:
    out = []
    for _, k, vals in st.conditions():
        if k == key.lower():
            out.extend(vals)
    return out


def listify(value) -> list:
    return as_list(value)
