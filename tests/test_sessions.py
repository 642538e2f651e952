"""Unit tests of explorer/iam/sessions.py: every credential kind, both values of every setting (spec §7, T6, K3/K4)."""
from __future__ import annotations

import json

import pytest

from explorer.errors import InputError, RequestError
from explorer.iam import principal as p
from explorer.iam import sessions as s
from explorer.iam.sessions import (
    ROLE_CHAINING_CAP_SECONDS,
    SessionRule,
    assume_role_session,
    credential_kind_after,
    get_federation_token_session,
    get_session_token_session,
    is_role_chaining,
    may_call,
    mfa_in_session_rule,
    mfa_present_in_session,
    mfa_present_on_call,
    role_chaining_cap,
    session_rule,
)
from explorer.iam.settings import DEFAULT_SETTINGS, MFA_NEVER, MFA_PER_HOP, Settings

GST_ON = Settings(gst_assume_is_chained=True)
GST_OFF = Settings(gst_assume_is_chained=False)
IP_ON = Settings(instance_profile_assume_is_chained=True)
IP_OFF = Settings(instance_profile_assume_is_chained=False)


def test_role_chaining_limit_is_one_hour():
    assert ROLE_CHAINING_CAP_SECONDS == 3600
    assert role_chaining_cap(43200) == 3600
    assert role_chaining_cap(3600) == 3600
    assert role_chaining_cap(None) == 3600


# ---------------------------------------------------------------- AssumeRole, per credential kind

@pytest.mark.parametrize("role_max", [3600, 7200, 43200])
def test_iam_user_first_hop_up_to_max_session_duration(role_max):
    r = assume_role_session(p.CRED_IAM_USER, role_max)
    assert r.may_call and not r.chained
    assert (r.min_seconds, r.max_seconds, r.default_seconds) == (900, role_max, 3600)
    assert (r.request_min_seconds, r.request_max_seconds) == (900, role_max)
    assert r.limited_by == "MaxSessionDuration"
    assert r.ok is None and r.requested_seconds is None and r.effective_seconds == 3600
    assert r.credential_kind_after == p.CRED_ROLE_SESSION
    assert r.settings_used == {}


@pytest.mark.parametrize("requested, ok", [(899, False), (900, True), (3600, True), (7200, True), (7201, False),
                                           (0, False), (-5, False)])
def test_requested_duration_out_of_range_fails_not_clamped(requested, ok):
    r = assume_role_session(p.CRED_IAM_USER, 7200, requested_seconds=requested)
    assert r.ok is ok
    assert r.requested_seconds == requested
    assert r.effective_seconds == (requested if ok else None)
    assert r.fails is (not ok)
    assert ("FAILS" in r.reason) is (not ok)


def test_role_session_is_role_chaining():
    r = assume_role_session(p.CRED_ROLE_SESSION, 43200, requested_seconds=3600)
    assert r.chained and r.may_call and r.ok
    assert r.max_seconds == ROLE_CHAINING_CAP_SECONDS
    assert r.limited_by == "role chaining"
    assert "role chaining" in r.reason and "43200" in r.reason
    assert assume_role_session(p.CRED_ROLE_SESSION, 43200, requested_seconds=3601).ok is False
    assert "D2" in r.rules


@pytest.mark.parametrize("settings, chained", [(GST_ON, True), (GST_OFF, False)])
def test_get_session_token_credentials_setting(settings, chained):
    r = assume_role_session(p.CRED_GET_SESSION_TOKEN, 43200, requested_seconds=7200, settings=settings)
    assert r.may_call
    assert r.chained is chained
    assert r.settings_used == {"gst_assume_is_chained": chained}
    assert r.max_seconds == (3600 if chained else 43200)
    assert r.ok is (not chained)
    assert r.limited_by == ("role chaining" if chained else "MaxSessionDuration")
    assert "gst_assume_is_chained" in r.reason
    # the other setting has no effect on this kind
    other = settings.with_(instance_profile_assume_is_chained=not settings.instance_profile_assume_is_chained)
    assert assume_role_session(p.CRED_GET_SESSION_TOKEN, 43200, settings=other).chained is chained


@pytest.mark.parametrize("settings, chained", [(IP_ON, True), (IP_OFF, False)])
def test_instance_profile_credentials_setting(settings, chained):
    r = assume_role_session(p.CRED_INSTANCE_PROFILE, 43200, requested_seconds=7200, settings=settings)
    assert r.may_call
    assert r.chained is chained
    assert r.settings_used == {"instance_profile_assume_is_chained": chained}
    assert r.max_seconds == (3600 if chained else 43200)
    assert r.ok is (not chained)
    assert "instance_profile_assume_is_chained" in r.reason
    other = settings.with_(gst_assume_is_chained=not settings.gst_assume_is_chained)
    assert assume_role_session(p.CRED_INSTANCE_PROFILE, 43200, settings=other).chained is chained


