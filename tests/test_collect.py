"""The collector end to end against moto: a 3-account organization (management + 2 members), OUs, an SCP, an RCP,
roles, users and providers in member accounts, resource policies in the management account. Collected with
--org --role-name OrganizationAccountAccessRole, then loaded with the project's loader."""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import boto3
import botocore.client
import pytest
from botocore.exceptions import ClientError

pytest.importorskip("moto")
from moto import mock_aws  # noqa: E402

from conftest import set_fake_aws_environment  # noqa: E402
from explorer.cli import main as cli_main  # noqa: E402
from explorer.collect import CollectOptions, collect_snapshot  # noqa: E402
from explorer.collect import readonly  # noqa: E402
from explorer.collect.progress import ACCOUNT_DONE, DONE, ProgressEvent  # noqa: E402
from explorer.collect.readonly import ReadOnlyViolation  # noqa: E402
from explorer.collect.sessions import ClientFactory  # noqa: E402

MGMT = "123456789012"  # moto's default account
ROLE = "OrganizationAccountAccessRole"


def _policy(statement: dict | list) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statement if isinstance(statement, list) else [statement]})


def _member_session(account_id: str) -> boto3.Session:
    creds = boto3.client("sts").assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/{ROLE}",
                                            RoleSessionName="setup")["Credentials"]
    return boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["SessionToken"], region_name="us-east-1")


@pytest.fixture(scope="module")
def org(tmp_path_factory):
    """management + prod (OU Workloads/Prod) + dev (OU Workloads), an SCP on Workloads, an RCP on the root.
    Built once for the module: the collector only reads, so no test can change it."""
    with pytest.MonkeyPatch.context() as mp, mock_aws():
        set_fake_aws_environment(mp, tmp_path_factory.mktemp("aws"))
        o = boto3.client("organizations")
        o.create_organization(FeatureSet="ALL")
        root = o.list_roots()["Roots"][0]["Id"]
        workloads = o.create_organizational_unit(ParentId=root, Name="Workloads")["OrganizationalUnit"]["Id"]
        prod_ou = o.create_organizational_unit(ParentId=workloads, Name="Prod")["OrganizationalUnit"]["Id"]
        ids = {}
        for name, parent in (("prod", prod_ou), ("dev", workloads)):
            acct = o.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]["AccountId"]
            o.move_account(AccountId=acct, SourceParentId=root, DestinationParentId=parent)
            ids[name] = acct
        scp = o.create_policy(Name="DenyLeaveOrganization", Type="SERVICE_CONTROL_POLICY", Description="scp",
                              Content=_policy({"Effect": "Deny", "Action": "organizations:LeaveOrganization",
                                               "Resource": "*"}))["Policy"]["PolicySummary"]["Id"]
        o.attach_policy(PolicyId=scp, TargetId=workloads)
        rcp = o.create_policy(Name="DenyInsecureTransport", Type="RESOURCE_CONTROL_POLICY", Description="rcp",
                              Content=_policy({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
                                               "Condition": {"Bool": {"aws:SecureTransport": "false"}}})
                              )["Policy"]["PolicySummary"]["Id"]
        o.attach_policy(PolicyId=rcp, TargetId=root)

        # prod: a deploy role trusted by the management account, 2 hours max; SAML and OIDC providers.
        prod = _member_session(ids["prod"])
        iam = prod.client("iam")
        iam.create_role(RoleName="Deployer", MaxSessionDuration=7200,
                        AssumeRolePolicyDocument=_policy({"Effect": "Allow", "Action": "sts:AssumeRole",
                                                          "Principal": {"AWS": f"arn:aws:iam::{MGMT}:root"}}))
        iam.put_role_policy(RoleName="Deployer", PolicyName="deploy",
                            PolicyDocument=_policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}))
        iam.create_saml_provider(Name="okta", SAMLMetadataDocument="<md/>" * 250)
        iam.create_open_id_connect_provider(Url="https://token.actions.githubusercontent.com",
                                            ClientIDList=["sts.amazonaws.com"], ThumbprintList=["a" * 40])
        # dev: a user in a group with a managed policy.
        dev_iam = _member_session(ids["dev"]).client("iam")
        dev_iam.create_user(UserName="ci")
        dev_iam.create_group(GroupName="builders")
        dev_iam.add_user_to_group(GroupName="builders", UserName="ci")
        arn = dev_iam.create_policy(PolicyName="AssumeDeployer", PolicyDocument=_policy(
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": f"arn:aws:iam::{ids['prod']}:role/Deployer"}
        ))["Policy"]["Arn"]
        dev_iam.attach_group_policy(GroupName="builders", PolicyArn=arn)

        # management: resource policies of every kind.
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="audit-logs-bucket")
        s3.put_bucket_policy(Bucket="audit-logs-bucket", Policy=_policy(
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ids['dev']}:root"}, "Action": "s3:GetObject",
             "Resource": "arn:aws:s3:::audit-logs-bucket/*"}))
        s3.put_bucket_ownership_controls(Bucket="audit-logs-bucket", OwnershipControls={
            "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
        s3.create_bucket(Bucket="no-policy-bucket")
        key = boto3.client("kms").create_key(Description="customer key")["KeyMetadata"]["Arn"]
        queue = boto3.client("sqs").create_queue(QueueName="jobs", Attributes={"Policy": _policy(
            {"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": "*"})})["QueueUrl"]
        topic = boto3.client("sns").create_topic(Name="alerts")["TopicArn"]
        sm = boto3.client("secretsmanager")
        secret = sm.create_secret(Name="db", SecretString="not-collected-ever")["ARN"]
        sm.put_resource_policy(SecretId=secret, ResourcePolicy=_policy(
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ids['prod']}:root"},
             "Action": "secretsmanager:GetSecretValue", "Resource": "*"}))
        role_arn = boto3.client("iam").create_role(RoleName="fn-role", AssumeRolePolicyDocument=_policy(
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ))["Role"]["Arn"]
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("f.py", "def handler(event, context):\n    return 1\n")
        lam = boto3.client("lambda")
        fn = lam.create_function(FunctionName="notify", Runtime="python3.11", Role=role_arn, Handler="f.handler",
                                 Code={"ZipFile": buf.getvalue()})["FunctionArn"]
        lam.add_permission(FunctionName="notify", StatementId="sns", Action="lambda:InvokeFunction",
                           Principal="sns.amazonaws.com", SourceArn=topic)
        yield {"prod": ids["prod"], "dev": ids["dev"], "scp": scp, "rcp": rcp, "root": root, "workloads": workloads,
               "prod_ou": prod_ou, "key": key, "queue": queue, "topic": topic, "secret": secret, "function": fn}


