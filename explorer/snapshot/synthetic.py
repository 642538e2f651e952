"""Synthetic organizations for scale tests: a deterministic generator of snapshot folders (interfaces.md §1).

    from explorer.snapshot.synthetic import generate_org
    generate_org(out_dir, accounts=1000, principals_per_account=100, seed=0) -> Path

    python -m explorer.snapshot.synthetic --accounts N --principals M --seed S --out DIR

The same arguments always write byte-identical files (one `random.Random(seed)`, insertion-ordered dicts,
no clocks). Every account holds `principals_per_account` principals, mostly roles, with the trust patterns of a
real estate:

- hub and spoke: the security account's `HubAdmin` role is trusted by a `SpokeAdmin` role in every member
  account (some of them require MFA); `OrganizationAccountAccessRole` trusts the management account;
- CI/CD through GitHub Actions OIDC (most with a restricted `sub`, a few with `repo:*`, a few with none);
- vendor roles trusting outside accounts with `sts:ExternalId` (and a few without it);
- `Principal: {"AWS": "*"}` restricted by `aws:PrincipalOrgID`;
- account-root trusts (same account and other accounts of the organization);
- same-account user -> role trusts naming the user ARN;
- service roles (Lambda, EC2 with an instance profile);
- role chains of several hops: `chain-*` roles trust a `chain-*` role of an earlier account, and every chain
  role may assume `chain-*` roles anywhere;
- SCPs per OU, an RCP data perimeter at the root, permission boundaries, a handful of customer managed
  policies per account and the shared AWS managed ones.

Fast: shared policy documents are built once and every file is written with one `json.dumps` call, so a
thousand accounts of a hundred principals each take seconds.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from urllib.parse import quote

V = "2012-10-17"
GITHUB = "token.actions.githubusercontent.com"
ORG_ID = "o-synth0000001"
ROOT_ID = "r-syn0"
REGIONS = ("us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2")
MAX_SESSIONS = (3600, 3600, 3600, 7200, 14400, 28800, 43200)
VENDOR_ACCOUNTS = ("900000000001", "900000000002", "900000000003", "900000000004", "900000000005")
FIRST_NAMES = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory",
               "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "yves")
TEAMS = ("payments", "search", "identity", "data", "mobile", "web", "platform", "ml", "billing", "support")


def _doc(*statements: dict) -> dict:
    return {"Version": V, "Statement": list(statements)}


def _allow(action, resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


# AWS managed policies shared by every account (compact default-version documents).
AWS_MANAGED: dict[str, tuple[str, str, dict]] = {
    "AdministratorAccess": ("/", "v1", _doc(_allow("*"))),
    "ReadOnlyAccess": ("/", "v118", _doc(_allow(["ec2:Describe*", "iam:Get*", "iam:List*", "s3:Get*", "s3:List*",
                                                 "lambda:Get*", "lambda:List*", "logs:Get*", "logs:Describe*",
                                                 "cloudtrail:LookupEvents", "dynamodb:Describe*", "sqs:Get*"]))),
    "PowerUserAccess": ("/", "v5", _doc({"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"],
                                         "Resource": "*"},
                                        _allow(["iam:CreateServiceLinkedRole", "iam:ListRoles",
                                                "organizations:DescribeOrganization"]))),
    "SecurityAudit": ("/", "v49", _doc(_allow(["iam:Get*", "iam:List*", "iam:GenerateCredentialReport",
                                               "cloudtrail:Describe*", "config:Get*", "ec2:Describe*",
                                               "s3:GetBucket*", "kms:List*", "kms:Describe*"]))),
    "AWSLambdaBasicExecutionRole": ("/service-role/", "v1", _doc(_allow(["logs:CreateLogGroup",
                                                                           "logs:CreateLogStream",
                                                                           "logs:PutLogEvents"]))),
    "AmazonSSMManagedInstanceCore": ("/", "v3", _doc(_allow(["ssm:UpdateInstanceInformation", "ssm:GetDocument",
                                                             "ssmmessages:*", "ec2messages:*"]))),
}


def _aws_arn(name: str) -> str:
    return f"arn:aws:iam::aws:policy{AWS_MANAGED[name][0]}{name}"


_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


class _Ids:
    """Unique ids (AROA..., AIDA..., ANPA...) drawn from the generator's own random stream."""

    def __init__(self, rng: random.Random):
        self._rng = rng
        self._seen: set[str] = set()

    def new(self, prefix: str) -> str:
        while True:
            value = prefix + "".join(self._rng.choices(_ID_ALPHABET, k=17))
            if value not in self._seen:
                self._seen.add(value)
                return value


