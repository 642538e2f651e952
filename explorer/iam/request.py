"""One authorization request with every policy that applies to it (spec §1, §12).

Policies are compiled `explorer.iam.policy.Policy` objects (compile each document once with
`compile_policy` and reuse it). `scps` / `rcps` are one list of policies per level, root first; None means the
account is not in an organization. `session_policy` None means the session has no session policy.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

from explorer.iam.context import Context
from explorer.iam.principal import Principal
from explorer.iam.settings import DEFAULT_SETTINGS, Settings


@dataclass
class Request:
    principal: Principal
    action: str
    resource: str
    context: Context = field(default_factory=Context)
    resource_account: str | None = None
    identity_policies: Sequence = ()
    permissions_boundary: object | None = None
    session_policy: object | None = None
    scps: Sequence[Sequence] | None = None
    rcps: Sequence[Sequence] | None = None
    resource_policy: object | None = None
    principal_is_management_account: bool = False
    resource_is_management_account: bool = False
    settings: Settings = DEFAULT_SETTINGS
    # Unique-ID principals (M4): UserId / RoleId -> the ARN of the entity that has it now. With a mapping, a
    # unique id that is not in it is dangling; without one, only the caller's own Principal.unique_id matches.
    unique_ids: Mapping[str, str] | None = None
    # SerialNumber and TokenCode were passed on this call (K3): aws:MultiFactorAuthPresent is true for it.
    mfa_token_passed: bool = False
    # The resource is an AWS managed KMS key (RCPs do not apply to it, O5).
    resource_is_aws_managed_key: bool = False
    # Transitive session-tag keys the calling session inherited (D11): passing a tag with one of these keys on
    # AssumeRole fails. (The tags' values replace the next role's aws:ResourceTag/<key> in its trust policy:
    # the caller puts those into the context.)
    inherited_transitive_tag_keys: tuple[str, ...] = ()
    # A one-sided evaluation (the trust graph's role side or caller side alone) leaves the other side's
    # organization policies out: these name why in the explanation instead of "not in an organization".
    scps_elsewhere: str = ""
    rcps_elsewhere: str = ""
