#!/usr/bin/env python3
"""Writes the bundled demo organization (`resources/demo-org/`), a fictional "Example Corp" estate in the
snapshot folder format (docs: interfaces.md §1). Pure Python, deterministic: running it again reproduces the
same files byte for byte.

    python resources/make_demo_org.py            # (re)writes resources/demo-org next to this script
    python resources/make_demo_org.py --out DIR  # writes the snapshot somewhere else

Every planted item (trust pattern, guardrail, mistake) is listed in `resources/demo-org/README.md`, which
this script does not write: keep the two in step when you change one of them.

All account ids, names, keys and addresses are invented. Policy documents mostly appear as JSON objects (what
the AWS CLI prints); the management account's authorization details use the raw IAM API form (URL-encoded
JSON strings) and a few documents elsewhere are JSON strings, so every accepted encoding is exercised.
"""
from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import json
import shutil
from pathlib import Path
from urllib.parse import quote, unquote

# --------------------------------------------------------------------------------------------------------
# The estate
# --------------------------------------------------------------------------------------------------------
ORG_ID = "o-exmplcorp01"
ROOT_ID = "r-ex01"
REGION = "eu-west-1"

MGMT = "111111111111"
SEC = "222222222222"
LOG = "333333333333"
SHR = "444444444444"
NET = "555555555555"
PRD = "666666666666"
DEV = "777777777777"
SBX = "888888888888"
VENDOR = "999999999999"       # Acme Monitoring, a SaaS vendor outside the organization
CONTRACTOR = "210987654321"   # Globex Consulting, a former contractor outside the organization

OU_SECURITY = "ou-ex01-security"
OU_INFRA = "ou-ex01-infra001"
OU_WORKLOADS = "ou-ex01-workload"
OU_PROD = "ou-ex01-prod0001"
OU_DEV = "ou-ex01-dev00001"
OU_SANDBOX = "ou-ex01-sandbox1"

OUS = [  # (id, name, parent)
    (OU_SECURITY, "Security", ROOT_ID),
    (OU_INFRA, "Infrastructure", ROOT_ID),
    (OU_WORKLOADS, "Workloads", ROOT_ID),
    (OU_PROD, "Prod", OU_WORKLOADS),
    (OU_DEV, "Dev", OU_WORKLOADS),
    (OU_SANDBOX, "Sandbox", ROOT_ID),
]

ACCOUNTS = [  # (id, name, parent, email)
    (MGMT, "example-corp-management", ROOT_ID, "aws-management@example.com"),
    (SEC, "security", OU_SECURITY, "aws-security@example.com"),
    (LOG, "log-archive", OU_SECURITY, "aws-log-archive@example.com"),
    (SHR, "shared-services", OU_INFRA, "aws-shared-services@example.com"),
    (NET, "network", OU_INFRA, "aws-network@example.com"),
    (PRD, "workloads-prod", OU_PROD, "aws-workloads-prod@example.com"),
    (DEV, "workloads-dev", OU_DEV, "aws-workloads-dev@example.com"),
    (SBX, "sandbox", OU_SANDBOX, "aws-sandbox@example.com"),
]
MEMBERS = [a[0] for a in ACCOUNTS if a[0] != MGMT]

VENDOR_EXTERNAL_ID = "ExampleCorp-7f3a9c2e"
DANGLING_ROLE_ID = "AROA4OLDDELETEDROLE42"  # a deleted role's unique id left in a trust policy
KMS_KEY_ARN = f"arn:aws:kms:{REGION}:{LOG}:key/1f2e3d4c-5b6a-4789-8a0b-1c2d3e4f5a6b"
GITHUB = "token.actions.githubusercontent.com"
COLLECTED_AT = "2026-11-20T09:00:00Z"
REVOKE_BEFORE = "2026-10-01T00:00:00Z"

V = "2012-10-17"


def doc(*statements: dict) -> dict:
    return {"Version": V, "Statement": list(statements)}


def stmt(effect: str, action, resource="*", sid: str | None = None, condition: dict | None = None,
         not_action=None) -> dict:
    s: dict = {"Effect": effect}
    if sid:
        s["Sid"] = sid
    if not_action is not None:
        s["NotAction"] = not_action
    else:
        s["Action"] = action
    s["Resource"] = resource
    if condition:
        s["Condition"] = condition
    return s


def trust_aws(principals, condition: dict | None = None, actions="sts:AssumeRole", sid: str | None = None) -> dict:
    s: dict = {"Effect": "Allow", "Principal": {"AWS": principals}, "Action": actions}
    if sid:
        s["Sid"] = sid
    if condition:
        s["Condition"] = condition
    return s


def trust_service(service: str, condition: dict | None = None) -> dict:
    s: dict = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    if condition:
        s["Condition"] = condition
    return s


