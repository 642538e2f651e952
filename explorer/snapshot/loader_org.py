"""organization.json: the AWS Organization, its roots, OUs and accounts, SCPs and RCPs with their targets."""
from __future__ import annotations

from explorer.snapshot.loader_common import FileCtx, get_bool, get_list, get_str, is_account_id, kind_of, short
from explorer.snapshot.model import RCP, SCP, OrgAccount, Organization, OrgPolicy, OrgUnit
from explorer.snapshot.policy_document import try_decode_policy_document

_TYPES = {SCP: SCP, RCP: RCP, "SCP": SCP, "RCP": RCP}


def load_organization(doc: object, ctx: FileCtx) -> Organization | None:
    if doc.__class__ is not dict:
        ctx.error("$", f"expected an organization object, found {kind_of(doc)}", skipped="organization")
        return None
    assert isinstance(doc, dict)
    head = doc.get("Organization")
    if head.__class__ is not dict:
        ctx.error("$.Organization", "missing or not an object: the file does not describe an organization",
                  skipped="organization")
        return None
    assert isinstance(head, dict)
    org_id = get_str(head, "Id", ctx, "$.Organization")
    master = head.get("MasterAccountId", head.get("ManagementAccountId"))
    if not is_account_id(master):
        ctx.error("$.Organization.MasterAccountId", f"missing or not a 12-digit account id: {short(master)}",
                  skipped="organization")
        return None
    org = Organization(id=org_id, master_account_id=master,  # type: ignore[arg-type]
                       feature_set=get_str(head, "FeatureSet", ctx, "$.Organization", "ALL"))

    for i, item in enumerate(get_list(doc, "Roots", ctx, "$", "all roots")):
        where = f"$.Roots[{i}]"
        if item.__class__ is not dict or item.get("Id").__class__ is not str:
            ctx.error(where, "expected {\"Id\": \"r-...\", \"Name\": ...}", skipped="root")
            continue
        org.roots.append(OrgUnit(id=item["Id"], name=get_str(item, "Name", ctx, where, "Root"), parent_id=None))
    root_ids = {r.id for r in org.roots}

    for i, item in enumerate(get_list(doc, "OrganizationalUnits", ctx, "$", "all OUs")):
        where = f"$.OrganizationalUnits[{i}]"
        if item.__class__ is not dict or item.get("Id").__class__ is not str:
            ctx.error(where, "expected {\"Id\": \"ou-...\", \"Name\": ..., \"ParentId\": ...}", skipped="OU")
            continue
        parent = item.get("ParentId")
        if parent.__class__ is not str:
            ctx.error(f"{where}.ParentId", "an OU needs the id of its parent (a root or an OU)",
                      skipped=f"OU {item['Id']}")
            continue
        org.units[item["Id"]] = OrgUnit(id=item["Id"], name=get_str(item, "Name", ctx, where, item["Id"]),
                                        parent_id=parent)  # type: ignore[arg-type]

    # Parents must exist and the OU tree must not loop.
    for unit in list(org.units.values()):
        seen = {unit.id}
        parent = unit.parent_id
        while parent is not None and parent not in root_ids:
            up = org.units.get(parent)
            if up is None:
                ctx.warning("$.OrganizationalUnits", f"OU {unit.id} has parent {parent}, which is neither a root nor "
                                                     "a listed OU: policies above it are unknown")
                break
            if up.id in seen:
                ctx.error("$.OrganizationalUnits", f"the OU parents loop through {unit.id}",
                          skipped=f"parent link of OU {unit.id}")
                unit.parent_id = None
                break
            seen.add(up.id)
            parent = up.parent_id

    for i, item in enumerate(get_list(doc, "Accounts", ctx, "$", "all accounts")):
        where = f"$.Accounts[{i}]"
        account_id = item.get("Id") if item.__class__ is dict else None
        if not is_account_id(account_id):
            ctx.error(where, f"expected an account with a 12-digit Id, found {short(item)}", skipped="account")
            continue
        parent = _account_parent(item, account_id, org, root_ids, ctx, where)  # type: ignore[arg-type]
        org.accounts[account_id] = OrgAccount(  # type: ignore[index]
            id=account_id, name=get_str(item, "Name", ctx, where), state=get_str(item, "State", ctx, where)
            or get_str(item, "Status", ctx, where) or "ACTIVE",
            parent_id=parent, email=get_str(item, "Email", ctx, where))  # type: ignore[arg-type]
    if org.master_account_id not in org.accounts:
        ctx.info("$.Accounts", f"the management account {org.master_account_id} is not listed in Accounts")

    known_targets = root_ids | set(org.units) | set(org.accounts) | {org.master_account_id}
    for i, item in enumerate(get_list(doc, "Policies", ctx, "$", "all SCPs and RCPs")):
        where = f"$.Policies[{i}]"
        if item.__class__ is not dict:
            ctx.error(where, f"expected a policy object, found {kind_of(item)}", skipped="organization policy")
            continue
        summary = item.get("PolicySummary") if item.get("PolicySummary").__class__ is dict else item
        policy_id = summary.get("Id")
        name = summary.get("Name")
        if policy_id.__class__ is not str:
            policy_id = name if name.__class__ is str else None
        if policy_id is None:
            ctx.error(where, "an organization policy needs an Id or a Name", skipped="organization policy")
            continue
        if name.__class__ is not str:
            name = policy_id
        raw_type = summary.get("Type")
        ptype = _TYPES.get(raw_type) if raw_type.__class__ is str else None  # type: ignore[arg-type]
        if ptype is None:
            if summary.get("Type") in ("TAG_POLICY", "BACKUP_POLICY", "AISERVICES_OPT_OUT_POLICY",
                                       "CHATBOT_POLICY", "DECLARATIVE_POLICY_EC2"):
                ctx.info(f"{where}.Type", f"{summary.get('Type')} {name} does not affect authorization; ignored")
            else:
                ctx.error(f"{where}.Type", f"expected SERVICE_CONTROL_POLICY or RESOURCE_CONTROL_POLICY, found "
                                           f"{short(summary.get('Type'))}", skipped=f"policy {name}")
            continue
        document, problem = try_decode_policy_document(item.get("Content"))
        if problem is not None:
            ctx.error(f"{where}.Content", problem, skipped=f"{_label(ptype)} {name}")
            continue
        targets: list[str] = []
        for j, target in enumerate(get_list(item, "Targets", ctx, where, f"targets of {name}")):
            if target.__class__ is dict:
                target = target.get("TargetId")
            if target.__class__ is not str:
                ctx.warning(f"{where}.Targets[{j}]", "expected a root, OU or account id", skipped="target")
                continue
            if target not in known_targets:
                ctx.warning(f"{where}.Targets[{j}]", f"{target} is not a root, OU or account of the organization")
            targets.append(target)  # type: ignore[arg-type]
        org.policies.append(OrgPolicy(id=policy_id, name=name, type=ptype, document=document,  # type: ignore
                                      targets=targets,
                                      aws_managed=get_bool(summary, "AwsManaged", ctx, where, False),
                                      source=f"{ctx.file}#{where}"))
    return org


