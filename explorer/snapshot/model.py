"""The typed in-memory snapshot model: accounts, principals, policies, the organization, resource policies and
CloudTrail events. Plain dataclasses, no behaviour beyond lookups; the loader (`loader.py`) builds them and
records every problem in a `LoadReport` (`report.py`).

Policy documents are kept as decoded JSON (dicts); the IAM engine compiles them once. Every policy carries a
`source` string ("file#$.json.path", `split_source`) so explanations and messages can point at it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterator

from explorer.snapshot.report import LoadReport

DEFAULT_MAX_SESSION_SECONDS = 3600


def account_of_arn(arn: str) -> str | None:
    """The account id field of an ARN (`arn:partition:service:region:account:resource`), or None."""
    parts = arn.split(":", 5)
    if len(parts) >= 5 and parts[0] == "arn" and parts[4].isdigit() and len(parts[4]) == 12:
        return parts[4]
    return None


def split_source(source: str) -> tuple[str, str]:
    """("file", "$.json.path") of a model object's `source` ("file#$.path"); ("", "") when it has none, (source,
    "") when it names no place in a file (such as "(implicit RCPFullAWSAccess)")."""
    if not source:
        return "", ""
    cut = source.find("#$")
    if cut < 0:
        return source, ""
    return source[:cut], source[cut + 1:]


@dataclass
class PolicyRef:
    """A policy as a principal holds it: inline (document here) or managed (document resolved from the
    account's managed policies). `document` is None for a managed policy that the snapshot does not hold."""
    name: str
    kind: str  # "inline" | "managed"
    document: dict | None
    arn: str | None = None
    source: str = ""


@dataclass
class ManagedPolicy:
    arn: str
    name: str
    policy_id: str = ""
    path: str = "/"
    default_version_id: str = ""
    document: dict | None = None  # the default version's document
    attachment_count: int = 0
    permissions_boundary_usage_count: int = 0
    is_attachable: bool = True
    source: str = ""

    @property
    def is_aws_managed(self) -> bool:
        return self.arn.split(":")[4:5] == ["aws"]


@dataclass
class Group:
    name: str
    arn: str
    group_id: str
    account_id: str
    path: str = "/"
    inline_policies: list[PolicyRef] = field(default_factory=list)
    attached_policies: list[PolicyRef] = field(default_factory=list)
    source: str = ""


@dataclass
class User:
    name: str
    arn: str
    user_id: str
    account_id: str
    path: str = "/"
    groups: list[str] = field(default_factory=list)  # group names
    inline_policies: list[PolicyRef] = field(default_factory=list)
    attached_policies: list[PolicyRef] = field(default_factory=list)
    permissions_boundary: PolicyRef | None = None
    tags: dict[str, str] = field(default_factory=dict)
    create_date: datetime | None = None
    source: str = ""

    kind = "user"


@dataclass
class Role:
    name: str
    arn: str
    role_id: str
    account_id: str
    path: str = "/"
    trust_policy: dict | None = None
    inline_policies: list[PolicyRef] = field(default_factory=list)
    attached_policies: list[PolicyRef] = field(default_factory=list)
    permissions_boundary: PolicyRef | None = None
    tags: dict[str, str] = field(default_factory=dict)
    instance_profiles: list[str] = field(default_factory=list)  # instance profile ARNs
    last_used: datetime | None = None
    last_used_region: str | None = None
    max_session_duration: int = DEFAULT_MAX_SESSION_SECONDS
    max_session_duration_known: bool = False  # False: roles.json did not give it; 3600 assumed
    description: str = ""
    create_date: datetime | None = None
    source: str = ""

    kind = "role"

    @property
    def is_service_linked(self) -> bool:
        return self.path.startswith("/aws-service-role/")


@dataclass
class SamlProvider:
    arn: str
    account_id: str
    valid_until: datetime | None = None
    create_date: datetime | None = None
    source: str = ""


@dataclass
class OidcProvider:
    arn: str
    account_id: str
    url: str = ""  # e.g. "token.actions.githubusercontent.com" (from the ARN when not given)
    client_ids: list[str] = field(default_factory=list)
    thumbprints: list[str] = field(default_factory=list)
    source: str = ""


@dataclass
class ResourcePolicy:
    arn: str
    account_id: str
    policy: dict | None
    service: str = ""  # ARN service field: s3, kms, sqs, sns, secretsmanager, lambda, ...
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. {"ObjectOwnership": "BucketOwnerEnforced"}
    source: str = ""


@dataclass
class Account:
    id: str
    name: str = ""  # from organization.json when known
    alias: str = ""
    users: dict[str, User] = field(default_factory=dict)  # by ARN
    roles: dict[str, Role] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    managed_policies: dict[str, ManagedPolicy] = field(default_factory=dict)
    saml_providers: dict[str, SamlProvider] = field(default_factory=dict)
    oidc_providers: dict[str, OidcProvider] = field(default_factory=dict)
    resource_policies: dict[str, ResourcePolicy] = field(default_factory=dict)
    source_files: list[str] = field(default_factory=list)

    @property
    def display_name(self) -> str:
        return self.name or self.alias or self.id


@dataclass
class OrgUnit:
    id: str
    name: str
    parent_id: str | None  # None for a root


@dataclass
class OrgAccount:
    id: str
    name: str = ""
    state: str = "ACTIVE"
    parent_id: str | None = None
    email: str = ""


@dataclass
class OrgPolicy:
    id: str
    name: str
    type: str  # "SERVICE_CONTROL_POLICY" | "RESOURCE_CONTROL_POLICY"
    document: dict | None
    targets: list[str] = field(default_factory=list)
    aws_managed: bool = False
    source: str = ""


SCP = "SERVICE_CONTROL_POLICY"
RCP = "RESOURCE_CONTROL_POLICY"

RCP_FULL_AWS_ACCESS = OrgPolicy(
    id="p-RCPFullAWSAccess", name="RCPFullAWSAccess", type=RCP, aws_managed=True,
    document={"Version": "2012-10-17",
              "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]},
    source="(implicit RCPFullAWSAccess)")


@dataclass
class Organization:
    id: str
    master_account_id: str
    feature_set: str = "ALL"
    roots: list[OrgUnit] = field(default_factory=list)
    units: dict[str, OrgUnit] = field(default_factory=dict)  # OUs by id (roots not included)
    accounts: dict[str, OrgAccount] = field(default_factory=dict)
    policies: list[OrgPolicy] = field(default_factory=list)

    def contains(self, account_id: str) -> bool:
        return account_id in self.accounts or account_id == self.master_account_id

    def is_management(self, account_id: str) -> bool:
        return account_id == self.master_account_id

    def path_of(self, account_id: str) -> list[str]:
        """Target ids on the direct path, root first, then each OU, then the account itself."""
        acct = self.accounts.get(account_id)
        if acct is None:
            return [r.id for r in self.roots[:1]] + [account_id] if self.contains(account_id) else []
        chain: list[str] = [account_id]
        parent = acct.parent_id
        seen: set[str] = set()
        while parent and parent not in seen:
            seen.add(parent)
            chain.append(parent)
            unit = self.units.get(parent)
            parent = unit.parent_id if unit else None
        return list(reversed(chain))

    def ou_path_names(self, account_id: str) -> list[str]:
        names = []
        for target in self.path_of(account_id)[:-1]:
            unit = self.units.get(target) or next((r for r in self.roots if r.id == target), None)
            names.append(unit.name if unit else target)
        return names

    def policy_levels(self, account_id: str, policy_type: str) -> list[list[OrgPolicy]]:
        """One list of policies per level (root, each OU, the account) of the given type. For RCPs the implicit
        RCPFullAWSAccess is added at every level when the organization lists none."""
        index, listed_full = self._target_index()
        levels: list[list[OrgPolicy]] = []
        for target in self.path_of(account_id):
            level = list(index.get((policy_type, target), ()))
            if policy_type == RCP and not listed_full:
                level = [RCP_FULL_AWS_ACCESS, *level]
            levels.append(level)
        return levels

    def _target_index(self) -> tuple[dict[tuple[str, str], list[OrgPolicy]], bool]:
        """(policy type, target id) -> policies attached there, built once (rebuilt if policies are added), so
        asking for every account's levels stays linear in the size of the organization."""
        cached = self.__dict__.get("_targets")
        if cached is None or cached[0] != len(self.policies):
            index: dict[tuple[str, str], list[OrgPolicy]] = {}
            for p in self.policies:
                for target in p.targets:
                    index.setdefault((p.type, target), []).append(p)
            listed_full = any(p.type == RCP and p.name == "RCPFullAWSAccess" for p in self.policies)
            cached = (len(self.policies), index, listed_full)
            self.__dict__["_targets"] = cached
        return cached[1], cached[2]

    def scp_levels(self, account_id: str) -> list[list[OrgPolicy]]:
        return self.policy_levels(account_id, SCP)

    def rcp_levels(self, account_id: str) -> list[list[OrgPolicy]]:
        return self.policy_levels(account_id, RCP)


@dataclass
class TrailEvent:
    """One STS assume event from CloudTrail."""
    event_time: datetime | None
    event_name: str  # AssumeRole | AssumeRoleWithSAML | AssumeRoleWithWebIdentity
    role_arn: str  # requestParameters.roleArn
    caller_arn: str | None  # userIdentity.arn (None for SAML/OIDC: see caller_identity_provider)
    caller_type: str = ""  # userIdentity.type: IAMUser, AssumedRole, AWSService, SAMLUser, WebIdentityUser, Root
    caller_identity_provider: str | None = None  # SAML/OIDC provider or service principal
    # the calling account the event names (userIdentity.accountId): all an AWSAccount event says of its caller
    caller_account: str | None = None
    external_id: str | None = None  # requestParameters.externalId
    # True when the call passed an MFA device (requestParameters.serialNumber); None: the event does not say
    mfa_authenticated: bool | None = None
    session_name: str | None = None
    source_ip: str | None = None
    recipient_account_id: str | None = None
    error_code: str | None = None
    event_id: str = ""
    source: str = ""


@dataclass
class Gap:
    account: str
    what: str
    error: str


@dataclass
class Manifest:
    format: str = "iam-trust-snapshot"
    version: int = 1
    collected_at: datetime | None = None
    partition: str = "aws"
    source: str = "manual"
    gaps: list[Gap] = field(default_factory=list)
    account_aliases: dict[str, str] = field(default_factory=dict)  # from the collector's "accounts" entries


@dataclass
class Snapshot:
    name: str
    path: str
    manifest: Manifest = field(default_factory=Manifest)
    accounts: dict[str, Account] = field(default_factory=dict)
    organization: Organization | None = None
    trail_events: list[TrailEvent] = field(default_factory=list)
    report: LoadReport = field(default_factory=LoadReport)
    # how the loader read it: "snapshot folder", "folder of authorization-details files",
    # "authorization-details file" ("" when built in code)
    form: str = ""

    # --- lookups (built lazily; the model is not mutated after loading) ---------------------------------
    def users(self) -> Iterator[User]:
        for acct in self.accounts.values():
            yield from acct.users.values()

    def roles(self) -> Iterator[Role]:
        for acct in self.accounts.values():
            yield from acct.roles.values()

    def principal(self, arn: str) -> User | Role | None:
        acct = self.accounts.get(account_of_arn(arn) or "")
        if acct is None:
            return None
        return acct.roles.get(arn) or acct.users.get(arn)

    def by_unique_id(self, unique_id: str) -> User | Role | None:
        index = self.__dict__.get("_uid_index")
        if index is None:
            index = {}
            for acct in self.accounts.values():
                for u in acct.users.values():
                    index[u.user_id] = u
                for r in acct.roles.values():
                    index[r.role_id] = r
            self.__dict__["_uid_index"] = index
        return index.get(unique_id)

    def group(self, account_id: str, name: str) -> Group | None:
        acct = self.accounts.get(account_id)
        if acct is None:
            return None
        for g in acct.groups.values():
            if g.name == name:
                return g
        return None

    def account_name(self, account_id: str) -> str:
        acct = self.accounts.get(account_id)
        if acct is not None and acct.display_name != account_id:
            return acct.display_name
        if self.organization and account_id in self.organization.accounts:
            return self.organization.accounts[account_id].name or account_id
        return account_id

    def in_organization(self, account_id: str) -> bool:
        return self.organization is not None and self.organization.contains(account_id)

    def resource_policy(self, arn: str) -> ResourcePolicy | None:
        for acct in self.accounts.values():
            rp = acct.resource_policies.get(arn)
            if rp is not None:
                return rp
        return None
