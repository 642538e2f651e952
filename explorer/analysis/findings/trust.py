"""Trust-policy checks (static: they read the trust policies as written, spec §6, §9, M4, T8, T11, V2).

Every check skips service-linked roles (their trust belongs to AWS) and statements that cannot grant (Deny,
NotPrincipal, statements not covering the assume action)."""
from __future__ import annotations

import copy
import json
import re
from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import Path

from explorer.analysis.findings.model import HIGH, MEDIUM, Remediation
from explorer.analysis.findings.policy import (ASSUME_ACTIONS, base_operator, is_negated, is_unique_id,
                                               principal_account, statements, with_condition)
from explorer.analysis.findings.registry import check, make_finding
from explorer.analysis.findings.scope import (NARROWING_KEYS, account_root_arns, customer_roles, is_internal,
                                              keep_inside_fix, narrowed_accounts, org_id, other_accounts_trusted,
                                              outsiders_admitted, trust_evidence, trust_label, trust_statements)


def _admitted(snapshot, settings, role, st, principals, actions=("sts:AssumeRole",)) -> list[str]:
    return outsiders_admitted(snapshot, settings.engine, st=st, principals=principals, resource_arn=role.arn,
                              resource_account=role.account_id, document=role.trust_policy, kind="trust",
                              label=trust_label(role), source=role.source, actions=list(actions))

FAMILY = "trust"
EXTERNAL_ID_PLACEHOLDER = "<unique-external-id-agreed-with-the-third-party>"


# --- confused deputy: external account without sts:ExternalId ----------------------------------------------

@check("trust-external-no-externalid", family=FAMILY, severity=HIGH,
       title="Role trusts an account outside the organization without sts:ExternalId",
       description="A role that a third party (an account outside the organization) may assume should require "
                   "sts:ExternalId: without it, anyone who can make that third party act for them can reach the "
                   "role (the confused deputy, spec V2/T9).")
def external_without_external_id(snapshot, tg, settings):
    org = org_id(snapshot)
    for role, st in trust_statements(snapshot, "sts:AssumeRole"):
        principals = st.aws_principals()
        if "*" in principals:
            named = narrowed_accounts(st) or []  # a "*" narrowed to accounts names those accounts
        else:
            named = [p for p in principals if principal_account(p)]
        named = [p for p in named if principal_account(p) != role.account_id
                 and not is_internal(snapshot, principal_account(p))]
        if not named or st.narrows_on(("sts:ExternalId",)):
            continue
        if org and any(org in vals for _, _, vals in st.positive_condition(("aws:PrincipalOrgID",))):
            continue  # only members of our organization can satisfy it: nobody in those accounts
        # the engine decides whether the trust (its own Denies, the RCPs) actually lets them in
        external = sorted({principal_account(p) for p in _admitted(snapshot, settings, role, st, named)})
        if not external:
            continue
        fixed = with_condition(st.raw, "StringEquals", "sts:ExternalId", EXTERNAL_ID_PLACEHOLDER)
        yield make_finding(
            "trust-external-no-externalid", role.arn,
            (f"{role.name} can be assumed from account(s) {', '.join(external)} outside the organization, "
                     f"and its trust does not require sts:ExternalId (confused deputy)."),
            evidence=(trust_evidence(role, st, external_accounts=external),),
            remediation=Remediation(
                "Agree a unique external id with the third party and require it with a StringEquals "
                "sts:ExternalId condition (replace the placeholder).", fixed),
            related=account_root_arns(external))


# --- cross-account trust into an administrative role without MFA -------------------------------------------

def _requires_mfa(st) -> bool:
    for op, key, vals in st.conditions():
        base = base_operator(op)
        if key == "aws:multifactorauthpresent" and base == "Bool" and [v.lower() for v in vals] == ["true"]:
            return True
        if key == "aws:multifactorauthage" and base in ("NumericLessThan", "NumericLessThanEquals"):
            return True
    return False


