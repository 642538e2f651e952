"""Typed request-context values (explorer.iam.context_values): a malformed what-if / --context / simulate value is
refused with a message naming the key and the expected form, never silently accepted (it would flip decisions)."""
from __future__ import annotations

import json

import pytest

from conftest import DEMO_ORG
from explorer.cli import main
from explorer.errors import InputError, RequestError
from explorer.iam import evaluate
from explorer.iam.context import ABSENT_VALUE, parse_assignments
from explorer.iam.context_values import (BOOL, DATE, EPOCH, IP, NUMBER, check_context, check_value, expected_type,
                                         value_problem)
from explorer.iam.request_json import parse_request

PROD_DEPLOY = "arn:aws:iam::666666666666:role/ProdDeploy"
ALICE = "arn:aws:iam::222222222222:user/people/alice.nguyen"
ARTIFACT_READER = "arn:aws:iam::444444444444:role/ArtifactReader"


# ---------------------------------------------------------------- types of keys
@pytest.mark.parametrize("key,kind", [
    ("aws:CurrentTime", DATE), ("aws:TokenIssueTime", DATE), ("AWS:TOKENISSUETIME", DATE),
    ("aws:EpochTime", EPOCH), ("aws:MultiFactorAuthAge", NUMBER),
    ("aws:SourceIp", IP), ("aws:VpcSourceIp", IP),
    ("aws:MultiFactorAuthPresent", BOOL), ("aws:SecureTransport", BOOL), ("aws:PrincipalIsAWSService", BOOL),
    ("aws:ViaAWSService", BOOL),
    # service keys typed by the catalogue data
    ("s3:max-keys", NUMBER), ("ec2:CreateDate", DATE), ("ec2-instance-connect:privateIpAddress", IP),
    ("iot:CommandExecutionParameterNumber/speed", NUMBER),
    # anything goes
    ("aws:PrincipalArn", None), ("aws:PrincipalTag/team", None), ("aws:SourceVpc", None), ("sts:ExternalId", None),
    ("s3:prefix", None), ("custom:Whatever", None), ("nokey", None),
])
def test_expected_type(key, kind):
    assert expected_type(key) == kind


# ---------------------------------------------------------------- accepted and refused forms, per type
GOOD = {
    "aws:TokenIssueTime": ["2026-09-01T00:00:00Z", "2026-09-01", "2026-09-01T00:00:00", "2026-09-01T02:00:00+02:00",
                           "2026-09-01T00:00:00.123Z", "1767225600", " 2026-09-01T00:00:00Z "],
    "aws:CurrentTime": ["2026-01-15T10:00:00Z", "1768471200.5"],
    "aws:EpochTime": ["1768471200", "1768471200.25", "0"],
    "aws:MultiFactorAuthAge": ["3600", "0", "12.5"],
    "aws:SourceIp": ["203.0.113.7", "10.0.0.0/8", "2001:db8::1", "2001:db8::/32", "192.0.2.1/32"],
    "aws:VpcSourceIp": ["10.1.2.3"],
    "aws:MultiFactorAuthPresent": ["true", "false", "TRUE", "False"],
    "aws:SecureTransport": ["true"],
    "s3:max-keys": ["10"],
    "aws:PrincipalArn": ["garbage is fine for a string key"],
    "custom:Unknown": ["yes", ""],
}
BAD = {
    "aws:TokenIssueTime": ["garbage", "yesterday", "2026-13-01", "", "2026/09/01"],
    "aws:CurrentTime": ["now", "15 January 2026"],
    "aws:EpochTime": ["2026-01-15T10:00:00Z", "soon", "nan"],
    "aws:MultiFactorAuthAge": ["an hour", "1h"],
    "aws:SourceIp": ["not-an-ip", "203.0.113.256", "10.0.0.0/33", "example.com", ""],
    "aws:VpcSourceIp": ["vpc-123"],
    "aws:MultiFactorAuthPresent": ["yes", "1", "no", ""],
    "aws:ViaAWSService": ["y"],
    "s3:max-keys": ["ten"],
    "ec2:CreateDate": ["tomorrow"],
}


@pytest.mark.parametrize("key,value", [(k, v) for k, vs in GOOD.items() for v in vs])
def test_accepted_values(key, value):
    assert value_problem(key, value) is None


@pytest.mark.parametrize("key,value", [(k, v) for k, vs in BAD.items() for v in vs])
def test_refused_values_name_key_and_form(key, value):
    problem = value_problem(key, value)
    assert problem is not None
    assert key in problem and "expected" in problem and repr(value) in problem


