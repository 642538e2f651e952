"""The collector against moto for one account: no organization (an --org run that cannot read one), and a named
profile with its own region."""
from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

pytest.importorskip("moto")
from moto import mock_aws  # noqa: E402

from conftest import set_fake_aws_environment  # noqa: E402
from explorer.collect import CollectOptions, collect_snapshot  # noqa: E402

MGMT = "123456789012"  # moto's default account
ROLE = "OrganizationAccountAccessRole"


def _policy(statement: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _read(path: Path):
    return json.loads(path.read_text())


@pytest.fixture
def aws_env(monkeypatch, tmp_path):
    set_fake_aws_environment(monkeypatch, tmp_path)


def test_org_that_cannot_be_read_is_a_gap(aws_env, tmp_path):
    with mock_aws():  # no organization at all
        boto3.client("iam").create_role(RoleName="Solo", AssumeRolePolicyDocument=_policy(
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MGMT}:root"}, "Action": "sts:AssumeRole"}))
        result = collect_snapshot(CollectOptions(out_dir=str(tmp_path / "s"), org=True, role_name=ROLE))
    assert result.accounts_collected == [MGMT]
    assert [g["what"].split(":")[0] for g in result.gaps] == ["organizations"]
    assert "AWSOrganizationsNotInUseException" in result.gaps[0]["error"]
    assert not (tmp_path / "s" / "organization.json").exists()
    gaad = _read(tmp_path / "s" / "accounts" / MGMT / "authorization-details.json")
    assert [r["RoleName"] for r in gaad["RoleDetailList"]] == ["Solo"]


def test_profile_and_its_region(aws_env, tmp_path, monkeypatch):
    (tmp_path / "config").write_text("[profile audit]\nregion = eu-west-1\n")
    (tmp_path / "credentials").write_text("[audit]\naws_access_key_id = AKIAPROFILE\n"
                                          "aws_secret_access_key = profile-secret\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with mock_aws():
        boto3.Session(profile_name="audit").client("sqs").create_queue(QueueName="eu-queue", Attributes={
            "Policy": _policy({"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": "*"})})
        result = collect_snapshot(CollectOptions(out_dir=str(tmp_path / "s"), profile="audit"))
    assert result.regions == ["eu-west-1", "us-east-1"] and result.accounts_collected == [MGMT]
    rp = _read(tmp_path / "s" / "accounts" / MGMT / "resource-policies.json")["ResourcePolicies"]
    assert [(p["Arn"], p["Region"]) for p in rp] == [(f"arn:aws:sqs:eu-west-1:{MGMT}:eu-queue", "eu-west-1")]
    written = "".join(p.read_text() for p in (tmp_path / "s").rglob("*") if p.is_file())
    assert "AKIAPROFILE" not in written and "profile-secret" not in written