@check("trust-cross-account-admin-no-mfa", family=FAMILY, severity=HIGH,
       title="Cross-account trust into an administrative role without an MFA condition",
       description="A role with administrative or IAM permissions-management access that principals of other "
                   "accounts can assume should require MFA (Bool aws:MultiFactorAuthPresent true or a "
                   "aws:MultiFactorAuthAge limit) in its trust (spec K1, K3).")
def cross_account_admin_without_mfa(snapshot, tg, settings):
    from explorer.analysis.admin import admin_access
    for role, st in trust_statements(snapshot, "sts:AssumeRole"):
        others = other_accounts_trusted(role, st)
        if not others or _requires_mfa(st):
            continue
        access = admin_access(snapshot, role.arn, settings=settings.engine)
        if not access.is_sensitive:
            continue
        fixed = with_condition(st.raw, "Bool", "aws:MultiFactorAuthPresent", "true")
        yield make_finding(
            "trust-cross-account-admin-no-mfa", role.arn,
            (f"{role.name} has {access.describe()} and can be assumed from "
                     f"{'any account' if '*' in others else 'account(s) ' + ', '.join(others)} without MFA."),
            evidence=(trust_evidence(role, st, accounts=others, access=access.to_json()),),
            remediation=Remediation(
                "Require MFA on the assumption: add Bool aws:MultiFactorAuthPresent true to the trust statement "
                "(callers then pass SerialNumber and TokenCode).", fixed),
            related=account_root_arns(others))


# --- Principal "*" not narrowed -----------------------------------------------------------------------------

@check("trust-principal-star", family=FAMILY, severity=HIGH,
       title="Role trusts every principal (Principal \"*\") without narrowing conditions",
       description="A trust with Principal \"*\" (or {\"AWS\": \"*\"}) lets any principal of any account that "
                   "its own account permits assume the role, unless a condition ties it to the organization, "
                   "an account or an ARN (aws:PrincipalOrgID, aws:PrincipalArn, aws:PrincipalAccount, "
                   "aws:SourceAccount, aws:SourceOrgID, ...) or an RCP / Deny statement keeps outsiders out "
                   "(spec T11).")
def principal_star(snapshot, tg, settings):
    org = org_id(snapshot)
    for role, st in trust_statements(snapshot):
        if "*" not in st.aws_principals():
            continue
        actions = [a for a in ASSUME_ACTIONS if st.covers_action(a)]
        if not actions or st.narrows_on(NARROWING_KEYS):
            continue
        if not _admitted(snapshot, settings, role, st, ["*"], actions):
            continue  # its own Deny statements or the RCPs keep every outsider out
        fixed, condition = keep_inside_fix(st, org, role.account_id)
        scope = "the organization" if org else "the role's own account"
        yield make_finding(
            "trust-principal-star", role.arn,
            (f"{role.name} trusts Principal \"*\" for {', '.join(actions)} with no condition on the "
             f"caller's organization, account or ARN."),
            evidence=(trust_evidence(role, st, actions=actions),),
            remediation=Remediation(f"Name the intended principals instead of \"*\", or restrict it to {scope} "
                                    f"with {condition}.", fixed))


# --- service principals without aws:SourceArn / aws:SourceAccount -------------------------------------------

@lru_cache(maxsize=1)
def confused_deputy_services() -> tuple[dict[str, str], tuple[str, ...]]:
    data = json.loads((Path(__file__).parent / "data" / "service_confused_deputy.json").read_text("utf-8"))
    return {k.lower(): v for k, v in data["services"].items()}, tuple(data["keys"])


@check("trust-service-no-source", family=FAMILY, severity=MEDIUM,
       title="Service role trust without aws:SourceArn or aws:SourceAccount",
       description="For services that act across customers, AWS recommends tying the service principal in a "
                   "role's trust to your own resources with aws:SourceArn and/or aws:SourceAccount; otherwise "
                   "the service may be induced to use the role for another customer (cross-service confused "
                   "deputy, spec V2). The list of services is data (data/service_confused_deputy.json). "
                   "Service-linked roles are never reported.")