def test_default_settings_are_the_spec_defaults():
    assert DEFAULT_SETTINGS.gst_assume_is_chained is True
    assert DEFAULT_SETTINGS.instance_profile_assume_is_chained is True
    assert assume_role_session(p.CRED_GET_SESSION_TOKEN, 43200).chained
    assert assume_role_session(p.CRED_INSTANCE_PROFILE, 43200).chained


@pytest.mark.parametrize("settings", [GST_ON, GST_OFF, IP_ON, IP_OFF])
def test_settings_do_not_touch_other_kinds(settings):
    assert assume_role_session(p.CRED_IAM_USER, 43200, settings=settings).chained is False
    assert assume_role_session(p.CRED_IAM_USER, 43200, settings=settings).settings_used == {}
    assert assume_role_session(p.CRED_ROLE_SESSION, 43200, settings=settings).chained is True
    assert assume_role_session(p.CRED_ROLE_SESSION, 43200, settings=settings).settings_used == {}


@pytest.mark.parametrize("kind", [p.CRED_ROOT, p.CRED_FEDERATED_USER, p.CRED_SAML, p.CRED_OIDC])
def test_kinds_that_cannot_call_assume_role(kind):
    r = assume_role_session(kind, 43200, requested_seconds=3600)
    assert r.may_call is False
    assert r.fails
    assert r.max_seconds is None and r.limited_by is None
    assert r.ok is False  # a requested call that cannot be made is not ok
    assert r.credential_kind_after is None
    assert r.reason
    assert assume_role_session(kind, 43200).ok is None


def test_root_and_federated_user_reasons_cite_t6():
    assert "root" in assume_role_session(p.CRED_ROOT, 3600).reason
    assert "T6" in assume_role_session(p.CRED_FEDERATED_USER, 3600).reason
    assert "AssumeRoleWithSAML" in assume_role_session(p.CRED_SAML, 3600).reason
    assert "AssumeRoleWithWebIdentity" in assume_role_session(p.CRED_OIDC, 3600).reason


def test_saml_first_hop():
    r = assume_role_session(p.CRED_SAML, 43200, action="sts:AssumeRoleWithSAML", requested_seconds=43200)
    assert r.may_call and not r.chained and r.ok and r.max_seconds == 43200
    assert r.limited_by == "MaxSessionDuration"
    assert "SessionNotOnOrAfter" in r.reason  # not given: said so


def test_saml_session_not_on_or_after_shortens_but_does_not_fail():
    r = assume_role_session(p.CRED_SAML, 43200, action="sts:AssumeRoleWithSAML", requested_seconds=7200,
                            saml_session_not_on_or_after_seconds=1800)
    assert r.ok is True and r.effective_seconds == 1800 and r.max_seconds == 1800
    assert r.limited_by == "SessionNotOnOrAfter" and r.default_seconds == 1800
    # a later SessionNotOnOrAfter does not limit
    r = assume_role_session(p.CRED_SAML, 7200, action="sts:AssumeRoleWithSAML",
                            saml_session_not_on_or_after_seconds=10000)
    assert r.max_seconds == 7200 and r.limited_by == "MaxSessionDuration" and r.effective_seconds == 3600
    # out of the DurationSeconds range still fails
    assert assume_role_session(p.CRED_SAML, 7200, action="sts:AssumeRoleWithSAML", requested_seconds=10800,
                               saml_session_not_on_or_after_seconds=1800).ok is False
    # expired assertion
    r = assume_role_session(p.CRED_SAML, 7200, action="sts:AssumeRoleWithSAML",
                            saml_session_not_on_or_after_seconds=0)
    assert r.may_call is False


def test_oidc_first_hop():
    r = assume_role_session(p.CRED_OIDC, 7200, action="sts:AssumeRoleWithWebIdentity", requested_seconds=7200)
    assert r.may_call and not r.chained and r.ok and r.max_seconds == 7200 and r.default_seconds == 3600
    assert r.credential_kind_after == p.CRED_ROLE_SESSION


@pytest.mark.parametrize("kind", [k for k in p.CREDENTIAL_KINDS if k != p.CRED_SAML])
def test_only_saml_calls_assume_role_with_saml(kind):
    assert assume_role_session(kind, 3600, action="sts:AssumeRoleWithSAML").may_call is False


