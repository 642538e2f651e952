"""Reading one `aws iam get-account-authorization-details` output into the model.

One pass over the file's lists, the managed policies first so that attachments resolve at once; references to
policies the file does not hold are kept (document None) and resolved or reported when every file is read.
Every check is a type test, not an exception: a broken item is reported with its JSON path and skipped, the rest
of the file is loaded.
"""
from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

from explorer.snapshot.loader_common import (Build, FileCtx, get_bool, get_int, get_list, get_str, get_tags,
                                             get_time, kind_of, parse_time, short)
from explorer.snapshot.model import (DEFAULT_MAX_SESSION_SECONDS, Account, Group, ManagedPolicy, PolicyRef, Role,
                                     User, account_of_arn)
from explorer.snapshot.policy_document import try_decode_policy_document

GAAD_KEYS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")

# The fast paths call the model's constructors with positional arguments (much cheaper than keywords for these
# wide dataclasses) only while the field order is the one written here; otherwise they use keywords.
_ROLE_FIELDS = ("name", "arn", "role_id", "account_id", "path", "trust_policy", "inline_policies",
                "attached_policies", "permissions_boundary", "tags", "instance_profiles", "last_used",
                "last_used_region", "max_session_duration", "max_session_duration_known", "description",
                "create_date", "source")
_USER_FIELDS = ("name", "arn", "user_id", "account_id", "path", "groups", "inline_policies", "attached_policies",
                "permissions_boundary", "tags", "create_date", "source")
_ROLE_POSITIONAL = tuple(f.name for f in dataclasses.fields(Role))[:len(_ROLE_FIELDS)] == _ROLE_FIELDS
_USER_POSITIONAL = tuple(f.name for f in dataclasses.fields(User))[:len(_USER_FIELDS)] == _USER_FIELDS

_decode = try_decode_policy_document
_fromiso = datetime.fromisoformat


def looks_like_gaad(doc: object) -> bool:
    """A get-account-authorization-details output (organization.json also has "Policies", but no detail list)."""
    if doc.__class__ is not dict:
        return False
    return any(k in doc for k in GAAD_KEYS[:3]) or ("Policies" in doc and "Organization" not in doc)  # type: ignore


def load_gaad(doc: object, ctx: FileCtx, build: Build, folder_account: str | None = None) -> str | None:
    """Load one GAAD document. Returns the id of the account it filled, or None when the file was skipped."""
    if doc.__class__ is not dict:
        ctx.error("$", f"expected the object printed by get-account-authorization-details, found {kind_of(doc)}",
                  skipped="file")
        return None
    assert isinstance(doc, dict)
    if not any(k in doc for k in GAAD_KEYS):
        ctx.error("$", "not a get-account-authorization-details output (it has none of UserDetailList, "
                       "GroupDetailList, RoleDetailList, Policies)", skipped="file")
        return None
    if doc.get("IsTruncated") is True:
        ctx.warning("$.IsTruncated", "this is one page of a longer output: the items of the other pages are "
                                     "missing (let the AWS CLI paginate, or merge the pages)")
    users = get_list(doc, "UserDetailList", ctx, "$", "all users of the file")
    groups = get_list(doc, "GroupDetailList", ctx, "$", "all groups of the file")
    roles = get_list(doc, "RoleDetailList", ctx, "$", "all roles of the file")
    policies = get_list(doc, "Policies", ctx, "$", "all managed policies of the file")

    account_id = _file_account(ctx, (users, groups, roles, policies), folder_account)
    if account_id is None:
        return None
    acct = build.account(account_id)
    earlier = build.gaad_files.get(account_id)
    if earlier:
        ctx.warning("", f"account {account_id} was already loaded from {', '.join(earlier)}: the two are merged "
                        "(an item present in both is taken from the first)")
        build.gaad_files[account_id].append(ctx.file)
    else:
        build.gaad_files[account_id] = [ctx.file]
    if ctx.file not in acct.source_files:
        acct.source_files.append(ctx.file)

    duplicates: list[str] = []
    _load_policies(policies, ctx, build, acct, duplicates)
    _load_groups(groups, ctx, build, acct, duplicates)
    _load_users(users, ctx, build, acct, duplicates)
    _load_roles(roles, ctx, build, acct, duplicates)
    if duplicates:
        ctx.warning("", f"{len(duplicates)} item(s) were already loaded from another file and are ignored here "
                        f"(first: {duplicates[0]})", skipped=f"{len(duplicates)} duplicate item(s)")
    return account_id


