"""The trust graph's vocabulary: node kinds, edge kinds and states, and the attribute names that the graph
builder writes and every consumer (analysis, render, ui, cli) reads. Change a name here, nowhere else.

The graph is a networkx.MultiDiGraph. Node ids:
  - IAM users and roles, SAML and OIDC providers: their ARN
  - accounts (in the snapshot or foreign): "arn:aws:iam::<id>:root"
  - service principals: the service name, e.g. "lambda.amazonaws.com"
  - "anyone" for public (`Principal: "*"`) trusts: ANYONE
An edge u -> v means "u can (maybe) obtain a session of role v"; its key is the ACTION.
"""
from __future__ import annotations

# ---- node kinds (node attribute KIND) -------------------------------------------------------------
USER = "user"
ROLE = "role"
SERVICE_LINKED_ROLE = "service_linked_role"
SERVICE = "service"
SAML_PROVIDER = "saml_provider"
OIDC_PROVIDER = "oidc_provider"
ACCOUNT = "account"  # an account of the snapshot (grouping; source of account-root trusts' edges)
FOREIGN_ACCOUNT = "foreign_account"  # an account outside the snapshot, named by some trust
ANYONE = "anyone"
NODE_KINDS = (USER, ROLE, SERVICE_LINKED_ROLE, SERVICE, SAML_PROVIDER, OIDC_PROVIDER, ACCOUNT, FOREIGN_ACCOUNT,
              ANYONE)
ANYONE_ID = "*"

# ---- node attributes -------------------------------------------------------------------------------
KIND = "kind"
LABEL = "label"  # short display name (role/user name, provider host, service name, account name)
ACCOUNT_ID = "account_id"  # None for services and anyone
ARN = "arn"
TAGS = "tags"  # dict
MAX_SESSION = "max_session_duration"  # roles: seconds
MAX_SESSION_KNOWN = "max_session_known"  # roles: False when roles.json did not say (3600 assumed)
IN_ORG = "in_org"  # account is in the snapshot's organization

# ---- edge kinds (edge key and attribute ACTION) ----------------------------------------------------
ASSUME_ROLE = "sts:AssumeRole"
ASSUME_ROLE_SAML = "sts:AssumeRoleWithSAML"
ASSUME_ROLE_WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"
SERVICE_ASSUME = "service"  # a service principal assuming its service role (EC2 instance profile, Lambda, ...)
EDGE_ACTIONS = (ASSUME_ROLE, ASSUME_ROLE_SAML, ASSUME_ROLE_WEB_IDENTITY, SERVICE_ASSUME)

# ---- edge states (edge attribute STATE) -----------------------------------------------------------
ALLOWED = "allowed"  # allowed whatever the unknown context keys are
CONDITIONAL = "conditional"  # allowed only under REQUIRES (alternatives of requirements on unknown keys)
DENIED = "denied"  # trusted but not permitted: the trust names the caller, another layer says no (REASON)
EDGE_STATES = (ALLOWED, CONDITIONAL, DENIED)

# ---- edge attributes -------------------------------------------------------------------------------
ACTION = "action"
STATE = "state"
REQUIRES = "requires"  # tuple of alternatives, each a tuple of explorer.iam.decision.Requirement
CROSS_ACCOUNT = "cross_account"  # bool
TRUST_DECISION = "trust_decision"  # explorer.iam.decision.Decision of the trust (resource) side
IDENTITY_DECISION = "identity_decision"  # Decision of the caller's side (None for SAML/OIDC/service)
DECISION = "decision"  # the combined Decision of the hop
REASON = "reason"  # one sentence: why allowed / conditional / denied
BADGES = "badges"  # short labels of what a conditional edge needs: "MFA", "ExternalId", "IP", "Org", "Tag", ...

# ---- additions of the graph builder (additive) ---------------------------------------------------------
# node attributes
FOREIGN = "foreign"  # bool: a principal or account outside the snapshot (its own policies are not known)
NOTES = "notes"  # list[str]: remarks (dangling unique-ID principals, federated-user principals, ...)
UNIQUE_ID = "unique_id"  # users/roles: UserId / RoleId
TRUST_PRINCIPALS = "trust_principals"  # roles: short descriptions of what the trust policy names
# edge attributes
VIA = "via"  # how the caller became a candidate: "arn", "unique-id", "account", "public", "service", "federated"
# principal-tag keys (lower-case, without the "aws:PrincipalTag/" prefix) that the caller's role session must carry
# as session tags for this edge (docs/trust-graph.md "Session tags"); absent on other edges
SESSION_TAGS = "session_tags"
# requirement key used when the caller's own (identity-side) policies are outside the snapshot
CALLER_POLICIES_KEY = "explorer:CallerPolicies"
CALLER_POLICIES_OPERATOR = "OutsideSnapshot"