def _account_parent(item: dict, account_id: str, org: Organization, root_ids: set, ctx: FileCtx,
                    where: str) -> str | None:
    """The account's parent (a root or an OU). A missing, null, non-string or unknown ParentId is reported and the
    account is attached to the (first) root: the root's SCPs and RCPs apply to every member account wherever it
    sits, while the policies of the OUs above it are unknown, so they are left out (the analysis may then show
    access those OU policies would deny: it over-reports, it never hides a path)."""
    parent = item.get("ParentId")
    if parent.__class__ is str and (parent in root_ids or parent in org.units):
        return parent  # type: ignore[return-value]
    if "ParentId" not in item:
        found = "has no ParentId"
    elif parent is None:
        found = "has ParentId null"
    elif parent.__class__ is not str:
        found = f"has a ParentId that is not a string ({kind_of(parent)})"
    else:
        found = f"has parent {parent}, which is neither a root nor a listed OU"
    root = org.roots[0].id if org.roots else None
    if account_id == org.master_account_id:
        ctx.info(f"{where}.ParentId", f"the management account {account_id} {found} (SCPs and RCPs do not apply to "
                                      "the management account)" + (f"; attached to the root {root}" if root else ""))
        return root
    if root is None:
        ctx.warning(f"{where}.ParentId", f"account {account_id} {found} and the organization lists no root: its "
                                         "SCPs and RCPs are unknown (none are applied)")
        return None
    ctx.warning(f"{where}.ParentId", f"account {account_id} {found}: its place in the organization is unknown. "
                                     f"Assumed directly under the root {root}: the root's SCPs and RCPs apply (they "
                                     "apply to every member account), the SCPs and RCPs of the OUs above it are "
                                     "unknown and NOT applied, so access they would deny may be shown as allowed")
    return root


def _label(ptype: str) -> str:
    return "SCP" if ptype == SCP else "RCP"
