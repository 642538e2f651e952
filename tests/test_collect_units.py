"""The collector's parts without moto: pagination and throttling (botocore Stubber), botocore's adaptive retries,
CloudTrail records, resource-policy gaps, the read-only allow-list, atomic writes and resume markers, progress,
options, session rules, the CLI's exit codes and the documented audit policy."""
from __future__ import annotations

import io
import json
import re
from datetime import datetime, timezone
from pathlib import Path

import boto3
import botocore.retries.standard
import pytest
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber

from explorer.cli import main as cli_main
from explorer.collect import CollectOptions, CollectOptionsError
from explorer.collect import aws as collect_aws
from explorer.collect import cloudtrail, iam, organizations, readonly, resource_policies, writer
from explorer.collect.account import AccountJob, collect_account
from explorer.collect.progress import (ACCOUNT_DONE, CALLS, DONE, GAP, ProgressEvent, ProgressTracker,
                                       TerminalProgress)
from explorer.collect.sessions import (ClientFactory, assume_role_duration, credential_kind_of_arn,
                                       is_role_chaining)
from explorer.iam.principal import (CRED_GET_SESSION_TOKEN, CRED_IAM_USER, CRED_ROLE_SESSION, CRED_ROOT)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    monkeypatch.setattr(collect_aws, "BACKOFF_BASE_SECONDS", 0.0)


@pytest.fixture
def session():
    return boto3.Session(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="not-a-secret",
                         region_name="us-east-1")


@pytest.fixture
def factory():
    return ClientFactory(tracker=ProgressTracker())


def _role(name: str, account: str = "111122223333") -> dict:
    return {"RoleName": name, "RoleId": "AROA" + name.upper().ljust(17, "X")[:17], "Path": "/",
            "Arn": f"arn:aws:iam::{account}:role/{name}", "CreateDate": datetime(2024, 1, 1, tzinfo=timezone.utc),
            "AssumeRolePolicyDocument": "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D",
            "RolePolicyList": [], "AttachedManagedPolicies": [], "InstanceProfileList": [], "Tags": []}


def _gaad_page(roles: list[dict], *, marker: str | None) -> dict:
    page = {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": roles, "Policies": [],
            "IsTruncated": marker is not None}
    if marker:
        page["Marker"] = marker
    return page


# --- pagination and throttling (Stubber) ---------------------------------------------------------------------

def test_authorization_details_pages_are_merged(session, factory):
    client = factory.client(session, "iam", "us-east-1")
    with Stubber(client) as stub:
        stub.add_response("get_account_authorization_details", _gaad_page([_role("a"), _role("b")], marker="m1"),
                          {"Filter": iam.GAAD_FILTER, "MaxItems": 1000})
        stub.add_response("get_account_authorization_details", _gaad_page([_role("c")], marker=None),
                          {"Filter": iam.GAAD_FILTER, "MaxItems": 1000, "Marker": "m1"})
        merged = iam.get_authorization_details(client)
        stub.assert_no_pending_responses()
    assert [r["RoleName"] for r in merged["RoleDetailList"]] == ["a", "b", "c"]
    assert "Marker" not in merged and "IsTruncated" not in merged
    assert merged["UserDetailList"] == [] and merged["Policies"] == []
    assert set(iam.GAAD_FILTER) == {"User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"}
    assert factory.tracker.calls_done == 2


def test_throttling_then_success_is_retried(session, factory):
    client = factory.client(session, "iam", "us-east-1")
    with Stubber(client) as stub:
        stub.add_client_error("get_account_authorization_details", service_error_code="Throttling",
                              service_message="Rate exceeded", http_status_code=400)
        stub.add_response("get_account_authorization_details", _gaad_page([_role("a")], marker="m1"))
        stub.add_client_error("get_account_authorization_details", service_error_code="ThrottlingException",
                              http_status_code=400)  # mid-listing: the listing starts again
        stub.add_response("get_account_authorization_details", _gaad_page([_role("a")], marker="m1"))
        stub.add_response("get_account_authorization_details", _gaad_page([_role("b")], marker=None))
        merged = iam.get_authorization_details(client)
        stub.assert_no_pending_responses()
    assert [r["RoleName"] for r in merged["RoleDetailList"]] == ["a", "b"]


