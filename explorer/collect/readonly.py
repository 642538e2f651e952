"""Read-only by construction: the one allow-list every AWS call of the collector goes through.

`install(client)` registers a botocore hook on a client's own event emitter (`provide-client-params`, the first
event of an API call, and again `before-call`, just before the request is signed and sent). The hook raises
`ReadOnlyViolation` for any operation that is not allowed, so no request of that operation ever leaves the
machine. Every client the collector makes is created by `explorer.collect.sessions.ClientFactory.client`, which installs
the hook.

The rule (`is_allowed`):
  - any service: operations named List*, Get*, Describe*, and cloudtrail LookupEvents;
  - sts: only AssumeRole, GetCallerIdentity and GetSessionToken (the one-time MFA session, see sessions.py);
  - never the data-plane reads in DATA_READS (secret values, object bodies, parameters), even though they are
    named Get*: the collector reads who may do what, never the data itself.

`COLLECTOR_ACTIONS` is the exact list of IAM actions the collector calls; docs/collect.md prints it as the audit
role's policy (`audit_policy_document()`), and a test checks every operation of a collection run is in it.
"""
from __future__ import annotations

ALLOWED_PREFIXES = ("List", "Get", "Describe")
ALLOWED_EXACT = {("cloudtrail", "LookupEvents")}
STS_ALLOWED = {"AssumeRole", "GetCallerIdentity", "GetSessionToken"}

# Get* operations that read data (not configuration): refused even though their names are Get*.
DATA_READS = {
    ("secretsmanager", "GetSecretValue"), ("secretsmanager", "BatchGetSecretValue"),
    ("s3", "GetObject"), ("s3", "GetObjectTorrent"),
    ("ssm", "GetParameter"), ("ssm", "GetParameters"), ("ssm", "GetParametersByPath"),
    ("kms", "GetParametersForImport"),
    ("sqs", "ReceiveMessage"),
}

# The IAM actions (service prefix as in IAM policies) the collector calls, grouped by source module.
COLLECTOR_ACTIONS: dict[str, list[str]] = {
    "sts": ["GetCallerIdentity", "AssumeRole", "GetSessionToken"],
    "iam": ["GetAccountAuthorizationDetails", "ListRoles", "ListAccountAliases", "ListSAMLProviders",
            "ListOpenIDConnectProviders", "GetOpenIDConnectProvider"],
    "organizations": ["DescribeOrganization", "ListRoots", "ListOrganizationalUnitsForParent",
                      "ListAccountsForParent", "ListPolicies", "DescribePolicy", "ListTargetsForPolicy"],
    "s3": ["ListAllMyBuckets", "GetBucketLocation", "GetBucketPolicy", "GetBucketOwnershipControls",
           "GetBucketPublicAccessBlock"],
    "kms": ["ListKeys", "DescribeKey", "GetKeyPolicy"],
    "sqs": ["ListQueues", "GetQueueAttributes"],
    "sns": ["ListTopics", "GetTopicAttributes"],
    "secretsmanager": ["ListSecrets", "GetResourcePolicy"],
    "lambda": ["ListFunctions", "GetPolicy"],
    "cloudtrail": ["LookupEvents"],
}

# botocore operation names whose IAM action name differs (botocore name -> IAM action name).
_IAM_ACTION_OF_OPERATION = {
    ("s3", "ListBuckets"): "ListAllMyBuckets",
    ("s3", "GetBucketOwnershipControls"): "GetBucketOwnershipControls",
    ("s3", "GetPublicAccessBlock"): "GetBucketPublicAccessBlock",
    ("lambda", "ListFunctions20150331"): "ListFunctions",
    ("lambda", "GetPolicy20150331v2"): "GetPolicy",
}


class ReadOnlyViolation(RuntimeError):
    """An operation outside the read-only allow-list was about to be sent. Never caught by the collector: a
    violation is a bug, not a gap."""


def is_allowed(service: str, operation: str) -> bool:
    """True when `operation` (botocore/API name, e.g. "ListRoles") of `service` (IAM prefix, e.g. "iam") may be
    sent."""
    service = service.lower()
    if (service, operation) in DATA_READS:
        return False
    if service == "sts":
        return operation in STS_ALLOWED
    if (service, operation) in ALLOWED_EXACT:
        return True
    return operation.startswith(ALLOWED_PREFIXES)


def iam_action(service: str, operation: str) -> str:
    """The IAM action ("s3:ListAllMyBuckets") of a botocore operation ("s3", "ListBuckets")."""
    name = _IAM_ACTION_OF_OPERATION.get((service, operation), operation)
    return f"{service}:{name}"


def is_collector_action(service: str, operation: str) -> bool:
    """True when the operation is one of the calls the collector is documented to make."""
    action = iam_action(service, operation)
    svc, _, name = action.partition(":")
    return name in COLLECTOR_ACTIONS.get(svc, [])


def audit_policy_document() -> dict:
    """The read-only IAM policy an audit role needs: exactly the collector's calls."""
    actions = sorted(f"{svc}:{name}" for svc, names in COLLECTOR_ACTIONS.items() for name in names
                     if (svc, name) != ("sts", "GetCallerIdentity"))  # needs no permission
    member = [a for a in actions if not a.startswith(("organizations:", "sts:"))]
    return {"Version": "2012-10-17",
            "Statement": [{"Sid": "IamTrustExplorerReadOnly", "Effect": "Allow", "Action": member,
                           "Resource": "*"}]}


def management_policy_document(role_name: str = "IamTrustExplorerAudit") -> dict:
    """What the starting identity needs for --org, besides audit_policy_document() for its own account: reading
    the organization and assuming the audit role in the members. (sts:GetCallerIdentity and sts:GetSessionToken
    need no permission.)"""
    org_actions = sorted(f"organizations:{name}" for name in COLLECTOR_ACTIONS["organizations"])
    return {"Version": "2012-10-17",
            "Statement": [{"Sid": "ReadTheOrganization", "Effect": "Allow", "Action": org_actions, "Resource": "*"},
                          {"Sid": "AssumeTheAuditRole", "Effect": "Allow", "Action": "sts:AssumeRole",
                           "Resource": f"arn:aws:iam::*:role/{role_name}"}]}


def _service_of(model) -> str:
    """The IAM service prefix of a botocore OperationModel (its signing name, e.g. 'iam', 's3', 'lambda')."""
    service_model = model.service_model
    return (service_model.signing_name or service_model.service_name or "").lower()


def _guard(model=None, **_kwargs):
    if model is None:
        raise ReadOnlyViolation("an AWS call without an operation model cannot be checked; refused")
    service = _service_of(model)
    if not is_allowed(service, model.name):
        raise ReadOnlyViolation(f"{service}:{model.name} is not a read-only operation; the collector refuses it")


HOOK_EVENTS = ("provide-client-params.*.*", "before-call.*.*")


def install(client) -> None:
    """Register the allow-list on this client (and only this client: botocore gives each client its own copy of
    the event emitter)."""
    for event in HOOK_EVENTS:
        client.meta.events.register_first(event, _guard, unique_id=f"iam-trust-explorer-readonly-{event}")
    client.meta.__dict__["iam_trust_explorer_readonly"] = True


def is_installed(client) -> bool:
    return bool(client.meta.__dict__.get("iam_trust_explorer_readonly"))
