"""Shared helpers of the checks: which accounts are "ours", evidence for trust statements, the organization
perimeter (Deny statements and RCPs that keep outsiders out)."""
from __future__ import annotations

from explorer.analysis.findings.model import Evidence
from explorer.analysis.findings.policy import Stmt, as_list, is_negated, statements
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


def trust_evidence(role: Role, st: Stmt, **data) -> Evidence:
    return Evidence(policy=trust_label(role), policy_kind="trust", json_path=st.path, source=role.source,
                    statement=st.raw, data=data)


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


def _perimeter_statement(st: Stmt, action: str, org: str | None, keys=ORG_KEYS) -> bool:
    """A Deny statement for every principal that denies `action` unless the caller is in organization `org`
    (e.g. Deny * when StringNotEquals aws:PrincipalOrgID o-1)."""
    if not st.is_deny or not st.covers_action(action):
        return False
    principals = st.principals()
    if principals and principals.get("AWS") != ["*"]:
        return False
    wanted = {k.lower() for k in keys}
    for op, key, vals in st.conditions():
        if key in wanted and is_negated(op) and (org is None or org in vals or key.endswith("orgpaths")):
            return True
    return False


def denied_outside_org(snapshot: Snapshot, document: dict | None, account_id: str, action: str) -> bool:
    """Do the policy's own Deny statements or the RCPs on the account keep principals outside the organization
    from `action`?"""
    org = org_id(snapshot)
    if org is None:
        return False
    if any(_perimeter_statement(st, action, org) for st in statements(document)):
        return True
    organization = snapshot.organization
    if organization.contains(account_id) and not organization.is_management(account_id):
        for level in organization.rcp_levels(account_id):
            for pol in level:
                if any(_perimeter_statement(st, action, org) for st in statements(pol.document)):
                    return True
    return False


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