def test_throttling_that_never_ends_is_an_error(session, factory):
    client = factory.client(session, "organizations", "us-east-1")
    with Stubber(client) as stub:
        for _ in range(collect_aws.OUTER_ATTEMPTS):
            stub.add_client_error("describe_organization", service_error_code="TooManyRequestsException",
                                  http_status_code=400)
        with pytest.raises(Exception) as info:
            organizations.get_organization(client)
        stub.assert_no_pending_responses()
    assert collect_aws.is_throttling(info.value)


def test_access_denied_is_not_retried(session, factory):
    client = factory.client(session, "iam", "us-east-1")
    with Stubber(client) as stub:
        stub.add_client_error("list_roles", service_error_code="AccessDenied", http_status_code=403)
        with pytest.raises(Exception) as info:
            iam.get_roles(client)
        stub.assert_no_pending_responses()
    assert collect_aws.error_words(info.value).startswith("AccessDenied")


class _Raw:
    def __init__(self, body: bytes):
        self.body = body

    def stream(self, **_kwargs):
        yield self.body


def test_botocore_adaptive_retries_absorb_throttling(session, factory, monkeypatch):
    """The clients use botocore's adaptive retry mode: a throttled response is retried by botocore itself."""
    monkeypatch.setattr(botocore.retries.standard.ExponentialBackoff, "delay_amount", lambda self, ctx: 0)
    client = factory.client(session, "organizations", "us-east-1")
    assert client.meta.config.retries["mode"] == "adaptive"
    sent = []

    def fake_send(request, **_kwargs):
        sent.append(request)
        if len(sent) == 1:
            return AWSResponse(request.url, 400, {"x-amzn-requestid": "1"},
                               _Raw(b'{"__type": "TooManyRequestsException", "Message": "slow down"}'))
        return AWSResponse(request.url, 200, {"x-amzn-requestid": "2"},
                           _Raw(b'{"Roots": [{"Id": "r-ab12", "Name": "Root"}]}'))

    client.meta.events.register("before-send.organizations.ListRoots", fake_send)
    monkeypatch.setattr(collect_aws, "OUTER_ATTEMPTS", 1)  # only botocore's retries here
    roots = collect_aws.paginate(client, "list_roots")
    assert roots["Roots"] == [{"Id": "r-ab12", "Name": "Root"}]
    assert len(sent) == 2


def test_organization_shape_and_partial_gaps(session, factory):
    client = factory.client(session, "organizations", "us-east-1")
    gaps = []
    with Stubber(client) as stub:
        stub.add_response("describe_organization", {"Organization": {
            "Id": "o-abc1234567", "MasterAccountId": "111122223333", "FeatureSet": "ALL",
            "MasterAccountEmail": "root@example.com"}})
        stub.add_response("list_roots", {"Roots": [{"Id": "r-ab12", "Name": "Root", "PolicyTypes": []}]})
        stub.add_response("list_organizational_units_for_parent",
                          {"OrganizationalUnits": [{"Id": "ou-ab12-11111111", "Name": "Workloads"}]},
                          {"ParentId": "r-ab12"})
        stub.add_response("list_accounts_for_parent", {"Accounts": [
            {"Id": "111122223333", "Name": "mgmt", "Status": "ACTIVE"}]}, {"ParentId": "r-ab12"})
        stub.add_response("list_organizational_units_for_parent", {"OrganizationalUnits": []},
                          {"ParentId": "ou-ab12-11111111"})
        stub.add_response("list_accounts_for_parent", {"Accounts": [
            {"Id": "444455556666", "Name": "prod", "State": "SUSPENDED", "Status": "SUSPENDED"}]},
            {"ParentId": "ou-ab12-11111111"})
        stub.add_response("list_policies", {"Policies": [
            {"Id": "p-FullAWSAccess", "Name": "FullAWSAccess", "Type": "SERVICE_CONTROL_POLICY", "AwsManaged": True}]},
            {"Filter": "SERVICE_CONTROL_POLICY"})
        stub.add_response("describe_policy", {"Policy": {"Content": json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})}})
        stub.add_response("list_targets_for_policy", {"Targets": [{"TargetId": "r-ab12"}]})
        stub.add_client_error("list_policies", service_error_code="PolicyTypeNotEnabledException",
                              service_message="RCPs are not enabled", http_status_code=400,
                              expected_params={"Filter": "RESOURCE_CONTROL_POLICY"})
        doc = organizations.get_organization(client, gap=lambda what, exc: gaps.append((what, exc)))
        stub.assert_no_pending_responses()
    assert doc["Organization"] == {"Id": "o-abc1234567", "MasterAccountId": "111122223333", "FeatureSet": "ALL"}
    assert doc["OrganizationalUnits"] == [{"Id": "ou-ab12-11111111", "Name": "Workloads", "ParentId": "r-ab12"}]
    assert [(a["Id"], a["State"], a["ParentId"]) for a in doc["Accounts"]] == [
        ("111122223333", "ACTIVE", "r-ab12"), ("444455556666", "SUSPENDED", "ou-ab12-11111111")]
    assert doc["Policies"][0]["Content"]["Statement"][0]["Action"] == "*"
    assert doc["Policies"][0]["Targets"] == ["r-ab12"]
    assert [w for w, _ in gaps] == ["organizations:ListPolicies RESOURCE_CONTROL_POLICY"]


