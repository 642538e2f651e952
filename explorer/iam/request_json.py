"""The `simulate` request format (interfaces.md §2) -> `Request`.

    parse_request(data, file=None) -> Request          raises RequestError naming the file and the JSON path

Besides the documented fields, a request may carry (all optional):
  "principal_kind"              one of the principal kinds of explorer.iam.principal (e.g. "iam_user_sts" for
                                GetSessionToken credentials of a user, "federated_provider")
  "principal_role_arn"          the role ARN (with path) behind an assumed-role session ARN
  "principal_user_arn"          the IAM user behind a federated-user session
  "principal_unique_id"         UserId / RoleId of the caller;  "unique_ids": {"AROA...": "arn:..."}
  "principal_tags"              {"key": "value"}: the caller's principal tags (aws:PrincipalTag/*)
  "principal_is_service_linked" true for a service-linked role (also recognised from the aws-service-role/ path)
  "resource_is_aws_managed_key" true for an AWS managed KMS key
  "parameters"                  STS call parameters: ExternalId, Tags, TransitiveTagKeys, SourceIdentity,
                                RoleSessionName, SerialNumber + TokenCode (they become context keys, T9, K3)
  "via"                         "api" (default) or "console": console role switching cannot pass ExternalId
  "resource_tags"               {"key": "value"}: tags of the resource (aws:ResourceTag/*; for AssumeRole the role's)
  "caller_transitive_tags"      {"key": "value"}: transitive session tags the caller inherited (D11): they
                                replace the role's aws:ResourceTag/<key> and passing the same key fails
  "caller_transitive_tag_keys"  ["key"]: inherited transitive tag keys whose values are not given
  "open_context"                true: context keys that are not given are unknown (the answer then lists the
                                requirements) instead of absent
"""
from __future__ import annotations

import json
import re
import urllib.parse

from explorer.errors import RequestError
from explorer.iam.arns import account_of, parse_arn
from explorer.iam.context import Context
from explorer.iam.context_values import check_value
from explorer.iam.policy import Policy, compile_policy
from explorer.iam.principal import (ANONYMOUS, FEDERATED_PROVIDER, FEDERATED_USER, IAM_USER, PRINCIPAL_KINDS,
                                    ROLE_SESSION, ROOT, SERVICE, Principal)
from explorer.iam.request import Request
from explorer.iam.settings import Settings

_ACCOUNT = re.compile(r"^\d{12}$")
_SERVICE = re.compile(r"^[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?$")
WELL_KNOWN_IDPS = ("cognito-identity.amazonaws.com", "accounts.google.com", "graph.facebook.com", "www.amazon.com")
_WEB_ACTIONS = ("sts:assumerolewithsaml", "sts:assumerolewithwebidentity")
KNOWN_FIELDS = {
    "id", "principal", "action", "resource", "resource_account", "context", "identity_policies",
    "permissions_boundary", "session_policy", "scps", "rcps", "resource_policy",
    "principal_is_management_account", "resource_is_management_account", "settings", "principal_kind",
    "principal_role_arn", "principal_user_arn", "principal_unique_id", "unique_ids", "principal_tags",
    "principal_is_service_linked", "resource_is_aws_managed_key", "parameters", "via", "open_context",
    "resource_tags", "caller_transitive_tags", "caller_transitive_tag_keys",
    "expect", "description", "comment",
}


def _no_duplicates(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"duplicate key {key!r} in one object (a policy block must not repeat a key, G4)")
        seen[key] = value
    return seen


def loads_strict(text: str):
    """json.loads that rejects an object repeating a key (json.loads would silently keep the last one)."""
    return json.loads(text, object_pairs_hook=_no_duplicates)


class _Ctx:
    def __init__(self, file, policy_cache=None, source_file=None):
        self.file = file
        self.policy_cache = policy_cache
        self.source_file = source_file or file or "request"

    def error(self, where: str, msg: str) -> RequestError:
        return RequestError(msg, file=self.file, where=where)