def trust_saml(account: str) -> dict:
    return {"Effect": "Allow",
            "Principal": {"Federated": f"arn:aws:iam::{account}:saml-provider/ExampleCorpOkta"},
            "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
            "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}


def trust_github(account: str, condition: dict) -> dict:
    return {"Effect": "Allow",
            "Principal": {"Federated": f"arn:aws:iam::{account}:oidc-provider/{GITHUB}"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": condition}


MFA_TRUE = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}


def root(account: str) -> str:
    return f"arn:aws:iam::{account}:root"


def role_arn(account: str, name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{account}:role{path}{name}"


# --------------------------------------------------------------------------------------------------------
# AWS managed policies (default version documents, shortened where AWS's are long)
# --------------------------------------------------------------------------------------------------------
READ_ONLY_ACTIONS = sorted([
    "acm:Describe*", "acm:Get*", "acm:List*", "apigateway:GET", "autoscaling:Describe*",
    "cloudformation:Describe*", "cloudformation:Get*", "cloudformation:List*", "cloudfront:Get*",
    "cloudfront:List*", "cloudtrail:Describe*", "cloudtrail:Get*", "cloudtrail:List*",
    "cloudtrail:LookupEvents", "cloudwatch:Describe*", "cloudwatch:Get*", "cloudwatch:List*",
    "config:Describe*", "config:Get*", "config:List*", "dynamodb:BatchGetItem", "dynamodb:Describe*",
    "dynamodb:GetItem", "dynamodb:List*", "dynamodb:Query", "dynamodb:Scan", "ec2:Describe*", "ec2:Get*",
    "ecr:BatchGetImage", "ecr:Describe*", "ecr:Get*", "ecr:List*", "ecs:Describe*", "ecs:List*",
    "eks:Describe*", "eks:List*", "elasticloadbalancing:Describe*", "events:Describe*", "events:List*",
    "guardduty:Get*", "guardduty:List*", "iam:Generate*", "iam:Get*", "iam:List*", "iam:Simulate*",
    "kms:Describe*", "kms:Get*", "kms:List*", "lambda:Get*", "lambda:List*", "logs:Describe*",
    "logs:FilterLogEvents", "logs:Get*", "logs:List*", "logs:StartQuery", "organizations:Describe*",
    "organizations:List*", "rds:Describe*", "rds:List*", "route53:Get*", "route53:List*", "s3:Describe*",
    "s3:Get*", "s3:List*", "secretsmanager:Describe*", "secretsmanager:GetResourcePolicy",
    "secretsmanager:List*", "securityhub:Describe*", "securityhub:Get*", "securityhub:List*",
    "sns:Get*", "sns:List*", "sqs:Get*", "sqs:List*", "sqs:ReceiveMessage", "ssm:Describe*", "ssm:Get*",
    "ssm:List*", "sts:GetCallerIdentity", "tag:Get*",
])

SECURITY_AUDIT_ACTIONS = sorted([
    "access-analyzer:Get*", "access-analyzer:List*", "acm:Describe*", "acm:List*", "cloudtrail:Describe*",
    "cloudtrail:Get*", "cloudtrail:ListTrails", "cloudtrail:LookupEvents", "config:Describe*",
    "config:Get*", "config:List*", "ec2:Describe*", "ec2:GetEbsEncryptionByDefault",
    "guardduty:Get*", "guardduty:List*", "iam:GenerateCredentialReport", "iam:GenerateServiceLastAccessedDetails",
    "iam:Get*", "iam:List*", "iam:SimulateCustomPolicy", "iam:SimulatePrincipalPolicy",
    "kms:Describe*", "kms:Get*", "kms:List*", "lambda:GetFunctionConfiguration", "lambda:GetPolicy",
    "lambda:List*", "logs:Describe*", "organizations:Describe*", "organizations:List*",
    "s3:GetAccountPublicAccessBlock", "s3:GetBucket*", "s3:GetEncryptionConfiguration",
    "s3:GetLifecycleConfiguration", "s3:ListAllMyBuckets", "s3:ListBucket", "secretsmanager:Describe*",
    "secretsmanager:GetResourcePolicy", "secretsmanager:List*", "securityhub:Describe*", "securityhub:Get*",
    "sns:GetTopicAttributes", "sns:ListTopics", "sqs:GetQueueAttributes", "sqs:ListQueues",
])

AWS_MANAGED: dict[str, tuple[str, str, dict]] = {  # name -> (path, default version id, document)
    "AdministratorAccess": ("/", "v1", doc(stmt("Allow", "*"))),
    "ReadOnlyAccess": ("/", "v118", doc(stmt("Allow", READ_ONLY_ACTIONS, sid="ReadOnlyActions"))),
    "SecurityAudit": ("/", "v49", doc(stmt("Allow", SECURITY_AUDIT_ACTIONS))),
    "PowerUserAccess": ("/", "v5", doc(
        stmt("Allow", None, not_action=["iam:*", "organizations:*", "account:*"]),
        stmt("Allow", ["account:GetAccountInformation", "account:GetPrimaryEmail", "account:ListRegions",
                       "iam:CreateServiceLinkedRole", "iam:DeleteServiceLinkedRole", "iam:ListRoles",
                       "organizations:DescribeOrganization"]))),
    "AWSLambdaBasicExecutionRole": ("/service-role/", "v1", doc(
        stmt("Allow", ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]))),
    "AmazonSSMManagedInstanceCore": ("/", "v3", doc(
        stmt("Allow", ["ssm:DescribeAssociation", "ssm:GetDeployablePatchSnapshotForInstance",
                       "ssm:GetDocument", "ssm:DescribeDocument", "ssm:GetManifest", "ssm:GetParameter",
                       "ssm:GetParameters", "ssm:ListAssociations", "ssm:ListInstanceAssociations",
                       "ssm:PutInventory", "ssm:PutComplianceItems", "ssm:PutConfigurePackageResult",
                       "ssm:UpdateAssociationStatus", "ssm:UpdateInstanceAssociationStatus",
                       "ssm:UpdateInstanceInformation"]),
        stmt("Allow", ["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
                       "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"]),
        stmt("Allow", ["ec2messages:AcknowledgeMessage", "ec2messages:DeleteMessage", "ec2messages:FailMessage",
                       "ec2messages:GetEndpoint", "ec2messages:GetMessages", "ec2messages:SendReply"]))),
    "NetworkAdministrator": ("/job-function/", "v27", doc(
        stmt("Allow", ["autoscaling:Describe*", "cloudfront:ListDistributions", "directconnect:*",
                       "ec2:AcceptVpcPeeringConnection", "ec2:AllocateAddress", "ec2:AssociateAddress",
                       "ec2:AssociateRouteTable", "ec2:AttachInternetGateway", "ec2:AttachVpnGateway",
                       "ec2:CreateCustomerGateway", "ec2:CreateNatGateway", "ec2:CreateNetworkAcl*",
                       "ec2:CreateRoute*", "ec2:CreateSubnet", "ec2:CreateTransitGateway*", "ec2:CreateVpc*",
                       "ec2:CreateVpnConnection*", "ec2:DeleteNatGateway", "ec2:DeleteRoute*",
                       "ec2:DeleteSubnet", "ec2:Describe*", "ec2:ModifyVpc*", "elasticloadbalancing:*",
                       "logs:Describe*", "logs:Get*", "route53:*", "route53domains:*",
                       "route53resolver:*", "sns:ListTopics"]),
        stmt("Allow", "iam:GetRole"),
        stmt("Allow", "iam:PassRole", resource="arn:aws:iam::*:role/flow-logs-*"))),
    "AWSSupportServiceRolePolicy": ("/aws-service-role/", "v32", doc(
        stmt("Allow", ["acm:Describe*", "acm:Get*", "acm:List*", "cloudformation:Describe*",
                       "cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus", "ec2:Describe*",
                       "iam:GetAccountSummary", "iam:ListRoles", "s3:GetBucketLocation", "s3:ListAllMyBuckets",
                       "support:*"], sid="AWSSupportAPIGatewayAccess"))),
    "AWSOrganizationsServiceTrustPolicy": ("/aws-service-role/", "v4", doc(
        stmt("Allow", ["iam:DeleteRole"], resource="arn:aws:iam::*:role/aws-service-role/organizations.amazonaws.com/*",
             sid="AllowDeletionOfServiceLinkedRoleForOrganizations"),
        stmt("Allow", "iam:CreateServiceLinkedRole", sid="AllowCreationOfServiceLinkedRoles"))),
}


def aws_policy_arn(name: str) -> str:
    return f"arn:aws:iam::aws:policy{AWS_MANAGED[name][0]}{name}"


# --------------------------------------------------------------------------------------------------------
# Deterministic identifiers
# --------------------------------------------------------------------------------------------------------
def unique_id(prefix: str, key: str, length: int = 17) -> str:
    digest = hashlib.sha256(key.encode()).digest()
    return prefix + base64.b32encode(digest).decode().rstrip("=")[:length]


def hexid(key: str, length: int = 32) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:length]


def uuid_of(key: str) -> str:
    h = hexid(key)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


# --------------------------------------------------------------------------------------------------------
# Account builder: writes the AWS CLI shapes
# --------------------------------------------------------------------------------------------------------
class Account:
    def __init__(self, account_id: str, name: str, *, encoding: str = "object", roles_json: bool = True):
        self.id = account_id
        self.name = name
        self.encoding = encoding  # default encoding of policy documents in authorization-details.json
        self.roles_json = roles_json
        self.users: list[dict] = []
        self.groups: list[dict] = []
        self.roles: list[dict] = []
        self.role_extras: dict[str, dict] = {}  # role ARN -> {MaxSessionDuration, Description}
        self.policies: dict[str, dict] = {}  # customer managed, by name
        self.saml: list[dict] = []
        self.oidc: list[dict] = []
        self.resource_policies: list[dict] | None = None

    # -- encoding -------------------------------------------------------------------------------------
    def enc(self, document: dict, encoding: str | None = None):
        how = encoding or self.encoding
        if how == "object":
            return document
        text = json.dumps(document, separators=(",", ":"))
        if how == "json":
            return text
        if how == "url":
            return quote(text, safe="")
        raise ValueError(how)

    # -- managed policies ------------------------------------------------------------------------------
    def policy(self, name: str, document: dict, *, path: str = "/", description: str = "",
               old_versions: list[dict] | None = None, created: str = "2024-03-04T10:00:00+00:00",
               encoding: str | None = None) -> str:
        arn = f"arn:aws:iam::{self.id}:policy{path}{name}"
        versions = []
        for i, old in enumerate(old_versions or []):
            versions.append({"Document": self.enc(old, encoding), "VersionId": f"v{i + 1}",
                             "IsDefaultVersion": False, "CreateDate": created})
        default_id = f"v{len(versions) + 1}"
        versions.insert(0, {"Document": self.enc(document, encoding), "VersionId": default_id,
                            "IsDefaultVersion": True, "CreateDate": "2025-06-16T14:30:00+00:00"
                            if old_versions else created})
        self.policies[name] = {
            "PolicyName": name, "PolicyId": unique_id("ANPA", arn), "Arn": arn, "Path": path,
            "DefaultVersionId": default_id, "AttachmentCount": 0, "PermissionsBoundaryUsageCount": 0,
            "IsAttachable": True, "CreateDate": created,
            "UpdateDate": versions[0]["CreateDate"], "PolicyVersionList": versions,
        }
        if description:
            self.policies[name]["Description"] = description
        return arn

    def _managed_ref(self, name: str) -> dict:
        if name in AWS_MANAGED:
            return {"PolicyName": name, "PolicyArn": aws_policy_arn(name)}
        if name not in self.policies:
            raise KeyError(f"{self.id}: managed policy {name} not defined")
        return {"PolicyName": name, "PolicyArn": self.policies[name]["Arn"]}

    def _boundary(self, name: str) -> dict:
        return {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": self._managed_ref(name)["PolicyArn"]}

    @staticmethod
    def _tags(tags: dict[str, str] | None) -> list[dict]:
        return [{"Key": k, "Value": v} for k, v in (tags or {}).items()]

    def _inline(self, inline: dict[str, dict] | None, name_key: str, encodings: dict[str, str] | None) -> list:
        return [{name_key: n, "PolicyDocument": self.enc(d, (encodings or {}).get(n))}
                for n, d in (inline or {}).items()]

    # -- principals ------------------------------------------------------------------------------------
    def group(self, name: str, *, managed=(), inline=None, path: str = "/", inline_encoding=None,
              created="2024-01-15T09:00:00+00:00") -> None:
        arn = f"arn:aws:iam::{self.id}:group{path}{name}"
        self.groups.append({
            "Path": path, "GroupName": name, "GroupId": unique_id("AGPA", arn), "Arn": arn, "CreateDate": created,
            "GroupPolicyList": self._inline(inline, "PolicyName", inline_encoding),
            "AttachedManagedPolicies": [self._managed_ref(m) for m in managed],
        })

    def user(self, name: str, *, path: str = "/", groups=(), managed=(), inline=None, boundary=None, tags=None,
             created="2024-02-01T09:00:00+00:00", inline_encoding=None) -> str:
        arn = f"arn:aws:iam::{self.id}:user{path}{name}"
        item = {
            "Path": path, "UserName": name, "UserId": unique_id("AIDA", arn), "Arn": arn, "CreateDate": created,
            "UserPolicyList": self._inline(inline, "PolicyName", inline_encoding),
            "GroupList": list(groups),
            "AttachedManagedPolicies": [self._managed_ref(m) for m in managed],
            "Tags": self._tags(tags),
        }
        if boundary:
            item["PermissionsBoundary"] = self._boundary(boundary)
        self.users.append(item)
        return arn

    def role(self, name: str, trust: dict, *, path: str = "/", managed=(), inline=None, boundary=None,
             tags=None, last_used: str | None = None, last_region: str = REGION, max_session: int = 3600,
             description: str = "", instance_profile: bool = False, created="2024-03-04T10:00:00+00:00",
             trust_encoding: str | None = None, inline_encoding=None) -> str:
        arn = f"arn:aws:iam::{self.id}:role{path}{name}"
        role_id = unique_id("AROA", arn)
        item = {
            "Path": path, "RoleName": name, "RoleId": role_id, "Arn": arn, "CreateDate": created,
            "AssumeRolePolicyDocument": self.enc(trust, trust_encoding),
            "InstanceProfileList": [],
            "RolePolicyList": self._inline(inline, "PolicyName", inline_encoding),
            "AttachedManagedPolicies": [self._managed_ref(m) for m in managed],
            "Tags": self._tags(tags),
            "RoleLastUsed": ({"LastUsedDate": last_used, "Region": last_region} if last_used else {}),
        }
        if boundary:
            item["PermissionsBoundary"] = self._boundary(boundary)
        if instance_profile:
            ip_arn = f"arn:aws:iam::{self.id}:instance-profile{path}{name}"
            item["InstanceProfileList"].append({
                "Path": path, "InstanceProfileName": name, "InstanceProfileId": unique_id("AIPA", ip_arn),
                "Arn": ip_arn, "CreateDate": created,
                "Roles": [{"Path": path, "RoleName": name, "RoleId": role_id, "Arn": arn, "CreateDate": created,
                           "AssumeRolePolicyDocument": self.enc(trust, trust_encoding)}],
            })
        self.roles.append(item)
        extra = {"MaxSessionDuration": max_session}
        if description:
            extra["Description"] = description
        self.role_extras[arn] = extra
        return arn

    def service_linked_role(self, service: str, name: str, policy: str, description: str,
                            last_used: str | None = None) -> str:
        return self.role(name, doc(trust_service(service)), path=f"/aws-service-role/{service}/",
                         managed=[policy], description=description, last_used=last_used,
                         created="2023-11-02T08:00:00+00:00")

    # -- output ----------------------------------------------------------------------------------------
    def authorization_details(self) -> dict:
        attach: dict[str, int] = {}
        boundary_use: dict[str, int] = {}
        for item in self.users + self.groups + self.roles:
            for ref in item["AttachedManagedPolicies"]:
                attach[ref["PolicyArn"]] = attach.get(ref["PolicyArn"], 0) + 1
            if "PermissionsBoundary" in item:
                arn = item["PermissionsBoundary"]["PermissionsBoundaryArn"]
                boundary_use[arn] = boundary_use.get(arn, 0) + 1
        policies = []
        for item in self.policies.values():
            p = dict(item)
            p["AttachmentCount"] = attach.get(p["Arn"], 0)
            p["PermissionsBoundaryUsageCount"] = boundary_use.get(p["Arn"], 0)
            policies.append(p)
        for name in sorted(AWS_MANAGED):
            arn = aws_policy_arn(name)
            if arn not in attach and arn not in boundary_use:
                continue
            path, version, document = AWS_MANAGED[name]
            policies.append({
                "PolicyName": name, "PolicyId": unique_id("ANPA", arn), "Arn": arn, "Path": path,
                "DefaultVersionId": version, "AttachmentCount": attach.get(arn, 0),
                "PermissionsBoundaryUsageCount": boundary_use.get(arn, 0), "IsAttachable": True,
                "CreateDate": "2015-02-06T18:39:46+00:00", "UpdateDate": "2025-09-30T17:05:12+00:00",
                "PolicyVersionList": [{"Document": self.enc(document), "VersionId": version,
                                       "IsDefaultVersion": True, "CreateDate": "2025-09-30T17:05:12+00:00"}],
            })
        return {"UserDetailList": self.users, "GroupDetailList": self.groups, "RoleDetailList": self.roles,
                "Policies": policies}

    def list_roles(self) -> dict:
        out = []
        for r in self.roles:
            item = {"Path": r["Path"], "RoleName": r["RoleName"], "RoleId": r["RoleId"], "Arn": r["Arn"],
                    "CreateDate": r["CreateDate"], "AssumeRolePolicyDocument": r["AssumeRolePolicyDocument"]}
            if isinstance(item["AssumeRolePolicyDocument"], str):  # list-roles output: the CLI decodes it
                item["AssumeRolePolicyDocument"] = json.loads(unquote(item["AssumeRolePolicyDocument"]))
            item.update(self.role_extras[r["Arn"]])
            out.append(item)
        return {"Roles": out}

    def identity_providers(self) -> dict:
        return {"SAMLProviderList": self.saml, "OpenIDConnectProviderList": self.oidc}

    def add_saml(self) -> str:
        arn = f"arn:aws:iam::{self.id}:saml-provider/ExampleCorpOkta"
        self.saml.append({"Arn": arn, "ValidUntil": "2125-01-01T00:00:00+00:00",
                          "CreateDate": "2024-01-10T12:00:00+00:00"})
        return arn

    def add_github_oidc(self) -> str:
        arn = f"arn:aws:iam::{self.id}:oidc-provider/{GITHUB}"
        self.oidc.append({"Arn": arn, "Url": f"https://{GITHUB}", "ClientIDList": ["sts.amazonaws.com"],
                          "ThumbprintList": ["6938fd4d98bab03faadb97b34396831e3780aea1"]})
        return arn

    def resource_policy(self, arn: str, policy: dict, **extra) -> None:
        if self.resource_policies is None:
            self.resource_policies = []
        self.resource_policies.append({"Arn": arn, "Policy": policy, **extra})


# --------------------------------------------------------------------------------------------------------
# The accounts' contents
# --------------------------------------------------------------------------------------------------------
def build_accounts() -> dict[str, Account]:
    names = {a[0]: a[1] for a in ACCOUNTS}
    accts = {
        MGMT: Account(MGMT, names[MGMT], encoding="url"),  # raw IAM API form
        SEC: Account(SEC, names[SEC]),
        LOG: Account(LOG, names[LOG]),
        SHR: Account(SHR, names[SHR]),
        NET: Account(NET, names[NET]),
        PRD: Account(PRD, names[PRD]),
        DEV: Account(DEV, names[DEV]),
        SBX: Account(SBX, names[SBX], roles_json=False),  # MaxSessionDuration unknown: 3600 assumed
    }

    # -- baseline in every member account (deployed by Control Tower / StackSets) -------------------------
    for acct_id in MEMBERS:
        a = accts[acct_id]
        a.role("OrganizationAccountAccessRole", doc(trust_aws(root(MGMT))), managed=["AdministratorAccess"],
               description="Created by AWS Organizations for the management account",
               last_used="2026-10-02T11:20:00+00:00" if acct_id in (PRD, SBX) else "2025-01-15T10:30:00+00:00",
               created="2023-11-02T08:00:00+00:00")
        a.role("SecurityAuditor", doc(trust_aws(root(SEC), MFA_TRUE, sid="SecurityAccountWithMFA")),
               path="/security/", managed=["SecurityAudit", "ReadOnlyAccess"], max_session=14400,
               description="Read-only audit access for the security team (MFA required)",
               tags={"owner": "security", "deployed-by": "stackset-security-baseline"},
               last_used="2026-11-18T15:42:00+00:00" if acct_id in (PRD, LOG) else "2026-07-21T09:10:00+00:00",
               created="2024-01-20T10:00:00+00:00")
        a.service_linked_role("support.amazonaws.com", "AWSServiceRoleForSupport", "AWSSupportServiceRolePolicy",
                              "Enables resource access for AWS to provide billing, administrative and support "
                              "services", last_used="2026-06-03T04:00:00+00:00")

    build_management(accts[MGMT])
    build_security(accts[SEC])
    build_log_archive(accts[LOG])
    build_shared_services(accts[SHR])
    build_network(accts[NET])
    build_prod(accts[PRD])
    build_dev(accts[DEV])
    build_sandbox(accts[SBX])
    return accts


def build_management(a: Account) -> None:
    a.add_saml()
    a.role("OrgAdmin", doc(trust_saml(MGMT)), path="/okta/", managed=["AdministratorAccess"], max_session=28800,
           inline={"AssumeIntoMemberAccounts": doc(stmt(
               "Allow", "sts:AssumeRole", "arn:aws:iam::*:role/OrganizationAccountAccessRole"))},
           description="Okta-federated organization administrators", tags={"owner": "cloud-platform"},
           last_used="2026-11-12T08:05:00+00:00")
    a.service_linked_role("organizations.amazonaws.com", "AWSServiceRoleForOrganizations",
                          "AWSOrganizationsServiceTrustPolicy",
                          "Service-linked role used by AWS Organizations to enable integration of other AWS "
                          "services with Organizations.", last_used="2026-11-19T23:00:00+00:00")
    a.service_linked_role("support.amazonaws.com", "AWSServiceRoleForSupport", "AWSSupportServiceRolePolicy",
                          "Enables resource access for AWS to provide billing, administrative and support "
                          "services", last_used="2026-06-03T04:00:00+00:00")


def build_security(a: Account) -> None:
    a.add_saml()
    a.policy("ForceMFA", doc(
        stmt("Allow", ["iam:ListMFADevices", "iam:ListVirtualMFADevices", "iam:GetUser"], sid="AllowViewOwnMFA"),
        stmt("Allow", ["iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:ResyncMFADevice",
                       "iam:ChangePassword"],
             ["arn:aws:iam::*:mfa/${aws:username}", "arn:aws:iam::*:user/people/${aws:username}"],
             sid="AllowManageOwnMFA"),
        stmt("Deny", None, "*", sid="DenyAllExceptMFASetupWithoutMFA",
             not_action=["iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:GetUser", "iam:ListMFADevices",
                         "iam:ListVirtualMFADevices", "iam:ResyncMFADevice", "iam:ChangePassword",
                         "sts:GetSessionToken"],
             condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}})),
        path="/", description="Deny everything except MFA self-service until the caller signs in with MFA "
                              "(BoolIfExists: also blocks long-term access keys)")
    a.policy("SecurityEngineerAccess", doc(
        stmt("Allow", "sts:AssumeRole", role_arn(SEC, "SecurityAdmin"), sid="AssumeSecurityAdmin"),
        stmt("Allow", "sts:AssumeRole", "arn:aws:iam::*:role/security/SecurityAuditor", sid="AssumeAuditorRoles")),
        description="What the security engineers may assume")
    a.policy("ContractorBoundary", doc(
        stmt("Allow", ["s3:Get*", "s3:List*", "cloudwatch:Get*", "cloudwatch:List*", "logs:Get*",
                       "logs:FilterLogEvents", "iam:Get*", "iam:List*"], sid="ReadOnlyEvidence")),
        description="Permissions boundary for contractors: read evidence only (no sts:AssumeRole)")

    a.group("SecurityEngineers", managed=["SecurityEngineerAccess", "ForceMFA", "ReadOnlyAccess"])
    a.group("Auditors", managed=["SecurityAudit"], inline={
        # The classic mistake: `Bool` instead of `BoolIfExists`. Long-term access keys carry no
        # aws:MultiFactorAuthPresent key at all, so this Deny never applies to them.
        "RequireMFA": doc(stmt("Deny", None, "*", sid="DenyWithoutMFA",
                               not_action=["iam:*MFA*", "iam:GetUser", "sts:GetSessionToken"],
                               condition={"Bool": {"aws:MultiFactorAuthPresent": "false"}})),
        "AssumeAuditorRoles": doc(stmt("Allow", "sts:AssumeRole", "arn:aws:iam::*:role/security/SecurityAuditor")),
    }, inline_encoding={"RequireMFA": "json"})

    a.user("alice.nguyen", path="/people/", groups=["SecurityEngineers"],
           tags={"team": "security", "email": "alice.nguyen@example.com", "cost-center": "SEC-100"},
           created="2023-12-04T09:12:00+00:00")
    a.user("bob.martin", path="/people/", groups=["Auditors"],
           tags={"team": "audit", "email": "bob.martin@example.com", "cost-center": "AUD-200"},
           inline={"ViewBilling": doc(stmt("Allow", ["ce:Get*", "ce:Describe*", "budgets:View*"]))},
           created="2024-04-22T13:30:00+00:00")
    a.user("carol.smith", path="/people/", groups=["SecurityEngineers", "Auditors"],
           tags={"team": "security", "email": "carol.smith@example.com", "on-call": "true"},
           created="2024-09-09T08:45:00+00:00")
    a.user("dave.contractor", path="/people/", managed=["ReadOnlyAccess"], boundary="ContractorBoundary",
           tags={"team": "external", "company": "Initech", "expires": "2026-12-31"},
           created="2025-08-01T10:00:00+00:00")

    a.role("SecurityAdmin", doc(trust_aws(root(SEC), MFA_TRUE, sid="SecurityAccountUsersWithMFA")),
           managed=["SecurityAudit", "ReadOnlyAccess"], max_session=3600,
           inline={"AssumeOnward": doc(
               stmt("Allow", "sts:AssumeRole", [role_arn(SHR, "InfraAdmin"), role_arn(LOG, "LogArchiveAdmin")],
                    sid="AssumeInfraAndLogArchiveAdmin"))},
           description="Security administrators: first hop of the admin chain (MFA required)",
           tags={"owner": "security", "tier": "admin"}, last_used="2026-11-19T08:01:12+00:00")
    a.role("IncidentResponder", doc(trust_aws([f"arn:aws:iam::{SEC}:user/people/bob.martin",
                                               f"arn:aws:iam::{SEC}:user/people/dave.contractor"])),
           managed=["SecurityAudit"], max_session=7200,
           description="Incident response: trusts two users by name (no identity policy needed for them)",
           tags={"owner": "security"}, last_used="2026-09-30T22:14:00+00:00")
    a.role("SecurityEngineer", doc(trust_saml(SEC)), path="/okta/", managed=["SecurityAudit", "ReadOnlyAccess"],
           max_session=28800, description="Okta-federated security engineers",
           tags={"owner": "security"}, last_used="2026-11-19T07:55:00+00:00")


