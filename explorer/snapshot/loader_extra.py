"""The optional per-account files (roles.json, identity-providers.json, resource-policies.json) and
manifest.json."""
from __future__ import annotations

from explorer.snapshot.loader_common import (Build, FileCtx, get_list, get_str, get_time, is_account_id, kind_of,
                                             parse_time, short)
from explorer.snapshot.model import (DEFAULT_MAX_SESSION_SECONDS, Account, Gap, Manifest, OidcProvider,
                                     ResourcePolicy, SamlProvider, account_of_arn)
from explorer.snapshot.policy_document import try_decode_policy_document


def _items(doc: object, key: str, ctx: FileCtx, what: str) -> tuple[list, str]:
    """The item list of a file that is `{key: [...]}` or a bare list; ([], "") after reporting otherwise."""
    if doc.__class__ is list:
        return doc, "$"  # type: ignore[return-value]
    if doc.__class__ is dict:
        if key not in doc:  # type: ignore[operator]
            ctx.error("$", f"expected an object with {key!r} (or a list of {what})", skipped="file")
            return [], ""
        items = doc[key]  # type: ignore[index]
        if items is None:
            return [], f"$.{key}"
        if items.__class__ is not list:
            ctx.error(f"$.{key}", f"expected a list of {what}, found {kind_of(items)}", skipped="file")
            return [], ""
        return items, f"$.{key}"
    ctx.error("$", f"expected an object with {key!r} (or a list of {what}), found {kind_of(doc)}", skipped="file")
    return [], ""


# --- roles.json (`aws iam list-roles`) ---------------------------------------------------------------------

def load_roles_json(doc: object, ctx: FileCtx, build: Build, acct: Account) -> None:
    items, base = _items(doc, "Roles", ctx, "roles")
    if not base:
        return
    build.roles_json_accounts.add(acct.id)
    by_name = None
    own_roles = acct.roles
    unknown: list[str] = []
    for i, item in enumerate(items):
        if item.__class__ is not dict:
            ctx.error(f"{base}[{i}]", f"expected a role object, found {kind_of(item)}", skipped="role entry")
            continue
        arn = item.get("Arn")
        role = None
        if arn.__class__ is str:
            role = own_roles.get(arn)
            if role is None:
                owner = build.accounts.get(account_of_arn(arn) or "")  # type: ignore[arg-type]
                role = owner.roles.get(arn) if owner is not None else None
        if role is None:
            name = item.get("RoleName")
            if name.__class__ is str:
                if by_name is None:
                    by_name = {r.name: r for r in acct.roles.values()}
                role = by_name.get(name) if arn is None else None
        if role is None:
            label = arn if arn.__class__ is str else item.get("RoleName")
            if label.__class__ is not str:
                ctx.error(f"{base}[{i}]", "a role entry without Arn or RoleName", skipped="role entry")
            else:
                unknown.append(label)  # type: ignore[arg-type]
            continue
        seconds = item.get("MaxSessionDuration")
        if seconds.__class__ is int and 3600 <= seconds <= 43200:  # type: ignore[operator]
            role.max_session_duration = seconds
            role.max_session_duration_known = True
        elif seconds is not None:
            ctx.warning(f"{base}[{i}].MaxSessionDuration", f"expected 3600..43200 seconds, found {short(seconds)}; "
                                                       f"{DEFAULT_MAX_SESSION_SECONDS} assumed")
        if not role.description:
            description = item.get("Description")
            if description is not None:
                role.description = get_str(item, "Description", ctx, f"{base}[{i}]")
    if unknown:
        ctx.warning(base, f"{len(unknown)} role(s) are not in the account's authorization details and are ignored "
                          f"(first: {unknown[0]})", skipped=f"{len(unknown)} role entr(ies)")


# --- identity-providers.json -------------------------------------------------------------------------------

def load_identity_providers(doc: object, ctx: FileCtx, build: Build, acct: Account | None) -> None:
    """{"SAMLProviderList": [...], "OpenIDConnectProviderList": [...]} as the AWS CLI prints them, or a plain
    list of provider ARNs (or objects with "Arn"); each list may also hold bare ARNs."""
    entries: list[tuple[str, object]] = []
    if doc.__class__ is list:
        entries = [(f"$[{i}]", item) for i, item in enumerate(doc)]  # type: ignore[arg-type]
    elif doc.__class__ is dict:
        known = False
        for key in ("SAMLProviderList", "OpenIDConnectProviderList", "Providers"):
            if key in doc:  # type: ignore[operator]
                known = True
                for i, item in enumerate(get_list(doc, key, ctx, "$", f"all of {key}")):  # type: ignore[arg-type]
                    entries.append((f"$.{key}[{i}]", item))
        if not known:
            ctx.error("$", "expected SAMLProviderList and/or OpenIDConnectProviderList (or a list of provider ARNs)",
                      skipped="file")
            return
    else:
        ctx.error("$", f"expected an object or a list of provider ARNs, found {kind_of(doc)}", skipped="file")
        return
    for where, item in entries:
        if item.__class__ is str:
            arn, fields = item, {}
        elif item.__class__ is dict:
            arn, fields = item.get("Arn"), item  # type: ignore[union-attr]
        else:
            ctx.error(where, f"expected a provider ARN or object, found {kind_of(item)}", skipped="provider")
            continue
        account_id = account_of_arn(arn) if arn.__class__ is str else None  # type: ignore[arg-type]
        if account_id is None:
            ctx.error(f"{where}" + (".Arn" if fields else ""), f"not a provider ARN: {short(arn)}", skipped="provider")
            continue
        assert isinstance(arn, str)
        if acct is not None and acct.id != account_id:
            ctx.warning(where, f"the provider ARN names account {account_id}, not {acct.id}: loaded into {account_id}")
        owner = acct if acct is not None and acct.id == account_id else build.account(account_id)
        source = f"{ctx.file}#{where}"
        if ":saml-provider/" in arn:
            owner.saml_providers[arn] = SamlProvider(
                arn=arn, account_id=account_id, valid_until=get_time(fields, "ValidUntil", ctx, where),
                create_date=get_time(fields, "CreateDate", ctx, where), source=source)
        elif ":oidc-provider/" in arn:
            url = get_str(fields, "Url", ctx, where) or arn.split(":oidc-provider/", 1)[1]
            for prefix in ("https://", "http://"):
                if url.startswith(prefix):
                    url = url[len(prefix):]
            owner.oidc_providers[arn] = OidcProvider(
                arn=arn, account_id=account_id, url=url.rstrip("/"),
                client_ids=_strings(fields, "ClientIDList", ctx, where),
                thumbprints=_strings(fields, "ThumbprintList", ctx, where), source=source)
        else:
            ctx.error(where, f"neither a SAML nor an OIDC provider ARN: {short(arn)}", skipped="provider")