def _file_account(ctx: FileCtx, lists: tuple, folder_account: str | None) -> str | None:
    counts: dict[str, int] = {}
    for items in lists:
        for item in items[:16]:  # a sample is enough; items of other accounts are placed by their own ARN
            if item.__class__ is dict:
                arn = item.get("Arn")
                if arn.__class__ is str:
                    found = account_of_arn(arn)
                    if found is not None:
                        counts[found] = counts.get(found, 0) + 1
    if not counts:
        if folder_account is not None:
            return folder_account
        ctx.error("$", "no ARN in the file tells which account it describes: nothing to load", skipped="file")
        return None
    account_id = max(counts, key=counts.__getitem__)
    if len(counts) > 1:
        others = ", ".join(sorted(a for a in counts if a != account_id))
        ctx.warning("$", f"the file holds ARNs of several accounts ({account_id}, {others}): each principal is "
                         "loaded into the account of its own ARN")
    if folder_account is not None and folder_account != account_id:
        ctx.warning("", f"the folder name {folder_account} disagrees with the ARNs inside, which name account "
                        f"{account_id}: using {account_id} (from the ARNs)")
    return account_id


# --- items -------------------------------------------------------------------------------------------------

def _identity(item: object, name_key: str, id_key: str, marker: str, what: str, ctx: FileCtx, where: str,
              build: Build) -> tuple[str, str, str, Account] | None:
    """(arn, name, unique id, account) of a user/group/role item, or None after reporting why it is skipped."""
    if item.__class__ is not dict:
        ctx.error(where, f"expected a {what} object, found {kind_of(item)}", skipped=what)
        return None
    assert isinstance(item, dict)
    arn = item.get("Arn")
    account_id = account_of_arn(arn) if arn.__class__ is str else None  # type: ignore[arg-type]
    if account_id is None or marker not in arn:  # type: ignore[operator]
        name = item.get(name_key)
        label = f"{what} {name}" if isinstance(name, str) else what
        if arn is None:
            ctx.error(f"{where}.Arn", f"the {what} has no Arn", skipped=label)
        else:
            ctx.error(f"{where}.Arn", f"not a {what} ARN: {arn!r}", skipped=label)
        return None
    assert isinstance(arn, str)
    name = item.get(name_key)
    if name.__class__ is not str or not name:
        name = arn.rsplit("/", 1)[-1]
        ctx.warning(f"{where}.{name_key}", f"missing or not a string: using the name in the ARN ({name})")
    unique_id = item.get(id_key)
    if unique_id.__class__ is not str:
        if unique_id is not None:
            ctx.warning(f"{where}.{id_key}", f"expected a string, found {kind_of(unique_id)}; ignored")
        else:
            ctx.warning(f"{where}.{id_key}", f"the {what} has no {id_key}: principals given by unique id "
                                             "cannot match it")
        unique_id = ""
    acct = build.accounts.get(account_id) or build.account(account_id)
    return arn, name, unique_id, acct  # type: ignore[return-value]


def _inline(item: dict, key: str, ctx: FileCtx, where: str, owner: str) -> list[PolicyRef]:
    entries = item.get(key)
    if not entries:
        return []
    if entries.__class__ is list:  # fast path: well-formed entries with documents as objects
        refs = []
        source = f"{ctx.file}#{where}.{key}["
        for j, entry in enumerate(entries):
            if entry.__class__ is dict:
                name = entry.get("PolicyName")
                document = entry.get("PolicyDocument")
                if name.__class__ is str and document.__class__ is dict:
                    refs.append(PolicyRef(name, "inline", document, None, f"{source}{j}]"))
                    continue
            break
        else:
            return refs
    return _inline_slow(entries, key, ctx, where, owner)


def _inline_slow(entries: object, key: str, ctx: FileCtx, where: str, owner: str) -> list[PolicyRef]:
    if entries.__class__ is not list:
        ctx.error(f"{where}.{key}", f"expected a list of inline policies, found {kind_of(entries)}",
                  skipped=f"inline policies of {owner}")
        return []
    refs = []
    for j, entry in enumerate(entries):
        if entry.__class__ is not dict:
            ctx.error(f"{where}.{key}[{j}]", f"expected an inline policy object, found {kind_of(entry)}",
                      skipped=f"an inline policy of {owner}")
            continue
        name = entry.get("PolicyName")
        if name.__class__ is not str:
            name = f"inline-{j}"
            ctx.warning(f"{where}.{key}[{j}].PolicyName", f"missing or not a string: called it {name}")
        document, problem = _decode(entry.get("PolicyDocument"))
        if problem is not None:
            ctx.error(f"{where}.{key}[{j}].PolicyDocument", problem,
                      skipped=f"inline policy {name} of {owner}")
            continue
        refs.append(PolicyRef(name, "inline", document, None, f"{ctx.file}#{where}.{key}[{j}]"))
    return refs