# --- CloudTrail ------------------------------------------------------------------------------------------------

def _event(event_id: str, name: str, when: datetime, *, parsed: bool = True) -> dict:
    record = {"eventVersion": "1.08", "eventID": event_id, "eventName": name, "eventTime": when.isoformat(),
              "eventSource": "sts.amazonaws.com", "recipientAccountId": "111122223333",
              "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice"},
              "requestParameters": {"roleArn": "arn:aws:iam::111122223333:role/Admin", "roleSessionName": "s"}}
    event = {"EventId": event_id, "EventName": name, "EventTime": when, "EventSource": "sts.amazonaws.com",
             "Username": "alice", "Resources": [{"ResourceType": "AWS::IAM::Role",
                                                 "ResourceName": "arn:aws:iam::111122223333:role/Admin"}]}
    event["CloudTrailEvent"] = json.dumps(record) if parsed else "{not json"
    return event


def test_cloudtrail_events_become_records(session, factory):
    client = factory.client(session, "cloudtrail", "us-east-1")
    now = datetime(2026, 3, 1, tzinfo=timezone.utc)
    t1, t2, t3 = (datetime(2026, 2, d, tzinfo=timezone.utc) for d in (20, 21, 22))
    with Stubber(client) as stub:
        def expect(name, events, token=None, next_token=None):
            params = {"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": name}],
                      "StartTime": datetime(2026, 2, 1, tzinfo=timezone.utc), "EndTime": now}
            if token:
                params["NextToken"] = token
            response = {"Events": events}
            if next_token:
                response["NextToken"] = next_token
            stub.add_response("lookup_events", response, params)
        expect("AssumeRole", [_event("e3", "AssumeRole", t3)], next_token="n1")
        expect("AssumeRole", [_event("e1", "AssumeRole", t1)], token="n1")
        expect("AssumeRoleWithSAML", [_event("e2", "AssumeRoleWithSAML", t2, parsed=False)])
        expect("AssumeRoleWithWebIdentity", [_event("e3", "AssumeRole", t3)])  # the same event again: once
        doc = cloudtrail.lookup_assume_events(client, 28, now=now)
        stub.assert_no_pending_responses()
    records = doc["Records"]
    assert [r["eventID"] for r in records] == ["e1", "e2", "e3"]  # oldest first, no duplicate
    assert records[0]["requestParameters"]["roleArn"] == "arn:aws:iam::111122223333:role/Admin"
    assert records[1] == {"eventID": "e2", "eventName": "AssumeRoleWithSAML", "eventSource": "sts.amazonaws.com",
                          "eventTime": t2.isoformat(), "userIdentity": {"userName": "alice"},
                          "resources": [{"ARN": "arn:aws:iam::111122223333:role/Admin", "type": "AWS::IAM::Role"}]}


# --- resource policies -------------------------------------------------------------------------------------------