def _strings(item: dict, key: str, ctx: FileCtx, where: str) -> list[str]:
    value = item.get(key)
    if value is None:
        return []
    if value.__class__ is list and all(v.__class__ is str for v in value):
        return value
    if value.__class__ is str:
        return [value]
    ctx.warning(f"{where}.{key}", "expected a list of strings; ignored")
    return []


# --- resource-policies.json --------------------------------------------------------------------------------

def load_resource_policies(doc: object, ctx: FileCtx, build: Build, acct: Account) -> None:
    items, base = _items(doc, "ResourcePolicies", ctx, "resource policies")
    for i, item in enumerate(items):
        where = f"{base}[{i}]"
        if item.__class__ is not dict:
            ctx.error(where, f"expected a resource policy object, found {kind_of(item)}", skipped="resource policy")
            continue
        arn = item.get("Arn")
        if arn.__class__ is not str or not arn.startswith("arn:") or arn.count(":") < 5:
            ctx.error(f"{where}.Arn", f"missing or not an ARN: {short(arn)}", skipped="resource policy")
            continue
        policy = None
        raw = item.get("Policy")
        if raw is not None:
            policy, problem = try_decode_policy_document(raw)
            if problem is not None:
                ctx.error(f"{where}.Policy", problem, skipped=f"policy of {arn}")
                continue
        extra = {k: v for k, v in item.items() if k not in ("Arn", "Policy")}
        account_id = account_of_arn(arn) or acct.id  # S3 ARNs have no account: the folder's account owns it
        owner = acct if account_id == acct.id else build.account(account_id)
        if account_id != acct.id:
            ctx.warning(f"{where}.Arn", f"the ARN names account {account_id}, not {acct.id}: loaded into "
                                        f"{account_id}")
        owner.resource_policies[arn] = ResourcePolicy(
            arn=arn, account_id=account_id, policy=policy, service=arn.split(":", 3)[2], extra=extra,
            source=f"{ctx.file}#{where}")


# --- manifest.json -----------------------------------------------------------------------------------------

def load_manifest(doc: object, ctx: FileCtx) -> Manifest:
    manifest = Manifest()
    if doc.__class__ is not dict:
        ctx.error("$", f"expected a manifest object, found {kind_of(doc)}", skipped="manifest")
        return manifest
    assert isinstance(doc, dict)
    fmt = get_str(doc, "format", ctx, "$", manifest.format)
    if fmt != "iam-trust-snapshot":
        ctx.warning("$.format", f"unknown format {fmt!r} (expected 'iam-trust-snapshot'); read anyway")
    manifest.format = fmt
    version = doc.get("version", 1)
    if version.__class__ is int:
        manifest.version = version
        if version > 1:
            ctx.warning("$.version", f"format version {version} is newer than this program knows (1): fields it "
                                     "does not know are ignored")
    else:
        ctx.warning("$.version", f"expected a whole number, found {kind_of(version)}; 1 assumed")
    if doc.get("collected_at") is not None:
        manifest.collected_at = parse_time(doc.get("collected_at"))
        if manifest.collected_at is None:
            ctx.warning("$.collected_at", f"not an ISO 8601 timestamp: {short(doc.get('collected_at'))}")
    manifest.partition = get_str(doc, "partition", ctx, "$", manifest.partition)
    manifest.source = get_str(doc, "source", ctx, "$", manifest.source)
    for i, gap in enumerate(get_list(doc, "gaps", ctx, "$", "gaps")):
        where = f"$.gaps[{i}]"
        if gap.__class__ is dict:
            manifest.gaps.append(Gap(account=_text(gap.get("account")), what=_text(gap.get("what")),
                                     error=_text(gap.get("error"))))
        elif gap.__class__ is str:
            manifest.gaps.append(Gap(account="", what=gap, error=""))
        else:
            ctx.warning(where, f"expected a gap object, found {kind_of(gap)}", skipped="gap")
    accounts = doc.get("accounts")
    if accounts.__class__ is dict:
        for acct_id, entry in accounts.items():
            alias = entry.get("alias") if entry.__class__ is dict else None
            if alias and alias.__class__ is str:
                manifest.account_aliases[str(acct_id)] = alias
    elif accounts is not None:
        ctx.warning("$.accounts", f"expected an object of account entries, found {kind_of(accounts)}; ignored")
    return manifest


def _text(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else short(value, 200)


__all__ = ["load_roles_json", "load_identity_providers", "load_resource_policies", "load_manifest",
           "is_account_id"]
