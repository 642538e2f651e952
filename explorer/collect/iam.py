"""IAM of one account: authorization details, roles (MaxSessionDuration), identity providers, the alias.

get_* functions make the calls and return the JSON to write, in the AWS CLI's own shape (interfaces.md §1).
Partial failures inside a function (one OIDC provider unreadable) go to `gap(what, exc)`; a failure of the
function's main call raises (the caller turns it into a gap, or for authorization details, a failed account).
"""
from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from explorer.collect.aws import call, paginate

# Every entity type, AWS managed policies included (their documents are needed to resolve attachments).
GAAD_FILTER = ["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"]
GAAD_LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
PAGE_SIZE = 1000  # MaxItems of IAM listings (IAM's maximum): fewer calls


def get_authorization_details(client, *, cancel=None) -> dict:
    """`aws iam get-account-authorization-details` with every filter, all pages merged into one document."""
    merged = paginate(client, "get_account_authorization_details", cancel=cancel, Filter=list(GAAD_FILTER),
                      PaginationConfig={"PageSize": PAGE_SIZE})
    return {key: merged.get(key, []) for key in GAAD_LISTS} | \
        {k: v for k, v in merged.items() if k not in GAAD_LISTS}


def get_roles(client, *, cancel=None) -> dict:
    """`aws iam list-roles`: MaxSessionDuration per role (authorization details do not carry it)."""
    merged = paginate(client, "list_roles", cancel=cancel, PaginationConfig={"PageSize": PAGE_SIZE})
    return {"Roles": merged.get("Roles", [])}


def get_identity_providers(client, *, cancel=None, gap=None) -> dict:
    """SAML providers (Arn, ValidUntil, CreateDate) and OIDC providers with Url, ClientIDList, ThumbprintList."""
    saml = call(client, "list_saml_providers", cancel=cancel).get("SAMLProviderList", [])
    oidc_list = call(client, "list_open_id_connect_providers", cancel=cancel).get("OpenIDConnectProviderList", [])
    oidc = []
    for item in oidc_list:
        arn = item.get("Arn")
        entry = {"Arn": arn}
        try:
            detail = call(client, "get_open_id_connect_provider", cancel=cancel, OpenIDConnectProviderArn=arn)
        except (ClientError, BotoCoreError) as exc:
            if gap is not None:
                gap(f"iam:GetOpenIDConnectProvider {arn}", exc)
        else:
            for key in ("Url", "ClientIDList", "ThumbprintList", "CreateDate"):
                if key in detail:
                    entry[key] = detail[key]
        oidc.append(entry)
    return {"SAMLProviderList": [_saml_entry(p) for p in saml], "OpenIDConnectProviderList": oidc}


def _saml_entry(provider: dict) -> dict:
    return {k: provider[k] for k in ("Arn", "ValidUntil", "CreateDate") if k in provider}


def get_account_alias(client, *, cancel=None) -> str:
    aliases = call(client, "list_account_aliases", cancel=cancel).get("AccountAliases") or []
    return aliases[0] if aliases else ""
