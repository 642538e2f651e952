"""The snapshot loader on well-formed input: the three accepted forms and everything the model holds."""
import gzip
import json
import shutil
from pathlib import Path

import pytest

from explorer.errors import SnapshotError
from explorer.snapshot import LoadCancelled, LoadReport, Snapshot, load_snapshot
from explorer.snapshot.loader import FORM_FOLDER, FORM_GAAD_FILE, FORM_GAAD_FOLDER

FIXTURES = Path(__file__).parent / "fixtures" / "loader"
BASIC = FIXTURES / "basic"
MGMT, PROD = "111122223333", "444455556666"
MGMT_GAAD = BASIC / "accounts" / MGMT / "authorization-details.json"
PROD_GAAD = BASIC / "accounts" / PROD / "authorization-details.json"


@pytest.fixture(scope="module")
def snap() -> Snapshot:
    return load_snapshot(BASIC)


def test_snapshot_folder_loads_without_errors(snap):
    assert snap.form == FORM_FOLDER
    assert snap.name == "basic"
    assert list(snap.accounts) == [MGMT, PROD]
    assert isinstance(snap.report, LoadReport)
    assert snap.report.errors == []
    assert snap.report.files_read == 8


def test_users_groups_and_their_policies(snap):
    alice = snap.principal(f"arn:aws:iam::{MGMT}:user/alice")
    assert alice is not None and alice.kind == "user"
    assert alice.user_id == "AIDAALICEEXAMPLE00001"
    assert alice.groups == ["admins"]
    assert alice.tags == {"team": "platform"}
    assert alice.create_date is not None and alice.create_date.year == 2024 and alice.create_date.tzinfo
    assert [p.name for p in alice.inline_policies] == ["assume-deploy"]
    assert alice.inline_policies[0].document["Statement"][0]["Action"] == "sts:AssumeRole"
    assert alice.inline_policies[0].source.endswith("#$.UserDetailList[0].UserPolicyList[0]")
    (ro,) = alice.attached_policies
    assert (ro.kind, ro.arn) == ("managed", f"arn:aws:iam::{MGMT}:policy/ReadOnlyS3")
    assert ro.document["Statement"][0]["Action"] == ["s3:Get*", "s3:List*"]
    boundary = alice.permissions_boundary
    assert boundary is not None and boundary.arn == f"arn:aws:iam::{MGMT}:policy/DevBoundary"
    assert boundary.document["Statement"][1]["Effect"] == "Deny"
    ci = snap.principal(f"arn:aws:iam::{MGMT}:user/ci/ci-bot")
    assert ci.path == "/ci/" and ci.permissions_boundary is None and ci.attached_policies == []

    admins = snap.group(MGMT, "admins")
    assert admins is not None and admins.group_id == "AGPAADMINSEXAMPLE0001"
    # inline group policy given as a JSON string
    assert admins.inline_policies[0].document["Statement"][0]["Effect"] == "Deny"
    assert admins.attached_policies[0].document == {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def test_roles(snap):
    web = snap.principal(f"arn:aws:iam::{MGMT}:role/web")
    assert web.kind == "role"
    assert web.trust_policy["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    assert web.instance_profiles == [f"arn:aws:iam::{MGMT}:instance-profile/web"]
    assert web.tags == {"app": "web"}
    assert (web.max_session_duration, web.max_session_duration_known) == (7200, True)
    assert web.description == "web servers"
    assert web.last_used is None
    org_role = snap.principal(f"arn:aws:iam::{MGMT}:role/OrganizationAccountAccessRole")
    assert org_role.last_used.isoformat() == "2026-01-10T08:00:00+00:00"
    assert org_role.last_used_region == "eu-west-1"
    assert not org_role.is_service_linked
    slr = snap.principal(f"arn:aws:iam::{MGMT}:role/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport")
    assert slr.is_service_linked
    # the default version (v2) of the AWS managed policy, not v1
    assert slr.attached_policies[0].document["Statement"][0]["Action"] == ["support:*"]
    assert snap.by_unique_id("AROAWEBEXAMPLE0000001") is web


def test_url_encoded_documents_of_the_raw_api_form(snap):
    deploy = snap.principal(f"arn:aws:iam::{PROD}:role/deploy")
    statement = deploy.trust_policy["Statement"][0]
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{MGMT}:user/alice"}
    assert statement["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    assert deploy.inline_policies[0].document["Statement"][0]["Resource"] == "arn:aws:s3:::prod-state/*"
    # managed policy with URL-encoded versions: the default one (v2) is used
    (deploy_policy,) = deploy.attached_policies
    assert deploy_policy.document["Statement"][0]["Action"] == ["cloudformation:*", "s3:PutObject"]
    assert snap.accounts[PROD].managed_policies[deploy_policy.arn].default_version_id == "v2"


def test_boundary_only_policy_missing_from_the_file_is_kept_with_a_warning(snap):
    deploy = snap.principal(f"arn:aws:iam::{PROD}:role/deploy")
    boundary = deploy.permissions_boundary
    assert boundary is not None
    assert boundary.arn == f"arn:aws:iam::{PROD}:policy/ProdBoundary" and boundary.document is None
    (warning,) = [w for w in snap.report.warnings if "ProdBoundary" in w.message]
    assert warning.file == f"accounts/{PROD}/authorization-details.json"
    assert warning.where == "$.RoleDetailList[0].PermissionsBoundary"


def test_max_session_duration_unknown_without_roles_json(snap):
    deploy = snap.principal(f"arn:aws:iam::{PROD}:role/deploy")
    assert (deploy.max_session_duration, deploy.max_session_duration_known) == (3600, False)
    assert any("no roles.json" in w.message and PROD in w.message for w in snap.report.warnings)


def test_managed_policies(snap):
    policies = snap.accounts[MGMT].managed_policies
    assert set(policies) == {f"arn:aws:iam::{MGMT}:policy/ReadOnlyS3", f"arn:aws:iam::{MGMT}:policy/DevBoundary",
                             "arn:aws:iam::aws:policy/AdministratorAccess",
                             "arn:aws:iam::aws:policy/aws-service-role/AWSSupportServiceRolePolicy"}
    boundary = policies[f"arn:aws:iam::{MGMT}:policy/DevBoundary"]
    assert boundary.permissions_boundary_usage_count == 1 and boundary.policy_id == "ANPADEVBOUNDARYEXAMP1"
    assert policies["arn:aws:iam::aws:policy/AdministratorAccess"].is_aws_managed


def test_identity_providers_and_resource_policies(snap):
    mgmt = snap.accounts[MGMT]
    (saml,) = mgmt.saml_providers.values()
    assert saml.arn.endswith(":saml-provider/Okta") and saml.valid_until.year == 2030
    (oidc,) = mgmt.oidc_providers.values()
    assert oidc.url == "token.actions.githubusercontent.com"  # taken from the ARN
    prod = snap.accounts[PROD]
    bucket = prod.resource_policies["arn:aws:s3:::prod-state"]
    assert bucket.service == "s3" and bucket.account_id == PROD
    assert bucket.extra == {"ObjectOwnership": "BucketOwnerEnforced"}
    assert bucket.policy["Statement"][0]["Effect"] == "Deny"  # JSON-string policy decoded
    key = snap.resource_policy(f"arn:aws:kms:eu-west-1:{PROD}:key/1234abcd-12ab-34cd-56ef-1234567890ab")
    assert key.service == "kms" and key.extra == {}


def test_organization(snap):
    org = snap.organization
    assert org.id == "o-abc123" and org.master_account_id == MGMT
    assert snap.accounts[MGMT].name == "management" and snap.accounts[PROD].name == "prod"
    assert org.path_of(PROD) == ["r-ab12", "ou-ab12-11111111", "ou-ab12-22222222", PROD]
    assert org.ou_path_names(PROD) == ["Root", "Workloads", "Prod"]
    levels = org.scp_levels(PROD)
    assert [[p.name for p in level] for level in levels] == [
        ["FullAWSAccess"], ["FullAWSAccess", "DenyLeave"], ["FullAWSAccess"], ["FullAWSAccess"]]
    assert levels[1][1].document["Statement"][0]["Effect"] == "Deny"  # Content as a JSON string
    rcps = org.rcp_levels(PROD)
    assert [p.name for p in rcps[-1]] == ["RCPFullAWSAccess", "DenyExternalS3"]  # target given as an object
    assert snap.in_organization(MGMT) and org.is_management(MGMT)


def test_trail_events(snap):
    events = snap.trail_events
    assert [e.event_name for e in events] == ["AssumeRoleWithWebIdentity", "AssumeRole", "AssumeRoleWithSAML",
                                              "AssumeRole", "AssumeRole"]  # sorted by time, others ignored
    web_identity, user_assume, saml, service, failed = events
    assert web_identity.caller_identity_provider == "token.actions.githubusercontent.com"
    assert user_assume.caller_arn == f"arn:aws:iam::{MGMT}:user/alice"
    assert user_assume.role_arn == f"arn:aws:iam::{PROD}:role/deploy" and user_assume.session_name == "alice-deploy"
    assert saml.caller_identity_provider == f"arn:aws:iam::{MGMT}:saml-provider/Okta"
    assert (service.caller_type, service.caller_identity_provider) == ("AWSService", "ec2.amazonaws.com")
    assert failed.error_code == "AccessDenied"


def test_manifest_and_gaps(snap):
    manifest = snap.manifest
    assert manifest.collected_at.isoformat() == "2026-01-15T09:30:00+00:00"
    assert manifest.source == "manual"
    (gap,) = manifest.gaps
    assert (gap.account, gap.error) == (PROD, "AccessDenied")
    assert any(i.file == "manifest.json" and i.where == "$.gaps[0]" for i in snap.report.warnings)


def test_single_gaad_file():
    snap = load_snapshot(PROD_GAAD)
    assert snap.form == FORM_GAAD_FILE
    assert list(snap.accounts) == [PROD]
    assert snap.organization is None and snap.trail_events == []
    assert len(snap.accounts[PROD].roles) == 2
    assert snap.report.errors == []


def test_folder_of_gaad_files_with_any_names(tmp_path):
    shutil.copy(MGMT_GAAD, tmp_path / "mgmt-2026-01.json")
    shutil.copy(PROD_GAAD, tmp_path / "whatever.txt.json")
    shutil.copy(BASIC / "organization.json", tmp_path / "org.json")  # recognised by its content
    snap = load_snapshot(tmp_path)
    assert snap.form == FORM_GAAD_FOLDER
    assert list(snap.accounts) == [MGMT, PROD]
    assert snap.organization is not None and snap.accounts[PROD].name == "prod"
    assert snap.report.errors == []
    # a policy attached in one account's file resolves from that account
    alice = snap.principal(f"arn:aws:iam::{MGMT}:user/alice")
    assert alice.attached_policies[0].document is not None


def test_gzip_trail_files_and_trail_layout(tmp_path):
    root = tmp_path / "snap"
    shutil.copytree(BASIC, root)
    log = next((root / "cloudtrail").rglob("*.json"))
    with gzip.open(log.with_name(log.name + ".gz"), "wt") as fh:
        fh.write(log.read_text())
    log.unlink()
    digest = root / "cloudtrail" / "AWSLogs" / PROD / "CloudTrail-Digest" / "d.json.gz"
    digest.parent.mkdir(parents=True)
    with gzip.open(digest, "wt") as fh:
        fh.write(json.dumps({"digestStartTime": "x"}))
    snap = load_snapshot(root)
    assert len(snap.trail_events) == 5
    assert snap.report.errors == []


def test_progress_and_cancel():
    calls = []
    load_snapshot(BASIC, progress=lambda done, total, message: calls.append((done, total, message)))
    assert calls[-1][0] == calls[-1][1] == 8
    assert all(done <= total for done, total, _ in calls)
    with pytest.raises(LoadCancelled):
        load_snapshot(BASIC, cancel=lambda: True)
    assert issubclass(LoadCancelled, SnapshotError)


def test_merged_roles_json_fields_in_gaad(tmp_path):
    gaad = json.loads(PROD_GAAD.read_text())
    gaad["RoleDetailList"][0]["MaxSessionDuration"] = 43200
    path = tmp_path / "gaad.json"
    path.write_text(json.dumps(gaad))
    snap = load_snapshot(path)
    role = snap.principal(f"arn:aws:iam::{PROD}:role/deploy")
    assert (role.max_session_duration, role.max_session_duration_known) == (43200, True)


def test_same_aws_managed_document_is_shared_between_accounts(tmp_path):
    # AWS managed policies repeat in every account's file: one decoded document is kept per version.
    gaad = json.loads(MGMT_GAAD.read_text())
    other = json.loads(json.dumps(gaad).replace(MGMT, "999988887777"))
    (tmp_path / "a.json").write_text(json.dumps(gaad))
    (tmp_path / "b.json").write_text(json.dumps(other))
    snap = load_snapshot(tmp_path)
    arn = "arn:aws:iam::aws:policy/AdministratorAccess"
    first = snap.accounts[MGMT].managed_policies[arn].document
    second = snap.accounts["999988887777"].managed_policies[arn].document
    assert first == second and first is second


def test_account_files_directly_under_accounts_and_gaad_pages(tmp_path):
    root = tmp_path / "snap"
    (root / "accounts" / MGMT).mkdir(parents=True)
    shutil.copy(PROD_GAAD, root / "accounts" / f"{PROD}.json")
    doc = json.loads(MGMT_GAAD.read_text())
    page1 = dict(doc, RoleDetailList=[], IsTruncated=False)
    page2 = dict(doc, UserDetailList=[], GroupDetailList=[])
    (root / "accounts" / MGMT / "authorization-details.json").write_text(json.dumps(page1))
    (root / "accounts" / MGMT / "authorization-details-2.json").write_text(json.dumps(page2))
    snap = load_snapshot(root)
    assert snap.form == FORM_FOLDER
    assert len(snap.accounts[PROD].roles) == 2
    assert len(snap.accounts[MGMT].roles) == 3 and len(snap.accounts[MGMT].users) == 2
    assert snap.report.errors == []
    assert any("merged" in w.message for w in snap.report.warnings)


def test_account_alias_from_the_collector_manifest(tmp_path):
    copy = tmp_path / "snap"
    shutil.copytree(BASIC, copy)
    manifest_path = copy / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {"format": "iam-trust-snapshot"}
    manifest["accounts"] = {PROD: {"status": "complete", "alias": "example-prod"}, "999999999999": {"alias": "x"}}
    manifest_path.write_text(json.dumps(manifest))
    loaded = load_snapshot(copy)
    assert loaded.accounts[PROD].alias == "example-prod"
    assert loaded.manifest.account_aliases[PROD] == "example-prod"
    assert "999999999999" not in loaded.accounts
    assert loaded.report.errors == []