def test_messages_say_what_is_expected():
    assert "ISO 8601" in value_problem("aws:TokenIssueTime", "garbage")
    assert "epoch seconds" in value_problem("aws:EpochTime", "x")
    assert "number" in value_problem("aws:MultiFactorAuthAge", "x")
    assert "IPv4 or IPv6" in value_problem("aws:SourceIp", "x")
    assert '"true" or "false"' in value_problem("aws:MultiFactorAuthPresent", "yes")


def test_absent_and_python_bools_and_lists():
    assert value_problem("aws:SourceIp", None) is None
    assert value_problem("aws:SecureTransport", True) is None
    check_value("aws:SourceIp", ["10.0.0.1", "10.0.0.2"])
    with pytest.raises(InputError, match=r"aws:SourceIp='nope'"):
        check_value("aws:SourceIp", ["10.0.0.1", "nope"])
    with pytest.raises(RequestError) as exc:
        check_context({"x": "1", "aws:MultiFactorAuthAge": "old"}, error=RequestError, file="r.json",
                      where="$.context")
    assert str(exc.value).startswith("r.json at $.context: aws:MultiFactorAuthAge='old'")


# ---------------------------------------------------------------- parse_assignments (--context, what-if "Other")
def test_parse_assignments_validates_each_value():
    assert parse_assignments(["aws:SourceIp=10.0.0.1", "AWS:SOURCEIP=10.0.0.0/8", f"aws:CurrentTime={ABSENT_VALUE}",
                              "aws:MultiFactorAuthPresent=TRUE"]) == {
        "aws:SourceIp": ["10.0.0.1", "10.0.0.0/8"], "aws:CurrentTime": None, "aws:MultiFactorAuthPresent": "TRUE"}
    with pytest.raises(InputError, match=r"^--context aws:SourceIp='bad' is not valid: expected an IPv4"):
        parse_assignments(["aws:SourceIp=10.0.0.1", "aws:SourceIp=bad"])
    with pytest.raises(InputError, match=r"^aws:TokenIssueTime='x'"):
        parse_assignments(["aws:TokenIssueTime=x"], label="")
    # the absent marker is accepted for every typed key
    for key in ("aws:TokenIssueTime", "aws:EpochTime", "aws:SourceIp", "aws:SecureTransport", "s3:max-keys"):
        assert parse_assignments([f"{key}={ABSENT_VALUE}"]) == {key: None}


# ---------------------------------------------------------------- CLI reproductions: exit 2, message names the key
def test_cli_reach_garbage_token_issue_time_exits_2(capsys):
    code = main(["reach", str(DEMO_ORG), "--from", PROD_DEPLOY, "--context", "aws:TokenIssueTime=garbage",
                 "--include-denied"])
    err = capsys.readouterr().err
    assert code == 2
    assert "aws:TokenIssueTime='garbage'" in err and "ISO 8601" in err and "Traceback" not in err


def _artifact_reader_entry(capsys, token_issue_time):
    code = main(["reach", str(DEMO_ORG), "--from", PROD_DEPLOY, "--context", f"aws:TokenIssueTime={token_issue_time}",
                 "--include-denied", "--json"])
    assert code == 0
    entries = [e for e in json.loads(capsys.readouterr().out)["reach"] if e["principal"] == ARTIFACT_READER]
    assert len(entries) == 1
    return entries[0]


@pytest.mark.parametrize("issued,denied", [
    ("2026-09-01T00:00:00Z", True), ("2026-09-01", True), ("1788220800", True),  # 1788220800 = 2026-09-01
    ("2026-11-01T00:00:00Z", False),
])
def test_cli_reach_accepted_token_issue_times_decide_d20(capsys, issued, denied):
    """D20: the revocation Deny applies to a session issued before the cut-off, in every accepted form."""
    assert _artifact_reader_entry(capsys, issued).get("denied", False) is denied


def test_cli_reach_mfa_yes_exits_2(capsys):
    code = main(["reach", str(DEMO_ORG), "--from", ALICE, "--context", "aws:MultiFactorAuthPresent=yes"])
    err = capsys.readouterr().err
    assert code == 2
    assert "aws:MultiFactorAuthPresent='yes'" in err and '"true" or "false"' in err


def test_cli_paths_bad_source_ip_exits_2(capsys):
    code = main(["paths", str(DEMO_ORG), "--from", ALICE, "--to", ARTIFACT_READER, "--context",
                 "aws:SourceIp=not-an-ip"])
    assert code == 2
    assert "aws:SourceIp='not-an-ip'" in capsys.readouterr().err