def _managed_ref(arn: str, name: str, ctx: FileCtx, where: str, build: Build, acct: Account) -> PolicyRef:
    policy = acct.managed_policies.get(arn) or build.policies.get(arn)
    if policy is not None and policy.document is not None:
        return PolicyRef(name, "managed", policy.document, arn, policy.source)
    ref = PolicyRef(name, "managed", None, arn, f"{ctx.file}#{where}")
    build.pending.append((ref, acct.id, ctx.file, where))
    return ref


def _attached(item: dict, ctx: FileCtx, where: str, build: Build, acct: Account, owner: str) -> list[PolicyRef]:
    entries = item.get("AttachedManagedPolicies")
    if not entries:
        return []
    if entries.__class__ is list:  # fast path: well-formed entries
        held = acct.managed_policies
        refs = []
        for j, entry in enumerate(entries):
            arn = entry.get("PolicyArn") if entry.__class__ is dict else None
            if arn.__class__ is not str or not arn.startswith("arn:"):  # type: ignore[union-attr]
                break
            name = entry.get("PolicyName")
            policy = held.get(arn)  # type: ignore[arg-type]
            if policy is not None and policy.document is not None:
                refs.append(PolicyRef(name if name.__class__ is str else policy.name, "managed", policy.document,
                                      arn, policy.source))
            else:
                refs.append(_managed_ref(arn, name if name.__class__ is str else arn.rsplit("/", 1)[-1],  # type: ignore
                                         ctx, f"{where}.AttachedManagedPolicies[{j}]", build, acct))
        else:
            return refs
    if entries.__class__ is not list:
        ctx.error(f"{where}.AttachedManagedPolicies", f"expected a list, found {kind_of(entries)}",
                  skipped=f"managed policies attached to {owner}")
        return []
    refs = []
    for j, entry in enumerate(entries):
        arn = entry.get("PolicyArn") if entry.__class__ is dict else None
        if arn.__class__ is not str or not arn.startswith("arn:"):  # type: ignore[union-attr]
            ctx.error(f"{where}.AttachedManagedPolicies[{j}]", "expected {\"PolicyName\": ..., \"PolicyArn\": "
                      "\"arn:...\"}", skipped=f"a managed policy attachment of {owner}")
            continue
        name = entry.get("PolicyName")
        if name.__class__ is not str:
            name = arn.rsplit("/", 1)[-1]  # type: ignore[union-attr]
        refs.append(_managed_ref(arn, name, ctx, f"{where}.AttachedManagedPolicies[{j}]", build, acct))  # type: ignore
    return refs


def _boundary(item: dict, ctx: FileCtx, where: str, build: Build, acct: Account, owner: str) -> PolicyRef | None:
    value = item.get("PermissionsBoundary")
    if not value:
        return None
    arn = value.get("PermissionsBoundaryArn") if value.__class__ is dict else None
    if arn.__class__ is not str or not arn.startswith("arn:"):  # type: ignore[union-attr]
        ctx.error(f"{where}.PermissionsBoundary", "expected {\"PermissionsBoundaryType\": \"Policy\", "
                  "\"PermissionsBoundaryArn\": \"arn:...\"}", skipped=f"permissions boundary of {owner}")
        return None
    return _managed_ref(arn, arn.rsplit("/", 1)[-1], ctx, f"{where}.PermissionsBoundary", build, acct)  # type: ignore