@pytest.fixture
def api_calls(monkeypatch):
    """Hook botocore: record every operation sent by any client (service prefix, operation, params)."""
    calls: list[tuple[str, str, dict, bool]] = []
    original = botocore.client.BaseClient._make_api_call

    def recording(self, operation_name, api_params):
        calls.append((self.meta.service_model.signing_name, operation_name, dict(api_params),
                      readonly.is_installed(self)))
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
    return calls


def _collect(tmp_path, **kwargs) -> tuple:
    events: list[ProgressEvent] = []
    options = CollectOptions(out_dir=str(tmp_path / "snap"), org=True, role_name=ROLE, parallel=2, **kwargs)
    return collect_snapshot(options, progress=events.append), events


def _read(path: Path):
    return json.loads(path.read_text())


def test_organization_collected_end_to_end(org, tmp_path, api_calls):
    result, events = _collect(tmp_path)
    snap = tmp_path / "snap"
    assert sorted(result.accounts_collected) == sorted([MGMT, org["prod"], org["dev"]])
    assert result.accounts_failed == [] and result.gaps == [] and not result.cancelled
    assert result.calls > 0 and result.calls == len(api_calls)

    # organization.json in the interfaces.md shape
    o = _read(snap / "organization.json")
    assert o["Organization"]["MasterAccountId"] == MGMT and o["Organization"]["FeatureSet"] == "ALL"
    assert [r["Id"] for r in o["Roots"]] == [org["root"]]
    units = {u["Id"]: u for u in o["OrganizationalUnits"]}
    assert units[org["workloads"]]["ParentId"] == org["root"] and units[org["prod_ou"]]["ParentId"] == org["workloads"]
    parents = {a["Id"]: a["ParentId"] for a in o["Accounts"]}
    assert parents == {MGMT: org["root"], org["prod"]: org["prod_ou"], org["dev"]: org["workloads"]}
    assert all(a["State"] == "ACTIVE" for a in o["Accounts"])
    policies = {p["Id"]: p for p in o["Policies"]}
    scp = policies[org["scp"]]
    assert scp["Type"] == "SERVICE_CONTROL_POLICY" and scp["Targets"] == [org["workloads"]]
    assert scp["Content"]["Statement"][0]["Action"] == "organizations:LeaveOrganization"  # decoded, not a string
    rcp = policies[org["rcp"]]
    assert rcp["Type"] == "RESOURCE_CONTROL_POLICY" and rcp["Targets"] == [org["root"]]
    assert policies["p-FullAWSAccess"]["AwsManaged"] is True

    # member accounts, through the audit role
    prod = snap / "accounts" / org["prod"]
    gaad = _read(prod / "authorization-details.json")
    assert set(gaad) >= {"UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"}
    assert "IsTruncated" not in gaad and "Marker" not in gaad
    deployer = next(r for r in gaad["RoleDetailList"] if r["RoleName"] == "Deployer")
    assert deployer["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"] == f"arn:aws:iam::{MGMT}:root"
    roles = {r["RoleName"]: r for r in _read(prod / "roles.json")["Roles"]}
    assert roles["Deployer"]["MaxSessionDuration"] == 7200
    idp = _read(prod / "identity-providers.json")
    assert [p["Arn"].rsplit("/", 1)[1] for p in idp["SAMLProviderList"]] == ["okta"]
    assert set(idp["SAMLProviderList"][0]) >= {"Arn", "ValidUntil", "CreateDate"}
    oidc = idp["OpenIDConnectProviderList"][0]
    assert oidc["Url"] == "token.actions.githubusercontent.com" and oidc["ClientIDList"] == ["sts.amazonaws.com"]
    assert oidc["ThumbprintList"] == ["a" * 40]
    dev_gaad = _read(snap / "accounts" / org["dev"] / "authorization-details.json")
    assert [u["UserName"] for u in dev_gaad["UserDetailList"]] == ["ci"]
    assert [p["Arn"].rsplit("/", 1)[1] for p in dev_gaad["Policies"]] == ["AssumeDeployer"]

    # management account: resource policies of every kind, collected with the starting credentials
    rp = {p["Arn"]: p for p in _read(snap / "accounts" / MGMT / "resource-policies.json")["ResourcePolicies"]}
    bucket = rp["arn:aws:s3:::audit-logs-bucket"]
    assert bucket["ObjectOwnership"] == "BucketOwnerEnforced"
    assert bucket["Policy"]["Statement"][0]["Action"] == "s3:GetObject"
    assert rp["arn:aws:s3:::no-policy-bucket"]["Policy"] is None
    assert rp[org["key"]]["Policy"]["Statement"] and rp[org["key"]]["KeyState"] == "Enabled"
    assert rp["arn:aws:sqs:us-east-1:%s:jobs" % MGMT]["Policy"]["Statement"][0]["Action"] == "sqs:SendMessage"
    assert rp[org["topic"]]["Policy"]["Statement"]
    assert rp[org["secret"]]["Policy"]["Statement"][0]["Action"] == "secretsmanager:GetSecretValue"
    assert rp[org["function"]]["Policy"]["Statement"][0]["Principal"]["Service"] == "sns.amazonaws.com"
    assert "not-collected-ever" not in "".join(p.read_text() for p in snap.rglob("*.json"))

    # manifest: complete, every account marked complete, who collected what and how
    manifest = _read(snap / "manifest.json")
    assert manifest["format"] == "iam-trust-snapshot" and manifest["version"] == 1 and manifest["complete"] is True
    assert manifest["gaps"] == [] and manifest["partition"] == "aws"
    assert {a: e["status"] for a, e in manifest["accounts"].items()} == {
        MGMT: "complete", org["prod"]: "complete", org["dev"]: "complete"}
    assert manifest["accounts"][MGMT]["via"] == "starting credentials"
    assert manifest["accounts"][org["prod"]]["via"] == f"role {ROLE}"
    assert manifest["accounts"][org["prod"]]["name"] == "prod"

    # the member sessions: AssumeRole on the audit role of each member, never on the management account
    assumed = sorted(p["RoleArn"] for svc, op, p, _ in api_calls if op == "AssumeRole")
    assert assumed == sorted(f"arn:aws:iam::{a}:role/{ROLE}" for a in (org["prod"], org["dev"]))
    # progress: every account done, then done
    assert sum(e.kind == ACCOUNT_DONE for e in events) == 3 and events[-1].kind == DONE
    assert events[-1].accounts_done == events[-1].accounts_total == 3

    # the project's loader reads it: the roles and the SCPs are there
    from explorer.snapshot import load_snapshot
    loaded = load_snapshot(str(snap))
    assert f"arn:aws:iam::{org['prod']}:role/Deployer" in loaded.accounts[org["prod"]].roles
    role = loaded.accounts[org["prod"]].roles[f"arn:aws:iam::{org['prod']}:role/Deployer"]
    assert role.max_session_duration == 7200 and role.max_session_duration_known
    assert loaded.organization is not None and loaded.organization.master_account_id == MGMT
    scp_names = [[p.name for p in level] for level in loaded.organization.scp_levels(org["prod"])]
    assert "DenyLeaveOrganization" in scp_names[1] and "FullAWSAccess" in scp_names[0]
    assert not [i for i in loaded.report.issues if i.severity == "error"], loaded.report.issues


