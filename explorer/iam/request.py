"""One authorization request with every policy that applies to it (spec §1, §12).

Policies are compiled `explorer.iam.policy.Policy` objects (compile each document once with
`compile_policy` and reuse it). `scps` / `rcps` are one list of policies per level, root first; None means the
account is not in an organization. `session_policy` None means the session has no session policy.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

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