def _load_policies(items: list, ctx: FileCtx, build: Build, acct: Account, duplicates: list[str]) -> None:
    aws_docs = build.aws_documents
    policies = acct.managed_policies
    for i, item in enumerate(items):
        where = f"$.Policies[{i}]"
        if item.__class__ is not dict:
            ctx.error(where, f"expected a managed policy object, found {kind_of(item)}", skipped="managed policy")
            continue
        arn = item.get("Arn")
        if arn.__class__ is not str or not arn.startswith("arn:") or ":policy/" not in arn:
            ctx.error(f"{where}.Arn", "missing or not a policy ARN", skipped="managed policy")
            continue
        if arn in policies:
            duplicates.append(arn)
            continue
        name = item.get("PolicyName")
        if name.__class__ is not str:
            name = arn.rsplit("/", 1)[-1]
            ctx.warning(f"{where}.PolicyName", f"missing or not a string: using the name in the ARN ({name})")
        default_version = get_str(item, "DefaultVersionId", ctx, where)
        is_aws = ":iam::aws:policy/" in arn
        document = aws_docs.get((arn, default_version)) if is_aws and default_version else None
        if document is None:
            document = _default_document(item, default_version, ctx, where, arn)
            if document is not None and is_aws and default_version:
                aws_docs[(arn, default_version)] = document
        policy = ManagedPolicy(
            arn=arn, name=name, policy_id=get_str(item, "PolicyId", ctx, where), path=get_str(item, "Path", ctx,
                                                                                            where, "/"),
            default_version_id=default_version, document=document,
            attachment_count=get_int(item, "AttachmentCount", ctx, where),
            permissions_boundary_usage_count=get_int(item, "PermissionsBoundaryUsageCount", ctx, where),
            is_attachable=get_bool(item, "IsAttachable", ctx, where, True),
            source=f"{ctx.file}#{where}")
        policies[arn] = policy
        if arn not in build.policies:
            build.policies[arn] = policy


def _default_document(item: dict, default_version: str, ctx: FileCtx, where: str, arn: str) -> dict | None:
    versions = item.get("PolicyVersionList")
    if versions.__class__ is not list or not versions:
        if versions is None or versions == []:
            # Some tools print the document at the top level ("Document" / "PolicyDocument").
            for key in ("Document", "PolicyDocument"):
                if key in item:
                    document, problem = _decode(item[key])
                    if problem is None:
                        return document
                    ctx.error(f"{where}.{key}", problem, skipped=f"document of policy {arn}")
                    return None
            ctx.warning(f"{where}.PolicyVersionList", f"no policy versions: the document of {arn} is unknown")
        else:
            ctx.error(f"{where}.PolicyVersionList", f"expected a list, found {kind_of(versions)}",
                      skipped=f"document of policy {arn}")
        return None
    chosen = -1
    for j, version in enumerate(versions):
        if version.__class__ is dict and version.get("IsDefaultVersion") in (True, "true"):
            chosen = j
            break
    if chosen < 0 and default_version:
        for j, version in enumerate(versions):
            if version.__class__ is dict and version.get("VersionId") == default_version:
                chosen = j
                break
    if chosen < 0:
        ctx.error(f"{where}.PolicyVersionList", "no version is marked IsDefaultVersion (nor matches "
                  "DefaultVersionId)", skipped=f"document of policy {arn}")
        return None
    document, problem = _decode(versions[chosen].get("Document"))
    if problem is not None:
        ctx.error(f"{where}.PolicyVersionList[{chosen}].Document", problem, skipped=f"document of policy {arn}")
        return None
    return document


def _item_identity(item: object, acct: Account, name_key: str, id_key: str, marker: str, what: str, ctx: FileCtx,
                   where: str, build: Build) -> tuple[str, str, str, Account] | None:
    """`_identity` with a fast path first: a well-formed item of the file's own account needs no checks."""
    if item.__class__ is dict:
        arn = item.get("Arn")  # type: ignore[union-attr]
        name = item.get(name_key)  # type: ignore[union-attr]
        unique_id = item.get(id_key)  # type: ignore[union-attr]
        if arn.__class__ is str and arn.startswith(f"arn:aws:iam::{acct.id}{marker}") and name.__class__ is str \
                and name and unique_id.__class__ is str:
            return arn, name, unique_id, acct
    return _identity(item, name_key, id_key, marker, what, ctx, where, build)


def _load_groups(items: list, ctx: FileCtx, build: Build, acct: Account, duplicates: list[str]) -> None:
    for i, item in enumerate(items):
        where = f"$.GroupDetailList[{i}]"
        ident = _item_identity(item, acct, "GroupName", "GroupId", ":group/", "group", ctx, where, build)
        if ident is None:
            continue
        arn, name, group_id, owner_acct = ident
        if arn in owner_acct.groups:
            duplicates.append(arn)
            continue
        owner = f"group {name}"
        owner_acct.groups[arn] = Group(
            name=name, arn=arn, group_id=group_id, account_id=owner_acct.id, path=get_str(item, "Path", ctx, where, "/"),
            inline_policies=_inline(item, "GroupPolicyList", ctx, where, owner),
            attached_policies=_attached(item, ctx, where, build, owner_acct, owner),
            source=f"{ctx.file}#{where}")