def _date(rng: random.Random, year_lo: int = 2021, year_hi: int = 2025) -> str:
    return (f"{rng.randint(year_lo, year_hi)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            f"T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}+00:00")


class _Plan:
    """The organization's layout: account ids, names, OUs and where each account sits."""

    def __init__(self, accounts: int):
        self.ids = [f"{100000000000 + 1000 * i + 7:012d}" for i in range(accounts)]
        self.mgmt = self.ids[0]
        self.security = self.ids[1] if accounts > 1 else self.ids[0]
        self.shared = self.ids[2] if accounts > 2 else self.security
        self.ous: list[tuple[str, str, str]] = [  # (id, name, parent)
            ("ou-syn0-security", "Security", ROOT_ID),
            ("ou-syn0-infrastr", "Infrastructure", ROOT_ID),
            ("ou-syn0-workload", "Workloads", ROOT_ID),
            ("ou-syn0-prod0000", "Prod", "ou-syn0-workload"),
            ("ou-syn0-dev00000", "Dev", "ou-syn0-workload"),
            ("ou-syn0-sandbox0", "Sandbox", ROOT_ID),
        ]
        # Large organizations: one team OU under Prod and under Dev per 50 workload accounts.
        teams = max(1, (accounts - 3) // 50)
        self.prod_units = ["ou-syn0-prod0000"]
        self.dev_units = ["ou-syn0-dev00000"]
        if teams > 1:
            self.prod_units, self.dev_units = [], []
            for t in range(teams):
                for env, parent, units in (("p", "ou-syn0-prod0000", self.prod_units),
                                           ("d", "ou-syn0-dev00000", self.dev_units)):
                    ou_id = f"ou-syn0-{env}team{t:04d}"
                    self.ous.append((ou_id, f"{TEAMS[t % len(TEAMS)]}-{t}-{'prod' if env == 'p' else 'dev'}",
                                     parent))
                    units.append(ou_id)
        self.parent: dict[str, str] = {}
        self.name: dict[str, str] = {}
        self.kind: dict[str, str] = {}
        for i, acct in enumerate(self.ids):
            if acct == self.mgmt:
                parent, name, kind = ROOT_ID, "management", "management"
            elif acct == self.security:
                parent, name, kind = "ou-syn0-security", "security", "security"
            elif acct == self.shared:
                parent, name, kind = "ou-syn0-infrastr", "shared-services", "shared"
            else:
                slot = i % 10
                if slot < 5:
                    parent, kind = self.prod_units[i % len(self.prod_units)], "prod"
                elif slot < 9:
                    parent, kind = self.dev_units[i % len(self.dev_units)], "dev"
                else:
                    parent, kind = "ou-syn0-sandbox0", "sandbox"
                name = f"{TEAMS[i % len(TEAMS)]}-{kind}-{i:04d}"
            self.parent[acct], self.name[acct], self.kind[acct] = parent, name, kind


class _Generator:
    def __init__(self, accounts: int, principals: int, seed: int):
        if accounts < 1:
            raise ValueError("accounts must be at least 1")
        if principals < 1:
            raise ValueError("principals_per_account must be at least 1")
        self.rng = random.Random(seed)
        self.ids = _Ids(self.rng)
        self.plan = _Plan(accounts)
        self.principals = principals
        self.chain_roles: list[str] = []  # ARNs of chain-* roles created so far, in creation order
        self.aws_policy_ids = {name: self.ids.new("ANPA") for name in AWS_MANAGED}
        # Shared documents, built once and reused by reference (json.dumps writes them out each time).
        self.assume_chain_doc = _doc(_allow("sts:AssumeRole", "arn:aws:iam::*:role/chain-*"))
        self.assume_spoke_doc = _doc(_allow("sts:AssumeRole", "arn:aws:iam::*:role/SpokeAdmin"))
        self.assume_org_access_doc = _doc(_allow("sts:AssumeRole", "arn:aws:iam::*:role/OrganizationAccountAccessRole"))
        self.mfa_true = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
        self.lambda_trust = _doc({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                  "Action": "sts:AssumeRole"})
        self.ec2_trust = _doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                               "Action": "sts:AssumeRole"})
        self.org_wildcard_trust = _doc({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
                                        "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}})
        self.mgmt_trust = _doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{self.plan.mgmt}:root"},
                                "Action": "sts:AssumeRole"})
        self.revoke_doc = _doc({"Effect": "Deny", "Action": "*", "Resource": "*",
                                "Condition": {"DateLessThan": {"aws:TokenIssueTime": "2026-10-01T00:00:00Z"}}})
        self.force_mfa_doc = _doc({"Effect": "Deny", "NotAction": ["iam:*MFA*", "iam:GetUser", "sts:GetSessionToken"],
                                   "Resource": "*",
                                   "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}})
        self.app_docs = [
            _doc(_allow(["s3:GetObject", "s3:PutObject"], f"arn:aws:s3:::{team}-data-*/*"),
                 _allow(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
                        f"arn:aws:dynamodb:*:*:table/{team}-*"))
            for team in TEAMS]
        self.boundary_doc = _doc({"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"],
                                  "Resource": "*"},
                                 _allow(["iam:Get*", "iam:List*", "iam:PassRole"]),
                                 {"Effect": "Deny", "Action": ["iam:DeleteRolePermissionsBoundary",
                                                               "iam:PutRolePermissionsBoundary"], "Resource": "*"})

    # -- one account -------------------------------------------------------------------------------------
    def account(self, acct: str) -> dict[str, dict]:
        rng = self.rng
        plan = self.plan
        kind = plan.kind[acct]
        users: list[dict] = []
        groups: list[dict] = []
        roles: list[dict] = []
        listed: list[dict] = []
        attach: dict[str, int] = {}
        boundary_use: dict[str, int] = {}
        oidc = kind in ("shared", "dev", "sandbox") or rng.random() < 0.4
        saml = kind in ("management", "security") or rng.random() < 0.2

        customer: list[dict] = []
        ecs_trust = _doc({"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                          "Action": "sts:AssumeRole",
                          "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:ecs:*:{acct}:*"},
                                        "StringEquals": {"aws:SourceAccount": acct}}})

        def customer_policy(name: str, document: dict) -> str:
            arn = f"arn:aws:iam::{acct}:policy/{name}"
            customer.append({"PolicyName": name, "PolicyId": self.ids.new("ANPA"), "Arn": arn, "Path": "/",
                             "DefaultVersionId": "v1", "AttachmentCount": 0, "PermissionsBoundaryUsageCount": 0,
                             "IsAttachable": True, "CreateDate": _date(rng), "UpdateDate": _date(rng, 2025, 2026),
                             "PolicyVersionList": [{"Document": document, "VersionId": "v1",
                                                    "IsDefaultVersion": True, "CreateDate": _date(rng)}]})
            return arn

        boundary_arn = customer_policy("DeveloperBoundary", self.boundary_doc)
        team = TEAMS[int(acct[-6:-3]) % len(TEAMS)]
        app_arn = customer_policy(f"{team}-app-access", self.app_docs[TEAMS.index(team)])
        assume_local_arn = customer_policy("AssumeTeamRoles", _doc(_allow(
            "sts:AssumeRole",
            [f"arn:aws:iam::{acct}:role/{team}-operator-*", f"arn:aws:iam::{acct}:role/{team}-app-1"])))
        force_mfa_arn = customer_policy("ForceMFA", self.force_mfa_doc)
        if kind == "security":
            hub_arn = customer_policy("AssumeHubAdmin", _doc(_allow("sts:AssumeRole",
                                                                    f"arn:aws:iam::{acct}:role/HubAdmin")))

        def attached(arns: list[str]) -> list[dict]:
            out = []
            for arn in arns:
                attach[arn] = attach.get(arn, 0) + 1
                out.append({"PolicyName": arn.rsplit("/", 1)[1], "PolicyArn": arn})
            return out

        def add_role(name: str, trust: dict, *, path: str = "/", managed: list[str] = (), inline=None,
                     boundary: bool = False, instance_profile: bool = False) -> str:
            arn = f"arn:aws:iam::{acct}:role{path}{name}"
            role_id = self.ids.new("AROA")
            created = _date(rng)
            trust_value = quote(json.dumps(trust, separators=(",", ":")), safe="") if rng.random() < 0.02 else trust
            item = {"Path": path, "RoleName": name, "RoleId": role_id, "Arn": arn, "CreateDate": created,
                    "AssumeRolePolicyDocument": trust_value, "InstanceProfileList": [],
                    "RolePolicyList": [{"PolicyName": n, "PolicyDocument": d} for n, d in (inline or {}).items()],
                    "AttachedManagedPolicies": attached(list(managed)), "Tags": [{"Key": "team", "Value": team}],
                    "RoleLastUsed": ({"LastUsedDate": _date(rng, 2025, 2026), "Region": rng.choice(REGIONS)}
                                     if rng.random() < 0.8 else {})}
            if boundary:
                boundary_use[boundary_arn] = boundary_use.get(boundary_arn, 0) + 1
                item["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy",
                                               "PermissionsBoundaryArn": boundary_arn}
            if instance_profile:
                ip_arn = f"arn:aws:iam::{acct}:instance-profile{path}{name}"
                item["InstanceProfileList"].append({
                    "Path": path, "InstanceProfileName": name, "InstanceProfileId": self.ids.new("AIPA"),
                    "Arn": ip_arn, "CreateDate": created,
                    "Roles": [{"Path": path, "RoleName": name, "RoleId": role_id, "Arn": arn, "CreateDate": created,
                               "AssumeRolePolicyDocument": trust}]})
            roles.append(item)
            listed.append({"Path": path, "RoleName": name, "RoleId": role_id, "Arn": arn, "CreateDate": created,
                           "MaxSessionDuration": rng.choice(MAX_SESSIONS)})
            return arn

        # -- users (about 15 %, at least one when there is room) --------------------------------------------
        budget = self.principals
        n_users = min(budget, max(1 if budget >= 4 else 0, budget * 15 // 100))
        budget -= n_users
        user_arns: list[str] = []
        if n_users:
            groups.append({"Path": "/", "GroupName": "Engineers", "GroupId": self.ids.new("AGPA"),
                           "Arn": f"arn:aws:iam::{acct}:group/Engineers", "CreateDate": _date(rng),
                           "GroupPolicyList": [], "AttachedManagedPolicies": attached(
                               [_aws_arn("ReadOnlyAccess"), assume_local_arn, force_mfa_arn])})
            admin_managed = [_aws_arn("SecurityAudit"), force_mfa_arn]
            if kind == "security":
                admin_managed.append(hub_arn)
            groups.append({"Path": "/", "GroupName": "Admins", "GroupId": self.ids.new("AGPA"),
                           "Arn": f"arn:aws:iam::{acct}:group/Admins", "CreateDate": _date(rng),
                           "GroupPolicyList": [{"PolicyName": "AssumeChainRoles",
                                                "PolicyDocument": self.assume_chain_doc}],
                           "AttachedManagedPolicies": attached(admin_managed)})
        for u in range(n_users):
            ci = u == n_users - 1 and n_users > 2
            name = f"ci-bot-{u}" if ci else f"{FIRST_NAMES[u % len(FIRST_NAMES)]}.{u}"
            path = "/service-accounts/" if ci else "/people/"
            arn = f"arn:aws:iam::{acct}:user{path}{name}"
            item = {"Path": path, "UserName": name, "UserId": self.ids.new("AIDA"), "Arn": arn,
                    "CreateDate": _date(rng), "UserPolicyList": [],
                    "GroupList": [] if ci else (["Engineers", "Admins"] if u % 5 == 0 else ["Engineers"]),
                    "AttachedManagedPolicies": attached([app_arn]) if ci else [],
                    "Tags": [{"Key": "team", "Value": team}]}
            if ci:
                item["UserPolicyList"].append({"PolicyName": "AssumeDeployRoles", "PolicyDocument": _doc(
                    _allow("sts:AssumeRole", f"arn:aws:iam::{acct}:role/deploy-*"))})
            users.append(item)
            user_arns.append(arn)

        # -- baseline roles --------------------------------------------------------------------------------
        baseline: list[tuple] = []
        if kind == "security":
            baseline.append(("HubAdmin", _doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"},
                                                "Action": "sts:AssumeRole", "Condition": self.mfa_true}),
                             {"managed": [_aws_arn("SecurityAudit")],
                              "inline": {"AssumeSpokes": self.assume_spoke_doc}}))
        if kind == "management":
            baseline.append(("OrgAdmin", _doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"},
                                                "Action": "sts:AssumeRole", "Condition": self.mfa_true}),
                             {"managed": [_aws_arn("AdministratorAccess")],
                              "inline": {"AssumeIntoMembers": self.assume_org_access_doc}}))
        else:
            baseline.append(("OrganizationAccountAccessRole", self.mgmt_trust,
                             {"managed": [_aws_arn("AdministratorAccess")]}))
            hub = f"arn:aws:iam::{plan.security}:role/HubAdmin"
            spoke_stmt = {"Effect": "Allow", "Principal": {"AWS": hub}, "Action": "sts:AssumeRole"}
            if rng.random() < 0.3:
                spoke_stmt["Condition"] = self.mfa_true
            baseline.append(("SpokeAdmin", _doc(spoke_stmt),
                             {"managed": [_aws_arn("AdministratorAccess")], "inline": {
                                 "AssumeChainRoles": self.assume_chain_doc}}))
        for name, trust, opts in baseline:
            if budget <= 0:
                break
            add_role(name, trust, **opts)
            budget -= 1

        # -- the rest: weighted trust patterns -------------------------------------------------------------
        # Weights keep the edge count near-linear: most roles are service roles (no incoming principal edges),
        # `"AWS": "*"` trusts are rare (every broad caller of the organization reaches them).
        patterns = ("service",) * 8 + ("root",) * 3 + ("chain",) * 2 + ("ci",) * 2 + ("user", "cross", "vendor")
        wildcard_left = 1 if (kind == "shared" or rng.random() < 0.01) else 0
        counter: dict[str, int] = {}
        for _ in range(budget):
            pattern = "wildcard" if wildcard_left else rng.choice(patterns)
            wildcard_left = 0
            if pattern == "user" and not user_arns:
                pattern = "root"
            if pattern == "ci" and not oidc:
                pattern = "root"
            n = counter[pattern] = counter.get(pattern, 0) + 1
            if pattern == "root":
                trust = _doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"},
                              "Action": "sts:AssumeRole"})
                add_role(f"{team}-app-{n}", trust, managed=[app_arn, _aws_arn("ReadOnlyAccess")],
                         boundary=rng.random() < 0.3)
            elif pattern == "user":
                trust = _doc({"Effect": "Allow", "Principal": {"AWS": rng.choice(user_arns)},
                              "Action": "sts:AssumeRole"})
                add_role(f"{team}-operator-{n}", trust, managed=[_aws_arn("PowerUserAccess")],
                         boundary=rng.random() < 0.5)
            elif pattern == "chain":
                if self.chain_roles and rng.random() < 0.85:
                    # trust the most recent chain roles mostly: long chains across accounts
                    back = min(len(self.chain_roles), 1 + int(rng.expovariate(0.5)))
                    principal = self.chain_roles[-back]
                else:
                    principal = f"arn:aws:iam::{plan.security}:role/HubAdmin"
                trust = _doc({"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"})
                arn = add_role(f"chain-{n}", trust, managed=[app_arn],
                               inline={"AssumeChainRoles": self.assume_chain_doc})
                self.chain_roles.append(arn)
            elif pattern == "ci":
                r = rng.random()
                cond: dict = {"StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com"}}
                if r < 0.85:
                    cond["StringEquals"][f"{GITHUB}:sub"] = f"repo:synth-corp/{team}-svc-{n}:ref:refs/heads/main"
                elif r < 0.95:
                    cond["StringLike"] = {f"{GITHUB}:sub": "repo:*"}
                trust = _doc({"Effect": "Allow",
                              "Principal": {"Federated": f"arn:aws:iam::{acct}:oidc-provider/{GITHUB}"},
                              "Action": "sts:AssumeRoleWithWebIdentity", "Condition": cond})
                add_role(f"deploy-{team}-{n}", trust, managed=[_aws_arn("PowerUserAccess")],
                         inline={"AssumeChainRoles": self.assume_chain_doc} if rng.random() < 0.3 else None,
                         boundary=rng.random() < 0.5)
            elif pattern == "service":
                r = rng.random()
                if r < 0.45:
                    add_role(f"{team}-fn-{n}", self.lambda_trust, path="/service-role/",
                             managed=[_aws_arn("AWSLambdaBasicExecutionRole"), app_arn])
                elif r < 0.7:
                    add_role(f"{team}-task-{n}", ecs_trust, managed=[app_arn])
                else:
                    add_role(f"{team}-ec2-{n}", self.ec2_trust, managed=[_aws_arn("AmazonSSMManagedInstanceCore")],
                             inline={"App": self.app_docs[n % len(self.app_docs)]}, instance_profile=True)
            elif pattern == "cross":
                other = rng.choice(plan.ids)
                trust = _doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{other}:root"},
                              "Action": "sts:AssumeRole"})
                add_role(f"cross-{other}-{n}", trust, managed=[_aws_arn("ReadOnlyAccess")])
            elif pattern == "vendor":
                vendor = rng.choice(VENDOR_ACCOUNTS)
                s = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{vendor}:root"}, "Action": "sts:AssumeRole"}
                if rng.random() < 0.85:
                    s["Condition"] = {"StringEquals": {"sts:ExternalId": f"{vendor}-{acct}-{n}"}}
                add_role(f"vendor-{vendor[-1]}-{n}", _doc(s), managed=[_aws_arn("ReadOnlyAccess")])
            else:  # wildcard restricted to the organization
                add_role(f"org-shared-{n}", self.org_wildcard_trust, inline={"App": self.app_docs[n % len(TEAMS)]})

        # one role in twenty has had its older sessions revoked
        for item in roles[3::20]:
            item["RolePolicyList"].append({"PolicyName": "AWSRevokeOlderSessions", "PolicyDocument": self.revoke_doc})

        policies = []
        for p in customer:
            p["AttachmentCount"] = attach.get(p["Arn"], 0)
            p["PermissionsBoundaryUsageCount"] = boundary_use.get(p["Arn"], 0)
            policies.append(p)
        for name, (path, version, document) in AWS_MANAGED.items():
            arn = _aws_arn(name)
            if arn in attach:
                policies.append({"PolicyName": name, "PolicyId": self.aws_policy_ids[name], "Arn": arn, "Path": path,
                                 "DefaultVersionId": version, "AttachmentCount": attach[arn],
                                 "PermissionsBoundaryUsageCount": 0, "IsAttachable": True,
                                 "CreateDate": "2015-02-06T18:39:46+00:00", "UpdateDate": "2025-09-30T17:05:12+00:00",
                                 "PolicyVersionList": [{"Document": document, "VersionId": version,
                                                        "IsDefaultVersion": True,
                                                        "CreateDate": "2025-09-30T17:05:12+00:00"}]})
        out = {"authorization-details.json": {"UserDetailList": users, "GroupDetailList": groups,
                                              "RoleDetailList": roles, "Policies": policies},
               "roles.json": {"Roles": listed}}
        if oidc or saml:
            out["identity-providers.json"] = {
                "SAMLProviderList": ([{"Arn": f"arn:aws:iam::{acct}:saml-provider/CorpIdP",
                                       "ValidUntil": "2125-01-01T00:00:00+00:00", "CreateDate": _date(rng)}]
                                     if saml else []),
                "OpenIDConnectProviderList": ([{"Arn": f"arn:aws:iam::{acct}:oidc-provider/{GITHUB}",
                                                "Url": f"https://{GITHUB}", "ClientIDList": ["sts.amazonaws.com"]}]
                                              if oidc else [])}
        if kind in ("shared", "security") or rng.random() < 0.1:
            bucket = f"synth-{plan.name[acct]}-{acct}"
            out["resource-policies.json"] = {"ResourcePolicies": [{
                "Arn": f"arn:aws:s3:::{bucket}", "ObjectOwnership": "BucketOwnerEnforced",
                "Policy": _doc({"Sid": "OrgRead", "Effect": "Allow", "Principal": {"AWS": "*"},
                                "Action": ["s3:GetObject"], "Resource": f"arn:aws:s3:::{bucket}/*",
                                "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}})}]}
        return out

    # -- the organization --------------------------------------------------------------------------------
    def organization(self) -> dict:
        plan = self.plan
        every = [ROOT_ID] + [ou[0] for ou in plan.ous] + plan.ids
        prod_units = plan.prod_units if plan.prod_units != ["ou-syn0-prod0000"] else []
        policies = [
            {"Id": "p-FullAWSAccess", "Name": "FullAWSAccess", "Type": "SERVICE_CONTROL_POLICY", "AwsManaged": True,
             "Content": _doc(_allow("*")), "Targets": every},
            {"Id": "p-synbaseline", "Name": "BaselineGuardrails", "Type": "SERVICE_CONTROL_POLICY",
             "AwsManaged": False, "Targets": [ROOT_ID],
             "Content": _doc({"Effect": "Deny", "Action": ["organizations:LeaveOrganization", "cloudtrail:StopLogging",
                                                           "cloudtrail:DeleteTrail"], "Resource": "*"})},
            {"Id": "p-synsandbox1", "Name": "SandboxGuardrails", "Type": "SERVICE_CONTROL_POLICY",
             "AwsManaged": False, "Targets": ["ou-syn0-sandbox0"],
             "Content": _doc({"Effect": "Deny", "Action": ["iam:CreateUser", "iam:CreateAccessKey"], "Resource": "*"},
                             {"Effect": "Deny", "NotAction": ["iam:*", "sts:*", "organizations:*", "support:*"],
                              "Resource": "*", "Condition": {"StringNotEquals": {
                                  "aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}})},
            {"Id": "p-synprodprot", "Name": "ProtectAdminRoles", "Type": "SERVICE_CONTROL_POLICY",
             "AwsManaged": False, "Targets": ["ou-syn0-prod0000"] + prod_units,
             "Content": _doc({"Effect": "Deny", "Action": "sts:AssumeRole",
                              "Resource": "arn:aws:iam::*:role/OrganizationAccountAccessRole",
                              "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/SpokeAdmin"}}})},
            {"Id": "p-syndevnousr", "Name": "DevNoIamUsers", "Type": "SERVICE_CONTROL_POLICY",
             "AwsManaged": False, "Targets": ["ou-syn0-dev00000"],
             "Content": _doc({"Effect": "Deny", "Action": ["iam:CreateUser", "iam:CreateLoginProfile"],
                              "Resource": "*"})},
            {"Id": "p-RCPFullAWSAccess", "Name": "RCPFullAWSAccess", "Type": "RESOURCE_CONTROL_POLICY",
             "AwsManaged": True, "Targets": every,
             "Content": _doc({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"})},
            {"Id": "p-synperimetr", "Name": "DataPerimeter", "Type": "RESOURCE_CONTROL_POLICY",
             "AwsManaged": False, "Targets": [ROOT_ID],
             "Content": _doc({"Effect": "Deny", "Principal": "*",
                              "Action": ["s3:*", "kms:*", "sqs:*", "sts:AssumeRole"],
                              "Resource": "*", "Condition": {
                                  "StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG_ID,
                                                              "aws:PrincipalAccount": list(VENDOR_ACCOUNTS)},
                                  "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}})},
        ]
        return {
            "Organization": {"Id": ORG_ID, "MasterAccountId": plan.mgmt, "FeatureSet": "ALL"},
            "Roots": [{"Id": ROOT_ID, "Name": "Root"}],
            "OrganizationalUnits": [{"Id": i, "Name": n, "ParentId": p} for i, n, p in plan.ous],
            "Accounts": [{"Id": a, "Name": plan.name[a], "State": "ACTIVE", "ParentId": plan.parent[a],
                          "Email": f"aws+{plan.name[a]}@synth.example.com"} for a in plan.ids],
            "Policies": policies,
        }


def _write(path: Path, data) -> None:
    path.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")


def generate_org(out_dir, accounts: int = 10, principals_per_account: int = 20, seed: int = 0) -> Path:
    """Write a synthetic snapshot folder of `accounts` accounts (the first is the management account) with
    `principals_per_account` principals each into `out_dir` (created when missing) and return its path.
    The same arguments give byte-identical files."""
    gen = _Generator(int(accounts), int(principals_per_account), int(seed))
    out = Path(out_dir)
    (out / "accounts").mkdir(parents=True, exist_ok=True)
    _write(out / "manifest.json", {"format": "iam-trust-snapshot", "version": 1,
                                   "collected_at": "2026-11-20T09:00:00Z", "partition": "aws",
                                   "source": f"synthetic (accounts={accounts}, principals={principals_per_account}, "
                                             f"seed={seed})", "gaps": []})
    _write(out / "organization.json", gen.organization())
    for acct in gen.plan.ids:
        folder = out / "accounts" / acct
        folder.mkdir(exist_ok=True)
        for name, data in gen.account(acct).items():
            _write(folder / name, data)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m explorer.snapshot.synthetic",
                                     description="Write a synthetic AWS organization snapshot folder.")
    parser.add_argument("--accounts", type=int, default=10, help="number of accounts (default 10)")
    parser.add_argument("--principals", type=int, default=20, help="principals per account (default 20)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--out", required=True, help="output folder")
    args = parser.parse_args(argv)
    if args.accounts < 1 or args.principals < 1:
        print("error: --accounts and --principals must be at least 1", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        out = generate_org(args.out, accounts=args.accounts, principals_per_account=args.principals, seed=args.seed)
    except OSError as exc:
        print(f"error: cannot write {args.out}: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {out}: {args.accounts} accounts x {args.principals} principals "
          f"in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