def service_without_source(snapshot, tg, settings):
    services, keys = confused_deputy_services()
    for role, st in trust_statements(snapshot):
        if not st.covers_action("sts:AssumeRole"):
            continue
        named = sorted({s for s in st.principals().get("Service", []) if s.lower() in services})
        if not named or st.narrows_on(keys):
            continue
        fixed = with_condition(st.raw, "StringEquals", "aws:SourceAccount", role.account_id)
        yield make_finding(
            "trust-service-no-source", role.arn,
            (f"{role.name} trusts {', '.join(named)} without aws:SourceArn or aws:SourceAccount, so the "
                     f"service can be asked to use it on behalf of another account."),
            evidence=(trust_evidence(role, st, services=named),),
            remediation=Remediation(
                "Add StringEquals aws:SourceAccount (your account) and, where the resource is known, ArnLike "
                "aws:SourceArn naming it.", fixed),
            related=tuple(named))


# --- OIDC: audience and GitHub subject ----------------------------------------------------------------------

SOCIAL_AUDIENCE_KEYS = {
    "cognito-identity.amazonaws.com": ("aud",),
    "accounts.google.com": ("aud", "oaud"),
    "graph.facebook.com": ("app_id",),
    "www.amazon.com": ("app_id",),
}
GITHUB_HOST = "token.actions.githubusercontent.com"


def _oidc_host(value: str) -> str | None:
    if ":oidc-provider/" in value:
        return value.split(":oidc-provider/", 1)[1]
    if value in SOCIAL_AUDIENCE_KEYS:
        return value
    return None


def _oidc_provider(snapshot, value: str):
    acct = principal_account(value)
    account = snapshot.accounts.get(acct or "")
    return account.oidc_providers.get(value) if account else None


_ANY_OWNER = re.compile(r"^(repo:)?[*?]")


def _unrestricted_sub(op: str, values: list[str]) -> list[str]:
    """The subject values that let any repository of any owner in (only wildcard operators can)."""
    if "Like" not in base_operator(op):
        return []
    return [v for v in values if _ANY_OWNER.match(v) or fnmatchcase("repo:attacker/any:ref:refs/heads/main", v)]


def _oidc_statements(snapshot):
    for role, st in trust_statements(snapshot, "sts:AssumeRoleWithWebIdentity"):
        for fed in st.principals().get("Federated", []):
            host = _oidc_host(fed)
            if host:
                yield role, st, fed, host


@check("trust-oidc-no-audience", family=FAMILY, severity=HIGH,
       title="OIDC trust without an audience condition",
       description="A web-identity trust must pin the token audience (<provider>:aud, or app_id for Facebook "
                   "and Amazon): otherwise tokens issued to any application of that provider are accepted "
                   "(spec T8). Not reported when the IAM OIDC provider in the snapshot lists client ids, because "
                   "STS then checks the audience itself.")
def oidc_without_audience(snapshot, tg, settings):
    for role, st, fed, host in _oidc_statements(snapshot):
        names = SOCIAL_AUDIENCE_KEYS.get(host, ("aud",))
        keys = [f"{host}:{n}" for n in names]
        if st.narrows_on(keys):
            continue
        provider = _oidc_provider(snapshot, fed)
        if host not in SOCIAL_AUDIENCE_KEYS and provider is not None and provider.client_ids:
            continue  # STS accepts only tokens whose aud is in the provider's client id list
        audience = "sts.amazonaws.com" if host == GITHUB_HOST else "<your-client-or-app-id>"
        fixed = with_condition(st.raw, "StringEquals", keys[0], audience)
        yield make_finding(
            "trust-oidc-no-audience", role.arn,
            (f"{role.name} accepts web-identity tokens from {host} without a {keys[0]} condition, so a "
                     f"token issued to any application of that provider can assume it."),
            evidence=(trust_evidence(role, st, provider=fed),),
            remediation=Remediation(f"Add StringEquals {keys[0]} with your application's audience.", fixed),
            related=(fed,))


