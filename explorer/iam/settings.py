"""The named settings of the spec (iam-semantics.md §14): where AWS's pages disagree or say nothing, the engine
takes a setting with the spec's default, and every explanation that a setting affected names its value."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from explorer.errors import RequestError

MFA_PER_HOP = "per_hop"
MFA_NEVER = "never"


@dataclass(frozen=True)
class Settings:
    # K4: is aws:MultiFactorAuthPresent true inside a role session? per_hop: only when SerialNumber+TokenCode
    # were passed at that hop; never: what S26 says literally.
    mfa_in_role_session: str = MFA_PER_HOP
    # D3: GetSessionToken credentials calling AssumeRole count as role chaining (1 h cap).
    gst_assume_is_chained: bool = True
    # D3: instance-profile / ECS task / Lambda role credentials calling AssumeRole count as role chaining.
    instance_profile_assume_is_chained: bool = True
    # T5: a role implicitly trusts itself (pre-2022 legacy behaviour).
    legacy_self_trust: bool = False

    @classmethod
    def from_json(cls, data: dict | None) -> "Settings":
        if not data:
            return cls()
        if not isinstance(data, dict):
            raise RequestError("settings must be an object")
        known = {f.name: f.type for f in fields(cls)}
        kwargs = {}
        for key, value in data.items():
            if key not in known:
                raise RequestError(f"unknown setting {key!r}; known: {', '.join(sorted(known))}")
            if key == "mfa_in_role_session":
                if value not in (MFA_PER_HOP, MFA_NEVER):
                    raise RequestError(f"setting mfa_in_role_session must be 'per_hop' or 'never', not {value!r}")
            elif isinstance(value, str) and value.lower() in ("true", "false"):
                value = value.lower() == "true"
            elif not isinstance(value, bool):
                raise RequestError(f"setting {key} must be true or false, not {value!r}")
            kwargs[key] = value
        return cls(**kwargs)

    def to_json(self) -> dict:
        return asdict(self)

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)


DEFAULT_SETTINGS = Settings()
