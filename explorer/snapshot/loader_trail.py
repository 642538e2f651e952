"""CloudTrail log files ({"Records": [...]}, as AWS delivers them): the STS assume events, nothing else."""
from __future__ import annotations

from explorer.snapshot.loader_common import FileCtx, kind_of, parse_time
from explorer.snapshot.model import TrailEvent

ASSUME_EVENTS = frozenset({"AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity"})


def load_trail(doc: object, ctx: FileCtx, out: list[TrailEvent]) -> int:
    """Append the assume events of one log file to `out`; returns how many were added."""
    if doc.__class__ is not dict or "Records" not in doc:  # type: ignore[operator]
        ctx.error("$", "not a CloudTrail log file (expected {\"Records\": [...]})", skipped="file")
        return 0
    records = doc["Records"]  # type: ignore[index]
    if records.__class__ is not list:
        ctx.error("$.Records", f"expected a list of events, found {kind_of(records)}", skipped="file")
        return 0
    added = 0
    bad: list[str] = []
    for i, rec in enumerate(records):
        if rec.__class__ is not dict:
            bad.append(f"$.Records[{i}]")
            continue
        name = rec.get("eventName")
        if name.__class__ is not str or name not in ASSUME_EVENTS:
            continue
        source = rec.get("eventSource")
        if source is not None and source != "sts.amazonaws.com":
            continue
        params = rec.get("requestParameters")
        role_arn = params.get("roleArn") if params.__class__ is dict else None
        if role_arn.__class__ is not str:
            bad.append(f"$.Records[{i}].requestParameters.roleArn")
            continue
        ident = rec.get("userIdentity")
        if ident.__class__ is not dict:
            ident = {}
        caller_type = _s(ident.get("type")) or ""
        provider = None
        if name == "AssumeRoleWithSAML":
            provider = _s(params.get("principalArn")) or _s(ident.get("identityProvider"))
        elif name == "AssumeRoleWithWebIdentity":
            provider = _s(ident.get("identityProvider")) or _s(params.get("providerId"))
        elif caller_type == "AWSService":
            provider = _s(ident.get("invokedBy"))
        out.append(TrailEvent(
            event_time=parse_time(rec.get("eventTime")), event_name=name, role_arn=role_arn,  # type: ignore
            caller_arn=_s(ident.get("arn")), caller_type=caller_type, caller_identity_provider=provider,
            caller_account=caller_account(ident), external_id=_s(params.get("externalId")),
            mfa_authenticated=True if _s(params.get("serialNumber")) else None,
            session_name=_s(params.get("roleSessionName")), source_ip=_s(rec.get("sourceIPAddress")),
            recipient_account_id=_s(rec.get("recipientAccountId")), error_code=_s(rec.get("errorCode")),
            event_id=_s(rec.get("eventID")) or "", source=f"{ctx.file}#$.Records[{i}]"))
        added += 1
    if bad:
        ctx.warning(bad[0], f"{len(bad)} record(s) are ignored: not an object, or an assume event "
                            f"without a readable requestParameters.roleArn (first at {bad[0]})", skipped=f"{len(bad)} event(s)")
    return added


def caller_account(ident: dict) -> str | None:
    """The 12-digit account the userIdentity names: `accountId`, else the account of a `principalId` that is an
    ARN (IAM users and roles put their unique id there, which names no account)."""
    acct = _s(ident.get("accountId"))
    if acct is not None and acct.isdigit() and len(acct) == 12:
        return acct
    parts = (_s(ident.get("principalId")) or "").split(":")
    if len(parts) > 4 and parts[0] == "arn" and parts[4].isdigit() and len(parts[4]) == 12:
        return parts[4]
    return None


def _s(value: object) -> str | None:
    return value if value.__class__ is str else None  # type: ignore[return-value]