def test_every_call_is_read_only_and_documented(org, tmp_path, api_calls):
    _collect(tmp_path, cloudtrail_days=0)
    assert api_calls
    for service, operation, _params, guarded in api_calls:
        assert guarded, f"{service}:{operation} was sent by a client without the read-only hook"
        assert readonly.is_allowed(service, operation), f"{service}:{operation} is not read-only"
        assert readonly.is_collector_action(service, operation), f"{service}:{operation} is not in docs/collect.md"
    called = {readonly.iam_action(s, o) for s, o, _, _ in api_calls}
    assert {"iam:GetAccountAuthorizationDetails", "organizations:DescribePolicy", "sts:AssumeRole",
            "kms:GetKeyPolicy", "s3:GetBucketPolicy", "lambda:GetPolicy"} <= called

    # A direct write through a collector client never leaves the machine.
    factory = ClientFactory()
    iam = factory.client(boto3.Session(region_name="us-east-1"), "iam", "us-east-1")
    sent_before = len(api_calls)
    with pytest.raises(ReadOnlyViolation):
        iam.create_user(UserName="intruder")
    with pytest.raises(ReadOnlyViolation):
        factory.client(boto3.Session(region_name="us-east-1"), "s3", "us-east-1").put_bucket_policy(
            Bucket="audit-logs-bucket", Policy="{}")
    assert len(api_calls) == sent_before + 2  # attempted, refused by the hook before signing or sending
    assert "intruder" not in [u["UserName"] for u in boto3.client("iam").list_users()["Users"]]
    policy = json.loads(boto3.client("s3").get_bucket_policy(Bucket="audit-logs-bucket")["Policy"])
    assert policy["Statement"][0]["Action"] == "s3:GetObject"  # unchanged


