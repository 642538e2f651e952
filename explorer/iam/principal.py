"""Who makes a request: the principal kinds the engine tells apart (spec R2) and the credential kinds that
matter for sessions (§7)."""
from __future__ import annotations

from dataclasses import dataclass, field

# Principal kinds (R2)
ROOT = "root"
IAM_USER = "iam_user"            # long-term access keys
IAM_USER_STS = "iam_user_sts"    # GetSessionToken credentials (same principal ARN as the user)
ROLE_SESSION = "role_session"    # AssumeRole / AssumeRoleWithSAML / AssumeRoleWithWebIdentity session
FEDERATED_USER = "federated_user"  # GetFederationToken session
SERVICE = "service"              # service principal, e.g. lambda.amazonaws.com
ANONYMOUS = "anonymous"
# A SAML or OIDC identity provider calling AssumeRoleWithSAML / AssumeRoleWithWebIdentity (T8): the caller is
# the provider (ARN, or a well-known name such as cognito-identity.amazonaws.com); there is no identity side.
FEDERATED_PROVIDER = "federated_provider"
PRINCIPAL_KINDS = (ROOT, IAM_USER, IAM_USER_STS, ROLE_SESSION, FEDERATED_USER, SERVICE, ANONYMOUS,
                   FEDERATED_PROVIDER)

# Credential kinds for session rules (§7): how the caller's credentials were obtained.
CRED_IAM_USER = "iam_user"
CRED_ROLE_SESSION = "role_session"  # from AssumeRole (role chaining source)
CRED_SAML = "saml"
CRED_OIDC = "oidc"
CRED_INSTANCE_PROFILE = "instance_profile"  # EC2 instance profile / ECS task / Lambda role credentials
CRED_CONSOLE = "console"  # IAM user console sign-in
CRED_CONSOLE_FEDERATED = "console_federated"  # console identity that is itself a role session
CRED_GET_SESSION_TOKEN = "get_session_token"
CRED_FEDERATED_USER = "federated_user"
CRED_ROOT = "root"
CRED_SERVICE = "service"
CREDENTIAL_KINDS = (CRED_IAM_USER, CRED_ROLE_SESSION, CRED_SAML, CRED_OIDC, CRED_INSTANCE_PROFILE, CRED_CONSOLE,
                    CRED_CONSOLE_FEDERATED, CRED_GET_SESSION_TOKEN, CRED_FEDERATED_USER, CRED_ROOT, CRED_SERVICE)


@dataclass(frozen=True)
class Principal:
    arn: str  # user / role-session / federated-user / root ARN, a service principal name, or "*"
    kind: str  # one of PRINCIPAL_KINDS
    account_id: str | None = None  # None for services and anonymous
    role_arn: str | None = None  # for a role session: the role's ARN (aws:PrincipalArn, R3)
    user_arn: str | None = None  # for a federated-user session: the IAM user who federated, when known
    unique_id: str | None = None  # UserId / RoleId
    is_service_linked: bool = False
    tags: tuple[tuple[str, str], ...] = field(default=())

    @property
    def principal_arn(self) -> str:
        """The value of aws:PrincipalArn: the role ARN for a role session (R3), else the ARN itself."""
        return self.role_arn if self.kind == ROLE_SESSION and self.role_arn else self.arn

    @property
    def is_session(self) -> bool:
        return self.kind in (ROLE_SESSION, FEDERATED_USER)

    @property
    def is_iam(self) -> bool:
        """A principal of an account's IAM (SCPs may apply to it)."""
        return self.kind in (ROOT, IAM_USER, IAM_USER_STS, ROLE_SESSION, FEDERATED_USER)
