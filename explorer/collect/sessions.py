"""Credentials, clients, and the way into member accounts.

- Starting credentials: boto3's default chain, or a named profile (SSO profiles included: boto3 reads the
  token `aws sso login` cached). Nothing here writes or logs a credential; credentials live in memory only.
- With an MFA device (`mfa_serial`), the token is used once: one sts:GetSessionToken call gives an MFA session
  from which every member role is assumed (a TOTP code cannot be reused for each account's AssumeRole).
- Member accounts are entered with sts:AssumeRole on `arn:<partition>:iam::<account>:role/<role_name>`, with the
  external id when given. The duration follows the project's session rules (iam-semantics.md §7, D2/D3): a hop
  from a role session (SSO, an assumed role, instance or task credentials) or from GetSessionToken credentials is
  role chaining and asks for at most ROLE_CHAINING_CAP_SECONDS. The credentials refresh themselves (a new
  AssumeRole) when a long collection outlives them.
- Every client is made by `ClientFactory.client`: adaptive retries, the read-only allow-list hook, the call counter and
  the cancel check.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import RefreshableCredentials
from botocore.loaders import create_loader
from botocore.exceptions import (BotoCoreError, ClientError, CredentialRetrievalError, NoCredentialsError,
                                 EndpointConnectionError, NoRegionError, PartialCredentialsError, ProfileNotFound,
                                 SSOError, TokenRetrievalError, UnauthorizedSSOTokenError)

from explorer.collect import readonly
from explorer.collect.aws import CollectCancelled, call, error_words
from explorer.errors import InputError
from explorer.iam.principal import (CRED_FEDERATED_USER, CRED_GET_SESSION_TOKEN, CRED_IAM_USER, CRED_ROLE_SESSION,
                                    CRED_ROOT)
from explorer.iam.sessions import ROLE_CHAINING_CAP_SECONDS
from explorer.iam.sessions import is_role_chaining as _session_rules_is_role_chaining

DEFAULT_SESSION_SECONDS = 3600
SESSION_NAME = "iam-trust-explorer-collect"
USER_AGENT = "iam-trust-explorer-collect"
MAX_ATTEMPTS = 10  # botocore attempts per call in adaptive mode
FALLBACK_REGION = "us-east-1"


class CredentialsError(InputError):
    """No usable starting credentials (exit code 2 on the CLI)."""


def is_role_chaining(credential_kind: str) -> bool:
    """True when an AssumeRole made with credentials of this kind is role chaining (capped at one hour), by the
    project's session rules (explorer.iam.sessions, default settings: GetSessionToken credentials chain too)."""
    chained, _settings_used = _session_rules_is_role_chaining(credential_kind)
    return chained


def assume_role_duration(credential_kind: str, requested: int = DEFAULT_SESSION_SECONDS) -> int:
    """DurationSeconds to ask for: the requested duration, at most ROLE_CHAINING_CAP_SECONDS when chaining."""
    return min(requested, ROLE_CHAINING_CAP_SECONDS) if is_role_chaining(credential_kind) else requested


def credential_kind_of_arn(arn: str) -> str:
    """The credential kind of a GetCallerIdentity ARN."""
    resource = arn.split(":", 5)[5] if arn.count(":") >= 5 else ""
    if resource == "root":
        return CRED_ROOT
    if resource.startswith("assumed-role/"):
        return CRED_ROLE_SESSION
    if resource.startswith("federated-user/"):
        return CRED_FEDERATED_USER
    return CRED_IAM_USER


def partition_of_arn(arn: str) -> str:
    parts = arn.split(":")
    return parts[1] if len(parts) > 1 and parts[1] else "aws"


_SHARED_LOADER = None
_SHARED_LOADER_LOCK = threading.Lock()