def _load_users(items: list, ctx: FileCtx, build: Build, acct: Account, duplicates: list[str]) -> None:
    prefix = f"arn:aws:iam::{acct.id}:user/"
    head = f"{ctx.file}#$.UserDetailList["
    users = acct.users
    account_id = acct.id
    shared = build.shared_refs(acct)
    for i, item in enumerate(items):
        # Fast path as for roles; anything unusual goes to the careful path, which reports it.
        if item.__class__ is dict:
            get = item.get
            arn = get("Arn")
            name = get("UserName")
            user_id = get("UserId")
            path = get("Path", "/")
            groups = get("GroupList")
            if groups is None:
                groups = []
            if arn.__class__ is str and arn.startswith(prefix) and name.__class__ is str and name \
                    and user_id.__class__ is str and path.__class__ is str and arn not in users \
                    and groups.__class__ is list and all(g.__class__ is str for g in groups):
                raw_boundary = get("PermissionsBoundary")
                boundary = _fast_boundary(raw_boundary, shared) if raw_boundary else None
                if boundary is not None or not raw_boundary:
                    source = f"{head}{i}]"
                    inline = _fast_inline(get("UserPolicyList"), source, ".UserPolicyList[")
                    attached = _fast_attached(get("AttachedManagedPolicies"), shared)
                    tags = _fast_tags(get("Tags"))
                    created = get("CreateDate")
                    good = True
                    if created is not None:
                        created = _time(created)
                        good = created is not None
                    if good and inline is not None and attached is not None and tags is not None:
                        if _USER_POSITIONAL:
                            users[arn] = User(name, arn, user_id, account_id, path, groups, inline, attached,
                                              boundary, tags, created, source)
                            continue
                        users[arn] = User(
                            name=name, arn=arn, user_id=user_id, account_id=account_id, path=path, groups=groups,
                            inline_policies=inline, attached_policies=attached,
                            permissions_boundary=boundary, tags=tags, create_date=created, source=source)
                        continue
        _careful_users(((i, item),), ctx, build, acct, duplicates)  # in file order, like roles


def _careful_users(items, ctx: FileCtx, build: Build, acct: Account, duplicates: list[str]) -> None:
    for i, item in items:
        where = f"$.UserDetailList[{i}]"
        ident = _item_identity(item, acct, "UserName", "UserId", ":user/", "user", ctx, where, build)
        if ident is None:
            continue
        arn, name, user_id, owner_acct = ident
        if arn in owner_acct.users:
            duplicates.append(arn)
            continue
        owner = f"user {name}"
        groups = item.get("GroupList")
        if groups.__class__ is not list or not all(g.__class__ is str for g in groups):
            if groups is not None:
                ctx.error(f"{where}.GroupList", "expected a list of group names", skipped=f"group memberships of {owner}")
            groups = []
        owner_acct.users[arn] = User(
            name=name, arn=arn, user_id=user_id, account_id=owner_acct.id, path=get_str(item, "Path", ctx, where, "/"),
            groups=groups,
            inline_policies=_inline(item, "UserPolicyList", ctx, where, owner),
            attached_policies=_attached(item, ctx, where, build, owner_acct, owner),
            permissions_boundary=_boundary(item, ctx, where, build, owner_acct, owner),
            tags=get_tags(item, ctx, where),
            create_date=get_time(item, "CreateDate", ctx, where),
            source=f"{ctx.file}#{where}")