def test_kms_skips_aws_managed_keys_and_summarises_many_failures(session, factory):
    client = factory.client(session, "kms", "eu-west-1")
    gaps = []
    key_arn = "arn:aws:kms:eu-west-1:111122223333:key/{}"
    with Stubber(client) as stub:
        ids = [f"k{i}" for i in range(8)]
        stub.add_response("list_keys", {"Keys": [{"KeyId": k, "KeyArn": key_arn.format(k)} for k in ids]})
        stub.add_response("describe_key", {"KeyMetadata": {"KeyId": "k0", "Arn": key_arn.format("k0"),
                                                            "KeyManager": "AWS"}})
        stub.add_response("describe_key", {"KeyMetadata": {"KeyId": "k1", "Arn": key_arn.format("k1"),
                                                            "KeyManager": "CUSTOMER", "KeyState": "Enabled"}})
        stub.add_response("get_key_policy", {"Policy": json.dumps({"Version": "2012-10-17", "Statement": []})},
                          {"KeyId": "k1", "PolicyName": "default"})
        for _ in ids[2:]:
            stub.add_client_error("describe_key", service_error_code="AccessDeniedException", http_status_code=400)
        doc = resource_policies.get_resource_policies(lambda service, region: client, ["eu-west-1"],
                                                      services=("kms",), gap=lambda w, e: gaps.append(w))
        stub.assert_no_pending_responses()
    assert doc == {"ResourcePolicies": [{"Arn": key_arn.format("k1"), "Policy": {"Version": "2012-10-17",
                                                                                   "Statement": []},
                                         "KeyState": "Enabled", "Region": "eu-west-1"}]}
    assert len(gaps) == 1 and gaps[0].startswith("kms:DescribeKey in eu-west-1: 6 resources (")


def test_a_service_that_cannot_be_listed_is_one_gap(session, factory):
    client = factory.client(session, "sqs", "us-east-1")
    gaps = []
    with Stubber(client) as stub:
        stub.add_client_error("list_queues", service_error_code="AccessDenied", http_status_code=403)
        doc = resource_policies.get_resource_policies(lambda service, region: client, ["us-east-1"],
                                                      services=("sqs",), gap=lambda w, e: gaps.append(w))
    assert doc == {"ResourcePolicies": []} and gaps == ["sqs in us-east-1"]