@pytest.mark.parametrize("kind", [k for k in p.CREDENTIAL_KINDS if k != p.CRED_OIDC])
def test_only_oidc_calls_assume_role_with_web_identity(kind):
    assert assume_role_session(kind, 3600, action="sts:AssumeRoleWithWebIdentity").may_call is False


def test_console_iam_user_min_of_role_max_and_remaining():
    r = assume_role_session(p.CRED_CONSOLE, 18000, console_remaining_seconds=7200)
    assert not r.chained and r.max_seconds == 7200 and r.limited_by == "console session remaining"
    r = assume_role_session(p.CRED_CONSOLE, 18000, console_remaining_seconds=36000)
    assert r.max_seconds == 18000 and r.limited_by == "MaxSessionDuration"
    r = assume_role_session(p.CRED_CONSOLE, 18000)
    assert r.max_seconds == 18000 and "not given" in r.reason
    assert r.request_min_seconds is None  # no DurationSeconds in the console
    assert assume_role_session(p.CRED_CONSOLE, 18000, console_remaining_seconds=0).may_call is False


def test_console_requested_duration_cannot_be_chosen():
    r = assume_role_session(p.CRED_CONSOLE, 18000, requested_seconds=3600)
    assert r.ok is False and "no DurationSeconds" in r.reason
    assert assume_role_session(p.CRED_CONSOLE, 18000, requested_seconds=18000).ok is True


def test_console_federated_switch_is_role_chaining():
    r = assume_role_session(p.CRED_CONSOLE_FEDERATED, 43200)
    assert r.chained and r.max_seconds == 3600 and r.limited_by == "role chaining"
    r = assume_role_session(p.CRED_CONSOLE_FEDERATED, 43200, console_remaining_seconds=1200)
    assert r.max_seconds == 1200 and r.limited_by == "console session remaining"


def test_service_sessions_not_limited_by_max_session_duration():
    r = assume_role_session(p.CRED_SERVICE, 3600)
    assert r.may_call and not r.chained
    assert r.max_seconds is None and r.limited_by == "service-managed"
    assert "MaxSessionDuration" in r.reason and "D9" in r.rules
    assert r.credential_kind_after == p.CRED_INSTANCE_PROFILE


@pytest.mark.parametrize("kind", p.CREDENTIAL_KINDS)
def test_every_kind_has_an_answer_and_json(kind):
    r = assume_role_session(kind, 43200)
    assert isinstance(r, SessionRule)
    data = r.to_json()
    json.dumps(data)
    for key in ("may_call", "chained", "min_seconds", "max_seconds", "default_seconds", "requested_seconds", "ok",
                "limited_by", "reason", "settings_used"):
        assert key in data
    assert r.caller_credential_kind == kind
    with pytest.raises(Exception):
        r.may_call = True  # frozen


def test_chained_classification_table():
    chained = {k: is_role_chaining(k)[0] for k in p.CREDENTIAL_KINDS}
    assert {k for k, v in chained.items() if v} == {p.CRED_ROLE_SESSION, p.CRED_CONSOLE_FEDERATED,
                                                    p.CRED_INSTANCE_PROFILE, p.CRED_GET_SESSION_TOKEN}
    assert is_role_chaining(p.CRED_SAML, action="sts:AssumeRoleWithSAML") == (False, {})


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("kwargs", [
    dict(caller_credential_kind="wizard", role_max_session_seconds=3600),
    dict(caller_credential_kind="iam_user", role_max_session_seconds=100),
    dict(caller_credential_kind="iam_user", role_max_session_seconds=50000),
    dict(caller_credential_kind="iam_user", role_max_session_seconds="3600"),
    dict(caller_credential_kind="iam_user", role_max_session_seconds=3600, requested_seconds="1h"),
    dict(caller_credential_kind="iam_user", role_max_session_seconds=3600, requested_seconds=True),
    dict(caller_credential_kind="iam_user", role_max_session_seconds=3600, action="s3:GetObject"),
    dict(caller_credential_kind="iam_user", role_max_session_seconds=3600, action="sts:GetSessionToken"),
    dict(caller_credential_kind="iam_user", role_max_session_seconds=3600, saml_session_not_on_or_after_seconds=5),
    dict(caller_credential_kind="iam_user", role_max_session_seconds=3600, console_remaining_seconds=5),
    dict(caller_credential_kind="iam_user", role_max_session_seconds=3600, settings={"gst": True}),
])
def test_bad_input_is_a_request_error(kwargs):
    with pytest.raises(RequestError) as info:
        assume_role_session(**kwargs)
    assert isinstance(info.value, InputError)


