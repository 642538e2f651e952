"""Callers of the trust graph: who sits at the source end of an edge, the engine `Principal` that stands for it,
its credential kind (for session rules), its compiled policies and the request-context keys the builder derives
for it (spec §10: presence rules).

Context rules (docs/trust-graph.md "Context"):
  - derived per request, never left unknown: aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType,
    aws:userid (users), aws:username, aws:PrincipalIsAWSService, aws:PrincipalServiceName, aws:ResourceAccount
    (FIXED: the analyst's context cannot change them), and aws:PrincipalOrgID, aws:PrincipalOrgPaths,
    aws:PrincipalTag/*, aws:ResourceOrgID, aws:ResourceOrgPaths, aws:ResourceTag/* (DEFAULTS: a value the analyst
    fixes wins, which is how "what if this principal were in the org / had this tag" is asked);
  - absent by the kind of credentials (FIXED): aws:TokenIssueTime for long-term keys and unsigned calls,
    aws:MultiFactorAuthPresent for SAML / web identity / service calls (K3) and for role sessions when the
    setting mfa_in_role_session is "never" (K4: present, false);
  - everything else (sts:ExternalId, aws:MultiFactorAuthPresent of users and of role sessions under "per_hop",
    aws:SourceIp, aws:CurrentTime, aws:TokenIssueTime of role sessions, sts:RoleSessionName, sts:SourceIdentity,
    aws:RequestTag/*, aws:userid of role sessions, SAML/OIDC claims, aws:SourceAccount/SourceArn of services)
    stays as the analyst's context has it: unknown unless fixed.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from explorer.graph import schema as S
from explorer.iam.context import UNKNOWN, Context, _norm_values
from explorer.iam.principal import (CRED_IAM_USER, CRED_OIDC, CRED_ROLE_SESSION, CRED_SAML, CRED_SERVICE,
                                    FEDERATED_PROVIDER, IAM_USER, ROLE_SESSION, SERVICE, Principal)
from explorer.iam.settings import MFA_NEVER

# Placeholder account of the "anyone" node: a principal of some account outside the snapshot.
ANY_ACCOUNT_PLACEHOLDER = "000000000000"
SESSION_PLACEHOLDER = "session"


class _SameName(dict):
    """Key names of a RequestContext: the lower-case key is its own name."""
    __slots__ = ()

    def __missing__(self, key):
        return key

    def __contains__(self, key) -> bool:
        return True


_SAME_NAME = _SameName()


def norm_dict(values: dict) -> dict:
    """Lower-case keys, values normalised as Context stores them (tuple of strings, or None for absent). (A
    string, the common case, is made a 1-tuple here: the same as _norm_values, without its checks; the graph
    normalises a few values for each of 100,000 principals.)"""
    out = {}
    for k, v in values.items():
        low = _LOWER.get(k)
        if low is None:
            low = k.lower()
            if len(_LOWER) < 65536:
                _LOWER[k] = low
        out[low] = (v,) if type(v) is str else None if v is None else _norm_values(v)
    return out


_LOWER: dict = {}  # context key names as written -> lower case (a few dozen distinct names)


class RequestContext(Context):
    """The context of one graph request: a merged dict of already normalised values (built without
    re-normalising ~30 keys per request), in which some keys are explicitly unknown even though the engine could
    derive them from the Principal (a caller outside the snapshot stands for "some principal of that account":
    its ARN is not known)."""
    __slots__ = ("_unknown",)

    def __init__(self, values=(), *, closed: bool = False, unknown: frozenset = frozenset()):
        super().__init__(values, closed=closed)
        self._unknown = frozenset(k for k in unknown if k not in self._values)

    @classmethod
    def merged(cls, values: dict, *, closed: bool = False, unknown: frozenset = frozenset()) -> "RequestContext":
        """values: lower-case keys -> normalised values (not copied: the caller hands over a fresh dict)."""
        obj = object.__new__(cls)
        obj._values = values
        obj._names = _SAME_NAME
        obj.closed = closed
        obj._hash = None
        obj._unknown = frozenset(k for k in unknown if k not in values) if unknown else frozenset()
        return obj

    def get(self, key: str):
        low = key.lower()
        if low in self._unknown:
            return UNKNOWN
        return super().get(key)

    def get_lower(self, low: str, default=None):
        if low in self._unknown:
            return UNKNOWN
        return self._values.get(low, default)

    def is_known(self, key: str) -> bool:
        return key.lower() not in self._unknown and super().is_known(key)

    def items(self):
        if self._names is _SAME_NAME:
            return list(self._values.items())  # keys are their own names
        return super().items()

    def keys(self):
        if self._names is _SAME_NAME:
            return list(self._values)
        return super().keys()


@dataclass
class Caller:
    node: str  # graph node id
    kind: str  # node kind (schema)
    principal: Principal
    credential: str  # CRED_* of a session obtained from this caller's first hop
    account_id: str | None
    policies: object | None = None  # PrincipalPolicies (IAM callers in the snapshot), else None
    fixed: dict = field(default_factory=dict)  # context keys the analyst cannot change
    defaults: dict = field(default_factory=dict)  # derived keys the analyst may override
    foreign: bool = False  # identity side outside the snapshot
    identity_side: bool = True  # False for SAML/OIDC/service (no identity-side evaluation, T8/T7)
    unknown: frozenset = frozenset()  # lower-case keys that stay unknown though the engine could derive them


def org_values(snapshot, account_id: str | None, prefix: str) -> dict:
    """aws:<prefix>OrgID / OrgPaths for an account: values when it is in the organization, absent otherwise."""
    if account_id is None:
        return {}
    cache = snapshot.__dict__.setdefault("_graph_org_values", {})
    got = cache.get((account_id, prefix))
    if got is None:
        got = cache[(account_id, prefix)] = _org_values(snapshot, account_id, prefix)
    return got


def _org_values(snapshot, account_id: str, prefix: str) -> dict:
    org = snapshot.organization
    if org is None or not org.contains(account_id):
        return {f"aws:{prefix}OrgID": None, f"aws:{prefix}OrgPaths": None}
    path = org.path_of(account_id)[:-1]  # root + OUs
    org_path = "/".join([org.id, *path]) + "/"
    return {f"aws:{prefix}OrgID": org.id, f"aws:{prefix}OrgPaths": [org_path]}


def tag_values(tags: dict[str, str] | None, referenced: set[str], prefix: str) -> dict:
    """aws:PrincipalTag/k (or aws:ResourceTag/k) for every tag key some policy refers to: the value when the
    entity has the tag (keys compared without case), absent otherwise."""
    lower = {k.lower(): v for k, v in (tags or {}).items()}
    out = {}
    for key in referenced:
        out[f"{prefix}{key}"] = lower.get(key)
    for k, v in (tags or {}).items():
        out[f"{prefix}{k}"] = v
    return out


def user_caller(snapshot, user, policies, tag_keys: set[str]) -> Caller:
    p = Principal(arn=user.arn, kind=IAM_USER, account_id=user.account_id, unique_id=user.user_id,
                  tags=tuple(sorted(user.tags.items())))
    fixed = {"aws:PrincipalArn": user.arn, "aws:PrincipalAccount": user.account_id, "aws:PrincipalType": "User",
             "aws:userid": user.user_id, "aws:username": user.name, "aws:PrincipalIsAWSService": "false",
             "aws:PrincipalServiceName": None, "aws:TokenIssueTime": None}
    defaults = {**org_values(snapshot, user.account_id, "Principal"),
                **tag_values(user.tags, tag_keys, "aws:PrincipalTag/")}
    return Caller(user.arn, S.USER, p, CRED_IAM_USER, user.account_id, policies, fixed, defaults)


def role_session_principal(role, session_arn: str | None = None) -> Principal:
    name = role.arn.split("/")[-1]
    arn = session_arn or f"arn:aws:sts::{role.account_id}:assumed-role/{name}/{SESSION_PLACEHOLDER}"
    return Principal(arn=arn, kind=ROLE_SESSION, account_id=role.account_id, role_arn=role.arn,
                     unique_id=role.role_id, is_service_linked=role.is_service_linked,
                     tags=tuple(sorted(role.tags.items())))


def role_caller(snapshot, role, policies, tag_keys: set[str], settings) -> Caller:
    fixed = {"aws:PrincipalArn": role.arn, "aws:PrincipalAccount": role.account_id,
             "aws:PrincipalType": "AssumedRole", "aws:username": None, "aws:PrincipalIsAWSService": "false",
             "aws:PrincipalServiceName": None}
    if settings.mfa_in_role_session == MFA_NEVER:
        fixed["aws:MultiFactorAuthPresent"] = "false"
    defaults = {**org_values(snapshot, role.account_id, "Principal"),
                **tag_values(role.tags, tag_keys, "aws:PrincipalTag/")}
    kind = S.SERVICE_LINKED_ROLE if role.is_service_linked else S.ROLE
    return Caller(role.arn, kind, role_session_principal(role), CRED_ROLE_SESSION, role.account_id, policies,
                  fixed, defaults, unknown=frozenset({"aws:userid"}))


_UNSIGNED_ABSENT = {"aws:PrincipalArn": None, "aws:PrincipalAccount": None, "aws:PrincipalOrgID": None,
                    "aws:PrincipalOrgPaths": None, "aws:PrincipalType": None, "aws:userid": None,
                    "aws:username": None, "aws:TokenIssueTime": None, "aws:MultiFactorAuthPresent": None}


def service_caller(service: str) -> Caller:
    p = Principal(arn=service, kind=SERVICE)
    fixed = {**_UNSIGNED_ABSENT, "aws:PrincipalIsAWSService": "true", "aws:PrincipalServiceName": service}
    return Caller(service, S.SERVICE, p, CRED_SERVICE, None, None, fixed, {}, identity_side=False)


def provider_caller(provider_id: str, kind: str) -> Caller:
    """A SAML or OIDC provider (or a well-known web identity provider): AssumeRoleWithSAML /
    AssumeRoleWithWebIdentity are not signed with AWS credentials, so there is no identity side (T8)."""
    p = Principal(arn=provider_id, kind=FEDERATED_PROVIDER)
    fixed = {**_UNSIGNED_ABSENT, "aws:PrincipalIsAWSService": "false", "aws:PrincipalServiceName": None}
    cred = CRED_SAML if kind == S.SAML_PROVIDER else CRED_OIDC
    return Caller(provider_id, kind, p, cred, None, None, fixed, {}, identity_side=False)


def foreign_principal_caller(snapshot, arn: str, account_id: str, kind: str) -> Caller:
    """A user or role ARN of an account outside the snapshot: its own policies are unknown."""
    if kind == S.ROLE:
        name = arn.split("/")[-1]
        p = Principal(arn=f"arn:aws:sts::{account_id}:assumed-role/{name}/{SESSION_PLACEHOLDER}",
                      kind=ROLE_SESSION, account_id=account_id, role_arn=arn)
        fixed = {"aws:PrincipalArn": arn, "aws:PrincipalAccount": account_id, "aws:PrincipalType": "AssumedRole",
                 "aws:username": None, "aws:PrincipalIsAWSService": "false", "aws:PrincipalServiceName": None}
        cred = CRED_ROLE_SESSION
    else:
        p = Principal(arn=arn, kind=IAM_USER, account_id=account_id)
        fixed = {"aws:PrincipalArn": arn, "aws:PrincipalAccount": account_id, "aws:PrincipalType": "User",
                 "aws:username": arn.split("/")[-1], "aws:PrincipalIsAWSService": "false",
                 "aws:PrincipalServiceName": None, "aws:TokenIssueTime": None}
        cred = CRED_IAM_USER
    return Caller(arn, kind, p, cred, account_id, None, fixed, org_values(snapshot, account_id, "Principal"),
                  foreign=True, unknown=frozenset({"aws:userid"}))


def foreign_account_caller(snapshot, account_id: str) -> Caller:
    """Some principal of an account outside the snapshot (user or role session: not known)."""
    p = Principal(arn=f"arn:aws:iam::{account_id}:user/any-principal", kind=IAM_USER, account_id=account_id)
    fixed = {"aws:PrincipalAccount": account_id, "aws:PrincipalIsAWSService": "false",
             "aws:PrincipalServiceName": None}
    return Caller(f"arn:aws:iam::{account_id}:root", S.FOREIGN_ACCOUNT, p, CRED_IAM_USER, account_id, None, fixed,
                  org_values(snapshot, account_id, "Principal"), foreign=True,
                  unknown=frozenset({"aws:principalarn", "aws:principaltype", "aws:userid", "aws:username"}))


def anyone_caller() -> Caller:
    """Any principal of any account outside the snapshot (public trusts). Everything about it is unknown."""
    p = Principal(arn=f"arn:aws:iam::{ANY_ACCOUNT_PLACEHOLDER}:user/any-principal", kind=IAM_USER,
                  account_id=ANY_ACCOUNT_PLACEHOLDER)
    fixed = {"aws:PrincipalIsAWSService": "false", "aws:PrincipalServiceName": None}
    return Caller(S.ANYONE_ID, S.ANYONE, p, CRED_IAM_USER, None, None, fixed, {}, foreign=True,
                  unknown=frozenset({"aws:principalarn", "aws:principalaccount", "aws:principaltype", "aws:userid",
                                     "aws:username", "aws:principalorgid", "aws:principalorgpaths"}))


def role_side_values(snapshot, role, tag_keys: set[str]) -> tuple[dict, dict]:
    """(fixed, defaults) context keys of the target role."""
    fixed = {"aws:ResourceAccount": role.account_id}
    defaults = {**org_values(snapshot, role.account_id, "Resource"),
                **tag_values(role.tags, tag_keys, "aws:ResourceTag/")}
    return fixed, defaults