def open_subject_roles(snapshot) -> set[str]:
    """ARNs of roles whose GitHub Actions trust accepts any repository (what the check below reports)."""
    cache = snapshot.__dict__.get("_open_subject_roles")
    if cache is None:
        from explorer.analysis.findings.registry import DEFAULT_FINDING_SETTINGS
        cache = {f.subject for f in oidc_unrestricted_subject(snapshot, None, DEFAULT_FINDING_SETTINGS)}
        snapshot.__dict__["_open_subject_roles"] = cache
    return cache


@check("trust-oidc-unrestricted-subject", family=FAMILY, severity=HIGH,
       title="GitHub Actions OIDC trust with an unrestricted subject",
       description="A trust on token.actions.githubusercontent.com must restrict the token subject "
                   "(token.actions.githubusercontent.com:sub) to your repositories: without it, or with `*` / "
                   "`repo:*`, a workflow in any GitHub repository can assume the role.")
def oidc_unrestricted_subject(snapshot, tg, settings):
    for role, st, fed, host in _oidc_statements(snapshot):
        if host.split("/", 1)[0] != GITHUB_HOST:
            continue
        key = f"{host}:sub"
        entries = [(op, vals) for op, k, vals in st.conditions() if k == key.lower() and not is_negated(op)
                   and base_operator(op) != "Null"]
        loose = sorted({v for op, vals in entries for v in _unrestricted_sub(op, vals)})
        if entries and not loose:
            continue
        fixed = copy.deepcopy(st.raw)
        cond = fixed.setdefault("Condition", {})
        for op in list(cond):
            if isinstance(cond[op], dict):
                for k in list(cond[op]):
                    if k.lower() == key.lower():
                        del cond[op][k]
                if not cond[op]:
                    del cond[op]
        fixed = with_condition(fixed, "StringLike", key, "repo:<your-org>/<your-repo>:ref:refs/heads/main")
        what = f"accepts any subject ({', '.join(loose)})" if loose else f"has no {key} condition"
        yield make_finding(
            "trust-oidc-unrestricted-subject", role.arn,
            f"{role.name} trusts GitHub Actions tokens and {what}: any repository's workflow can assume it.",
            evidence=(trust_evidence(role, st, provider=fed, subjects=loose),),
            remediation=Remediation(
                "Restrict the subject to your organization's repository and branch or environment "
                "(replace the placeholders).", fixed),
            related=(fed,))


# --- dangling unique-ID principals ----------------------------------------------------------------------------

@check("trust-dangling-unique-id", family=FAMILY, severity=MEDIUM,
       title="Trust policy names a unique ID that matches no principal",
       description="When a user or role named in a trust policy is deleted, IAM shows its unique ID (AIDA..., "
                   "AROA...) instead of the ARN; re-creating the entity does not restore the trust. Such a "
                   "principal matches nothing (spec M4): remove it or name the intended principal again.")
def dangling_unique_ids(snapshot, tg, settings):
    for role in customer_roles(snapshot):
        for st in statements(role.trust_policy):
            dangling = sorted({p for p in st.aws_principals() if is_unique_id(p) and snapshot.by_unique_id(p) is None})
            if not dangling:
                continue
            remaining = [p for p in st.aws_principals() if p not in dangling]
            fixed = None
            if remaining:
                fixed = copy.deepcopy(st.raw)
                principal = fixed.get("Principal")
                if isinstance(principal, dict):
                    principal["AWS"] = remaining[0] if len(remaining) == 1 else remaining
                else:
                    fixed["Principal"] = {"AWS": remaining[0] if len(remaining) == 1 else remaining}
            effect = "still grants nothing to it" if st.is_allow else "no longer denies it"
            yield make_finding(
                "trust-dangling-unique-id", role.arn,
                (f"The trust of {role.name} names {', '.join(dangling)}, a deleted user or role; the "
                 f"statement {effect}, and re-creating the entity will not restore it."),
                severity=MEDIUM if st.is_allow else HIGH,
                evidence=(trust_evidence(role, st, unique_ids=dangling),),
                remediation=Remediation(
                    "Remove the unique id" + (" (corrected statement below)" if fixed else " by deleting the "
                    "statement") + ", or name the re-created principal by ARN.", fixed),
                related=tuple(dangling))