def test_action_names_are_case_insensitive():
    r = assume_role_session(p.CRED_SAML, 3600, action="STS:assumerolewithsaml")
    assert r.may_call and r.action == "sts:AssumeRoleWithSAML"


# ---------------------------------------------------------------- GetSessionToken / GetFederationToken

def test_get_session_token_iam_user_and_root():
    r = get_session_token_session(p.CRED_IAM_USER)
    assert (r.min_seconds, r.max_seconds, r.default_seconds) == (900, 129600, 43200)
    assert r.credential_kind_after == p.CRED_GET_SESSION_TOKEN
    assert get_session_token_session(p.CRED_IAM_USER, requested_seconds=129600).ok is True
    assert get_session_token_session(p.CRED_IAM_USER, requested_seconds=129601).ok is False
    r = get_session_token_session(p.CRED_ROOT, requested_seconds=7200)
    assert (r.max_seconds, r.default_seconds) == (3600, 3600)
    assert r.ok is False  # no clamping for GetSessionToken
    assert r.credential_kind_after == p.CRED_ROOT
    assert "IAM APIs" in get_session_token_session(p.CRED_IAM_USER, mfa_supplied=False).reason


@pytest.mark.parametrize("kind", [k for k in p.CREDENTIAL_KINDS if k not in (p.CRED_IAM_USER, p.CRED_ROOT)])
def test_only_users_and_root_get_session_or_federation_tokens(kind):
    assert get_session_token_session(kind).may_call is False
    assert get_federation_token_session(kind).may_call is False


def test_get_federation_token_iam_user():
    r = get_federation_token_session(p.CRED_IAM_USER, requested_seconds=129600)
    assert r.ok and r.effective_seconds == 129600 and r.default_seconds == 43200
    assert get_federation_token_session(p.CRED_IAM_USER, requested_seconds=600).ok is False
    assert r.credential_kind_after == p.CRED_FEDERATED_USER
    assert "no permissions" in get_federation_token_session(p.CRED_IAM_USER, has_session_policy=False).reason


def test_get_federation_token_root_cap_is_not_a_failure():
    r = get_federation_token_session(p.CRED_ROOT, requested_seconds=7200)
    assert r.ok is True and r.effective_seconds == 3600 and r.max_seconds == 3600
    assert r.limited_by == "root GetFederationToken cap"
    assert get_federation_token_session(p.CRED_ROOT, requested_seconds=1800).effective_seconds == 1800
    assert get_federation_token_session(p.CRED_ROOT, requested_seconds=129601).ok is False
    assert get_federation_token_session(p.CRED_ROOT).effective_seconds == 3600


def test_session_rule_dispatch():
    assert session_rule("sts:GetFederationToken", p.CRED_ROOT).action == "sts:GetFederationToken"
    assert session_rule("sts:GetSessionToken", p.CRED_IAM_USER).max_seconds == 129600
    assert session_rule("sts:AssumeRole", p.CRED_ROLE_SESSION, role_max_session_seconds=43200).chained
    with pytest.raises(RequestError):
        session_rule("sts:GetCallerIdentity", p.CRED_IAM_USER)


# ---------------------------------------------------------------- credential kind after a call, who may call

def test_credential_kind_after():
    assert credential_kind_after("sts:AssumeRole", p.CRED_IAM_USER) == p.CRED_ROLE_SESSION
    assert credential_kind_after("sts:AssumeRole", p.CRED_ROLE_SESSION) == p.CRED_ROLE_SESSION
    assert credential_kind_after("sts:AssumeRoleWithSAML", p.CRED_SAML) == p.CRED_ROLE_SESSION
    assert credential_kind_after("sts:AssumeRoleWithSAML", p.CRED_SAML, via_console=True) == p.CRED_CONSOLE_FEDERATED
    assert credential_kind_after("sts:AssumeRoleWithWebIdentity", p.CRED_OIDC) == p.CRED_ROLE_SESSION
    assert credential_kind_after("sts:AssumeRole", p.CRED_CONSOLE, via_console=True) == p.CRED_CONSOLE
    assert credential_kind_after("sts:AssumeRole", p.CRED_CONSOLE) == p.CRED_ROLE_SESSION
    assert credential_kind_after("sts:AssumeRole", p.CRED_SERVICE) == p.CRED_INSTANCE_PROFILE
    assert credential_kind_after("sts:GetSessionToken", p.CRED_IAM_USER) == p.CRED_GET_SESSION_TOKEN
    assert credential_kind_after("sts:GetFederationToken", p.CRED_IAM_USER) == p.CRED_FEDERATED_USER
    assert credential_kind_after("sts:AssumeRole", p.CRED_ROOT) is None
    assert credential_kind_after("sts:AssumeRole", p.CRED_FEDERATED_USER) is None
    assert credential_kind_after("sts:GetSessionToken", p.CRED_ROLE_SESSION) is None


