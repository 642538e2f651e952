"""Principal matching (spec M3, M4, E4): which principals a `Principal`/`NotPrincipal` element names, and how.

`match_principal` classifies the match against the caller the way the decision needs it (§12):
  "direct"  names the calling IAM user, the exact role-session or federated-user ARN, a service / federated
            provider, or "*";
  "entity"  names the role behind a role session, or the IAM user behind a federated-user session;
  "account" names the caller's account (root ARN or bare id): delegation to the account's IAM;
  None      no match.
Unique-ID principals (`AIDA…`, `AROA…`) match only the entity whose UserId/RoleId they are (M4); a unique ID
that belongs to no known entity is dangling and matches nothing (reported).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping

from explorer.iam.arns import parse_arn
from explorer.iam.principal import (FEDERATED_USER, IAM_USER, IAM_USER_STS, ROLE_SESSION, ROOT, SERVICE,
                                    Principal)

DIRECT, ENTITY, ACCOUNT = "direct", "entity", "account"
_RANK = {None: 0, ACCOUNT: 1, ENTITY: 2, DIRECT: 3}

PRINCIPAL_KEYS = ("AWS", "Service", "Federated", "CanonicalUser")
_ACCOUNT_ID = re.compile(r"^\d{12}$")
UNIQUE_ID = re.compile(r"^A[A-Z0-9]{3}[A-Z0-9]{12,}$")
_UNIQUE_PREFIXES = ("AIDA", "AROA", "AIPA", "ANPA", "ANVA", "AGPA", "ASIA", "AKIA", "APKA", "ASCA", "ABIA", "ACCA")


def looks_like_unique_id(value: str) -> bool:
    return bool(UNIQUE_ID.match(value)) and value[:4] in _UNIQUE_PREFIXES


def stronger(a: str | None, b: str | None) -> str | None:
    return a if _RANK[a] >= _RANK[b] else b


@dataclass
class PrincipalSpec:
    """A compiled Principal or NotPrincipal element."""
    any: bool = False
    accounts: set = field(default_factory=set)
    users: set = field(default_factory=set)
    roles: set = field(default_factory=set)  # (account, role name)
    sessions: set = field(default_factory=set)
    federated_users: set = field(default_factory=set)
    unique_ids: set = field(default_factory=set)
    services: set = field(default_factory=set)
    federated: set = field(default_factory=set)
    canonical: set = field(default_factory=set)
    problems: list = field(default_factory=list)  # make the statement invalid
    warnings: list = field(default_factory=list)  # entries that can match nothing (reported, not fatal)
    raw: object = None

    @property
    def names_any(self) -> bool:
        return self.any


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def compile_principal(element, where: str) -> PrincipalSpec:
    spec = PrincipalSpec(raw=element)
    if element == "*":
        spec.any = True
        return spec
    if not isinstance(element, dict) or not element:
        spec.problems.append(f"{where} must be \"*\" or an object with AWS/Service/Federated/CanonicalUser")
        return spec
    for key, value in element.items():
        if key not in PRINCIPAL_KEYS:
            spec.problems.append(f"{where} has unknown key {key!r} (expected one of {', '.join(PRINCIPAL_KEYS)})")
            continue
        values = _as_list(value)
        if not values:
            spec.problems.append(f"{where}.{key} is empty")
        for v in values:
            if not isinstance(v, str) or not v:
                spec.problems.append(f"{where}.{key} value {v!r} is not a non-empty string")
                continue
            if key == "AWS":
                _add_aws(spec, v, where)
            elif key == "Service":
                if v == "*":
                    spec.any = True
                elif "*" in v or "?" in v:
                    spec.problems.append(f"{where}.Service {v!r}: partial wildcards are not allowed in principals")
                else:
                    spec.services.add(v.lower())
            elif key == "Federated":
                if "*" in v and v != "*":
                    spec.problems.append(f"{where}.Federated {v!r}: partial wildcards are not allowed")
                elif v == "*":
                    spec.any = True
                else:
                    spec.federated.add(v)
            else:
                if v == "*":
                    spec.any = True
                else:
                    spec.canonical.add(v)
    return spec


def _add_aws(spec: PrincipalSpec, v: str, where: str) -> None:
    if v == "*":
        spec.any = True
        return
    if "*" in v or "?" in v:
        spec.problems.append(f"{where}.AWS {v!r}: partial wildcards are not allowed in principals (M3)")
        return
    if _ACCOUNT_ID.match(v):
        spec.accounts.add(v)
        return
    if looks_like_unique_id(v):
        spec.unique_ids.add(v)
        return
    arn = parse_arn(v)
    if arn is None or not arn.account:
        spec.warnings.append(f"{where}.AWS {v!r} is not an account id, ARN or unique id; it matches nothing")
        return
    res = arn.resource
    if arn.service == "iam" and res == "root":
        spec.accounts.add(arn.account)
    elif arn.service == "iam" and res.startswith("user/"):
        spec.users.add(v)
    elif arn.service == "iam" and res.startswith("role/"):
        spec.roles.add((arn.account, res.rsplit("/", 1)[-1]))
    elif arn.service == "sts" and res.startswith("assumed-role/"):
        spec.sessions.add(v)
    elif arn.service == "sts" and res.startswith("federated-user/"):
        spec.federated_users.add(v)
    else:
        spec.warnings.append(f"{where}.AWS {v!r} is not a user, role, session, federated-user or account ARN; "
                             f"it matches nothing")


def role_key(role_arn: str | None) -> tuple[str, str] | None:
    arn = parse_arn(role_arn or "")
    if arn is None:
        return None
    if arn.service == "iam" and arn.resource.startswith("role/"):
        return arn.account, arn.resource.rsplit("/", 1)[-1]
    if arn.service == "sts" and arn.resource.startswith("assumed-role/"):
        parts = arn.resource.split("/")
        if len(parts) >= 2:
            return arn.account, parts[1]
    return None


def match_principal(spec: PrincipalSpec, principal: Principal,
                    unique_ids: Mapping[str, str] | None = None,
                    notes: list | None = None) -> str | None:
    """How `spec` names `principal`: DIRECT, ENTITY, ACCOUNT or None (see module doc)."""
    if spec.any:
        return DIRECT
    kind = principal.kind
    arn = principal.arn
    best: str | None = None
    if kind == SERVICE:
        if arn.lower() in spec.services:
            return DIRECT
    if arn in spec.federated or arn in spec.canonical:
        return DIRECT
    if kind in (IAM_USER, IAM_USER_STS):
        if arn in spec.users:
            return DIRECT
    elif kind == ROLE_SESSION:
        if arn in spec.sessions:
            return DIRECT
        if spec.roles:
            rk = role_key(principal.role_arn or arn)
            if rk in spec.roles:
                best = ENTITY
    elif kind == FEDERATED_USER:
        if arn in spec.federated_users:
            return DIRECT
        if principal.user_arn and principal.user_arn in spec.users:
            best = ENTITY
    if spec.unique_ids:
        for uid in spec.unique_ids:
            hit = _match_unique_id(uid, principal, unique_ids, notes)
            best = stronger(best, hit)
    if best is None and principal.account_id and principal.account_id in spec.accounts and kind in (
            ROOT, IAM_USER, IAM_USER_STS, ROLE_SESSION, FEDERATED_USER):
        best = ACCOUNT
    return best


def not_principal_excludes(spec: PrincipalSpec, principal: Principal,
                           unique_ids: Mapping[str, str] | None = None, notes: list | None = None) -> bool:
    """Does a `NotPrincipal` element exclude the caller from its Deny (S8)?

    Only when it lists the caller's own identity: the IAM user, the exact assumed-role session, the federated-user
    session, the service, or (for the root user) the account. Listing the account or the role alone excludes only
    the account or role principal, not the users and sessions in it. AWS may also check the caller's account (and
    for a session its role) first, depending on the service: when those are not listed too, the exclusion is
    reported in `notes` as possibly not holding.
    """
    if spec.any:
        return True
    kind = principal.kind
    arn = principal.arn
    own = False
    if kind == SERVICE:
        own = arn.lower() in spec.services
    elif arn in spec.federated or arn in spec.canonical:
        own = True
    elif kind in (IAM_USER, IAM_USER_STS):
        own = arn in spec.users or any(_match_unique_id(u, principal, unique_ids, None) == DIRECT
                                       for u in spec.unique_ids)
    elif kind == ROLE_SESSION:
        own = arn in spec.sessions
    elif kind == FEDERATED_USER:
        own = arn in spec.federated_users
    elif kind == ROOT:
        own = bool(principal.account_id) and principal.account_id in spec.accounts
    if own and notes is not None and kind in (IAM_USER, IAM_USER_STS, ROLE_SESSION, FEDERATED_USER):
        missing = []
        if principal.account_id not in spec.accounts:
            missing.append(f"its account (arn:aws:iam::{principal.account_id}:root)")
        if kind == ROLE_SESSION:
            rk = role_key(principal.role_arn or arn)
            if rk not in spec.roles and not any(_match_unique_id(u, principal, unique_ids, None) == ENTITY
                                                for u in spec.unique_ids):
                missing.append(f"its role ({principal.role_arn or rk})")
        if missing:
            notes.append(f"NotPrincipal excludes {arn} from a Deny but does not list {' or '.join(missing)}: "
                         f"depending on the service AWS may check those first and deny (S8)")
    return own


def _match_unique_id(uid: str, principal: Principal, unique_ids: Mapping[str, str] | None,
                     notes: list | None) -> str | None:
    kind = principal.kind
    if principal.unique_id and principal.unique_id == uid:
        if kind in (IAM_USER, IAM_USER_STS):
            return DIRECT
        if kind == ROLE_SESSION:
            return ENTITY
    if unique_ids is not None:
        target = unique_ids.get(uid)
        if target is None:
            if notes is not None:
                notes.append(f"dangling unique-ID principal {uid}: no entity has this id, it matches nothing (M4)")
            return None
        if kind in (IAM_USER, IAM_USER_STS) and target == principal.arn:
            return DIRECT
        if kind == ROLE_SESSION and role_key(target) is not None and role_key(target) == role_key(
                principal.role_arn or principal.arn):
            return ENTITY
        return None
    if notes is not None and not principal.unique_id:
        notes.append(f"unique-ID principal {uid} matches only the entity with that id; the caller's id is not "
                     f"known, so it does not match (M4)")
    elif notes is not None:
        notes.append(f"unique-ID principal {uid} is not the caller's id {principal.unique_id}; "
                     f"it may be dangling (M4)")
    return None