def share_model_loader(session: boto3.Session) -> boto3.Session:
    """Let the session use one process-wide botocore data loader: each thread's new Session then reuses the
    service models already parsed instead of reading them again (the loader only reads and caches)."""
    global _SHARED_LOADER
    with _SHARED_LOADER_LOCK:
        if _SHARED_LOADER is None:
            _SHARED_LOADER = create_loader(os.environ.get("AWS_DATA_PATH"))
        loader = _SHARED_LOADER
    session._session.register_component("data_loader", loader)
    return session


@dataclass(frozen=True)
class CallerIdentity:
    account: str
    arn: str
    credential_kind: str

    @property
    def partition(self) -> str:
        return partition_of_arn(self.arn)


@dataclass
class ClientFactory:
    """Makes every client of a collection run (one factory per run; clients are per thread)."""
    tracker: object = None  # ProgressTracker | None
    cancel: object = None   # callable() -> bool | None
    max_attempts: int = MAX_ATTEMPTS
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def config(self) -> Config:
        return Config(retries={"mode": "adaptive", "max_attempts": self.max_attempts},
                      user_agent_extra=USER_AGENT, connect_timeout=15, read_timeout=60)

    def client(self, session: boto3.Session, service: str, region: str | None):
        client = session.client(service, region_name=region or session.region_name or FALLBACK_REGION,
                                config=self.config())
        readonly.install(client)
        client.meta.events.register_first("provide-client-params.*.*", self._check_cancel,
                                          unique_id="iam-trust-explorer-cancel")
        client.meta.events.register("before-call.*.*", self._count, unique_id="iam-trust-explorer-count")
        return client

    def _check_cancel(self, **_kwargs):
        if self.cancel is not None and self.cancel():
            raise CollectCancelled()

    def _count(self, model=None, **_kwargs):
        if self.tracker is not None:
            self.tracker.call_made(model.name if model is not None else "")


@dataclass
class StartingCredentials:
    """Where the starting credentials come from; `session()` makes a new boto3 Session (one per thread)."""
    profile: str | None = None
    region: str | None = None
    # An MFA session from GetSessionToken, held in memory only (never written, never shown in repr).
    _mfa_session: dict | None = field(default=None, repr=False)

    def session(self) -> boto3.Session:
        if self._mfa_session is not None:
            return share_model_loader(boto3.Session(aws_access_key_id=self._mfa_session["AccessKeyId"],
                                                    aws_secret_access_key=self._mfa_session["SecretAccessKey"],
                                                    aws_session_token=self._mfa_session["SessionToken"],
                                                    region_name=self.region_name()))
        try:
            return share_model_loader(boto3.Session(profile_name=self.profile, region_name=self.region))
        except ProfileNotFound as exc:
            raise CredentialsError(f"AWS profile {self.profile!r} not found in the AWS config files ({exc})") from None

    def region_name(self) -> str | None:
        """The explicit region, else the profile's (or environment's) region, else None."""
        if self.region:
            return self.region
        try:
            return boto3.Session(profile_name=self.profile).region_name
        except ProfileNotFound as exc:
            raise CredentialsError(f"AWS profile {self.profile!r} not found in the AWS config files ({exc})") from None

    @property
    def uses_mfa_session(self) -> bool:
        return self._mfa_session is not None


def _credentials_message(exc: BaseException, profile: str | None) -> str:
    where = f"profile {profile!r}" if profile else "the default credential chain"
    if isinstance(exc, (UnauthorizedSSOTokenError, TokenRetrievalError, SSOError)):
        login = f"aws sso login --profile {profile}" if profile else "aws sso login"
        return f"the SSO session of {where} is missing or expired; run `{login}` and try again ({exc})"
    if isinstance(exc, NoCredentialsError):
        return (f"no AWS credentials found in {where}; configure them (aws configure / aws sso login, "
                "environment variables, or --profile)")
    if isinstance(exc, (PartialCredentialsError, CredentialRetrievalError)):
        return f"the AWS credentials of {where} are incomplete or could not be obtained ({exc})"
    if isinstance(exc, NoRegionError):
        return "no AWS region configured; pass --region"
    if isinstance(exc, EndpointConnectionError):
        return f"cannot reach AWS STS ({exc}); check the network and --region"
    if isinstance(exc, ClientError):
        return f"the AWS credentials of {where} were refused: {error_words(exc)}"
    return f"the AWS credentials of {where} cannot be used: {exc}"