# ---------------------------------------------------------------- simulate requests
A = "111111111111"
DENY_OUTSIDE = {
    "principal": f"arn:aws:iam::{A}:user/u", "action": "s3:ListBucket", "resource": "arn:aws:s3:::b",
    "identity_policies": [{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "*", "Resource": "*",
         "Condition": {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}]}],
}


def test_parse_request_rejects_bad_source_ip():
    with pytest.raises(RequestError) as exc:
        parse_request(dict(DENY_OUTSIDE, context={"aws:SourceIp": "not-an-ip"}), file="r.json")
    assert str(exc.value).startswith("r.json at $.context.aws:SourceIp: aws:SourceIp='not-an-ip' is not valid")


def test_parse_request_list_value_names_the_index():
    with pytest.raises(RequestError) as exc:
        parse_request(dict(DENY_OUTSIDE, context={"aws:SourceIp": ["203.0.113.7", "x"]}), file="r.json")
    assert "$.context.aws:SourceIp[1]" in str(exc.value)


@pytest.mark.parametrize("context", [
    {"aws:TokenIssueTime": "garbage"}, {"aws:MultiFactorAuthPresent": "yes"}, {"aws:EpochTime": "today"},
    {"aws:MultiFactorAuthAge": "long"}, {"aws:SecureTransport": 1}, {"s3:max-keys": "ten"},
])
def test_parse_request_rejects_each_type(context):
    with pytest.raises(RequestError, match="expected"):
        parse_request(dict(DENY_OUTSIDE, context=context), file="r.json")


def test_parse_request_accepts_good_values_and_decides():
    inside = evaluate(parse_request(dict(DENY_OUTSIDE, context={"aws:SourceIp": "203.0.113.7"})))
    outside = evaluate(parse_request(dict(DENY_OUTSIDE, context={"aws:SourceIp": "198.51.100.7"})))
    assert inside.result.value == "Allow" and outside.result.value == "ExplicitDeny"
    ok = parse_request(dict(DENY_OUTSIDE, context={
        "aws:SourceIp": "203.0.113.7", "aws:MultiFactorAuthPresent": True, "aws:MultiFactorAuthAge": 30,
        "aws:EpochTime": 1768471200, "aws:TokenIssueTime": "2026-01-15T10:00:00Z", "aws:CurrentTime": None,
        "sts:ExternalId": "anything at all"}))
    assert ok.context.get("aws:MultiFactorAuthPresent") == ("true",)


def test_simulate_cli_rejects_bad_source_ip(tmp_path, capsys):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(dict(DENY_OUTSIDE, context={"aws:SourceIp": "not-an-ip"})))
    assert main(["simulate", str(path), "--json"]) == 2
    err = capsys.readouterr().err
    assert "r.json" in err and "$.context.aws:SourceIp" in err and "not-an-ip" in err


def test_simulate_batch_reports_the_bad_line_only(tmp_path, capsys):
    path = tmp_path / "b.jsonl"
    lines = [dict(DENY_OUTSIDE, id="bad", context={"aws:SourceIp": "not-an-ip"}),
             dict(DENY_OUTSIDE, id="good", context={"aws:SourceIp": "203.0.113.7"})]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    main(["simulate", "--batch", str(path), "--json"])
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert out[0]["id"] == "bad" and "aws:SourceIp" in out[0]["error"]
    assert out[1]["id"] == "good" and out[1]["decision"] == "Allow"


def test_engine_still_matches_nothing_on_an_unparsable_value():
    """M8 is unchanged inside the engine (values that do not come from a person, e.g. a snapshot, are not
    checked): an unparsable request value matches no IpAddress / Numeric range. Only input is refused."""
    import dataclasses

    from explorer.iam.context import Context
    base = parse_request(dict(DENY_OUTSIDE, context={"aws:SourceIp": "203.0.113.7"}))
    garbage = dataclasses.replace(base, context=Context({"aws:SourceIp": "not-an-ip"}))
    assert evaluate(garbage).result.value == "ExplicitDeny"  # NotIpAddress holds for a non-address