def test_may_call_matrix_for_assume_role():
    callers = {k for k in p.CREDENTIAL_KINDS if may_call("sts:AssumeRole", k)[0]}
    assert callers == {p.CRED_IAM_USER, p.CRED_ROLE_SESSION, p.CRED_INSTANCE_PROFILE, p.CRED_CONSOLE,
                       p.CRED_CONSOLE_FEDERATED, p.CRED_GET_SESSION_TOKEN, p.CRED_SERVICE}


# ---------------------------------------------------------------- MFA (K3, K4)

@pytest.mark.parametrize("mode, passed, present", [(MFA_PER_HOP, True, True), (MFA_PER_HOP, False, False),
                                                   (MFA_NEVER, True, False), (MFA_NEVER, False, False)])
def test_mfa_in_role_session_setting(mode, passed, present):
    settings = Settings(mfa_in_role_session=mode)
    assert mfa_present_in_session(passed, settings) is present
    rule = mfa_in_session_rule(passed, settings)
    assert rule.present is present and bool(rule) is present
    assert rule.settings_used == {"mfa_in_role_session": mode}
    assert mode in rule.reason
    json.dumps(rule.to_json())


def test_mfa_not_from_saml_or_oidc():
    assert mfa_present_in_session(True, action="sts:AssumeRoleWithSAML") is False
    assert mfa_present_in_session(True, action="sts:AssumeRoleWithWebIdentity") is False


def test_t31_mfa_chain_consequence():
    # u -> R1 with a token code -> R2 whose trust requires aws:MultiFactorAuthPresent true
    for mode, edge in ((MFA_PER_HOP, True), (MFA_NEVER, False)):
        r1_mfa = mfa_present_in_session(True, Settings(mfa_in_role_session=mode))
        on_call = mfa_present_on_call(p.CRED_ROLE_SESSION, caller_session_has_mfa=r1_mfa)
        assert on_call is edge


def test_mfa_present_on_call_k1_k3():
    assert mfa_present_on_call(p.CRED_IAM_USER) is None  # long-term keys: key absent (K1)
    assert mfa_present_on_call(p.CRED_IAM_USER, token_passed=True) is True
    assert mfa_present_on_call(p.CRED_ROLE_SESSION) is False  # present, false
    assert mfa_present_on_call(p.CRED_GET_SESSION_TOKEN, caller_session_has_mfa=True) is True
    assert mfa_present_on_call(p.CRED_SAML, token_passed=True) is None


def test_module_names_role_chaining_for_newcomers():
    assert "ROLE CHAINING LIMIT" in (s.__doc__ or "")
    assert s.LIMIT_ROLE_CHAINING == "role chaining"


# ---------------------------------------------------------------- federation endpoint console sign-in (D8)

def test_federation_sign_in_session_duration():
    r = s.federation_sign_in_session(p.CRED_ROLE_SESSION)
    assert (r.min_seconds, r.max_seconds, r.default_seconds, r.effective_seconds) == (900, 43200, 3600, 3600)
    assert r.credential_kind_after == p.CRED_CONSOLE_FEDERATED
    assert s.federation_sign_in_session(p.CRED_ROLE_SESSION, requested_seconds=43200).ok is True
    bad = s.federation_sign_in_session(p.CRED_ROLE_SESSION, requested_seconds=43201)
    assert bad.ok is False and "FAILS" in bad.reason
    assert s.federation_sign_in_session(p.CRED_FEDERATED_USER, requested_seconds=7200).ok is True


def test_federation_sign_in_duration_seconds_needs_iam_user_credentials():
    assert s.federation_sign_in_session(p.CRED_ROLE_SESSION, credentials_used_duration_seconds=True,
                                        credentials_obtained_by=p.CRED_IAM_USER).may_call is True
    for via in (p.CRED_ROLE_SESSION, p.CRED_INSTANCE_PROFILE, None):
        assert s.federation_sign_in_session(p.CRED_ROLE_SESSION, credentials_used_duration_seconds=True,
                                            credentials_obtained_by=via).may_call is False
    assert s.federation_sign_in_session(p.CRED_IAM_USER).may_call is False
    assert mfa_present_on_call(p.CRED_FEDERATED_USER, caller_session_has_mfa=True) is False