def _load_roles(items: list, ctx: FileCtx, build: Build, acct: Account, duplicates: list[str]) -> None:
    prefix = f"arn:aws:iam::{acct.id}:role/"
    head = f"{ctx.file}#$.RoleDetailList["
    roles = acct.roles
    account_id = acct.id
    shared = build.shared_refs(acct)
    for i, item in enumerate(items):
        # Fast path: a well-formed role of the file's own account, policy documents as objects, attached
        # policies the account holds. Anything else goes to the careful path, which reports what is wrong.
        if item.__class__ is dict:
            get = item.get
            arn = get("Arn")
            name = get("RoleName")
            role_id = get("RoleId")
            trust = get("AssumeRolePolicyDocument")
            path = get("Path", "/")
            if trust.__class__ is not dict and trust.__class__ is str:
                trust = _decode(trust)[0]
            if arn.__class__ is str and arn.startswith(prefix) and name.__class__ is str and name \
                    and role_id.__class__ is str and trust.__class__ is dict and path.__class__ is str \
                    and arn not in roles and "MaxSessionDuration" not in item:
                raw_boundary = get("PermissionsBoundary")
                boundary = _fast_boundary(raw_boundary, shared) if raw_boundary else None
                if raw_boundary and boundary is None:
                    _careful_role(item, i, ctx, build, acct, duplicates)
                    continue
                source = f"{head}{i}]"
                inline = _fast_inline(get("RolePolicyList"), source, ".RolePolicyList[")
                attached = _fast_attached(get("AttachedManagedPolicies"), shared)
                tags = _fast_tags(get("Tags"))
                profiles = get("InstanceProfileList")
                profiles = [p["Arn"] for p in profiles] if profiles and _all_have_arn(profiles) else \
                    ([] if not profiles else None)
                last = get("RoleLastUsed")
                last_used = last_region = None
                good = True
                if last:
                    if last.__class__ is dict:
                        last_used = last.get("LastUsedDate")
                        if last_used is not None:
                            last_used = _time(last_used)
                            good = last_used is not None
                        last_region = last.get("Region")
                        if last_region is not None and last_region.__class__ is not str:
                            good = False
                    else:
                        good = False
                created = get("CreateDate")
                if created is not None:
                    created = _time(created)
                    good = good and created is not None
                description = get("Description", "")
                if good and inline is not None and attached is not None and tags is not None \
                        and profiles is not None and description.__class__ is str:
                    if _ROLE_POSITIONAL:
                        roles[arn] = Role(name, arn, role_id, account_id, path, trust, inline, attached,
                                          boundary, tags, profiles, last_used, last_region,
                                          DEFAULT_MAX_SESSION_SECONDS, False, description, created, source)
                        continue
                    roles[arn] = Role(
                        name=name, arn=arn, role_id=role_id, account_id=account_id, path=path,
                        trust_policy=trust, inline_policies=inline, attached_policies=attached,
                        permissions_boundary=boundary, tags=tags,
                        instance_profiles=profiles, last_used=last_used, last_used_region=last_region,
                        description=description, create_date=created, source=source)
                    continue
        _careful_role(item, i, ctx, build, acct, duplicates)


def _time(value: object) -> datetime | None:
    """parse_time, with the common case (an aware ISO 8601 string) inline."""
    if value.__class__ is str:
        try:
            result = _fromiso(value)  # type: ignore[arg-type]
        except ValueError:
            return None
        return result if result.tzinfo is not None else result.replace(tzinfo=timezone.utc)
    return parse_time(value)


def _all_have_arn(profiles: object) -> bool:
    if profiles.__class__ is not list:
        return False
    for profile in profiles:  # type: ignore[attr-defined]
        if profile.__class__ is not dict or profile.get("Arn").__class__ is not str:
            return False
    return True


def _fast_inline(entries: object, source: str, key: str) -> list[PolicyRef] | None:
    """Inline policies when every entry is well formed with an object document; None otherwise."""
    if not entries:
        return [] if entries is None or entries == [] else None
    if entries.__class__ is not list:
        return None
    refs = []
    for j, entry in enumerate(entries):  # type: ignore[arg-type]
        if entry.__class__ is not dict:
            return None
        name = entry.get("PolicyName")
        document = entry.get("PolicyDocument")
        if name.__class__ is not str or document.__class__ is not dict:
            return None
        refs.append(PolicyRef(name, "inline", document, None, f"{source}{key}{j}]"))
    return refs


def _fast_attached(entries: object, shared: dict) -> list[PolicyRef] | None:
    """Attachments of policies the account holds, as shared PolicyRefs; None when any needs the careful path."""
    if not entries:
        return [] if entries is None or entries == [] else None
    if entries.__class__ is not list:
        return None
    refs = []
    for entry in entries:  # type: ignore[attr-defined]
        if entry.__class__ is not dict:
            return None
        arn = entry.get("PolicyArn")
        ref = shared.get(arn) if arn.__class__ is str else None
        if ref is None or ref.name != entry.get("PolicyName"):
            return None
        refs.append(ref)
    return refs