# ---------------------------------------------------------------- documented global keys with a type; finite numbers
@pytest.mark.parametrize("key,kind", [
    ("aws:EC2InstanceSourcePrivateIPv4", IP), ("aws:Ec2InstanceSourcePrivateIPv4", IP),
    ("aws:AssumedRoot", BOOL), ("aws:IsMcpServiceAction", BOOL), ("aws:ViaAWSMCPService", BOOL),
    # strings / ARNs: anything goes
    ("aws:EC2InstanceSourceVPC", None), ("aws:SourceVpce", None), ("aws:RequestedRegion", None),
    ("aws:CalledViaFirst", None), ("aws:CalledViaLast", None), ("aws:CalledVia", None),
])
def test_expected_type_of_more_global_keys(key, kind):
    assert expected_type(key) == kind


@pytest.mark.parametrize("key,value", [
    ("aws:EC2InstanceSourcePrivateIPv4", "garbage"), ("aws:EC2InstanceSourcePrivateIPv4", "10.0.0.256"),
    ("aws:AssumedRoot", "garbage"), ("aws:AssumedRoot", "yes"), ("aws:IsMcpServiceAction", "1"),
    # non-finite numbers: the float parsers take them, AWS numeric / epoch values never are
    ("aws:MultiFactorAuthAge", "inf"), ("aws:MultiFactorAuthAge", "Infinity"), ("aws:MultiFactorAuthAge", "-inf"),
    ("aws:MultiFactorAuthAge", "nan"), ("aws:MultiFactorAuthAge", "1e400"),
    ("aws:EpochTime", "inf"), ("aws:EpochTime", "-Infinity"),
    ("aws:TokenIssueTime", "inf"), ("aws:TokenIssueTime", "nan"), ("aws:CurrentTime", "Infinity"),
    ("s3:max-keys", "inf"),
])
def test_more_refused_values(key, value):
    problem = value_problem(key, value)
    assert problem is not None and key in problem and repr(value) in problem and "expected" in problem


@pytest.mark.parametrize("key,value", [
    ("aws:EC2InstanceSourcePrivateIPv4", "10.0.1.10"), ("aws:AssumedRoot", "true"), ("aws:AssumedRoot", "FALSE"),
    ("aws:IsMcpServiceAction", "true"), ("aws:EC2InstanceSourceVPC", "vpc-0123"), ("aws:MultiFactorAuthAge", "1e3"),
    ("aws:MultiFactorAuthAge", "-0"), ("aws:EpochTime", "1768471200.5"),
])
def test_more_accepted_values(key, value):
    assert value_problem(key, value) is None


def test_cli_garbage_in_newly_typed_keys_exits_2(capsys):
    for assignment, expected in (("aws:EC2InstanceSourcePrivateIPv4=garbage", "IPv4 or IPv6"),
                                 ("aws:AssumedRoot=garbage", '"true" or "false"'),
                                 ("aws:MultiFactorAuthAge=inf", "finite number")):
        code = main(["reach", str(DEMO_ORG), "--from", PROD_DEPLOY, "--context", assignment])
        err = capsys.readouterr().err
        assert code == 2, assignment
        assert assignment.split("=")[0] in err and expected in err and "Traceback" not in err


# ---------------------------------------------------------------- absent and valued at once: contradictory
@pytest.mark.parametrize("items", [
    ["aws:SourceIp=1.2.3.4", f"aws:SourceIp={ABSENT_VALUE}"],
    [f"aws:SourceIp={ABSENT_VALUE}", "aws:SourceIp=1.2.3.4"],
    [f"aws:SourceIp={ABSENT_VALUE}", "AWS:SOURCEIP=1.2.3.4"],
    ["sts:ExternalId=a", "sts:ExternalId=b", f"sts:externalid={ABSENT_VALUE}"],
])
def test_parse_assignments_refuses_absent_with_values(items):
    with pytest.raises(InputError) as exc:
        parse_assignments(items)
    text = str(exc.value)
    assert ABSENT_VALUE in text and "both" in text
    assert items[0].split("=")[0] in text  # named as first given


def test_parse_assignments_absent_twice_is_fine():
    assert parse_assignments([f"aws:SourceIp={ABSENT_VALUE}", f"aws:sourceip={ABSENT_VALUE}"]) == {"aws:SourceIp": None}


@pytest.mark.parametrize("first,second", [("1.2.3.4", ABSENT_VALUE), (ABSENT_VALUE, "1.2.3.4")])
def test_cli_absent_and_value_for_one_key_exits_2(capsys, first, second):
    code = main(["reach", str(DEMO_ORG), "--from", PROD_DEPLOY, "--context", f"aws:SourceIp={first}",
                 "--context", f"aws:SourceIp={second}"])
    err = capsys.readouterr().err
    assert code == 2
    assert "aws:SourceIp" in err and ABSENT_VALUE in err and "Traceback" not in err