def _deny_assume_into(monkeypatch, account_id: str):
    original = botocore.client.BaseClient._make_api_call

    def refusing(self, operation_name, api_params):
        if operation_name == "AssumeRole" and f"::{account_id}:" in api_params.get("RoleArn", ""):
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not authorized to perform "
                                         "sts:AssumeRole"}}, operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", refusing)


def test_gap_when_a_member_role_cannot_be_assumed_then_resume(org, tmp_path, monkeypatch):
    with monkeypatch.context() as m:
        _deny_assume_into(m, org["dev"])
        result, _ = _collect(tmp_path)
    snap = tmp_path / "snap"
    assert sorted(result.accounts_collected) == sorted([MGMT, org["prod"]])
    assert result.accounts_failed == [org["dev"]]
    manifest = _read(snap / "manifest.json")
    assert manifest["gaps"] == [{"account": org["dev"], "what": f"sts:AssumeRole arn:aws:iam::{org['dev']}:role/{ROLE}",
                                 "error": "AccessDenied: not authorized to perform sts:AssumeRole (AssumeRole)"}]
    assert manifest["accounts"][org["dev"]]["status"] == "failed"
    assert not (snap / "accounts" / org["dev"]).exists()
    assert (snap / "accounts" / org["prod"] / "authorization-details.json").is_file()

    # Rerun: only the failed account is collected; the complete ones are skipped.
    result2, events = _collect(tmp_path)
    assert result2.accounts_collected == [org["dev"]]
    assert sorted(result2.accounts_skipped) == sorted([MGMT, org["prod"]])
    manifest = _read(snap / "manifest.json")
    assert manifest["gaps"] == [] and manifest["complete"] is True
    assert all(e["status"] == "complete" for e in manifest["accounts"].values())

    # --refresh collects everything again
    result3, _ = _collect(tmp_path, refresh=True)
    assert sorted(result3.accounts_collected) == sorted([MGMT, org["prod"], org["dev"]])
    assert result3.accounts_skipped == []