def _str(c: _Ctx, data: dict, key: str, *, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            raise c.error(f"$.{key}", f"{key} is required")
        return None
    if not isinstance(value, str) or not value:
        raise c.error(f"$.{key}", f"{key} must be a non-empty string")
    return value


def _bool(c: _Ctx, data: dict, key: str) -> bool:
    value = data.get(key, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise c.error(f"$.{key}", f"{key} must be true or false")
    return value


def decode_document(value, c: _Ctx, where: str):
    """A policy document given as an object, a JSON string or a URL-encoded JSON string."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        for text in (value, urllib.parse.unquote(value)):
            try:
                doc = loads_strict(text)
            except ValueError as exc:
                if "duplicate key" in str(exc):
                    raise c.error(where, str(exc)) from None
                continue
            if isinstance(doc, dict):
                return doc
        raise c.error(where, "policy document string is not (URL-encoded) JSON of an object")
    raise c.error(where, "a policy document must be an object, a JSON string or a URL-encoded JSON string")


def _policy(value, c: _Ctx, where: str, *, kind: str, name: str) -> Policy:
    if c.policy_cache is None:
        return _compile(value, c, where, kind=kind, name=name)
    try:
        key = (json.dumps(value, sort_keys=True), kind, name)
    except (TypeError, ValueError):
        return _compile(value, c, where, kind=kind, name=name)
    hit = c.policy_cache.get(key)
    if hit is None:
        if len(c.policy_cache) > 10000:
            c.policy_cache.clear()
        hit = c.policy_cache[key] = _compile(value, c, where, kind=kind, name=name)
    return hit


def _compile(value, c: _Ctx, where: str, *, kind: str, name: str) -> Policy:
    if isinstance(value, dict) and "PolicyDocument" in value:
        pname = value.get("PolicyName") or value.get("PolicyArn") or name
        if not isinstance(pname, str):
            raise c.error(f"{where}.PolicyName", "PolicyName must be a string")
        return compile_policy(decode_document(value["PolicyDocument"], c, f"{where}.PolicyDocument"),
                              name=pname, kind=kind, source=f"{c.source_file}#{where}")
    return compile_policy(decode_document(value, c, where), name=name, kind=kind,
                          source=f"{c.source_file}#{where}")


def _policy_list(value, c: _Ctx, where: str, *, kind: str, name: str) -> list[Policy]:
    if value is None:
        return []
    if isinstance(value, (dict, str)):
        value = [value]
    if not isinstance(value, list):
        raise c.error(where, "must be a list of policy documents")
    return [_policy(v, c, f"{where}[{i}]", kind=kind, name=f"{name} {i + 1}" if len(value) > 1 else name)
            for i, v in enumerate(value)]


def _levels(value, c: _Ctx, key: str, kind: str, label: str):
    if value is None:
        return None
    if not isinstance(value, list):
        raise c.error(f"$.{key}", f"{key} must be a list of levels (root first), each a list of policies, or null")
    levels = []
    n = len(value)
    for i, level in enumerate(value):
        lname = "root" if i == 0 else ("account" if i == n - 1 else f"OU {i}")
        levels.append(_policy_list(level, c, f"$.{key}[{i}]", kind=kind, name=f"{label} {lname}"))
    return levels


def _context_values(raw, c: _Ctx, where: str):
    if raw is None:
        return None
    if isinstance(raw, list):
        out = []
        for i, v in enumerate(raw):
            if isinstance(v, (dict, list)) or v is None:
                raise c.error(f"{where}[{i}]", "context values must be strings or lists of strings")
            out.append(_scalar(v))
        return out
    if isinstance(raw, dict):
        raise c.error(where, "context values must be strings or lists of strings")
    return _scalar(raw)


def _scalar(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def principal_from_arn(arn: str, *, action: str = "", kind: str | None = None, role_arn: str | None = None,
                       user_arn: str | None = None, unique_id: str | None = None, tags=(),
                       service_linked: bool | None = None) -> Principal:
    """Build a Principal from the request's principal string (raises ValueError with a reason)."""
    action = action.lower()
    if arn == "*":
        return Principal("*", kind or ANONYMOUS, None, unique_id=unique_id, tags=tuple(tags))
    if arn in WELL_KNOWN_IDPS and (action in _WEB_ACTIONS or kind == FEDERATED_PROVIDER):
        return Principal(arn, FEDERATED_PROVIDER, None)
    if _SERVICE.match(arn):
        return Principal(arn, kind or SERVICE, None)
    parsed = parse_arn(arn)
    if parsed is None:
        raise ValueError(f"{arn!r} is not a user, role, assumed-role session, federated-user, root, "
                         f"identity-provider or service principal, nor \"*\"")
    acct = parsed.account
    res = parsed.resource
    slr = False
    if parsed.service == "iam" and res == "root":
        p = Principal(arn, kind or ROOT, acct, tags=tuple(tags))
    elif parsed.service == "iam" and res.startswith("user/"):
        p = Principal(arn, kind or IAM_USER, acct, unique_id=unique_id, tags=tuple(tags))
    elif parsed.service == "iam" and res.startswith("role/"):
        name = res.rsplit("/", 1)[-1]
        slr = res.startswith("role/aws-service-role/")
        session = f"arn:{parsed.partition}:sts::{acct}:assumed-role/{name}/session"
        p = Principal(session, kind or ROLE_SESSION, acct, role_arn=arn, unique_id=unique_id, tags=tuple(tags),
                      is_service_linked=slr)
    elif parsed.service == "sts" and res.startswith("assumed-role/"):
        parts = res.split("/")
        if len(parts) < 3 or not parts[1] or not parts[2]:
            raise ValueError(f"{arn!r}: an assumed-role ARN is arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION")
        slr = parts[1].startswith("AWSServiceRoleFor")
        rarn = role_arn or f"arn:{parsed.partition}:iam::{acct}:role/{parts[1]}"
        slr = slr or "/aws-service-role/" in rarn
        p = Principal(arn, kind or ROLE_SESSION, acct, role_arn=rarn, unique_id=unique_id, tags=tuple(tags),
                      is_service_linked=slr)
    elif parsed.service == "sts" and res.startswith("federated-user/"):
        p = Principal(arn, kind or FEDERATED_USER, acct, user_arn=user_arn, unique_id=unique_id, tags=tuple(tags))
    elif parsed.service == "iam" and (res.startswith("saml-provider/") or res.startswith("oidc-provider/")):
        p = Principal(arn, FEDERATED_PROVIDER, acct)
    else:
        raise ValueError(f"{arn!r} is not a user, role, assumed-role session, federated-user, root or "
                         f"identity-provider ARN")
    if service_linked is not None and service_linked != p.is_service_linked:
        p = Principal(p.arn, p.kind, p.account_id, p.role_arn, p.user_arn, p.unique_id, service_linked, p.tags)
    return p


def parse_request(data, *, file: str | None = None, policy_cache: dict | None = None,
                  source_file: str | None = None) -> Request:
    """`file` names the request in error messages. `policy_cache`: a dict shared by many calls (batch mode) so that
    identical policy documents are compiled once. `source_file` (default `file`) is the file named in the
    compiled policies' `source` ("<file>#<JSON path>")."""
    c = _Ctx(file, policy_cache, source_file)
    if not isinstance(data, dict):
        raise c.error("$", "a request must be a JSON object")
    for key in data:
        if key not in KNOWN_FIELDS:
            raise c.error(f"$.{key}", f"unknown request field {key!r}")
    principal_s = _str(c, data, "principal", required=True)
    action = _str(c, data, "action", required=True)
    if action != "*" and ":" not in action:
        raise c.error("$.action", f"action {action!r} must be service:Name")
    resource = _str(c, data, "resource", required=True)
    kind = _str(c, data, "principal_kind")
    if kind is not None and kind not in PRINCIPAL_KINDS:
        raise c.error("$.principal_kind", f"principal_kind must be one of {', '.join(PRINCIPAL_KINDS)}")
    tags_raw = data.get("principal_tags") or {}
    if not isinstance(tags_raw, dict) or not all(isinstance(v, str) for v in tags_raw.values()):
        raise c.error("$.principal_tags", "principal_tags must be an object of string values")
    slr = data.get("principal_is_service_linked")
    if slr is not None and not isinstance(slr, bool):
        raise c.error("$.principal_is_service_linked", "must be true or false")
    try:
        principal = principal_from_arn(
            principal_s, action=action, kind=kind, role_arn=_str(c, data, "principal_role_arn"),
            user_arn=_str(c, data, "principal_user_arn"), unique_id=_str(c, data, "principal_unique_id"),
            tags=tuple(sorted(tags_raw.items())), service_linked=slr)
    except ValueError as exc:
        raise c.error("$.principal", str(exc)) from None
    resource_account = _str(c, data, "resource_account")
    if resource_account is not None and not _ACCOUNT.match(resource_account):
        raise c.error("$.resource_account", "resource_account must be a 12-digit account id")
    if resource_account is None:
        resource_account = account_of(resource) or principal.account_id

    # context, plus STS parameters (T9, K3)
    ctx_raw = data.get("context") or {}
    if not isinstance(ctx_raw, dict):
        raise c.error("$.context", "context must be an object of key: string or list of strings")
    values: dict = {}
    mfa_token = False
    params = data.get("parameters") or {}
    if not isinstance(params, dict):
        raise c.error("$.parameters", "parameters must be an object")
    via = data.get("via", "api")
    if via not in ("api", "console"):
        raise c.error("$.via", "via must be \"api\" or \"console\"")
    for pkey, pval in params.items():
        where = f"$.parameters.{pkey}"
        if pkey == "ExternalId":
            if via != "console":
                values["sts:ExternalId"] = _context_values(pval, c, where)
        elif pkey == "Tags":
            tags = _tags(pval, c, where)
            for k, v in tags.items():
                values[f"aws:RequestTag/{k}"] = v
            values["aws:TagKeys"] = list(tags)
        elif pkey == "TransitiveTagKeys":
            values["sts:TransitiveTagKeys"] = _context_values(pval, c, where)
        elif pkey == "SourceIdentity":
            values["sts:SourceIdentity"] = _context_values(pval, c, where)
        elif pkey == "RoleSessionName":
            values["sts:RoleSessionName"] = _context_values(pval, c, where)
        elif pkey in ("SerialNumber", "TokenCode"):
            mfa_token = bool(params.get("SerialNumber")) and bool(params.get("TokenCode"))
        elif pkey == "DurationSeconds":
            pass  # durations are the session rules' business (explorer.iam.sessions)
        else:
            raise c.error(where, f"unknown STS parameter {pkey!r}")
    inherited: list[str] = []
    for field_name in ("resource_tags", "caller_transitive_tags"):
        tags = data.get(field_name) or {}
        if not isinstance(tags, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in tags.items()):
            raise c.error(f"$.{field_name}", f"{field_name} must be an object of string values")
        for k, v in tags.items():
            values[f"aws:ResourceTag/{k}"] = v
        if field_name == "caller_transitive_tags":
            inherited.extend(tags)
    keys_raw = data.get("caller_transitive_tag_keys") or []
    if not isinstance(keys_raw, list) or not all(isinstance(k, str) for k in keys_raw):
        raise c.error("$.caller_transitive_tag_keys", "caller_transitive_tag_keys must be a list of strings")
    inherited.extend(keys_raw)
    for key, raw in ctx_raw.items():
        if not isinstance(key, str) or not key:
            raise c.error("$.context", "context keys must be non-empty strings")
        values[key] = _context_values(raw, c, f"$.context.{key}")
        check_value(key, values[key], error=RequestError, file=c.file, where=f"$.context.{key}")
    open_context = _bool(c, data, "open_context")
    context = Context(values, closed=not open_context)

    unique_ids = data.get("unique_ids")
    if unique_ids is not None and (not isinstance(unique_ids, dict) or
                                   not all(isinstance(v, str) for v in unique_ids.values())):
        raise c.error("$.unique_ids", "unique_ids must be an object of unique id: ARN")
    try:
        settings = Settings.from_json(data.get("settings"))
    except RequestError as exc:
        raise c.error("$.settings", exc.bare_message) from None

    is_assume = action.lower().startswith("sts:assumerole") or action.lower() in ("sts:tagsession",
                                                                                  "sts:setsourceidentity")
    return Request(
        principal=principal, action=action, resource=resource, context=context,
        resource_account=resource_account,
        identity_policies=_policy_list(data.get("identity_policies"), c, "$.identity_policies", kind="identity",
                                       name="identity policy"),
        permissions_boundary=(_policy(data["permissions_boundary"], c, "$.permissions_boundary", kind="boundary",
                                      name="permissions boundary")
                              if data.get("permissions_boundary") is not None else None),
        session_policy=(_policy_list(data["session_policy"], c, "$.session_policy", kind="session",
                                     name="session policy") if data.get("session_policy") is not None else None),
        scps=_levels(data.get("scps"), c, "scps", "scp", "SCP"),
        rcps=_levels(data.get("rcps"), c, "rcps", "rcp", "RCP"),
        resource_policy=(_policy(data["resource_policy"], c, "$.resource_policy",
                                 kind="trust" if is_assume else "resource",
                                 name="trust policy" if is_assume else "resource policy")
                         if data.get("resource_policy") is not None else None),
        principal_is_management_account=_bool(c, data, "principal_is_management_account"),
        resource_is_management_account=_bool(c, data, "resource_is_management_account"),
        settings=settings,
        unique_ids=unique_ids,
        mfa_token_passed=mfa_token,
        resource_is_aws_managed_key=_bool(c, data, "resource_is_aws_managed_key"),
        inherited_transitive_tag_keys=tuple(dict.fromkeys(inherited)),
    )


def _tags(value, c: _Ctx, where: str) -> dict:
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = []
        for i, t in enumerate(value):
            if not isinstance(t, dict) or "Key" not in t or "Value" not in t:
                raise c.error(f"{where}[{i}]", "a tag is {\"Key\": ..., \"Value\": ...}")
            items.append((t["Key"], t["Value"]))
    else:
        raise c.error(where, "Tags must be a list of {Key, Value} or an object")
    out = {}
    for k, v in items:
        if not isinstance(k, str) or not isinstance(v, str):
            raise c.error(where, "tag keys and values must be strings")
        out[k] = v
    return out