def _fast_boundary(value: object, shared: dict) -> PolicyRef | None:
    if value.__class__ is not dict:
        return None
    arn = value.get("PermissionsBoundaryArn")  # type: ignore[union-attr]
    return shared.get(arn) if arn.__class__ is str else None


def _fast_tags(tags: object) -> dict | None:
    if not tags:
        return {} if tags is None or tags == [] or tags == {} else None
    if tags.__class__ is not list:
        return None
    result = {}
    for tag in tags:  # type: ignore[attr-defined]
        if tag.__class__ is not dict:
            return None
        key = tag.get("Key")
        value = tag.get("Value")
        if key.__class__ is not str or value.__class__ is not str:
            return None
        result[key] = value
    return result


def _careful_role(item: object, i: int, ctx: FileCtx, build: Build, acct: Account, duplicates: list[str]) -> None:
    file = ctx.file
    where = f"$.RoleDetailList[{i}]"
    ident = _identity(item, "RoleName", "RoleId", ":role/", "role", ctx, where, build)
    if ident is None:
        return
    assert isinstance(item, dict)
    arn, name, role_id, owner_acct = ident
    roles = owner_acct.roles
    if arn in roles:
        duplicates.append(arn)
        return
    owner = f"role {name}"
    trust = item.get("AssumeRolePolicyDocument")
    if trust.__class__ is not dict:
        trust, problem = _decode(trust)
        if problem is not None:
            if item.get("AssumeRolePolicyDocument") is None:
                problem = "the role has no AssumeRolePolicyDocument (trust policy)"
            ctx.error(f"{where}.AssumeRolePolicyDocument", problem,
                      skipped=f"trust policy of {owner} (the role is kept; no one is shown able to assume it)")
    profiles: list[str] = []
    raw_profiles = item.get("InstanceProfileList")
    if raw_profiles:
        if raw_profiles.__class__ is list:
            for j, profile in enumerate(raw_profiles):
                profile_arn = profile.get("Arn") if profile.__class__ is dict else None
                if profile_arn.__class__ is str:
                    profiles.append(profile_arn)  # type: ignore[arg-type]
                else:
                    ctx.warning(f"{where}.InstanceProfileList[{j}]", "an instance profile without an Arn",
                                skipped="instance profile")
        else:
            ctx.warning(f"{where}.InstanceProfileList", f"expected a list, found {kind_of(raw_profiles)}",
                        skipped=f"instance profiles of {owner}")
    last_used = last_region = None
    raw_last = item.get("RoleLastUsed")
    if raw_last:
        if raw_last.__class__ is dict:
            last_used = get_time(raw_last, "LastUsedDate", ctx, f"{where}.RoleLastUsed")
            last_region = get_str(raw_last, "Region", ctx, f"{where}.RoleLastUsed") or None
        else:
            ctx.warning(f"{where}.RoleLastUsed", f"expected an object, found {kind_of(raw_last)}; ignored")
    role = Role(
        name=name, arn=arn, role_id=role_id, account_id=owner_acct.id, path=get_str(item, "Path", ctx, where, "/"),
        trust_policy=trust,  # type: ignore[arg-type]
        inline_policies=_inline(item, "RolePolicyList", ctx, where, owner),
        attached_policies=_attached(item, ctx, where, build, owner_acct, owner),
        permissions_boundary=_boundary(item, ctx, where, build, owner_acct, owner),
        tags=get_tags(item, ctx, where),
        instance_profiles=profiles,
        last_used=last_used, last_used_region=last_region,
        description=get_str(item, "Description", ctx, where),
        create_date=get_time(item, "CreateDate", ctx, where),
        source=f"{file}#{where}")
    if "MaxSessionDuration" in item:  # not in GAAD itself; present when list-roles data was merged in
        seconds = item["MaxSessionDuration"]
        if valid_max_session(seconds):
            role.max_session_duration = seconds
            role.max_session_duration_known = True
        else:
            ctx.warning(f"{where}.MaxSessionDuration", f"expected 3600..43200 seconds, found {short(seconds)}; "
                                                       f"{DEFAULT_MAX_SESSION_SECONDS} assumed")
    roles[arn] = role


def valid_max_session(seconds: object) -> bool:
    return seconds.__class__ is int and 3600 <= seconds <= 43200  # type: ignore[operator]