def build_log_archive(a: Account) -> None:
    a.role("LogArchiveAdmin", doc(trust_aws([role_arn(SEC, "SecurityAdmin"), DANGLING_ROLE_ID],
                                            sid="SecurityAdminAndDeletedRole")),
           managed=["ReadOnlyAccess"],
           inline={"ManageLogBuckets": doc(stmt("Allow", ["s3:*"], ["arn:aws:s3:::example-corp-*",
                                                                    "arn:aws:s3:::example-corp-*/*"]))},
           max_session=3600, description="Log archive administration",
           tags={"owner": "security"}, last_used="2026-11-02T10:00:00+00:00")
    a.role("LegacyAuditAccess", doc(trust_aws(root(SHR))), managed=["ReadOnlyAccess"], max_session=3600,
           description="Old read-only access for the shared-services account; nobody remembers who uses it",
           created="2022-05-17T16:20:00+00:00")  # RoleLastUsed empty: never used
    trail_bucket = "example-corp-org-cloudtrail"
    a.resource_policy(f"arn:aws:s3:::{trail_bucket}", doc(
        {"Sid": "AWSCloudTrailAclCheck", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:GetBucketAcl", "Resource": f"arn:aws:s3:::{trail_bucket}",
         "Condition": {"StringEquals": {"aws:SourceArn": f"arn:aws:cloudtrail:{REGION}:{MGMT}:trail/org-trail"}}},
        {"Sid": "AWSCloudTrailWrite", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{trail_bucket}/AWSLogs/{ORG_ID}/*",
         "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control",
                                        "aws:SourceArn": f"arn:aws:cloudtrail:{REGION}:{MGMT}:trail/org-trail"}}},
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [f"arn:aws:s3:::{trail_bucket}", f"arn:aws:s3:::{trail_bucket}/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}),
        ObjectOwnership="BucketOwnerEnforced")
    a.resource_policy("arn:aws:s3:::example-corp-app-logs", doc(
        {"Sid": "OrgAccountsMayWriteLogs", "Effect": "Allow", "Principal": {"AWS": "*"},
         "Action": ["s3:PutObject"], "Resource": "arn:aws:s3:::example-corp-app-logs/*",
         "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}}),
        ObjectOwnership="BucketOwnerEnforced")
    a.resource_policy("arn:aws:s3:::example-corp-legacy-exports", doc(
        {"Sid": "PartnersMayUpload", "Effect": "Allow",
         "Principal": {"AWS": [root(PRD), root(VENDOR)]},
         "Action": ["s3:PutObject", "s3:PutObjectAcl"], "Resource": "arn:aws:s3:::example-corp-legacy-exports/*"}),
        ObjectOwnership="ObjectWriter")
    a.resource_policy(KMS_KEY_ARN, {
        "Version": V, "Id": "key-log-archive",
        "Statement": [
            {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": root(LOG)},
             "Action": "kms:*", "Resource": "*"},
            {"Sid": "Allow CloudTrail to encrypt logs", "Effect": "Allow",
             "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "kms:GenerateDataKey*",
             "Resource": "*",
             "Condition": {"StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn":
                                          f"arn:aws:cloudtrail:*:{MGMT}:trail/*"}}},
            {"Sid": "Allow use of the key by prod and shared-services", "Effect": "Allow",
             "Principal": {"AWS": [root(PRD), role_arn(SHR, "InfraAdmin")]},
             "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
             "Resource": "*"},
        ]}, KeyManager="CUSTOMER", Description="Log archive encryption key")


def build_shared_services(a: Account) -> None:
    a.add_github_oidc()
    a.role("InfraAdmin", doc(trust_aws(role_arn(SEC, "SecurityAdmin"), sid="FromSecurityAdmin")),
           managed=["PowerUserAccess"], max_session=3600,
           inline={"AssumeWorkloadAdmins": doc(stmt(
               "Allow", "sts:AssumeRole",
               [role_arn(PRD, "ProdAdmin"), role_arn(DEV, "DevAdmin"), role_arn(NET, "NetworkAdmin")]))},
           description="Infrastructure administrators: second hop of the admin chain",
           tags={"owner": "cloud-platform", "tier": "admin"}, last_used="2026-11-19T08:03:40+00:00")
    a.role("github-actions-infra-deploy", doc(trust_github(SHR, {"StringEquals": {
        f"{GITHUB}:aud": "sts.amazonaws.com",
        f"{GITHUB}:sub": "repo:example-corp/infra:ref:refs/heads/main"}})),
        managed=["PowerUserAccess"], max_session=3600,
        inline={"DeployToProd": doc(stmt("Allow", "sts:AssumeRole", role_arn(PRD, "ProdDeploy")))},
        description="GitHub Actions: example-corp/infra, main branch only",
        tags={"owner": "cloud-platform", "repo": "example-corp/infra"}, last_used="2026-11-19T12:30:05+00:00")
    a.role("ArtifactReader", doc(trust_aws("*", {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}},
                                           sid="AnyPrincipalInTheOrganization")),
           inline={"ReadArtifacts": doc(stmt("Allow", ["s3:GetObject", "s3:ListBucket"],
                                             ["arn:aws:s3:::example-corp-artifacts",
                                              "arn:aws:s3:::example-corp-artifacts/*"]))},
           max_session=3600, description="Any principal of the organization may read build artifacts",
           tags={"owner": "cloud-platform"}, last_used="2026-11-19T12:40:00+00:00")
    a.role("AcmeCostExplorerReadOnly", doc(trust_aws(root(VENDOR))), managed=["ReadOnlyAccess"],
           max_session=3600, description="Acme Monitoring cost explorer (set up without an external id)",
           tags={"vendor": "acme-monitoring"}, last_used="2025-03-02T06:00:00+00:00",
           created="2021-11-08T12:00:00+00:00")
    a.user("ci-jenkins", path="/service-accounts/",
           inline={"DeployToProd": doc(stmt("Allow", "sts:AssumeRole", role_arn(PRD, "ProdDeploy"))),
                   "ReadArtifacts": doc(stmt("Allow", "s3:GetObject", "arn:aws:s3:::example-corp-artifacts/*"))},
           tags={"purpose": "ci", "owner": "cloud-platform"},
           created="2020-06-30T10:00:00+00:00")
    a.resource_policy("arn:aws:s3:::example-corp-artifacts", doc(
        {"Sid": "OrgRead", "Effect": "Allow", "Principal": {"AWS": "*"},
         "Action": ["s3:GetObject", "s3:ListBucket"],
         "Resource": ["arn:aws:s3:::example-corp-artifacts", "arn:aws:s3:::example-corp-artifacts/*"],
         "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}}), ObjectOwnership="BucketOwnerEnforced")


def build_network(a: Account) -> None:
    a.role("NetworkAdmin", doc(trust_aws(role_arn(SHR, "InfraAdmin"))), managed=["NetworkAdministrator"],
           max_session=7200, description="Network administration from shared-services",
           tags={"owner": "network"}, last_used="2026-11-14T16:00:00+00:00")
    # resource-policies.json is missing on purpose: see the manifest's gaps.


def build_prod(a: Account) -> None:
    a.role("ProdAdmin", doc(trust_aws(role_arn(SHR, "InfraAdmin"), sid="FromInfraAdmin")),
           managed=["ReadOnlyAccess"], max_session=3600,
           inline={"AssumeBreakGlass": doc(stmt("Allow", "sts:AssumeRole", role_arn(PRD, "BreakGlassAdmin")))},
           description="Production administrators: third hop of the admin chain",
           tags={"owner": "cloud-platform", "tier": "admin"}, last_used="2026-11-19T08:05:02+00:00")
    a.role("BreakGlassAdmin", doc(trust_aws(root(PRD), sid="AnyPrincipalOfProdWithPermission")),
           managed=["AdministratorAccess"], max_session=43200,
           description="Emergency full access (12 h sessions; the SCP RestrictBreakGlass limits who may assume it)",
           tags={"owner": "security", "criticality": "break-glass"}, last_used="2026-11-19T08:06:30+00:00")
    a.role("ProdDeploy", doc(trust_aws([role_arn(SHR, "github-actions-infra-deploy"),
                                        f"arn:aws:iam::{SHR}:user/service-accounts/ci-jenkins"])),
           max_session=3600,
           inline={
               "Deploy": doc(stmt("Allow", ["cloudformation:*", "ecs:*", "lambda:*", "s3:*", "ecr:*"]),
                             stmt("Allow", "iam:PassRole", f"arn:aws:iam::{PRD}:role/service-role/*"),
                             # too broad: reaches BreakGlassAdmin's trust, only the SCP stops it
                             stmt("Allow", "sts:AssumeRole", "*", sid="AssumeAnything")),
               "AWSRevokeOlderSessions": doc(stmt("Deny", "*", condition={
                   "DateLessThan": {"aws:TokenIssueTime": REVOKE_BEFORE}})),
           },
           description="Deployments to production (sessions issued before 2026-10-01 revoked)",
           tags={"owner": "cloud-platform"}, last_used="2026-11-19T12:31:00+00:00")
    a.role("AcmeMonitoringIntegration", doc(trust_aws(root(VENDOR), {"StringEquals": {
        "sts:ExternalId": VENDOR_EXTERNAL_ID}}, sid="AcmeMonitoringWithExternalId")),
        managed=["ReadOnlyAccess"], max_session=3600,
        description="Acme Monitoring SaaS integration (external id required)",
        tags={"vendor": "acme-monitoring"}, last_used="2026-11-19T10:15:00+00:00")
    a.role("order-processor-lambda", doc(trust_service("lambda.amazonaws.com")), path="/service-role/",
           managed=["AWSLambdaBasicExecutionRole"],
           inline={"OrdersTable": doc(stmt("Allow", ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
                                                     "dynamodb:Query"],
                                           f"arn:aws:dynamodb:{REGION}:{PRD}:table/orders"))},
           max_session=3600, description="Lambda execution role of the order processor",
           tags={"app": "orders"}, last_used="2026-11-19T23:59:00+00:00")
    a.role("app-server-ec2", doc(trust_service("ec2.amazonaws.com")), managed=["AmazonSSMManagedInstanceCore"],
           inline={"ReadArtifactsViaRole": doc(stmt("Allow", "sts:AssumeRole", role_arn(SHR, "ArtifactReader")))},
           instance_profile=True, max_session=3600, description="EC2 application servers (instance profile)",
           tags={"app": "storefront"}, last_used="2026-11-19T12:39:58+00:00")
    a.resource_policy("arn:aws:s3:::example-corp-prod-data", doc(
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": ["arn:aws:s3:::example-corp-prod-data", "arn:aws:s3:::example-corp-prod-data/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}), ObjectOwnership="BucketOwnerEnforced")


def build_dev(a: Account) -> None:
    a.add_saml()
    a.add_github_oidc()
    a.policy("DeveloperBoundary", doc(
        stmt("Allow", None, "*", sid="EverythingButIdentityAdministration",
             not_action=["iam:*", "organizations:*", "account:*"]),
        stmt("Allow", ["iam:Get*", "iam:List*", "iam:PassRole"], sid="ReadIamAndPassAppRoles",
             resource="*"),
        stmt("Deny", ["iam:DeleteRolePermissionsBoundary", "iam:PutRolePermissionsBoundary",
                      "iam:DeleteUserPermissionsBoundary", "iam:PutUserPermissionsBoundary"],
             sid="KeepTheBoundary")),
        description="Permissions boundary for developer roles",
        old_versions=[doc(stmt("Allow", "*"))],  # v1, no longer the default
        created="2024-05-02T09:00:00+00:00")
    a.role("Developer", doc(trust_saml(DEV)), path="/okta/", managed=["PowerUserAccess"],
           boundary="DeveloperBoundary", max_session=28800, description="Okta-federated developers",
           tags={"owner": "engineering"}, last_used="2026-11-19T09:00:00+00:00")
    a.role("DevAdmin", doc(trust_aws(role_arn(SHR, "InfraAdmin"))), managed=["AdministratorAccess"],
           max_session=3600, description="Dev account administration from shared-services",
           tags={"owner": "cloud-platform"}, last_used="2026-10-28T13:00:00+00:00")
    a.role("github-actions-dev", doc(trust_github(DEV, {
        "StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com"},
        "StringLike": {f"{GITHUB}:sub": "repo:*"}})),
        managed=["PowerUserAccess"], boundary="DeveloperBoundary", max_session=3600,
        description="GitHub Actions for dev (any repository: sub is repo:*)",
        tags={"owner": "engineering"}, last_used="2026-11-19T11:02:00+00:00")
    # D36: ABAC trust on a principal tag; the Okta Developer sessions carry IdP session tags (sts:TagSession)
    a.role("DataPlatformAnalyst", doc(trust_aws(root(DEV), {"StringEquals": {"aws:PrincipalTag/team": "data-platform"}},
                                                sid="DataPlatformTeamOnly")),
           managed=["ReadOnlyAccess"], max_session=3600,
           description="Analysts of the data platform team (ABAC: principal tag team=data-platform)",
           tags={"owner": "data-platform"}, last_used="2026-11-18T15:20:00+00:00")
    a.role("ContractorAccess", doc(trust_aws(root(CONTRACTOR))), managed=["ReadOnlyAccess"], max_session=3600,
           description="Globex Consulting (engagement ended 2025)", tags={"vendor": "globex"},
           created="2024-02-12T10:00:00+00:00")  # never used
    a.resource_policy(f"arn:aws:sqs:{REGION}:{DEV}:build-events", {
        "Version": V, "Id": "build-events-policy",
        "Statement": [{"Sid": "SharedServicesSend", "Effect": "Allow", "Principal": {"AWS": root(SHR)},
                       "Action": "sqs:SendMessage", "Resource": f"arn:aws:sqs:{REGION}:{DEV}:build-events"}]})


def build_sandbox(a: Account) -> None:
    a.add_github_oidc()
    a.role("github-actions-sandbox", doc(trust_github(SBX, {"StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com"}})),
           managed=["AdministratorAccess"], max_session=3600,
           description="GitHub Actions for experiments (no sub condition: any repository)",
           tags={"owner": "engineering"}, last_used="2026-11-10T17:45:00+00:00")
    a.resource_policy(f"arn:aws:secretsmanager:{REGION}:{SBX}:secret:sandbox/api-token-Xy12Ab", doc(
        {"Sid": "DevMayRead", "Effect": "Allow", "Principal": {"AWS": root(DEV)},
         "Action": "secretsmanager:GetSecretValue", "Resource": "*"}))


# --------------------------------------------------------------------------------------------------------
# The organization
# --------------------------------------------------------------------------------------------------------
def organization() -> dict:
    every_target = [ROOT_ID] + [ou[0] for ou in OUS] + [a[0] for a in ACCOUNTS]
    sandbox_scp = doc(
        stmt("Deny", ["organizations:LeaveOrganization"], sid="DenyLeavingTheOrganization"),
        stmt("Deny", ["iam:CreateUser", "iam:CreateAccessKey", "iam:CreateLoginProfile"], sid="DenyIamUsers"),
        stmt("Deny", None, "*", sid="DenyOutsideApprovedRegions",
             not_action=["iam:*", "organizations:*", "sts:*", "support:*", "cloudfront:*", "route53:*",
                         "budgets:*", "ce:*", "health:*", "waf:*", "globalaccelerator:*"],
             condition={"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "us-east-1"]}}))
    protect_scp = doc(stmt(
        "Deny", ["iam:AttachRolePolicy", "iam:DeleteRole", "iam:DeleteRolePermissionsBoundary",
                 "iam:DeleteRolePolicy", "iam:DetachRolePolicy", "iam:PutRolePermissionsBoundary",
                 "iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:UpdateRole"],
        ["arn:aws:iam::*:role/security/*", "arn:aws:iam::*:role/OrganizationAccountAccessRole"],
        sid="ProtectSecurityRoles",
        condition={"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/OrganizationAccountAccessRole"}}))
    break_glass_scp = doc(stmt(
        "Deny", "sts:AssumeRole", "arn:aws:iam::*:role/BreakGlassAdmin", sid="OnlyProdAdminMayBreakTheGlass",
        condition={"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/ProdAdmin"}}))
    baseline_scp = doc(stmt(
        "Deny", ["cloudtrail:DeleteTrail", "cloudtrail:StopLogging", "cloudtrail:UpdateTrail",
                 "config:DeleteConfigurationRecorder", "config:StopConfigurationRecorder"],
        sid="ProtectAuditTrail"))
    perimeter_rcp = doc({
        "Sid": "EnforceOrgIdentities", "Effect": "Deny", "Principal": "*",
        "Action": ["s3:*", "sqs:*", "kms:*", "secretsmanager:*", "sts:AssumeRole", "sts:DecodeAuthorizationMessage",
                   "sts:GetAccessKeyInfo", "sts:GetFederationToken", "sts:GetServiceBearerToken",
                   "sts:GetSessionToken", "sts:SetContext"],
        "Resource": "*",
        "Condition": {
            "StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG_ID, "aws:PrincipalAccount": [VENDOR]},
            "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}})
    full = doc(stmt("Allow", "*"))
    rcp_full = {"Version": V, "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}
    return {
        "Organization": {"Id": ORG_ID, "Arn": f"arn:aws:organizations::{MGMT}:organization/{ORG_ID}",
                         "MasterAccountId": MGMT, "MasterAccountEmail": "aws-management@example.com",
                         "FeatureSet": "ALL"},
        "Roots": [{"Id": ROOT_ID, "Name": "Root", "Arn": f"arn:aws:organizations::{MGMT}:root/{ORG_ID}/{ROOT_ID}",
                   "PolicyTypes": [{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"},
                                   {"Type": "RESOURCE_CONTROL_POLICY", "Status": "ENABLED"}]}],
        "OrganizationalUnits": [
            {"Id": ou_id, "Name": name, "ParentId": parent,
             "Arn": f"arn:aws:organizations::{MGMT}:ou/{ORG_ID}/{ou_id}"} for ou_id, name, parent in OUS],
        "Accounts": [
            {"Id": acct_id, "Name": name, "Email": email, "State": "ACTIVE", "Status": "ACTIVE", "ParentId": parent,
             "Arn": f"arn:aws:organizations::{MGMT}:account/{ORG_ID}/{acct_id}",
             "JoinedMethod": "INVITED" if acct_id == MGMT else "CREATED",
             "JoinedTimestamp": "2023-11-02T08:00:00+00:00"} for acct_id, name, parent, email in ACCOUNTS],
        "Policies": [
            {"Id": "p-FullAWSAccess", "Name": "FullAWSAccess", "Type": "SERVICE_CONTROL_POLICY", "AwsManaged": True,
             "Description": "Allows access to every operation", "Content": full, "Targets": every_target},
            {"Id": "p-exbaseln01", "Name": "BaselineGuardrails", "Type": "SERVICE_CONTROL_POLICY",
             "AwsManaged": False, "Description": "Nobody in a member account may stop the audit trail",
             "Content": json.dumps(baseline_scp, indent=4), "Targets": [ROOT_ID]},
            {"Id": "p-exsandbx01", "Name": "SandboxGuardrails", "Type": "SERVICE_CONTROL_POLICY",
             "AwsManaged": False, "Description": "Sandbox: no leaving, no IAM users, two regions only",
             "Content": json.dumps(sandbox_scp, indent=4), "Targets": [OU_SANDBOX]},
            {"Id": "p-exprotct01", "Name": "ProtectSecurityRoles", "Type": "SERVICE_CONTROL_POLICY",
             "AwsManaged": False, "Description": "Security roles may be changed only by OrganizationAccountAccessRole",
             "Content": protect_scp, "Targets": [OU_WORKLOADS]},
            {"Id": "p-exbrkgls01", "Name": "RestrictBreakGlass", "Type": "SERVICE_CONTROL_POLICY",
             "AwsManaged": False, "Description": "Only ProdAdmin may assume BreakGlassAdmin",
             "Content": break_glass_scp, "Targets": [OU_PROD]},
            {"Id": "p-RCPFullAWSAccess", "Name": "RCPFullAWSAccess", "Type": "RESOURCE_CONTROL_POLICY",
             "AwsManaged": True, "Description": "Allows access to every operation", "Content": rcp_full,
             "Targets": every_target},
            {"Id": "p-experim001", "Name": "DataPerimeterIdentities", "Type": "RESOURCE_CONTROL_POLICY",
             "AwsManaged": False,
             "Description": "Only organization principals (and Acme Monitoring) may use S3, SQS, KMS, "
                           "Secrets Manager and STS resources",
             "Content": perimeter_rcp, "Targets": [ROOT_ID]},
        ],
    }


# --------------------------------------------------------------------------------------------------------
# CloudTrail
# --------------------------------------------------------------------------------------------------------
def _cred(key: str, expiration: str) -> dict:
    return {"accessKeyId": "ASIA" + unique_id("", "key:" + key, 16), "sessionToken": "IQoJb3JpZ2luX2VjEXAMPLE" +
            hexid("tok:" + key, 24), "expiration": expiration}


def _event(n: str, name: str, time: str, identity: dict, params: dict, response: dict | None, recipient: str,
           *, source_ip: str = "203.0.113.24", agent: str = "aws-cli/2.22.4 Python/3.12.6 Linux/6.8",
           error: tuple[str, str] | None = None) -> dict:
    role = params["roleArn"]
    ev = {
        "eventVersion": "1.08", "userIdentity": identity, "eventTime": time, "eventSource": "sts.amazonaws.com",
        "eventName": name, "awsRegion": REGION, "sourceIPAddress": source_ip, "userAgent": agent,
        "requestParameters": params, "responseElements": response,
        "requestID": uuid_of("req:" + n), "eventID": uuid_of("evt:" + n), "readOnly": True,
        "resources": [{"accountId": role.split(":")[4], "type": "AWS::IAM::Role", "ARN": role}],
        "eventType": "AwsApiCall", "managementEvent": True, "recipientAccountId": recipient,
        "eventCategory": "Management",
    }
    if error:
        ev["errorCode"], ev["errorMessage"] = error
    return ev


def _assumed_user(role: str, session: str, key: str, expiration: str) -> dict:
    acct = role.split(":")[4]
    name = role.rsplit("/", 1)[1]
    rid = unique_id("AROA", role)
    return {"credentials": _cred(key, expiration),
            "assumedRoleUser": {"assumedRoleId": f"{rid}:{session}",
                                "arn": f"arn:aws:sts::{acct}:assumed-role/{name}/{session}"}}


def _user_identity(user_arn: str, access_key: str) -> dict:
    acct = user_arn.split(":")[4]
    return {"type": "IAMUser", "principalId": unique_id("AIDA", user_arn), "arn": user_arn, "accountId": acct,
            "accessKeyId": access_key, "userName": user_arn.rsplit("/", 1)[1]}


def _session_identity(role: str, session: str, creation: str, mfa: bool, key: str) -> dict:
    acct = role.split(":")[4]
    name = role.rsplit("/", 1)[1]
    rid = unique_id("AROA", role)
    return {"type": "AssumedRole", "principalId": f"{rid}:{session}",
            "arn": f"arn:aws:sts::{acct}:assumed-role/{name}/{session}", "accountId": acct,
            "accessKeyId": "ASIA" + unique_id("", "key:" + key, 16),
            "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": rid, "arn": role, "accountId": acct,
                                                 "userName": name},
                               "webIdFederationData": {},
                               "attributes": {"creationDate": creation, "mfaAuthenticated": str(mfa).lower()}}}


def cloudtrail_files() -> dict[str, dict]:
    alice = f"arn:aws:iam::{SEC}:user/people/alice.nguyen"
    jenkins = f"arn:aws:iam::{SHR}:user/service-accounts/ci-jenkins"
    sec_admin, infra_admin = role_arn(SEC, "SecurityAdmin"), role_arn(SHR, "InfraAdmin")
    prod_admin, break_glass = role_arn(PRD, "ProdAdmin"), role_arn(PRD, "BreakGlassAdmin")
    prod_deploy = role_arn(PRD, "ProdDeploy")
    ec2_role = role_arn(PRD, "app-server-ec2")
    gha_infra = role_arn(SHR, "github-actions-infra-deploy")
    gha_dev = role_arn(DEV, "github-actions-dev")

    # File 1 (security account's trail): the admin chain, hop by hop, on 2026-11-19.
    chain = [
        _event("chain-1", "AssumeRole", "2026-11-19T08:01:12Z", _user_identity(alice, "AKIAEXAMPLEALICE0001"),
               {"roleArn": sec_admin, "roleSessionName": "alice.nguyen", "durationSeconds": 3600,
                "serialNumber": f"arn:aws:iam::{SEC}:mfa/alice.nguyen"},
               _assumed_user(sec_admin, "alice.nguyen", "chain-1", "Nov 19, 2026, 9:01:12 AM"), SEC),
        _event("chain-2", "AssumeRole", "2026-11-19T08:03:40Z",
               _session_identity(sec_admin, "alice.nguyen", "2026-11-19T08:01:12Z", True, "chain-1"),
               {"roleArn": infra_admin, "roleSessionName": "alice.nguyen", "durationSeconds": 3600},
               _assumed_user(infra_admin, "alice.nguyen", "chain-2", "Nov 19, 2026, 9:03:40 AM"), SEC),
        _event("chain-3", "AssumeRole", "2026-11-19T08:05:02Z",
               _session_identity(infra_admin, "alice.nguyen", "2026-11-19T08:03:40Z", False, "chain-2"),
               {"roleArn": prod_admin, "roleSessionName": "alice.nguyen", "durationSeconds": 3600},
               _assumed_user(prod_admin, "alice.nguyen", "chain-3", "Nov 19, 2026, 9:05:02 AM"), SHR),
        _event("chain-4", "AssumeRole", "2026-11-19T08:06:30Z",
               _session_identity(prod_admin, "alice.nguyen", "2026-11-19T08:05:02Z", False, "chain-3"),
               {"roleArn": break_glass, "roleSessionName": "alice.nguyen", "durationSeconds": 3600},
               _assumed_user(break_glass, "alice.nguyen", "chain-4", "Nov 19, 2026, 9:06:30 AM"), PRD),
        # A chained request above the one-hour cap fails (role chaining).
        _event("chain-5", "AssumeRole", "2026-11-19T08:06:10Z",
               _session_identity(prod_admin, "alice.nguyen", "2026-11-19T08:05:02Z", False, "chain-3"),
               {"roleArn": break_glass, "roleSessionName": "alice.nguyen", "durationSeconds": 43200}, None, PRD,
               error=("ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles "
                                         "assumed by role chaining.")),
    ]

    # File 2 (gzipped, workloads-prod and shared-services): CI/CD, vendor, service and two unexplained events.
    web_sub = "repo:example-corp/infra:ref:refs/heads/main"
    gha_provider = f"arn:aws:iam::{SHR}:oidc-provider/{GITHUB}"
    prod = [
        _event("oidc-1", "AssumeRoleWithWebIdentity", "2026-11-19T12:30:05Z",
               {"type": "WebIdentityUser", "principalId": f"{gha_provider}:sts.amazonaws.com:{web_sub}",
                "userName": web_sub, "identityProvider": gha_provider},
               {"roleArn": gha_infra, "roleSessionName": "GitHubActions", "durationSeconds": 3600},
               {**_assumed_user(gha_infra, "GitHubActions", "oidc-1", "Nov 19, 2026, 1:30:05 PM"),
                "subjectFromWebIdentityToken": web_sub, "provider": gha_provider, "audience": "sts.amazonaws.com"},
               SHR, source_ip="192.0.2.10", agent="aws-sdk-js/2.1692.0 promise"),
        _event("oidc-2", "AssumeRole", "2026-11-19T12:31:00Z",
               _session_identity(gha_infra, "GitHubActions", "2026-11-19T12:30:05Z", False, "oidc-1"),
               {"roleArn": prod_deploy, "roleSessionName": "GitHubActions-deploy", "durationSeconds": 3600},
               _assumed_user(prod_deploy, "GitHubActions-deploy", "oidc-2", "Nov 19, 2026, 1:31:00 PM"), SHR,
               source_ip="192.0.2.10", agent="aws-sdk-js/2.1692.0 promise"),
        _event("jenkins-1", "AssumeRole", "2026-11-19T12:10:00Z", _user_identity(jenkins, "AKIAEXAMPLEJENKINS01"),
               {"roleArn": prod_deploy, "roleSessionName": "jenkins-build-4711"},
               _assumed_user(prod_deploy, "jenkins-build-4711", "jenkins-1", "Nov 19, 2026, 1:10:00 PM"), SHR,
               source_ip="198.51.100.7", agent="aws-sdk-java/1.12.700"),
        _event("vendor-1", "AssumeRole", "2026-11-19T10:15:00Z",
               {"type": "AWSAccount", "principalId": "AROAEXAMPLEACMEPOLL1:acme-poller", "accountId": VENDOR},
               {"roleArn": role_arn(PRD, "AcmeMonitoringIntegration"), "roleSessionName": "acme-poller",
                "externalId": VENDOR_EXTERNAL_ID, "durationSeconds": 3600},
               _assumed_user(role_arn(PRD, "AcmeMonitoringIntegration"), "acme-poller", "vendor-1",
                             "Nov 19, 2026, 11:15:00 AM"), PRD, source_ip="198.51.100.200",
               agent="Boto3/1.35.0 Python/3.11"),
        _event("ec2-1", "AssumeRole", "2026-11-19T12:00:00Z",
               {"type": "AWSService", "invokedBy": "ec2.amazonaws.com"},
               {"roleArn": ec2_role, "roleSessionName": "i-0a1b2c3d4e5f60718"},
               _assumed_user(ec2_role, "i-0a1b2c3d4e5f60718", "ec2-1", "Nov 19, 2026, 6:00:00 PM"), PRD,
               source_ip="ec2.amazonaws.com", agent="ec2.amazonaws.com"),
        _event("ec2-2", "AssumeRole", "2026-11-19T12:39:58Z",
               _session_identity(ec2_role, "i-0a1b2c3d4e5f60718", "2026-11-19T12:00:00Z", False, "ec2-1"),
               {"roleArn": role_arn(SHR, "ArtifactReader"), "roleSessionName": "storefront-artifacts"},
               _assumed_user(role_arn(SHR, "ArtifactReader"), "storefront-artifacts", "ec2-2",
                             "Nov 19, 2026, 1:39:58 PM"), PRD, source_ip="10.20.30.40",
               agent="Boto3/1.35.0 Python/3.11"),
        # UNEXPLAINED 1: LogArchiveAdmin's trust does not name app-server-ec2 (trust changed after the event?)
        _event("unexplained-1", "AssumeRole", "2026-11-19T13:02:44Z",
               _session_identity(ec2_role, "i-0a1b2c3d4e5f60718", "2026-11-19T12:00:00Z", False, "ec2-1"),
               {"roleArn": role_arn(LOG, "LogArchiveAdmin"), "roleSessionName": "debug"},
               _assumed_user(role_arn(LOG, "LogArchiveAdmin"), "debug", "unexplained-1",
                             "Nov 19, 2026, 2:02:44 PM"), PRD, source_ip="10.20.30.40",
               agent="aws-cli/2.22.4 Python/3.12.6 Linux/6.8"),
        # UNEXPLAINED 2: the role is not in the snapshot (deleted since?)
        _event("unexplained-2", "AssumeRole", "2026-11-18T22:47:13Z", _user_identity(jenkins, "AKIAEXAMPLEJENKINS01"),
               {"roleArn": role_arn(SHR, "terraform-state-legacy"), "roleSessionName": "jenkins-nightly"},
               _assumed_user(role_arn(SHR, "terraform-state-legacy"), "jenkins-nightly", "unexplained-2",
                             "Nov 18, 2026, 11:47:13 PM"), SHR, source_ip="198.51.100.7",
               agent="aws-sdk-java/1.12.700"),
        # Refused: ProdDeploy's identity policy allows it and the trust names the account, but the SCP denies.
        _event("denied-1", "AssumeRole", "2026-11-19T12:33:00Z",
               _session_identity(prod_deploy, "GitHubActions-deploy", "2026-11-19T12:31:00Z", False, "oidc-2"),
               {"roleArn": break_glass, "roleSessionName": "GitHubActions-deploy"}, None, PRD,
               source_ip="192.0.2.10", agent="aws-sdk-js/2.1692.0 promise",
               error=("AccessDenied", f"User: arn:aws:sts::{PRD}:assumed-role/ProdDeploy/GitHubActions-deploy is not "
                                      f"authorized to perform: sts:AssumeRole on resource: {break_glass} with an "
                                      "explicit deny in a service control policy")),
    ]

    # File 3 (workloads-dev): SAML sign-ins and the any-repository GitHub role used from a fork.
    okta = f"arn:aws:iam::{DEV}:saml-provider/ExampleCorpOkta"
    fork_sub = "repo:someone-else/fork-of-tools:ref:refs/heads/main"
    dev_provider = f"arn:aws:iam::{DEV}:oidc-provider/{GITHUB}"
    dev = [
        _event("saml-1", "AssumeRoleWithSAML", "2026-11-19T09:00:00Z",
               {"type": "SAMLUser", "principalId": "Zm9rZUlkcElzc3Vlcg==:erin.lee@example.com",
                "userName": "erin.lee@example.com", "identityProvider": "Zm9rZUlkcElzc3Vlcg=="},
               {"sAMLAssertionID": "_" + hexid("saml-1", 20), "roleSessionName": "erin.lee@example.com",
                "principalArn": okta, "roleArn": role_arn(DEV, "Developer", "/okta/"), "durationSeconds": 28800},
               {**_assumed_user(role_arn(DEV, "Developer", "/okta/"), "erin.lee@example.com", "saml-1",
                                "Nov 19, 2026, 5:00:00 PM"),
                "subjectType": "persistent", "issuer": "http://www.okta.com/exk1example0000000",
                "audience": "https://signin.aws.amazon.com/saml", "nameQualifier": "Zm9rZUlkcElzc3Vlcg==",
                "subject": "erin.lee@example.com"}, DEV, source_ip="203.0.113.50",
               agent="Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36"),
        _event("oidc-3", "AssumeRoleWithWebIdentity", "2026-11-19T11:02:00Z",
               {"type": "WebIdentityUser", "principalId": f"{dev_provider}:sts.amazonaws.com:{fork_sub}",
                "userName": fork_sub, "identityProvider": dev_provider},
               {"roleArn": gha_dev, "roleSessionName": "GitHubActions", "durationSeconds": 3600},
               {**_assumed_user(gha_dev, "GitHubActions", "oidc-3", "Nov 19, 2026, 12:02:00 PM"),
                "subjectFromWebIdentityToken": fork_sub, "provider": dev_provider,
                "audience": "sts.amazonaws.com"}, DEV, source_ip="192.0.2.77", agent="aws-sdk-js/2.1692.0 promise"),
        # Refused: the former contractor, outside the organization, stopped by the RCP.
        _event("denied-2", "AssumeRole", "2026-11-17T03:12:09Z",
               {"type": "AWSAccount", "principalId": "AIDAEXAMPLEGLOBEX001", "accountId": CONTRACTOR},
               {"roleArn": role_arn(DEV, "ContractorAccess"), "roleSessionName": "globex"}, None, DEV,
               source_ip="203.0.113.99", agent="aws-cli/1.29.0",
               error=("AccessDenied", f"User: arn:aws:iam::{CONTRACTOR}:user/ops is not authorized to perform: "
                                      f"sts:AssumeRole on resource: {role_arn(DEV, 'ContractorAccess')} with an "
                                      "explicit deny in a resource control policy")),
    ]
    return {
        f"{SEC}_CloudTrail_{REGION}_20261119T0810Z_Ab12Cd34Ef56Gh78.json": {"Records": chain},
        f"{PRD}_CloudTrail_{REGION}_20261119T1305Z_Zx98Wv76Ut54Sr32.json.gz": {"Records": prod},
        f"{DEV}_CloudTrail_{REGION}_20261119T1105Z_Qp10Lm29Kn38Jb47.json": {"Records": dev},
    }


# --------------------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------------------
def dumps(data) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def manifest() -> dict:
    return {"format": "iam-trust-snapshot", "version": 1, "collected_at": COLLECTED_AT, "partition": "aws",
            "source": "demo",
            "description": "Example Corp: a fictional AWS organization bundled with IAM Trust Explorer. "
                           "See README.md for every planted item.",
            "gaps": [{"account": NET, "what": "resource-policies",
                      "error": "AccessDenied: s3:GetBucketPolicy and kms:GetKeyPolicy were denied to the "
                               "collector role in the network account"}]}


def write_demo_org(out: Path) -> Path:
    """(Re)write the demo organization into `out`. Files this script owns are replaced; README.md is kept."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for sub in ("accounts", "cloudtrail"):
        if (out / sub).exists():
            shutil.rmtree(out / sub)
    files: dict[str, bytes] = {"manifest.json": dumps(manifest()).encode(),
                               "organization.json": dumps(organization()).encode()}
    for acct_id, a in build_accounts().items():
        base = f"accounts/{acct_id}/"
        files[base + "authorization-details.json"] = dumps(a.authorization_details()).encode()
        if a.roles_json:
            files[base + "roles.json"] = dumps(a.list_roles()).encode()
        if a.saml or a.oidc:
            files[base + "identity-providers.json"] = dumps(a.identity_providers()).encode()
        if a.resource_policies is not None:
            files[base + "resource-policies.json"] = dumps({"ResourcePolicies": a.resource_policies}).encode()
    for name, data in cloudtrail_files().items():
        raw = dumps(data).encode()
        files["cloudtrail/" + name] = gzip.compress(raw, mtime=0) if name.endswith(".gz") else raw
    for rel, content in sorted(files.items()):
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "demo-org",
                        help="output folder (default: demo-org next to this script)")
    args = parser.parse_args(argv)
    out = write_demo_org(args.out)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