def test_failed_account_and_stale_optional_files(session, factory, tmp_path):
    """authorization details unreadable: the account fails with a gap; an optional source that fails now
    removes the file an earlier run wrote."""
    w = writer.SnapshotWriter(tmp_path)
    client = factory.client(session, "iam", "us-east-1")
    job = AccountJob(account_id="111122223333", session=session, factory=factory, writer=w, regions=["us-east-1"],
                     resource_policies=False)
    job.client = lambda service, region=None: client
    w.write_account_file("111122223333", writer.ROLES, {"Roles": [{"RoleName": "old"}]})
    with Stubber(client) as stub:
        stub.add_response("get_account_authorization_details", _gaad_page([_role("a")], marker=None))
        stub.add_response("list_account_aliases", {"AccountAliases": ["acme-prod"]})
        stub.add_client_error("list_roles", service_error_code="AccessDenied", http_status_code=403)
        stub.add_response("list_saml_providers", {"SAMLProviderList": []})
        stub.add_response("list_open_id_connect_providers", {"OpenIDConnectProviderList": [
            {"Arn": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"}]})
        stub.add_client_error("get_open_id_connect_provider", service_error_code="AccessDenied",
                              http_status_code=403)
        learned = collect_account(job)
        stub.assert_no_pending_responses()
    assert learned["alias"] == "acme-prod"
    assert not (tmp_path / "accounts/111122223333/roles.json").exists()
    idp = json.loads((tmp_path / "accounts/111122223333/identity-providers.json").read_text())
    assert idp["OpenIDConnectProviderList"] == [
        {"Arn": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"}]
    assert [g["what"] for g in w.gaps] == [
        "iam:ListRoles",
        "iam:GetOpenIDConnectProvider arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"]

    with Stubber(client) as stub:
        stub.add_client_error("get_account_authorization_details", service_error_code="AccessDenied",
                              http_status_code=403)
        with pytest.raises(Exception, match="AccessDenied"):
            collect_account(job)
    assert w.gaps[-1]["what"] == "iam:GetAccountAuthorizationDetails"


# --- read-only allow-list --------------------------------------------------------------------------------------

@pytest.mark.parametrize("service,operation,allowed", [
    ("iam", "GetAccountAuthorizationDetails", True), ("iam", "ListRoles", True),
    ("organizations", "DescribeOrganization", True), ("cloudtrail", "LookupEvents", True),
    ("sts", "AssumeRole", True), ("sts", "GetCallerIdentity", True), ("sts", "GetSessionToken", True),
    ("sts", "GetFederationToken", False), ("sts", "AssumeRoleWithSAML", False),
    ("iam", "CreateUser", False), ("iam", "PutRolePolicy", False), ("iam", "UpdateAssumeRolePolicy", False),
    ("s3", "PutBucketPolicy", False), ("s3", "DeleteBucket", False), ("s3", "GetObject", False),
    ("secretsmanager", "GetSecretValue", False), ("ssm", "GetParameter", False),
    ("organizations", "AttachPolicy", False), ("kms", "Decrypt", False), ("cloudtrail", "StopLogging", False),
])
def test_allow_list(service, operation, allowed):
    assert readonly.is_allowed(service, operation) is allowed


def test_a_write_through_a_collector_client_is_never_sent(session, factory):
    client = factory.client(session, "iam", "us-east-1")
    sent = []
    client.meta.events.register("before-send.*", lambda request, **kw: sent.append(request))
    with Stubber(client) as stub:
        stub.add_response("create_user", {"User": {"UserName": "x", "Path": "/", "UserId": "AIDAXXXXXXXXXXXXXXXXX",
                                                   "Arn": "arn:aws:iam::111122223333:user/x",
                                                   "CreateDate": datetime(2024, 1, 1)}})
        with pytest.raises(readonly.ReadOnlyViolation, match="iam:CreateUser"):
            client.create_user(UserName="x")
        with pytest.raises(AssertionError):
            stub.assert_no_pending_responses()  # the stubbed answer was never consumed: nothing was sent
    assert sent == [] and factory.tracker.calls_done == 0


def test_every_collector_action_is_read_only():
    for service, names in readonly.COLLECTOR_ACTIONS.items():
        for name in names:
            op = {"ListAllMyBuckets": "ListBuckets", "GetBucketPublicAccessBlock": "GetPublicAccessBlock"}.get(name,
                                                                                                              name)
            assert readonly.is_allowed(service, op), f"{service}:{name}"


def test_docs_policy_is_the_collectors_calls():
    text = (ROOT / "docs" / "collect.md").read_text()
    blocks = [json.loads(b) for b in re.findall(r"```json\n(.*?)\n```", text, re.S)]
    assert readonly.audit_policy_document() in blocks
    assert readonly.management_policy_document() in blocks
    for service, names in readonly.COLLECTOR_ACTIONS.items():
        for name in names:
            assert f"{service}:{name}" in text


# --- writer: atomic files, resume markers ----------------------------------------------------------------------

def test_atomic_write_keeps_the_old_file_when_interrupted(tmp_path, monkeypatch):
    target = tmp_path / "accounts" / "111122223333" / "roles.json"
    writer.atomic_write_json(target, {"Roles": ["old"]})
    assert target.stat().st_mode & 0o777 == 0o666 & ~writer._UMASK  # a normal file, not mkstemp's 0600

    def boom(src, dst):
        raise OSError("disk full")
    monkeypatch.setattr(writer.os, "replace", boom)
    with pytest.raises(OSError):
        writer.atomic_write_json(target, {"Roles": ["new"]})
    monkeypatch.undo()
    assert json.loads(target.read_text()) == {"Roles": ["old"]}
    assert [p.name for p in target.parent.iterdir()] == ["roles.json"]  # no temporary left behind

    with pytest.raises(TypeError):  # a value that cannot be written: nothing half-written
        writer.atomic_write_json(target, {"Roles": [object()]})
    assert json.loads(target.read_text()) == {"Roles": ["old"]}


def test_stale_temporaries_are_removed_and_not_json(tmp_path):
    folder = tmp_path / "accounts" / "111122223333"
    folder.mkdir(parents=True)
    (folder / ".authorization-details.json.abc123.tmp").write_text('{"UserDetailList": [')
    writer.SnapshotWriter(tmp_path)
    assert list(folder.iterdir()) == []


def test_resume_markers(tmp_path):
    w = writer.SnapshotWriter(tmp_path)
    w.write_account_file("111122223333", writer.AUTHORIZATION_DETAILS, {"RoleDetailList": []})
    w.set_account("111122223333", {"status": writer.STATUS_COMPLETE})
    w.set_account("444455556666", {"status": writer.STATUS_IN_PROGRESS})
    w.add_gap("444455556666", "iam:ListRoles", "AccessDenied")
    w.add_gap("111122223333", "kms in us-east-1", "AccessDenied")
    w.add_gap("111122223333", "organizations:ListPolicies RESOURCE_CONTROL_POLICY", "x")
    w.write_manifest(complete=False)

    again = writer.SnapshotWriter(tmp_path)
    assert again.is_complete("111122223333") and not again.is_complete("444455556666")
    again.keep_previous_gaps({"111122223333"}, keep_organization=False)
    assert again.gaps == [{"account": "111122223333", "what": "kms in us-east-1", "error": "AccessDenied"}]
    assert not writer.SnapshotWriter(tmp_path, refresh=True).is_complete("111122223333")
    # a complete marker without the file is not complete
    (tmp_path / "accounts/111122223333/authorization-details.json").unlink()
    assert not writer.SnapshotWriter(tmp_path).is_complete("111122223333")
    # an unreadable manifest: nothing counts as collected
    (tmp_path / "manifest.json").write_text('{"format": "iam-trust-snap')
    assert writer.SnapshotWriter(tmp_path).accounts == {}


# --- progress ----------------------------------------------------------------------------------------------------

def test_terminal_progress_bar_on_a_tty_and_lines_elsewhere():
    tty = io.StringIO()
    bar = TerminalProgress(tty, tty=True, width=10)
    bar(ProgressEvent(CALLS, 1, 4, 17, elapsed_seconds=65))
    bar(ProgressEvent(GAP, 1, 4, 18, account="111122223333", message="kms in us-east-1: AccessDenied"))
    bar(ProgressEvent(DONE, 4, 4, 30, message="1 gap(s)"))
    out = tty.getvalue()
    assert "[##........] 1/4 accounts  17 calls  1:05" in out and "\r" in out
    assert "gap: 111122223333: kms in us-east-1: AccessDenied\n" in out
    assert out.endswith("collect: finished, 4/4 accounts, 30 calls; 1 gap(s)\n")

    plain = io.StringIO()
    lines = TerminalProgress(plain, tty=False)
    lines(ProgressEvent(CALLS, 0, 2, 5))
    lines(ProgressEvent(ACCOUNT_DONE, 1, 2, 9, account="111122223333"))
    assert plain.getvalue() == "[1/2] done 111122223333\n"  # no per-call noise, no \r


def test_tracker_survives_a_broken_callback():
    def broken(event):
        raise RuntimeError("display gone")
    tracker = ProgressTracker(callback=broken, min_call_interval=0)
    tracker.set_total(2)
    tracker.call_made("ListRoles")
    tracker.account_finished(ACCOUNT_DONE, "111122223333")
    assert tracker.calls_done == 1 and tracker.accounts_done == 1


# --- options, session rules, CLI ---------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs,words", [
    ({"org": True}, "--org needs --role-name"),
    ({"role_name": "Audit"}, "--role-name needs --org"),
    ({"org": True, "role_name": "Audit", "parallel": 0}, "--parallel"),
    ({"cloudtrail_days": 91}, "--cloudtrail-days"),
    ({"accounts": ["12345"]}, "12-digit"),
    ({"regions": ["Europe"]}, "not an AWS region"),
    ({"mfa_token": "123456"}, "--mfa-token needs --mfa-serial"),
    ({"org": True, "role_name": "Audit", "mfa_serial": "arn:aws:iam::111122223333:mfa/me", "mfa_token": "12ab"},
     "6-digit"),
    ({"external_id": "x1"}, "give --role-name"),
    ({"session_seconds": 100}, "--duration-seconds"),
])
def test_bad_options(tmp_path, kwargs, words):
    with pytest.raises(CollectOptionsError, match=re.escape(words)):
        CollectOptions(out_dir=str(tmp_path), **kwargs).validate()


def test_session_rules():
    assert credential_kind_of_arn("arn:aws:iam::111122223333:user/alice") == CRED_IAM_USER
    assert credential_kind_of_arn("arn:aws:iam::111122223333:root") == CRED_ROOT
    assert credential_kind_of_arn("arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Audit_1/me") == \
        CRED_ROLE_SESSION
    assert is_role_chaining(CRED_ROLE_SESSION) and is_role_chaining(CRED_GET_SESSION_TOKEN)
    assert not is_role_chaining(CRED_IAM_USER)
    assert assume_role_duration(CRED_ROLE_SESSION, 7200) == 3600  # SSO / assumed role: chaining cap
    assert assume_role_duration(CRED_IAM_USER, 7200) == 7200
    assert assume_role_duration(CRED_ROLE_SESSION, 900) == 900


@pytest.fixture
def no_credentials(monkeypatch, tmp_path):
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                "AWS_DEFAULT_PROFILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


def test_cli_without_credentials_exits_2(no_credentials, tmp_path, capsys):
    code = cli_main(["collect", "--out", str(tmp_path / "snap")])
    err = capsys.readouterr().err
    assert code == 2 and "no AWS credentials found" in err and "Traceback" not in err
    assert not (tmp_path / "snap").exists()  # nothing written before the credentials work


def test_cli_unknown_profile_exits_2(no_credentials, tmp_path, capsys):
    code = cli_main(["collect", "--out", str(tmp_path / "snap"), "--profile", "nope"])
    err = capsys.readouterr().err
    assert code == 2 and "profile 'nope' not found" in err


@pytest.mark.parametrize("argv,words", [
    (["--org"], "--org needs --role-name"),
    (["--parallel", "x"], "invalid int value"),
    (["--accounts", "12"], "12-digit"),
])
def test_cli_bad_arguments_exit_2(no_credentials, tmp_path, capsys, argv, words):
    try:
        code = cli_main(["collect", "--out", str(tmp_path / "snap"), *argv])
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2 and words in err and "Traceback" not in err


def test_cloudtrail_written_by_an_account_run_is_read_by_the_loader(session, factory, tmp_path):
    from explorer.snapshot import load_snapshot
    w = writer.SnapshotWriter(tmp_path)
    iam_client = factory.client(session, "iam", "us-east-1")
    trail_client = factory.client(session, "cloudtrail", "us-east-1")
    job = AccountJob(account_id="111122223333", session=session, factory=factory, writer=w, regions=["us-east-1"],
                     resource_policies=False, cloudtrail_days=7)
    job.client = lambda service, region=None: {"iam": iam_client, "cloudtrail": trail_client}[service]
    when = datetime.now(timezone.utc).replace(microsecond=0)
    with Stubber(iam_client) as istub, Stubber(trail_client) as tstub:
        istub.add_response("get_account_authorization_details", _gaad_page([_role("Admin")], marker=None))
        istub.add_response("list_account_aliases", {"AccountAliases": []})
        listed = {k: v for k, v in _role("Admin").items() if k in ("RoleName", "RoleId", "Path", "Arn", "CreateDate")}
        istub.add_response("list_roles", {"Roles": [dict(listed, MaxSessionDuration=3600)]})
        istub.add_response("list_saml_providers", {"SAMLProviderList": []})
        istub.add_response("list_open_id_connect_providers", {"OpenIDConnectProviderList": []})
        tstub.add_response("lookup_events", {"Events": [_event("e1", "AssumeRole", when)]})
        tstub.add_response("lookup_events", {"Events": []})
        tstub.add_response("lookup_events", {"Events": []})
        learned = collect_account(job)
    assert "cloudtrail/111122223333-us-east-1.json" in learned["files"]
    snap = load_snapshot(str(tmp_path))
    assert [(e.event_name, e.role_arn, e.caller_arn) for e in snap.trail_events] == [
        ("AssumeRole", "arn:aws:iam::111122223333:role/Admin", "arn:aws:iam::111122223333:user/alice")]
    assert "arn:aws:iam::111122223333:role/Admin" in snap.accounts["111122223333"].roles


def test_the_collect_package_imports_no_qt():
    import subprocess
    import sys
    code = ("import sys, explorer.collect, explorer.cli.collect_cmd; "
            "bad = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6', 'pyqtgraph', 'networkx', "
            "'explorer.graph', 'explorer.ui', 'explorer.render', 'explorer.analysis'))); print(bad); "
            "sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_cli_sso_profile_without_login_exits_2(no_credentials, tmp_path, capsys, monkeypatch):
    (tmp_path / "config").write_text("[profile sso-audit]\nsso_start_url = https://example.awsapps.com/start\n"
                                     "sso_region = us-east-1\nsso_account_id = 111122223333\n"
                                     "sso_role_name = Audit\nregion = eu-west-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("HOME", str(tmp_path))  # no cached SSO token
    code = cli_main(["collect", "--out", str(tmp_path / "snap"), "--profile", "sso-audit"])
    err = capsys.readouterr().err
    assert code == 2 and "aws sso login --profile sso-audit" in err and "Traceback" not in err