def test_cancel_stops_and_a_rerun_resumes(org, tmp_path):
    done: list[str] = []

    def progress(event):
        if event.kind == ACCOUNT_DONE:
            done.append(event.account)

    options = CollectOptions(out_dir=str(tmp_path / "snap"), org=True, role_name=ROLE, parallel=1)
    result = collect_snapshot(options, progress=progress, cancel=lambda: len(done) >= 1)
    assert result.cancelled
    assert len(result.accounts_collected) == 1
    manifest = _read(tmp_path / "snap" / "manifest.json")
    assert manifest["complete"] is False
    assert [a for a, e in manifest["accounts"].items() if e["status"] == "complete"] == result.accounts_collected
    resumed = collect_snapshot(options)
    assert resumed.accounts_skipped == result.accounts_collected
    assert len(resumed.accounts_collected) == 2 and not resumed.cancelled
    assert _read(tmp_path / "snap" / "manifest.json")["complete"] is True


def test_session_durations_follow_the_chaining_rule_and_mfa_is_used_once(org, tmp_path, api_calls):
    # IAM user keys: not role chaining, the requested 2 hours are asked for.
    options = CollectOptions(out_dir=str(tmp_path / "a"), org=True, role_name=ROLE, session_seconds=7200,
                             accounts=[org["prod"]], external_id="ext-id-4711")
    collect_snapshot(options)
    assumes = [p for _, op, p, _ in api_calls if op == "AssumeRole"]
    assert [p["DurationSeconds"] for p in assumes] == [7200] and assumes[0]["ExternalId"] == "ext-id-4711"
    api_calls.clear()

    # With an MFA device: one GetSessionToken, and AssumeRole from GetSessionToken credentials is chaining:
    # at most 3600 seconds are asked for.
    options = CollectOptions(out_dir=str(tmp_path / "b"), org=True, role_name=ROLE, session_seconds=7200,
                             mfa_serial=f"arn:aws:iam::{MGMT}:mfa/analyst", mfa_token="123456",
                             external_id="ext-id-4711")
    result = collect_snapshot(options)
    assert len(result.accounts_collected) == 3
    ops = [op for _, op, _, _ in api_calls]
    assert ops.count("GetSessionToken") == 1
    assert [p["DurationSeconds"] for _, op, p, _ in api_calls if op == "AssumeRole"] == [3600, 3600]
    gst = next(p for _, op, p, _ in api_calls if op == "GetSessionToken")
    assert gst == {"SerialNumber": f"arn:aws:iam::{MGMT}:mfa/analyst", "TokenCode": "123456"}
    written = "".join(p.read_text() for p in (tmp_path / "b").rglob("*") if p.is_file())
    for secret in ("123456\"", "ext-id-4711", "testing"):
        assert secret not in written


def test_cli_collect(org, tmp_path, capsys):
    out = tmp_path / "cli"
    code = cli_main(["collect", "--out", str(out), "--org", "--role-name", ROLE, "--region", "us-east-1",
                     "--parallel", "2", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    result = json.loads(captured.out)
    assert len(result["accounts_collected"]) == 3 and result["gaps"] == []
    assert "Traceback" not in captured.err
    # plain lines on a non-terminal stderr, one per account
    assert captured.err.count("done ") == 3

    code = cli_main(["collect", "--out", str(out), "--org", "--role-name", ROLE])
    captured = capsys.readouterr()
    assert code == 0
    assert "3 already complete" in captured.out


def test_cli_lists_gaps_and_exits_0(org, tmp_path, capsys, monkeypatch):
    _deny_assume_into(monkeypatch, org["prod"])
    code = cli_main(["collect", "--out", str(tmp_path / "cli"), "--org", "--role-name", ROLE])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "collected: 2 account(s)" in captured.out and "1 failed" in captured.out
    assert f"  {org['prod']}  sts:AssumeRole arn:aws:iam::{org['prod']}:role/{ROLE}: AccessDenied" in captured.out
    assert f"FAILED {org['prod']}" in captured.err


def test_listed_accounts_without_an_organization(org, tmp_path, api_calls):
    result = collect_snapshot(CollectOptions(out_dir=str(tmp_path / "s"), role_name=ROLE,
                                             accounts=[org["dev"], MGMT]))
    assert sorted(result.accounts_collected) == sorted([org["dev"], MGMT])
    assert not (tmp_path / "s" / "organization.json").exists()
    assert not [op for svc, op, _, _ in api_calls if svc == "organizations"]
    assert [p["RoleArn"] for _, op, p, _ in api_calls if op == "AssumeRole"] == [
        f"arn:aws:iam::{org['dev']}:role/{ROLE}"]

