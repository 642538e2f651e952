"""What counts as administrative or permissions-management access (used by findings, diff and the app).

A principal (role or user) is
  - ADMINISTRATOR when its own permissions (identity policies, boundary, SCPs of its account; evaluated by the
    engine) allow every probe action of ADMIN_PROBES on every resource ("*") - in practice `Allow * *` or an
    equivalent set of service wildcards;
  - PERMISSIONS_MANAGEMENT when it is not an administrator but is allowed at least one action of access level
    "Permissions management" (from the action catalogue) of the services in PM_SERVICES (IAM, Organizations,
    IAM Identity Center) on every resource: such a principal can grant itself or others more access.
Allowed-under-conditions (unknown context keys, e.g. MFA or source IP) counts: the access exists in some
context, and the result says so (`conditional`).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from explorer.iam.settings import DEFAULT_SETTINGS, Settings

ADMINISTRATOR = "administrator"
PERMISSIONS_MANAGEMENT = "permissions-management"

# Write / permissions-management actions across unrelated services: allowed on "*" together only by full admins.
# (No KMS or STS probes: those need the key policy / trust policy to allow as well, spec T1, P2. No actions that
# guardrail SCPs commonly deny, such as cloudtrail:StopLogging or iam:CreateUser: an administrator under
# guardrails is still an administrator.)
ADMIN_PROBES = (
    "iam:AttachRolePolicy", "iam:PutRolePolicy", "iam:CreatePolicyVersion", "iam:UpdateAssumeRolePolicy",
    "ec2:RunInstances", "ec2:DeleteVpc", "s3:DeleteBucket", "s3:PutBucketPolicy", "lambda:CreateFunction",
    "dynamodb:DeleteTable", "rds:DeleteDBInstance", "secretsmanager:GetSecretValue",
)
PM_SERVICES = ("iam", "organizations")
PM_MANAGEMENT_ONLY_SERVICES = ("sso",)  # IAM Identity Center permission sets: only from the management account
# Permissions-management actions that cannot grant anyone more access.
PM_EXCLUDED = frozenset({"iam:CreateServiceLinkedRole", "iam:DeleteServiceLinkedRole",
                         "iam:DeleteRolePolicy", "iam:DeleteUserPolicy", "iam:DeleteGroupPolicy",
                         "iam:DetachRolePolicy", "iam:DetachUserPolicy", "iam:DetachGroupPolicy",
                         "iam:RemoveUserFromGroup", "iam:DeletePolicy", "iam:DeletePolicyVersion"})
# Used when the catalogue cannot be read: the IAM permissions-management actions that allow privilege escalation.
FALLBACK_PM_ACTIONS = (
    "iam:AttachGroupPolicy", "iam:AttachRolePolicy", "iam:AttachUserPolicy", "iam:CreatePolicy",
    "iam:CreatePolicyVersion", "iam:DeleteRolePermissionsBoundary", "iam:PutGroupPolicy", "iam:PutRolePolicy",
    "iam:PutUserPolicy", "iam:SetDefaultPolicyVersion", "iam:UpdateAssumeRolePolicy", "iam:PassRole",
    "iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile", "iam:AddUserToGroup",
)


OUTSIDE_ACCOUNT = "000000000000"  # stands for "some account outside the organization"
OUTSIDE_ORG = "o-outside00000"  # stands for "some other organization"
_ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


@dataclass(frozen=True)
class AdminAccess:
    arn: str
    level: str | None  # ADMINISTRATOR | PERMISSIONS_MANAGEMENT | None
    actions: tuple[str, ...] = ()  # permissions-management actions allowed (sorted, all of them)
    conditional: bool = False  # allowed only under some unknown context keys

    @property
    def is_admin(self) -> bool:
        return self.level == ADMINISTRATOR

    @property
    def is_sensitive(self) -> bool:
        return self.level is not None

    def describe(self) -> str:
        if self.level == ADMINISTRATOR:
            text = "administrator access"
        elif self.level == PERMISSIONS_MANAGEMENT:
            shown = ", ".join(self.actions[:3]) + (", ..." if len(self.actions) > 3 else "")
            text = f"permissions-management access ({shown})"
        else:
            return "no administrative access"
        return text + (" (under conditions)" if self.conditional else "")

    def to_json(self) -> dict:
        return {"arn": self.arn, "level": self.level, "actions": list(self.actions[:20]),
                "action_count": len(self.actions), "conditional": self.conditional}


@lru_cache(maxsize=2)
def permissions_management_actions(management_account: bool = False) -> tuple[str, ...]:
    """The catalogue's "Permissions management" actions of PM_SERVICES (plus IAM Identity Center's in the
    management account) that can grant access, sorted."""
    try:
        from explorer.iam.catalogue import catalogue
        cat = catalogue()
        out = set()
        for svc in PM_SERVICES + (PM_MANAGEMENT_ONLY_SERVICES if management_account else ()):
            for action in cat.expand(f"{svc}:*"):
                if cat.access_level(action) == "Permissions management":
                    out.add(action)
        out.update(a for a in FALLBACK_PM_ACTIONS if a.startswith("iam:"))  # PassRole etc. are "Write" level
        return tuple(sorted(out - PM_EXCLUDED))
    except ImportError:
        return tuple(sorted(FALLBACK_PM_ACTIONS))


class _Prober:
    """Builds engine requests for one principal of the snapshot (policies compiled once per snapshot)."""

    def __init__(self, snapshot, settings: Settings):
        from explorer.iam import compile_policy
        self.snapshot = snapshot
        self.settings = settings
        self._compile = compile_policy
        self._cache: dict[int, object] = {}
        self._scps: dict[str, object] = {}
        self._results: dict[str, AdminAccess] = {}
        self._by_signature: dict[tuple, AdminAccess] = {}
        self._matchers: dict[int, tuple] = {}
        self._outside = None

    def compiled(self, document: dict, name: str, kind: str, source: str = ""):
        key = id(document)
        hit = self._cache.get(key)
        if hit is None or hit[0] is not document:
            hit = (document, self._compile(document, name=name, kind=kind, source=source))
            self._cache[key] = hit
        return hit[1]

    def _identity_refs(self, entity) -> list:
        """The entity's inline and attached policies, and for a user those of its groups."""
        refs = list(entity.inline_policies) + list(entity.attached_policies)
        if getattr(entity, "kind", "") == "user":
            for gname in entity.groups:
                group = self.snapshot.group(entity.account_id, gname)
                if group is not None:
                    refs += list(group.inline_policies) + list(group.attached_policies)
        return refs

    def identity_policies(self, entity) -> list:
        return [self.compiled(r.document, r.arn or r.name, "identity", r.source) for r in self._identity_refs(entity)
                if isinstance(r.document, dict)]

    def scp_levels(self, account_id: str):
        org = self.snapshot.organization
        if org is None or not org.contains(account_id) or org.is_management(account_id):
            return None
        if account_id not in self._scps:
            self._scps[account_id] = [[self.compiled(p.document, p.name, "scp", p.source) for p in level
                                       if isinstance(p.document, dict)] for level in org.scp_levels(account_id)]
        return self._scps[account_id]

    def rcp_levels(self, account_id: str):
        org = self.snapshot.organization
        if org is None or not org.contains(account_id) or org.is_management(account_id):
            return None
        key = "rcp:" + account_id
        if key not in self._scps:
            self._scps[key] = [[self.compiled(p.document, p.name, "rcp", p.source) for p in level
                                if isinstance(p.document, dict)] for level in org.rcp_levels(account_id)]
        return self._scps[key]

    def kms_allowed(self, entity, key_policy, action: str) -> bool:
        """Full decision (both sides, spec P2/X1) for `entity` calling `action` on the key of `key_policy`."""
        from explorer.iam import evaluate
        req = self.request(entity, action, key_policy.arn)
        req.resource_account = key_policy.account_id
        req.resource_policy = self.compiled(key_policy.policy, f"key policy of {key_policy.arn}", "resource",
                                            key_policy.source)
        req.rcps = self.rcp_levels(key_policy.account_id)
        org = self.snapshot.organization
        req.resource_is_management_account = bool(org and org.is_management(key_policy.account_id))
        return evaluate(req).allowed

    def outside_allowed(self, *, resource_arn: str, resource_account: str, document: dict, kind: str,
                        label: str, source: str, action: str, principal: str):
        """The decision for a principal outside the organization, named by `principal` (an account id or root
        ARN, a user or role ARN, or "*" for some unknown outside account), calling `action` on the resource with
        this resource (or trust) policy and the resource account's RCPs. The caller's own side is assumed to
        allow (it is not ours), so the answer says whether *our* side lets the outsider in."""
        from explorer.iam import evaluate
        from explorer.iam.context import Context
        from explorer.iam.principal import IAM_USER, ROLE_SESSION, Principal
        from explorer.iam.request import Request
        from explorer.snapshot.model import account_of_arn
        if principal == "*":
            account = OUTSIDE_ACCOUNT
            role_arn = f"arn:aws:iam::{account}:role/outside-principal"
        elif principal.isdigit():
            account, role_arn = principal, f"arn:aws:iam::{principal}:role/outside-principal"
        else:
            account = account_of_arn(principal) or OUTSIDE_ACCOUNT
            role_arn = principal if ":role/" in principal else (
                f"arn:aws:iam::{account}:role/outside-principal" if principal.endswith(":root") else None)
        if role_arn is not None:
            name = role_arn.rsplit("/", 1)[-1]
            who = Principal(arn=f"arn:aws:sts::{account}:assumed-role/{name}/outside-session", kind=ROLE_SESSION,
                            account_id=account, role_arn=role_arn)
            values = {"aws:PrincipalArn": role_arn, "aws:PrincipalType": "AssumedRole"}
        else:
            who = Principal(arn=principal, kind=IAM_USER, account_id=account)
            values = {"aws:PrincipalArn": principal, "aws:PrincipalType": "User", "aws:TokenIssueTime": None}
        values.update({"aws:PrincipalAccount": account, "aws:PrincipalOrgID": None, "aws:PrincipalOrgPaths": None,
                       "aws:PrincipalIsAWSService": "false", "aws:PrincipalServiceName": None,
                       "aws:SourceAccount": None, "aws:SourceArn": None, "aws:SourceOrgID": None,
                       "aws:SourceOrgPaths": None, "aws:ResourceAccount": resource_account})
        org = self.snapshot.organization
        decision = None
        # an outsider in no organization, then one in another organization: either is enough
        for org_values in ({}, {"aws:PrincipalOrgID": OUTSIDE_ORG, "aws:PrincipalOrgPaths": [f"{OUTSIDE_ORG}/r-out/"]}):
            req = Request(principal=who, action=action, resource=resource_arn,
                          context=Context(closed=False).with_values({**values, **org_values}),
                          resource_account=resource_account, identity_policies=[self.outside_identity()],
                          resource_policy=self.compiled(document, label, kind, source),
                          rcps=self.rcp_levels(resource_account),
                          resource_is_management_account=bool(org and org.is_management(resource_account)),
                          settings=self.settings)
            decision = evaluate(req)
            if decision.allowed:
                break
        return decision

    def outside_identity(self):
        if self._outside is None:
            self._outside = self._compile(_ALLOW_ALL, name="(the outside caller's own permissions: assumed to allow)",
                                          kind="identity")
        return self._outside

    def request(self, entity, action: str, resource: str = "*"):
        from explorer.iam.context import Context
        from explorer.iam.principal import IAM_USER, ROLE_SESSION, Principal
        from explorer.iam.request import Request
        tags = tuple(sorted((entity.tags or {}).items()))
        if entity.kind == "role":
            principal = Principal(arn=f"arn:aws:sts::{entity.account_id}:assumed-role/{entity.name}/admin-probe",
                                  kind=ROLE_SESSION, account_id=entity.account_id, role_arn=entity.arn,
                                  unique_id=entity.role_id, is_service_linked=entity.is_service_linked, tags=tags)
        else:
            principal = Principal(arn=entity.arn, kind=IAM_USER, account_id=entity.account_id,
                                  unique_id=entity.user_id, tags=tags)
        boundary = entity.permissions_boundary
        org = self.snapshot.organization
        return Request(
            principal=principal, action=action, resource=resource, context=Context(closed=False),
            resource_account=entity.account_id, identity_policies=self.identity_policies(entity),
            permissions_boundary=(self.compiled(boundary.document, boundary.arn or boundary.name, "boundary",
                                                boundary.source)
                                  if boundary is not None and isinstance(boundary.document, dict) else None),
            scps=None if principal.is_service_linked else self.scp_levels(entity.account_id),
            principal_is_management_account=bool(org and org.is_management(entity.account_id)),
            settings=self.settings)

    def _documents(self, entity) -> list[dict]:
        return [r.document for r in self._identity_refs(entity) if isinstance(r.document, dict)]

    def _allow_matchers(self, doc: dict) -> list:
        """One predicate per Allow statement of the document: does its Action / NotAction cover an action?"""
        hit = self._matchers.get(id(doc))
        if hit is not None and hit[0] is doc:
            return hit[1]
        import re
        from fnmatch import translate
        from explorer.analysis.findings.policy import as_list, statements
        out = []
        for st in statements(doc):
            if not st.is_allow:
                continue
            negate = "Action" not in st.raw
            patterns = as_list(st.raw.get("Action") if not negate else st.raw.get("NotAction"))
            if not patterns:
                continue
            rx = re.compile("|".join(f"(?:{translate(str(p).lower())})" for p in patterns))
            out.append((lambda a, rx=rx: rx.match(a.lower()) is None) if negate
                       else (lambda a, rx=rx: rx.match(a.lower()) is not None))
        self._matchers[id(doc)] = (doc, out)
        return out

    def _signature(self, entity, docs) -> tuple:
        """What the answer depends on: the policies (by identity), boundary, tags, kind and the account's SCP
        path. Principals sharing it (common with managed policies) share one evaluation."""
        org = self.snapshot.organization
        scp_path = None
        if org is not None and org.contains(entity.account_id) and not org.is_management(entity.account_id):
            scp_path = tuple(tuple(p.id for p in level) for level in org.scp_levels(entity.account_id))
        boundary = entity.permissions_boundary
        return (entity.kind, tuple(id(d) for d in docs), id(boundary.document) if boundary is not None else None,
                tuple(sorted((entity.tags or {}).items())), scp_path,
                bool(org and org.is_management(entity.account_id)), getattr(entity, "is_service_linked", False))

    def access(self, entity) -> AdminAccess:
        hit = self._results.get(entity.arn)
        if hit is not None:
            return hit
        from explorer.iam import evaluate
        docs = self._documents(entity)
        signature = self._signature(entity, docs)
        shared = self._by_signature.get(signature)
        if shared is not None:
            result = AdminAccess(entity.arn, shared.level, shared.actions, shared.conditional)
            self._results[entity.arn] = result
            return result
        # static prefilter: only actions that some Allow statement names (or wildcards) can be allowed
        allows = [m for doc in docs for m in self._allow_matchers(doc)]
        if not allows:
            result = AdminAccess(entity.arn, None)
        else:
            conditional = False
            admin = all(any(m(a) for m in allows) for a in ADMIN_PROBES)
            if admin:
                for action in ADMIN_PROBES:
                    d = evaluate(self.request(entity, action))
                    if not d.allowed:
                        admin = False
                        break
                    conditional = conditional or d.conditional
            pm = []
            pm_conditional = False
            org = self.snapshot.organization
            in_management = bool(org and org.is_management(entity.account_id))
            for action in permissions_management_actions(in_management):
                if not any(m(action) for m in allows):
                    continue
                d = evaluate(self.request(entity, action))
                if d.allowed:
                    pm.append(action)
                    pm_conditional = pm_conditional or d.conditional
            if admin:
                result = AdminAccess(entity.arn, ADMINISTRATOR, tuple(pm), conditional)
            elif pm:
                result = AdminAccess(entity.arn, PERMISSIONS_MANAGEMENT, tuple(pm), pm_conditional)
            else:
                result = AdminAccess(entity.arn, None)
        self._by_signature[signature] = result
        self._results[entity.arn] = result
        return result


def _prober(snapshot, settings: Settings) -> _Prober:
    cache = snapshot.__dict__.setdefault("_admin_probers", {})
    prober = cache.get(settings)
    if prober is None:
        prober = cache[settings] = _Prober(snapshot, settings)
    return prober


def admin_access(snapshot, arn: str, *, settings: Settings = DEFAULT_SETTINGS) -> AdminAccess:
    """Administrative / permissions-management access of the user or role `arn` of the snapshot (cached)."""
    entity = snapshot.principal(arn)
    if entity is None:
        return AdminAccess(arn, None)
    return _prober(snapshot, settings).access(entity)


def admin_roles(snapshot, *, settings: Settings = DEFAULT_SETTINGS, level: str | None = None) -> dict[str, AdminAccess]:
    """Every role with administrative (or, with level=None, also permissions-management) access, by ARN."""
    out = {}
    for role in sorted(snapshot.roles(), key=lambda r: r.arn):
        access = admin_access(snapshot, role.arn, settings=settings)
        if access.is_sensitive and (level is None or access.level == level):
            out[role.arn] = access
    return out
