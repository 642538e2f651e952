"""Small model-built snapshots for the findings tests (imported by tests/test_findings_*.py)."""
from __future__ import annotations

import itertools
from datetime import datetime, timezone

from explorer.snapshot.model import (Account, Group, Manifest, OidcProvider, OrgAccount, Organization, OrgPolicy,
                                     OrgUnit, PolicyRef, ResourcePolicy, Role, Snapshot, User)

A = "111111111111"  # in the organization (management)
B = "222222222222"  # in the organization
C = "999999999999"  # outside
ORG = "o-test1"
COLLECTED = datetime(2026, 6, 1, tzinfo=timezone.utc)
ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
READONLY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
                                                     "Resource": "*"}]}
_ids = itertools.count(1)


def uid(prefix: str) -> str:
    return f"{prefix}{next(_ids):016d}"


def trust(*statements) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow_assume(principal, condition=None, action="sts:AssumeRole") -> dict:
    st = {"Effect": "Allow", "Principal": principal, "Action": action}
    if condition:
        st["Condition"] = condition
    return st


def role(account: str, name: str, trust_doc: dict | None, *, policies=(), max_session=3600, last_used=None,
         created=None, path="/", role_id=None, tags=None) -> Role:
    arn = f"arn:aws:iam::{account}:role{path}{name}"
    return Role(name=name, arn=arn, role_id=role_id or uid("AROA"), account_id=account, path=path,
                trust_policy=trust_doc,
                inline_policies=[PolicyRef(f"p{i}", "inline", doc, source=f"test#{name}/p{i}")
                                 for i, doc in enumerate(policies)],
                max_session_duration=max_session, max_session_duration_known=True, last_used=last_used,
                create_date=created, tags=tags or {}, source=f"accounts/{account}/authorization-details.json#{name}")


def user(account: str, name: str, *, policies=(), groups=(), user_id=None) -> User:
    return User(name=name, arn=f"arn:aws:iam::{account}:user/{name}", user_id=user_id or uid("AIDA"),
                account_id=account, groups=list(groups),
                inline_policies=[PolicyRef(f"p{i}", "inline", doc) for i, doc in enumerate(policies)],
                source=f"accounts/{account}/authorization-details.json#{name}")


def resource_policy(arn: str, account: str, policy: dict, **extra) -> ResourcePolicy:
    return ResourcePolicy(arn=arn, account_id=account, policy=policy, service=arn.split(":")[2], extra=dict(extra),
                          source=f"accounts/{account}/resource-policies.json#{arn}")


def snapshot(*items, org: bool = True, accounts=(A, B), rcps=(), scps=(), trail=(), collected=COLLECTED) -> Snapshot:
    snap = Snapshot(name="test", path="test", manifest=Manifest(collected_at=collected))
    for acct in accounts:
        snap.accounts[acct] = Account(id=acct)
    for item in items:
        acct = snap.accounts.setdefault(item.account_id, Account(id=item.account_id))
        if isinstance(item, Role):
            acct.roles[item.arn] = item
        elif isinstance(item, User):
            acct.users[item.arn] = item
        elif isinstance(item, Group):
            acct.groups[item.arn] = item
        elif isinstance(item, ResourcePolicy):
            acct.resource_policies[item.arn] = item
        elif isinstance(item, OidcProvider):
            acct.oidc_providers[item.arn] = item
        else:
            raise TypeError(item)
    if org:
        organization = Organization(id=ORG, master_account_id=A, roots=[OrgUnit("r-1", "Root", None)])
        for acct in accounts:
            organization.accounts[acct] = OrgAccount(acct, parent_id="r-1")
        full = OrgPolicy("p-FullAWSAccess", "FullAWSAccess", "SERVICE_CONTROL_POLICY", ADMIN,
                         targets=["r-1", *accounts], aws_managed=True)
        organization.policies = [full]
        for i, doc in enumerate(rcps):
            organization.policies.append(OrgPolicy(f"p-rcp{i}", f"rcp{i}", "RESOURCE_CONTROL_POLICY", doc,
                                                   targets=["r-1"]))
        for i, doc in enumerate(scps):
            organization.policies.append(OrgPolicy(f"p-scp{i}", f"scp{i}", "SERVICE_CONTROL_POLICY", doc,
                                                   targets=["r-1"]))
        snap.organization = organization
    snap.trail_events = list(trail)
    return snap


def run(snap, rule, tg=None, **settings):
    from explorer.analysis.findings import FindingSettings, find
    return find(snap, tg, FindingSettings(**settings), rules=[rule]).findings


def subjects(findings) -> list[str]:
    return sorted(f.subject for f in findings)


def test_helpers_build_a_snapshot():
    r = role(A, "r", trust(allow_assume({"AWS": B})))
    snap = snapshot(r)
    assert snap.principal(r.arn) is r
    assert snap.in_organization(B) and not snap.in_organization(C)
