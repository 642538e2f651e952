"""STS session rules (spec iam-semantics.md §7, T6, K3/K4): who may call which STS action, and how long the
resulting session may last.

Sections of this module (search for the headings):
  * ROLE CHAINING LIMIT  - `ROLE_CHAINING_CAP_SECONDS`, `is_role_chaining()`, `role_chaining_cap()` (D2, D3)
  * WHO MAY CALL         - `may_call()` (T6, T8)
  * ASSUME ROLE          - `assume_role_session()` for AssumeRole / AssumeRoleWithSAML /
                           AssumeRoleWithWebIdentity and console role switching (D1, D2, D3, D5, D8, D9)
  * GET SESSION TOKEN    - `get_session_token_session()` (D7)
  * GET FEDERATION TOKEN - `get_federation_token_session()` (D6)
  * FEDERATION SIGN-IN   - `federation_sign_in_session()`: console URL from the federation endpoint (D8)
  * NEXT CREDENTIAL KIND - `credential_kind_after()`: what kind of credentials a call returns
  * MFA                  - `mfa_present_in_session()`, `mfa_in_session_rule()`, `mfa_present_on_call()` (K1, K3, K4)
  * DISPATCH             - `session_rule()`: one entry point for any session-creating STS action

Vocabulary:
  * a *credential kind* (constants `CRED_*` in `explorer.iam.principal`) says how the caller's credentials were
    obtained; it decides whether a call is allowed at all and whether the call is role chaining;
  * a `SessionRule` answers one call: may it be made, is it chained, the accepted DurationSeconds range
    (`request_min_seconds`..`request_max_seconds`), the shortest/longest/default session it yields
    (`min_seconds`, `max_seconds`, `default_seconds`), whether a requested DurationSeconds is accepted (`ok`),
    what the session would then last (`effective_seconds`), what limits it (`limited_by`) and why (`reason`).

A requested DurationSeconds outside the accepted range makes the call FAIL; STS does not clamp it (D1). The one
documented exception is GetFederationToken called with root credentials, where a request longer than one hour
is accepted and yields a one-hour session (D6).

Settings (explorer.iam.settings.Settings) that affect these rules are reported in `SessionRule.settings_used`:
`gst_assume_is_chained` and `instance_profile_assume_is_chained` (D3), `mfa_in_role_session` (K4).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from explorer.errors import RequestError
from explorer.iam.principal import (
    CRED_CONSOLE,
    CRED_CONSOLE_FEDERATED,
    CRED_FEDERATED_USER,
    CRED_GET_SESSION_TOKEN,
    CRED_IAM_USER,
    CRED_INSTANCE_PROFILE,
    CRED_OIDC,
    CRED_ROLE_SESSION,
    CRED_ROOT,
    CRED_SAML,
    CRED_SERVICE,
    CREDENTIAL_KINDS,
)
from explorer.iam.settings import DEFAULT_SETTINGS, MFA_NEVER, MFA_PER_HOP, Settings

# --------------------------------------------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------------------------------------------

#: Role chaining limit (D2): a session created by role chaining lasts at most one hour, whatever the target
#: role's MaxSessionDuration says. A longer DurationSeconds makes the call fail.
ROLE_CHAINING_CAP_SECONDS = 3600

#: AssumeRole* DurationSeconds bounds (D1, D5) and the role MaxSessionDuration bounds (G9).
MIN_SESSION_SECONDS = 900
DEFAULT_SESSION_SECONDS = 3600
MAX_SESSION_DURATION_MIN = 3600
MAX_SESSION_DURATION_MAX = 43200
#: A role whose MaxSessionDuration is not known has the AWS default.
DEFAULT_MAX_SESSION_DURATION = 3600

#: GetSessionToken (D7) and GetFederationToken (D6).
GET_SESSION_TOKEN_MIN_SECONDS = 900
GET_SESSION_TOKEN_MAX_SECONDS = 129600
GET_SESSION_TOKEN_DEFAULT_SECONDS = 43200
GET_SESSION_TOKEN_ROOT_MAX_SECONDS = 3600
GET_SESSION_TOKEN_ROOT_DEFAULT_SECONDS = 3600
GET_FEDERATION_TOKEN_MIN_SECONDS = 900
GET_FEDERATION_TOKEN_MAX_SECONDS = 129600
GET_FEDERATION_TOKEN_DEFAULT_SECONDS = 43200
#: Root GetFederationToken cap (D6): a longer request is accepted and becomes one hour.
ROOT_GET_FEDERATION_TOKEN_CAP_SECONDS = 3600

# STS actions that create sessions.
ASSUME_ROLE = "sts:AssumeRole"
ASSUME_ROLE_WITH_SAML = "sts:AssumeRoleWithSAML"
ASSUME_ROLE_WITH_WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"
GET_SESSION_TOKEN = "sts:GetSessionToken"
GET_FEDERATION_TOKEN = "sts:GetFederationToken"
ASSUME_ROLE_ACTIONS = (ASSUME_ROLE, ASSUME_ROLE_WITH_SAML, ASSUME_ROLE_WITH_WEB_IDENTITY)
SESSION_ACTIONS = ASSUME_ROLE_ACTIONS + (GET_SESSION_TOKEN, GET_FEDERATION_TOKEN)
_CANONICAL_ACTION = {a.lower(): a for a in SESSION_ACTIONS}

# Values of SessionRule.limited_by: what decides the longest session.
LIMIT_ROLE_CHAINING = "role chaining"
LIMIT_MAX_SESSION_DURATION = "MaxSessionDuration"
LIMIT_SESSION_NOT_ON_OR_AFTER = "SessionNotOnOrAfter"
LIMIT_CONSOLE_REMAINING = "console session remaining"
LIMIT_ROOT_GET_FEDERATION_TOKEN = "root GetFederationToken cap"
LIMIT_GET_FEDERATION_TOKEN = "GetFederationToken limit"
LIMIT_GET_SESSION_TOKEN = "GetSessionToken limit"
LIMIT_ROOT_GET_SESSION_TOKEN = "root GetSessionToken limit"
LIMIT_SERVICE = "service-managed"

# Credential kinds that hold AWS credentials able to sign an AssumeRole call (T6). SAML / OIDC callers hold an
# IdP assertion or token instead; the service kind is an AWS service acting for itself.
_ASSUME_ROLE_CALLERS = (CRED_IAM_USER, CRED_ROLE_SESSION, CRED_INSTANCE_PROFILE, CRED_CONSOLE,
                        CRED_CONSOLE_FEDERATED, CRED_GET_SESSION_TOKEN, CRED_SERVICE)
_CONSOLE_KINDS = (CRED_CONSOLE, CRED_CONSOLE_FEDERATED)


# --------------------------------------------------------------------------------------------------------------
# The answer
# --------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SessionRule:
    """Session rules for one STS call by one kind of caller (see the module docstring for the vocabulary).

    Durations are seconds. `None` means "does not apply": no accepted DurationSeconds range when the call takes
    no DurationSeconds parameter (console role switching, services), no durations when the call may not be made.
    `ok` is None when no DurationSeconds was requested (or, for service-assumed sessions, when the service sets
    the duration itself); otherwise True exactly when the requested value is accepted.
    """
    action: str
    caller_credential_kind: str
    may_call: bool
    chained: bool
    min_seconds: int | None
    max_seconds: int | None
    default_seconds: int | None
    requested_seconds: int | None
    ok: bool | None
    limited_by: str | None
    reason: str
    settings_used: dict = field(default_factory=dict)
    request_min_seconds: int | None = None
    request_max_seconds: int | None = None
    effective_seconds: int | None = None
    credential_kind_after: str | None = None
    rules: tuple[str, ...] = ()

    @property
    def fails(self) -> bool:
        """True when the call cannot succeed: not permitted, or a requested duration that STS rejects."""
        return not self.may_call or self.ok is False

    def to_json(self) -> dict:
        return {
            "action": self.action,
            "caller_credential_kind": self.caller_credential_kind,
            "may_call": self.may_call,
            "chained": self.chained,
            "min_seconds": self.min_seconds,
            "max_seconds": self.max_seconds,
            "default_seconds": self.default_seconds,
            "requested_seconds": self.requested_seconds,
            "ok": self.ok,
            "effective_seconds": self.effective_seconds,
            "request_min_seconds": self.request_min_seconds,
            "request_max_seconds": self.request_max_seconds,
            "limited_by": self.limited_by,
            "reason": self.reason,
            "settings_used": dict(self.settings_used),
            "credential_kind_after": self.credential_kind_after,
            "rules": list(self.rules),
        }


# --------------------------------------------------------------------------------------------------------------
# Input checks (bad input is a RequestError naming the parameter, never a traceback)
# --------------------------------------------------------------------------------------------------------------

def _check_kind(kind) -> str:
    if kind not in CREDENTIAL_KINDS:
        raise RequestError(f"unknown credential kind {kind!r}; known: {', '.join(CREDENTIAL_KINDS)}")
    return kind


def _check_action(action) -> str:
    if not isinstance(action, str) or action.lower() not in _CANONICAL_ACTION:
        raise RequestError(f"{action!r} is not an STS action that creates a session; known: "
                           f"{', '.join(SESSION_ACTIONS)}")
    return _CANONICAL_ACTION[action.lower()]


def _check_int(name: str, value, *, allow_none: bool = True) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise RequestError(f"{name} must be a whole number of seconds, not {value!r}")
    return value


def _check_role_max(value) -> int:
    value = _check_int("role_max_session_seconds", value)
    if value is None:
        return DEFAULT_MAX_SESSION_DURATION
    if not MAX_SESSION_DURATION_MIN <= value <= MAX_SESSION_DURATION_MAX:
        raise RequestError(f"role_max_session_seconds (MaxSessionDuration) must be between "
                           f"{MAX_SESSION_DURATION_MIN} and {MAX_SESSION_DURATION_MAX}, not {value}")
    return value


def _check_settings(settings) -> Settings:
    if settings is None:
        return DEFAULT_SETTINGS
    if not isinstance(settings, Settings):
        raise RequestError(f"settings must be an explorer.iam.settings.Settings, not {type(settings).__name__}")
    return settings


def _hours(seconds: int) -> str:
    if seconds % 3600 == 0:
        h = seconds // 3600
        return f"{seconds} s ({h} h)"
    if seconds % 60 == 0:
        return f"{seconds} s ({seconds // 60} min)"
    return f"{seconds} s"


def _not_permitted(action: str, kind: str, reason: str, rules: tuple[str, ...], requested: int | None,
                   settings_used: dict | None = None) -> SessionRule:
    return SessionRule(action=action, caller_credential_kind=kind, may_call=False, chained=False,
                       min_seconds=None, max_seconds=None, default_seconds=None, requested_seconds=requested,
                       ok=None if requested is None else False, limited_by=None, reason=reason,
                       settings_used=dict(settings_used or {}), credential_kind_after=None, rules=rules)


def _judge_request(requested: int | None, lo: int | None, hi: int | None) -> bool | None:
    if requested is None:
        return None
    if lo is None or hi is None:
        return False
    return lo <= requested <= hi


# --------------------------------------------------------------------------------------------------------------
# ROLE CHAINING LIMIT (D2, D3)
# --------------------------------------------------------------------------------------------------------------

def is_role_chaining(caller_credential_kind: str, settings: Settings = DEFAULT_SETTINGS,
                     action: str = ASSUME_ROLE) -> tuple[bool, dict]:
    """Is this AssumeRole call role chaining (so the new session is capped at ROLE_CHAINING_CAP_SECONDS)?

    Returns (chained, settings_used).
      * role_session: yes (D2: a role session's credentials calling AssumeRole).
      * console_federated: yes (D8: a console identity that is itself a role session switching role).
      * instance_profile (EC2 instance profile, ECS task, Lambda role credentials): setting
        `instance_profile_assume_is_chained`, default true (D3, observed [S47]).
      * get_session_token: setting `gst_assume_is_chained`, default true (D3, CONFLICT/UNDOCUMENTED).
      * everything else (IAM user keys, IAM-user console, SAML/OIDC first hops, services): no.
    """
    settings = _check_settings(settings)
    _check_kind(caller_credential_kind)
    if _check_action(action) != ASSUME_ROLE:
        return False, {}  # AssumeRoleWithSAML / WithWebIdentity are first hops, never chaining
    if caller_credential_kind in (CRED_ROLE_SESSION, CRED_CONSOLE_FEDERATED):
        return True, {}
    if caller_credential_kind == CRED_INSTANCE_PROFILE:
        value = settings.instance_profile_assume_is_chained
        return value, {"instance_profile_assume_is_chained": value}
    if caller_credential_kind == CRED_GET_SESSION_TOKEN:
        value = settings.gst_assume_is_chained
        return value, {"gst_assume_is_chained": value}
    return False, {}


def role_chaining_cap(role_max_session_seconds: int | None) -> int:
    """The longest session a role-chaining call to this role can give: min(ROLE_CHAINING_CAP_SECONDS, role max)."""
    return min(ROLE_CHAINING_CAP_SECONDS, _check_role_max(role_max_session_seconds))


# --------------------------------------------------------------------------------------------------------------
# WHO MAY CALL (T6, T8)
# --------------------------------------------------------------------------------------------------------------

_WHY_NOT = {
    # (action, kind) specific first, then (action, None) as the general text
    (ASSUME_ROLE, CRED_ROOT): "the root user cannot call AssumeRole (T6)",
    (ASSUME_ROLE, CRED_FEDERATED_USER): "GetFederationToken (federated-user) credentials cannot call any STS API "
                                        "except GetCallerIdentity, so they cannot call AssumeRole (T6)",
    (ASSUME_ROLE, CRED_SAML): "a SAML assertion is not AWS credentials: its holder calls AssumeRoleWithSAML "
                              "(a first hop); AssumeRole needs signed AWS credentials (T8)",
    (ASSUME_ROLE, CRED_OIDC): "an OIDC web identity token is not AWS credentials: its holder calls "
                              "AssumeRoleWithWebIdentity (a first hop); AssumeRole needs signed AWS credentials (T8)",
    (ASSUME_ROLE_WITH_SAML, None): "AssumeRoleWithSAML is called with a SAML assertion from the identity "
                                   "provider (credential kind 'saml'), not with AWS credentials (T8)",
    (ASSUME_ROLE_WITH_WEB_IDENTITY, None): "AssumeRoleWithWebIdentity is called with an OIDC token from the "
                                           "identity provider (credential kind 'oidc'), not with AWS "
                                           "credentials (T8)",
    (GET_SESSION_TOKEN, CRED_GET_SESSION_TOKEN): "GetSessionToken credentials may call only AssumeRole and "
                                                 "GetCallerIdentity among STS APIs (T6)",
    (GET_SESSION_TOKEN, CRED_FEDERATED_USER): "federated-user credentials cannot call any STS API except "
                                              "GetCallerIdentity (T6)",
    (GET_SESSION_TOKEN, None): "GetSessionToken may be called only with the long-term credentials of an IAM "
                               "user or of the root user (S23)",
    (GET_FEDERATION_TOKEN, CRED_GET_SESSION_TOKEN): "GetSessionToken credentials may call only AssumeRole and "
                                                    "GetCallerIdentity among STS APIs (T6)",
    (GET_FEDERATION_TOKEN, CRED_FEDERATED_USER): "federated-user credentials cannot call any STS API except "
                                                 "GetCallerIdentity (T6)",
    (GET_FEDERATION_TOKEN, None): "GetFederationToken may be called only with the long-term credentials of an "
                                  "IAM user or of the root user (S23)",
    (ASSUME_ROLE, None): "this kind of credentials cannot call AssumeRole (T6)",
}

_ALLOWED_CALLERS = {
    ASSUME_ROLE: _ASSUME_ROLE_CALLERS,
    ASSUME_ROLE_WITH_SAML: (CRED_SAML,),
    ASSUME_ROLE_WITH_WEB_IDENTITY: (CRED_OIDC,),
    GET_SESSION_TOKEN: (CRED_IAM_USER, CRED_ROOT),
    GET_FEDERATION_TOKEN: (CRED_IAM_USER, CRED_ROOT),
}


def may_call(action: str, caller_credential_kind: str) -> tuple[bool, str]:
    """Whether credentials of this kind may call this STS action at all (T6, T8), and the reason in words."""
    action = _check_action(action)
    kind = _check_kind(caller_credential_kind)
    if kind in _ALLOWED_CALLERS[action]:
        return True, f"{kind} credentials may call {action}"
    why = _WHY_NOT.get((action, kind)) or _WHY_NOT.get((action, None)) or f"{kind} cannot call {action}"
    return False, why


# --------------------------------------------------------------------------------------------------------------
# NEXT CREDENTIAL KIND
# --------------------------------------------------------------------------------------------------------------

def credential_kind_after(action: str, caller_credential_kind: str, *, via_console: bool = False) -> str | None:
    """The credential kind of the session a successful call returns; None when this caller cannot make the call.

      * AssumeRole / AssumeRoleWithSAML / AssumeRoleWithWebIdentity -> role_session. Exceptions:
          - a service assuming a role (EC2 instance profile, ECS task, Lambda...) -> instance_profile: the
            credentials a service hands to the workload (D3, D9);
          - with via_console=True, a SAML/OIDC console sign-in gives a console identity that is a role session
            (console_federated), and a console role switch keeps the originally signed-in identity (console or
            console_federated), because the console authorizes every switch with it (D8).
      * GetSessionToken -> get_session_token for an IAM user; the root user's GetSessionToken credentials remain
        root credentials (root).
      * GetFederationToken -> federated_user.
    """
    action = _check_action(action)
    kind = _check_kind(caller_credential_kind)
    allowed, _ = may_call(action, kind)
    if not allowed:
        return None
    if action in ASSUME_ROLE_ACTIONS:
        if kind == CRED_SERVICE:
            return CRED_INSTANCE_PROFILE
        if via_console:
            if kind in _CONSOLE_KINDS:
                return kind
            if kind in (CRED_SAML, CRED_OIDC):
                return CRED_CONSOLE_FEDERATED
            if kind == CRED_IAM_USER:
                return CRED_CONSOLE
        return CRED_ROLE_SESSION
    if action == GET_SESSION_TOKEN:
        return CRED_ROOT if kind == CRED_ROOT else CRED_GET_SESSION_TOKEN
    return CRED_FEDERATED_USER


# --------------------------------------------------------------------------------------------------------------
# ASSUME ROLE (D1, D2, D3, D5, D8, D9)
# --------------------------------------------------------------------------------------------------------------

def assume_role_session(caller_credential_kind: str, role_max_session_seconds: int | None, *,
                        requested_seconds: int | None = None, settings: Settings = DEFAULT_SETTINGS,
                        saml_session_not_on_or_after_seconds: int | None = None,
                        console_remaining_seconds: int | None = None,
                        action: str = ASSUME_ROLE) -> SessionRule:
    """Session rules for assuming a role whose MaxSessionDuration is `role_max_session_seconds` (None: the AWS
    default of 3600).

    action: sts:AssumeRole (API call, or a console role switch for the console credential kinds),
        sts:AssumeRoleWithSAML (caller kind saml) or sts:AssumeRoleWithWebIdentity (caller kind oidc).
    requested_seconds: the DurationSeconds passed; outside the accepted range the call fails (D1), it is not
        clamped.
    saml_session_not_on_or_after_seconds: seconds from now until the SAML assertion's SessionNotOnOrAfter (D5).
        It shortens the session, it does not make a longer DurationSeconds fail.
    console_remaining_seconds: time left in the console sign-in of a console caller (D8).
    """
    action = _check_action(action)
    if action not in ASSUME_ROLE_ACTIONS:
        raise RequestError(f"assume_role_session handles {', '.join(ASSUME_ROLE_ACTIONS)}, not {action}; "
                           f"use session_rule() or the GetSessionToken/GetFederationToken functions")
    kind = _check_kind(caller_credential_kind)
    role_max = _check_role_max(role_max_session_seconds)
    requested = _check_int("requested_seconds", requested_seconds)
    settings = _check_settings(settings)
    snooa = _check_int("saml_session_not_on_or_after_seconds", saml_session_not_on_or_after_seconds)
    console_left = _check_int("console_remaining_seconds", console_remaining_seconds)

    if snooa is not None and action != ASSUME_ROLE_WITH_SAML:
        raise RequestError("saml_session_not_on_or_after_seconds applies only to sts:AssumeRoleWithSAML")
    if console_left is not None and kind not in _CONSOLE_KINDS:
        raise RequestError("console_remaining_seconds applies only to console callers "
                           f"({CRED_CONSOLE}, {CRED_CONSOLE_FEDERATED}), not {kind}")

    allowed, why = may_call(action, kind)
    chained, settings_used = is_role_chaining(kind, settings, action) if allowed else (False, {})
    if not allowed:
        return _not_permitted(action, kind, why, ("T6",) if action == ASSUME_ROLE else ("T8",), requested)
    after = credential_kind_after(action, kind, via_console=kind in _CONSOLE_KINDS)

    if kind == CRED_SERVICE:
        return _service_session(action, kind, role_max, requested, after)
    if kind in _CONSOLE_KINDS:
        return _console_switch_session(action, kind, role_max, requested, console_left, chained, after)

    rules: list[str] = ["D1"]
    notes: list[str] = []
    request_lo, request_hi = MIN_SESSION_SECONDS, role_max
    if chained:
        rules.append("D2")
        if kind != CRED_ROLE_SESSION:
            rules.append("D3")
        request_hi = min(role_max, ROLE_CHAINING_CAP_SECONDS)
        limited_by = LIMIT_ROLE_CHAINING
        why_chained = {
            CRED_ROLE_SESSION: "a role session calling AssumeRole is role chaining",
            CRED_INSTANCE_PROFILE: "instance-profile / task / function role credentials calling AssumeRole count "
                                   "as role chaining (setting instance_profile_assume_is_chained=true)",
            CRED_GET_SESSION_TOKEN: "GetSessionToken credentials calling AssumeRole count as role chaining "
                                    "(setting gst_assume_is_chained=true)",
        }[kind]
        head = (f"{why_chained}: the session is capped at the role chaining limit of "
                f"{_hours(ROLE_CHAINING_CAP_SECONDS)}")
        if role_max > ROLE_CHAINING_CAP_SECONDS:
            head += f", below the role's MaxSessionDuration of {_hours(role_max)}"
        notes.append("the new session's lifetime does not depend on the calling session's remaining time "
                     "(D4, undocumented)")
    else:
        limited_by = LIMIT_MAX_SESSION_DURATION
        first = {
            CRED_IAM_USER: "IAM user credentials calling AssumeRole (not role chaining)",
            CRED_SAML: "AssumeRoleWithSAML (a first hop, not role chaining)",
            CRED_OIDC: "AssumeRoleWithWebIdentity (a first hop, not role chaining)",
            CRED_INSTANCE_PROFILE: "instance-profile / task / function role credentials calling AssumeRole, "
                                   "not counted as role chaining (setting instance_profile_assume_is_chained="
                                   "false)",
            CRED_GET_SESSION_TOKEN: "GetSessionToken credentials calling AssumeRole, not counted as role chaining "
                                    "(setting gst_assume_is_chained=false)",
        }[kind]
        head = f"{first}: up to the role's MaxSessionDuration of {_hours(role_max)}"
        if role_max_session_seconds is None:
            head += " (MaxSessionDuration not given: the AWS default)"
        if kind in (CRED_INSTANCE_PROFILE, CRED_GET_SESSION_TOKEN):
            rules.append("D3")
        if kind == CRED_OIDC:
            rules.append("D5")
    max_seconds = request_hi
    default_seconds = min(DEFAULT_SESSION_SECONDS, request_hi)

    if action == ASSUME_ROLE_WITH_SAML:
        rules.append("D5")
        if snooa is not None:
            if snooa <= 0:
                return _not_permitted(action, kind, "the SAML assertion's SessionNotOnOrAfter has already passed, "
                                      "so AssumeRoleWithSAML fails (D5)", ("D5",), requested)
            if snooa < max_seconds:
                max_seconds = snooa
                limited_by = LIMIT_SESSION_NOT_ON_OR_AFTER
                head += (f"; the SAML assertion's SessionNotOnOrAfter ends the session after {_hours(snooa)} "
                         f"whatever DurationSeconds says")
            default_seconds = min(default_seconds, snooa)
        else:
            notes.append("the session also ends no later than the SAML assertion's SessionNotOnOrAfter "
                         "(not given here)")

    ok = _judge_request(requested, request_lo, request_hi)
    min_seconds = min(MIN_SESSION_SECONDS, max_seconds)
    effective = _effective(requested, ok, default_seconds, max_seconds)
    reason = head + f". DurationSeconds accepted: {request_lo}..{request_hi}, default {DEFAULT_SESSION_SECONDS}"
    reason += _request_words(requested, ok, request_lo, request_hi, effective, limited_by)
    if notes:
        reason += ". Note: " + "; ".join(notes)
    return SessionRule(action=action, caller_credential_kind=kind, may_call=True, chained=chained,
                       min_seconds=min_seconds, max_seconds=max_seconds, default_seconds=default_seconds,
                       requested_seconds=requested, ok=ok, limited_by=limited_by, reason=reason + ".",
                       settings_used=settings_used, request_min_seconds=request_lo, request_max_seconds=request_hi,
                       effective_seconds=effective, credential_kind_after=after, rules=tuple(rules))


def _effective(requested: int | None, ok: bool | None, default_seconds: int | None,
               max_seconds: int | None) -> int | None:
    if ok is False:
        return None
    if requested is None:
        return default_seconds
    return requested if max_seconds is None else min(requested, max_seconds)


def _request_words(requested, ok, lo, hi, effective, limited_by) -> str:
    if requested is None:
        return ""
    if ok:
        text = f"; requested {requested} s is accepted"
        if effective is not None and effective != requested:
            text += f" and gives a {_hours(effective)} session (limited by {limited_by})"
        return text
    return (f"; requested {requested} s is outside {lo}..{hi}, so the call FAILS "
            f"(STS does not clamp DurationSeconds, D1)")


def _console_switch_session(action, kind, role_max, requested, console_left, chained, after) -> SessionRule:
    """D8: console role switching. No DurationSeconds parameter: the session lasts a fixed time."""
    rules = ["D8"]
    if console_left is not None and console_left <= 0:
        return _not_permitted(action, kind, "the console sign-in session has expired, so no role switch is "
                              "possible (D8)", ("D8",), requested)
    if chained:  # console_federated
        rules.append("D2")
        duration, limited_by = min(role_max, ROLE_CHAINING_CAP_SECONDS), LIMIT_ROLE_CHAINING
        head = ("the console identity is itself a role session (SAML, OIDC or Identity Center sign-in), so "
                f"switching role is role chaining, capped at the role chaining limit of "
                f"{_hours(ROLE_CHAINING_CAP_SECONDS)}")
        if role_max > ROLE_CHAINING_CAP_SECONDS:
            head += f" (below the role's MaxSessionDuration of {_hours(role_max)})"
    else:
        duration, limited_by = role_max, LIMIT_MAX_SESSION_DURATION
        head = (f"an IAM user switching role in the console gets min(role MaxSessionDuration, time left in the "
                f"console session); the role allows {_hours(role_max)}")
    if console_left is not None:
        if console_left < duration:
            duration, limited_by = console_left, LIMIT_CONSOLE_REMAINING
            head += f"; only {_hours(console_left)} remain in the console session, which ends the role session"
        else:
            head += f"; {_hours(console_left)} remain in the console session"
    else:
        head += "; the time left in the console session was not given (the role session also ends with it)"
    ok = None if requested is None else (requested == duration)
    reason = head + f". The session lasts {_hours(duration)}"
    if requested is not None and not ok:
        reason += (f"; console role switching takes no DurationSeconds, so a requested {requested} s cannot be "
                   f"had")
    return SessionRule(action=action, caller_credential_kind=kind, may_call=True, chained=chained,
                       min_seconds=duration, max_seconds=duration, default_seconds=duration,
                       requested_seconds=requested, ok=ok, limited_by=limited_by, reason=reason + ".",
                       settings_used={}, request_min_seconds=None, request_max_seconds=None,
                       effective_seconds=duration if ok is not False else None, credential_kind_after=after,
                       rules=tuple(rules))


def _service_session(action, kind, role_max, requested, after) -> SessionRule:
    """D9: sessions that AWS services assume are not limited by the role's MaxSessionDuration."""
    reason = ("an AWS service assuming the role sets the session duration itself; MaxSessionDuration "
              f"({_hours(role_max)}) does not limit service-assumed sessions, and the service renews the "
              "credentials (D9)")
    if requested is not None:
        reason += f"; a requested {requested} s is not a parameter the caller controls"
    return SessionRule(action=action, caller_credential_kind=kind, may_call=True, chained=False,
                       min_seconds=None, max_seconds=None, default_seconds=None, requested_seconds=requested,
                       ok=None, limited_by=LIMIT_SERVICE, reason=reason + ".", settings_used={},
                       request_min_seconds=None, request_max_seconds=None, effective_seconds=None,
                       credential_kind_after=after, rules=("D9",))


# --------------------------------------------------------------------------------------------------------------
# GET SESSION TOKEN (D7)
# --------------------------------------------------------------------------------------------------------------

def get_session_token_session(caller_credential_kind: str, *, requested_seconds: int | None = None,
                              mfa_supplied: bool | None = None) -> SessionRule:
    """GetSessionToken: IAM user 900..129600 (default 43200); root 900..3600 (default 3600). Out of range fails."""
    action = GET_SESSION_TOKEN
    kind = _check_kind(caller_credential_kind)
    requested = _check_int("requested_seconds", requested_seconds)
    allowed, why = may_call(action, kind)
    if not allowed:
        return _not_permitted(action, kind, why, ("T6", "D7"), requested)
    if kind == CRED_ROOT:
        lo, hi, default = (GET_SESSION_TOKEN_MIN_SECONDS, GET_SESSION_TOKEN_ROOT_MAX_SECONDS,
                           GET_SESSION_TOKEN_ROOT_DEFAULT_SECONDS)
        limited_by = LIMIT_ROOT_GET_SESSION_TOKEN
        head = f"GetSessionToken with root credentials: {lo}..{hi}, default {default}"
    else:
        lo, hi, default = (GET_SESSION_TOKEN_MIN_SECONDS, GET_SESSION_TOKEN_MAX_SECONDS,
                           GET_SESSION_TOKEN_DEFAULT_SECONDS)
        limited_by = LIMIT_GET_SESSION_TOKEN
        head = f"GetSessionToken with IAM user credentials: {lo}..{hi}, default {default}"
    ok = _judge_request(requested, lo, hi)
    effective = _effective(requested, ok, default, hi)
    reason = head + _request_words(requested, ok, lo, hi, effective, limited_by)
    if mfa_supplied is False:
        reason += "; without MFA the credentials cannot call IAM APIs"
    elif mfa_supplied is None:
        reason += "; the credentials can call IAM APIs only if MFA was supplied"
    return SessionRule(action=action, caller_credential_kind=kind, may_call=True, chained=False,
                       min_seconds=lo, max_seconds=hi, default_seconds=default, requested_seconds=requested,
                       ok=ok, limited_by=limited_by, reason=reason + " (D7).", settings_used={},
                       request_min_seconds=lo, request_max_seconds=hi, effective_seconds=effective,
                       credential_kind_after=credential_kind_after(action, kind), rules=("D7",))


# --------------------------------------------------------------------------------------------------------------
# GET FEDERATION TOKEN (D6)
# --------------------------------------------------------------------------------------------------------------

def get_federation_token_session(caller_credential_kind: str, *, requested_seconds: int | None = None,
                                 has_session_policy: bool | None = None) -> SessionRule:
    """GetFederationToken: DurationSeconds 900..129600, default 43200. With root credentials the session lasts
    at most 3600 s: a longer request (within 900..129600) is accepted and becomes one hour (D6)."""
    action = GET_FEDERATION_TOKEN
    kind = _check_kind(caller_credential_kind)
    requested = _check_int("requested_seconds", requested_seconds)
    allowed, why = may_call(action, kind)
    if not allowed:
        return _not_permitted(action, kind, why, ("T6", "D6"), requested)
    lo, hi = GET_FEDERATION_TOKEN_MIN_SECONDS, GET_FEDERATION_TOKEN_MAX_SECONDS
    if kind == CRED_ROOT:
        max_seconds = ROOT_GET_FEDERATION_TOKEN_CAP_SECONDS
        default = ROOT_GET_FEDERATION_TOKEN_CAP_SECONDS
        limited_by = LIMIT_ROOT_GET_FEDERATION_TOKEN
        head = (f"GetFederationToken with root credentials: DurationSeconds {lo}..{hi} is accepted, but the "
                f"session lasts at most {_hours(max_seconds)}: a longer request becomes one hour")
    else:
        max_seconds, default = hi, GET_FEDERATION_TOKEN_DEFAULT_SECONDS
        limited_by = LIMIT_GET_FEDERATION_TOKEN
        head = f"GetFederationToken with IAM user credentials: {lo}..{hi}, default {default}"
    ok = _judge_request(requested, lo, hi)
    effective = _effective(requested, ok, default, max_seconds)
    reason = head + _request_words(requested, ok, lo, hi, effective, limited_by)
    if has_session_policy is False:
        reason += ("; without a session policy the federated-user session has no permissions: only resource "
                   "policies naming the federated-user ARN grant it anything")
    reason += "; the federated-user session cannot call STS APIs other than GetCallerIdentity (T6)"
    return SessionRule(action=action, caller_credential_kind=kind, may_call=True, chained=False,
                       min_seconds=lo, max_seconds=max_seconds, default_seconds=default,
                       requested_seconds=requested, ok=ok, limited_by=limited_by, reason=reason + " (D6).",
                       settings_used={}, request_min_seconds=lo, request_max_seconds=hi,
                       effective_seconds=effective, credential_kind_after=credential_kind_after(action, kind),
                       rules=("D6",))


# --------------------------------------------------------------------------------------------------------------
# FEDERATION SIGN-IN URL (D8, last bullet)
# --------------------------------------------------------------------------------------------------------------

FEDERATION_SIGN_IN = "federation:GetSigninToken"  # not an STS action: the console federation endpoint
FEDERATION_SIGN_IN_MIN_SECONDS = 900
FEDERATION_SIGN_IN_MAX_SECONDS = 43200
FEDERATION_SIGN_IN_DEFAULT_SECONDS = 3600
LIMIT_FEDERATION_SIGN_IN = "federation SessionDuration limit"


def federation_sign_in_session(credentials_kind: str, *, requested_seconds: int | None = None,
                               credentials_used_duration_seconds: bool = False,
                               credentials_obtained_by: str | None = None) -> SessionRule:
    """A console session opened through the federation endpoint (custom identity broker, S33): SessionDuration
    900..43200 s, default 3600, independent of the credentials' own DurationSeconds. If the temporary
    credentials were requested with DurationSeconds, they must have been obtained with long-term IAM user
    credentials (`credentials_obtained_by` = iam_user), or the sign-in token call fails (D8).

    credentials_kind: the kind of the temporary credentials presented (role_session or federated_user).
    """
    kind = _check_kind(credentials_kind)
    requested = _check_int("requested_seconds", requested_seconds)
    if credentials_obtained_by is not None:
        _check_kind(credentials_obtained_by)
    action = FEDERATION_SIGN_IN
    if kind not in (CRED_ROLE_SESSION, CRED_FEDERATED_USER):
        return _not_permitted(action, kind, "the federation endpoint takes temporary credentials from AssumeRole* "
                              "or GetFederationToken (role_session or federated_user), not "
                              f"{kind} credentials (D8)", ("D8",), requested)
    if credentials_used_duration_seconds and credentials_obtained_by != CRED_IAM_USER:
        return _not_permitted(action, kind, "the temporary credentials were requested with DurationSeconds but "
                              "not with long-term IAM user credentials, so the sign-in token call fails (D8)",
                              ("D8",), requested)
    lo, hi, default = (FEDERATION_SIGN_IN_MIN_SECONDS, FEDERATION_SIGN_IN_MAX_SECONDS,
                       FEDERATION_SIGN_IN_DEFAULT_SECONDS)
    ok = _judge_request(requested, lo, hi)
    effective = _effective(requested, ok, default, hi)
    reason = (f"console sign-in through the federation endpoint: SessionDuration {lo}..{hi}, default {default}, "
              "independent of the credentials' DurationSeconds")
    reason += _request_words(requested, ok, lo, hi, effective, LIMIT_FEDERATION_SIGN_IN).replace(
        "DurationSeconds, D1", "SessionDuration")
    after = CRED_CONSOLE_FEDERATED if kind == CRED_ROLE_SESSION else None
    return SessionRule(action=action, caller_credential_kind=kind, may_call=True, chained=False,
                       min_seconds=lo, max_seconds=hi, default_seconds=default, requested_seconds=requested,
                       ok=ok, limited_by=LIMIT_FEDERATION_SIGN_IN, reason=reason + " (D8).", settings_used={},
                       request_min_seconds=lo, request_max_seconds=hi, effective_seconds=effective,
                       credential_kind_after=after, rules=("D8",))


# --------------------------------------------------------------------------------------------------------------
# DISPATCH
# --------------------------------------------------------------------------------------------------------------

def session_rule(action: str, caller_credential_kind: str, *, role_max_session_seconds: int | None = None,
                 requested_seconds: int | None = None, settings: Settings = DEFAULT_SETTINGS,
                 saml_session_not_on_or_after_seconds: int | None = None,
                 console_remaining_seconds: int | None = None, mfa_supplied: bool | None = None,
                 has_session_policy: bool | None = None) -> SessionRule:
    """One entry point for every session-creating STS action (used by the data-driven scenarios)."""
    action = _check_action(action)
    if action in ASSUME_ROLE_ACTIONS:
        return assume_role_session(caller_credential_kind, role_max_session_seconds,
                                   requested_seconds=requested_seconds, settings=settings,
                                   saml_session_not_on_or_after_seconds=saml_session_not_on_or_after_seconds,
                                   console_remaining_seconds=console_remaining_seconds, action=action)
    if action == GET_SESSION_TOKEN:
        return get_session_token_session(caller_credential_kind, requested_seconds=requested_seconds,
                                         mfa_supplied=mfa_supplied)
    return get_federation_token_session(caller_credential_kind, requested_seconds=requested_seconds,
                                        has_session_policy=has_session_policy)


# --------------------------------------------------------------------------------------------------------------
# MFA (K1, K3, K4)
# --------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MfaRule:
    """Whether aws:MultiFactorAuthPresent is true inside the session a hop creates, and why."""
    present: bool
    reason: str
    settings_used: dict = field(default_factory=dict)

    def __bool__(self) -> bool:
        return self.present

    def to_json(self) -> dict:
        return {"present": self.present, "reason": self.reason, "settings_used": dict(self.settings_used)}


def mfa_in_session_rule(hop_passed_mfa: bool, settings: Settings = DEFAULT_SETTINGS, *,
                        action: str = ASSUME_ROLE) -> MfaRule:
    """K4 (CONFLICT, setting `mfa_in_role_session`): is MFA present in the role session this hop creates?

      * per_hop (default): true only if SerialNumber and TokenCode were passed at THIS hop; never inherited
        from the caller, so a chained session has MFA only if the chaining call itself passed a token code.
      * never: false (S26: AssumeRole credentials carry no MFA information).
    AssumeRoleWithSAML / AssumeRoleWithWebIdentity take no token code and carry no MFA information (K3).
    Inside a role session the key is present, with the value false, when there was no MFA.
    """
    settings = _check_settings(settings)
    action = _check_action(action)
    if action not in ASSUME_ROLE_ACTIONS:
        raise RequestError(f"mfa_in_session_rule is about role sessions (AssumeRole*), not {action}")
    used = {"mfa_in_role_session": settings.mfa_in_role_session}
    if action != ASSUME_ROLE:
        return MfaRule(False, f"{action} carries no MFA information, so the role session has "
                              "aws:MultiFactorAuthPresent false (K3)", {})
    if settings.mfa_in_role_session == MFA_NEVER:
        return MfaRule(False, "setting mfa_in_role_session=never: role sessions carry no MFA information "
                              "(S26), so aws:MultiFactorAuthPresent is false (K4)", used)
    if settings.mfa_in_role_session != MFA_PER_HOP:  # pragma: no cover - Settings.from_json validates
        raise RequestError(f"unknown mfa_in_role_session value {settings.mfa_in_role_session!r}")
    if hop_passed_mfa:
        return MfaRule(True, "setting mfa_in_role_session=per_hop: SerialNumber and TokenCode were passed at "
                             "this hop, so aws:MultiFactorAuthPresent is true in the new session (K4)", used)
    return MfaRule(False, "setting mfa_in_role_session=per_hop: no SerialNumber/TokenCode at this hop, and MFA "
                          "is never inherited from the calling session, so aws:MultiFactorAuthPresent is false "
                          "(K4)", used)


def mfa_present_in_session(hop_passed_mfa: bool, settings: Settings = DEFAULT_SETTINGS, *,
                           action: str = ASSUME_ROLE) -> bool:
    """K4 as a plain bool; `mfa_in_session_rule()` gives the same answer with its reason and settings_used
    (always {"mfa_in_role_session": value} for sts:AssumeRole)."""
    return mfa_in_session_rule(hop_passed_mfa, settings, action=action).present


def mfa_present_on_call(caller_credential_kind: str, *, token_passed: bool = False,
                        caller_session_has_mfa: bool = False) -> bool | None:
    """The value of aws:MultiFactorAuthPresent in the request context of a call (K1, K3): True, False, or None
    when the key is absent.

      * SerialNumber+TokenCode passed on the call (AssumeRole, GetSessionToken): True.
      * long-term IAM user or root keys without a token code: absent (K1).
      * federated-user sessions: False (GetFederationToken carries no MFA information, K3).
      * other temporary credentials (role session, instance profile, GetSessionToken, console sign-ins): True
        when they carry MFA (`caller_session_has_mfa`: an MFA GetSessionToken, an MFA console
        sign-in, or a role session with MFA per `mfa_in_session_rule`), else False.
      * SAML / OIDC callers and services: absent (no AWS credentials, no MFA information, K3).
    """
    kind = _check_kind(caller_credential_kind)
    if kind in (CRED_SAML, CRED_OIDC, CRED_SERVICE):
        return None
    if token_passed:
        return True
    if kind in (CRED_IAM_USER, CRED_ROOT):
        return None
    if kind == CRED_FEDERATED_USER:
        return False  # GetFederationToken sessions carry no MFA information (K3)
    return bool(caller_session_has_mfa)
