"""The AWS Organization: tree, SCPs, RCPs and their targets, as organization.json (interfaces.md §1).

Runs from the management account or a delegated administrator. A policy type that cannot be listed (not
enabled, no delegation) becomes a gap; the rest of the organization is still written.
"""
from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from explorer.collect.aws import call, decode_policy, paginate

SCP = "SERVICE_CONTROL_POLICY"
RCP = "RESOURCE_CONTROL_POLICY"
POLICY_TYPES = (SCP, RCP)
_ORG_KEYS = ("Id", "Arn", "MasterAccountId", "MasterAccountArn", "FeatureSet")


def get_organization(client, *, cancel=None, gap=None) -> dict:
    """organization.json: Organization, Roots, OrganizationalUnits (ParentId), Accounts (ParentId, State),
    Policies (Content decoded, Targets). `gap(what, exc)` receives partial failures; a failure of
    DescribeOrganization or ListRoots raises."""
    def note(what, exc):
        if gap is not None:
            gap(what, exc)

    def listed_under(parent: str, operation: str, api_name: str, key: str) -> list:
        """The `key` items of a per-parent listing; none (and a gap) when it cannot be read."""
        try:
            return paginate(client, operation, cancel=cancel, ParentId=parent).get(key, [])
        except (ClientError, BotoCoreError) as exc:
            note(f"organizations:{api_name} {parent}", exc)
            return []

    org = call(client, "describe_organization", cancel=cancel)["Organization"]
    roots = paginate(client, "list_roots", cancel=cancel).get("Roots", [])
    units: list[dict] = []
    accounts: list[dict] = []
    queue = [r["Id"] for r in roots]
    seen: set[str] = set()
    while queue:
        parent = queue.pop(0)
        if parent in seen:
            continue
        seen.add(parent)
        for ou in listed_under(parent, "list_organizational_units_for_parent", "ListOrganizationalUnitsForParent",
                               "OrganizationalUnits"):
            unit = {"Id": ou["Id"], "Name": ou.get("Name", ""), "ParentId": parent}
            if ou.get("Arn"):
                unit["Arn"] = ou["Arn"]
            units.append(unit)
            queue.append(ou["Id"])
        for acct in listed_under(parent, "list_accounts_for_parent", "ListAccountsForParent", "Accounts"):
            accounts.append(_account_entry(acct, parent))

    policies: list[dict] = []
    for policy_type in POLICY_TYPES:
        try:
            listed = paginate(client, "list_policies", cancel=cancel, Filter=policy_type).get("Policies", [])
        except (ClientError, BotoCoreError) as exc:
            note(f"organizations:ListPolicies {policy_type}", exc)
            continue
        for summary in listed:
            policies.append(_policy_entry(client, summary, policy_type, cancel, note))

    return {
        "Organization": {k: org[k] for k in _ORG_KEYS if k in org},
        "Roots": [{k: r[k] for k in ("Id", "Name", "Arn", "PolicyTypes") if k in r} for r in roots],
        "OrganizationalUnits": units,
        "Accounts": accounts,
        "Policies": policies,
    }


def _account_entry(acct: dict, parent: str) -> dict:
    entry = {"Id": acct["Id"], "Name": acct.get("Name", ""),
             "State": acct.get("State") or acct.get("Status") or "ACTIVE", "ParentId": parent}
    for key in ("Arn", "Email", "JoinedMethod", "JoinedTimestamp"):
        if key in acct:
            entry[key] = acct[key]
    return entry


def _policy_entry(client, summary: dict, policy_type: str, cancel, note) -> dict:
    pid = summary["Id"]
    entry = {"Id": pid, "Name": summary.get("Name", ""), "Type": summary.get("Type", policy_type),
             "AwsManaged": bool(summary.get("AwsManaged", False)), "Content": None, "Targets": []}
    for key in ("Arn", "Description"):
        if summary.get(key):
            entry[key] = summary[key]
    try:
        described = call(client, "describe_policy", cancel=cancel, PolicyId=pid)["Policy"]
        entry["Content"] = decode_policy(described.get("Content"))
    except (ClientError, BotoCoreError) as exc:
        note(f"organizations:DescribePolicy {pid}", exc)
    try:
        targets = paginate(client, "list_targets_for_policy", cancel=cancel, PolicyId=pid).get("Targets", [])
        entry["Targets"] = [t["TargetId"] for t in targets]
    except (ClientError, BotoCoreError) as exc:
        note(f"organizations:ListTargetsForPolicy {pid}", exc)
    return entry


def member_accounts(organization: dict) -> list[dict]:
    """The organization's accounts, in tree order."""
    return list(organization.get("Accounts", []))