def identify(starting: StartingCredentials, factory: ClientFactory) -> CallerIdentity:
    """sts:GetCallerIdentity with the starting credentials; CredentialsError when there are none that work."""
    session = starting.session()
    try:
        if session.get_credentials() is None:
            raise NoCredentialsError()
        sts = factory.client(session, "sts", starting.region_name())
        who = call(sts, "get_caller_identity")
    except CollectCancelled:
        raise
    except (BotoCoreError, ClientError) as exc:
        raise CredentialsError(_credentials_message(exc, starting.profile)) from None
    return CallerIdentity(account=who["Account"], arn=who["Arn"], credential_kind=credential_kind_of_arn(who["Arn"]))


def start_mfa_session(starting: StartingCredentials, factory: ClientFactory, caller: CallerIdentity,
                      serial: str, token: str) -> CallerIdentity:
    """Use the MFA code once: sts:GetSessionToken; later sessions come from the MFA session. Returns the caller
    identity with credential kind CRED_GET_SESSION_TOKEN."""
    if caller.credential_kind not in (CRED_IAM_USER, CRED_ROOT):
        raise CredentialsError(
            f"--mfa-serial needs IAM user starting credentials; the starting credentials are {caller.arn}, a "
            "session that carries no MFA device of its own (its MFA, if any, was given when it was created)")
    session = starting.session()
    sts = factory.client(session, "sts", starting.region_name())
    try:
        response = call(sts, "get_session_token", SerialNumber=serial, TokenCode=token)
    except CollectCancelled:
        raise
    except (BotoCoreError, ClientError) as exc:
        raise CredentialsError(f"the MFA code was refused for {serial}: {error_words(exc)}") from None
    starting._mfa_session = dict(response["Credentials"])
    return CallerIdentity(caller.account, caller.arn, CRED_GET_SESSION_TOKEN)


@dataclass(frozen=True)
class MemberAccess:
    """How member accounts are entered (no secrets: the external id is held in memory and never written)."""
    role_name: str
    external_id: str | None = field(default=None, repr=False)
    requested_seconds: int = DEFAULT_SESSION_SECONDS
    session_name: str = SESSION_NAME

    def role_arn(self, partition: str, account_id: str) -> str:
        """The audit role's ARN; a role name with a path ("audit/Reader") keeps its path."""
        return f"arn:{partition}:iam::{account_id}:role/{self.role_name.strip('/')}"


def assume_member_session(base: boto3.Session, factory: ClientFactory, access: MemberAccess, caller: CallerIdentity,
                          account_id: str, region: str | None) -> boto3.Session:
    """A boto3 Session in `account_id` through sts:AssumeRole on the audit role. Raises ClientError when the role
    cannot be assumed. The credentials refresh themselves with a new AssumeRole when they near expiry."""
    sts = factory.client(base, "sts", region)
    params = {"RoleArn": access.role_arn(caller.partition, account_id),
              "RoleSessionName": access.session_name,
              "DurationSeconds": assume_role_duration(caller.credential_kind, access.requested_seconds)}
    if access.external_id:
        params["ExternalId"] = access.external_id

    def fetch() -> dict:
        creds = call(sts, "assume_role", cancel=factory.cancel, **params)["Credentials"]
        return {"access_key": creds["AccessKeyId"], "secret_key": creds["SecretAccessKey"],
                "token": creds["SessionToken"], "expiry_time": creds["Expiration"].isoformat()}

    credentials = RefreshableCredentials.create_from_metadata(metadata=fetch(), refresh_using=fetch,
                                                              method="sts-assume-role")
    core = botocore.session.Session()
    core._credentials = credentials  # the documented way to hand refreshable credentials to a session
    if region:
        core.set_config_variable("region", region)
    return share_model_loader(boto3.Session(botocore_session=core))
