"""Bad input: each problem is reported with the file and the JSON path, only the broken item is skipped, and
SnapshotError is raised only when nothing at all can be loaded."""
import gzip
import json
import shutil
from pathlib import Path

import pytest

from explorer.errors import SnapshotError
from explorer.snapshot import load_snapshot

BASIC = Path(__file__).parent / "fixtures" / "loader" / "basic"
MGMT, PROD = "111122223333", "444455556666"
MGMT_FILE = f"accounts/{MGMT}/authorization-details.json"
PROD_FILE = f"accounts/{PROD}/authorization-details.json"


@pytest.fixture
def root(tmp_path) -> Path:
    target = tmp_path / "snap"
    shutil.copytree(BASIC, target)
    return target


def edit(root: Path, rel: str, change) -> None:
    path = root / rel
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


def issues_at(snap, file: str, where: str | None = None, severity: str | None = None):
    return [i for i in snap.report.issues if i.file == file and (where is None or i.where == where)
            and (severity is None or i.severity == severity)]


def test_malformed_json_skips_that_file_only(root):
    (root / PROD_FILE).write_text('{"RoleDetailList": [ {"RoleName": "x",, }')
    snap = load_snapshot(root)
    (issue,) = issues_at(snap, PROD_FILE, severity="error")
    assert "not valid JSON" in issue.message and "line 1 column" in issue.message
    assert issue.skipped == "file"
    assert len(snap.accounts[MGMT].roles) == 3
    # the account's other files still load, into the account the folder names
    assert snap.accounts[PROD].roles == {}
    assert "arn:aws:s3:::prod-state" in snap.accounts[PROD].resource_policies


def test_wrong_types_name_the_json_path(root):
    def change(doc):
        doc["RoleDetailList"][1]["AssumeRolePolicyDocument"] = 42
        doc["RoleDetailList"][0]["RolePolicyList"] = [{"PolicyName": "bad", "PolicyDocument": ["a"]},
                                                      {"PolicyName": "ok", "PolicyDocument": {"Statement": []}}]
        doc["RoleDetailList"][0]["Tags"] = "prod"
    edit(root, PROD_FILE, change)
    edit(root, MGMT_FILE, lambda d: d.update(UserDetailList={"alice": 1}))
    snap = load_snapshot(root)
    (trust,) = issues_at(snap, PROD_FILE, "$.RoleDetailList[1].AssumeRolePolicyDocument")
    assert trust.severity == "error" and "not a number" in trust.message
    assert f"{PROD_FILE} at $.RoleDetailList[1].AssumeRolePolicyDocument" in str(trust)
    github = snap.principal(f"arn:aws:iam::{PROD}:role/github-actions")
    assert github is not None and github.trust_policy is None  # the role stays, its trust is reported
    (inline,) = issues_at(snap, PROD_FILE, "$.RoleDetailList[0].RolePolicyList[0].PolicyDocument")
    assert "inline policy bad" in inline.skipped
    deploy = snap.principal(f"arn:aws:iam::{PROD}:role/deploy")
    assert [p.name for p in deploy.inline_policies] == ["ok"] and deploy.tags == {}
    assert issues_at(snap, PROD_FILE, "$.RoleDetailList[0].Tags", "warning")
    (users,) = issues_at(snap, MGMT_FILE, "$.UserDetailList")
    assert "expected a list" in users.message and snap.accounts[MGMT].users == {}
    assert len(snap.accounts[MGMT].roles) == 3


def test_missing_required_fields_skip_only_the_item(root):
    def change(doc):
        del doc["RoleDetailList"][0]["Arn"]
        del doc["UserDetailList"][1]["UserName"]
        del doc["Policies"][0]["PolicyVersionList"][0]["IsDefaultVersion"]
        doc["Policies"][0]["DefaultVersionId"] = "v9"
    edit(root, MGMT_FILE, change)
    snap = load_snapshot(root)
    (arn,) = issues_at(snap, MGMT_FILE, "$.RoleDetailList[0].Arn")
    assert arn.severity == "error" and "no Arn" in arn.message
    assert arn.skipped == "role OrganizationAccountAccessRole"
    assert len(snap.accounts[MGMT].roles) == 2
    # a missing name is taken from the ARN, with a warning
    assert snap.principal(f"arn:aws:iam::{MGMT}:user/ci/ci-bot").name == "ci-bot"
    assert issues_at(snap, MGMT_FILE, "$.UserDetailList[1].UserName", "warning")
    (version,) = issues_at(snap, MGMT_FILE, "$.Policies[0].PolicyVersionList")
    assert "IsDefaultVersion" in version.message
    # alice keeps her attachment to the policy whose document is unknown, and that is said too
    alice = snap.principal(f"arn:aws:iam::{MGMT}:user/alice")
    assert alice.attached_policies[0].document is None
    assert any("ReadOnlyS3" in w.message and "could not be read" in w.message for w in snap.report.warnings)


def test_policy_the_file_omits_is_kept_without_document(root):
    edit(root, MGMT_FILE, lambda d: d.update(Policies=[p for p in d["Policies"] if p["PolicyName"] != "ReadOnlyS3"]))
    snap = load_snapshot(root)
    ref = snap.principal(f"arn:aws:iam::{MGMT}:user/alice").attached_policies[0]
    assert ref.arn == f"arn:aws:iam::{MGMT}:policy/ReadOnlyS3" and ref.document is None
    (warning,) = issues_at(snap, MGMT_FILE, "$.UserDetailList[0].AttachedManagedPolicies[0]")
    assert warning.severity == "warning" and "does not hold it" in warning.message


def test_two_files_for_one_account_are_merged(tmp_path):
    doc = json.loads((BASIC / PROD_FILE).read_text())
    first = dict(doc, RoleDetailList=doc["RoleDetailList"][:1])
    second = dict(doc, RoleDetailList=doc["RoleDetailList"][1:], Policies=[])
    (tmp_path / "page1.json").write_text(json.dumps(first))
    (tmp_path / "page2.json").write_text(json.dumps(second))
    snap = load_snapshot(tmp_path)
    assert set(snap.accounts[PROD].roles) == {f"arn:aws:iam::{PROD}:role/deploy",
                                              f"arn:aws:iam::{PROD}:role/github-actions"}
    (merge,) = [w for w in snap.report.warnings if "merged" in w.message]
    assert merge.file == "page2.json" and "page1.json" in merge.message
    assert snap.accounts[PROD].source_files == ["page1.json", "page2.json"]


def test_duplicate_items_across_files_keep_the_first(tmp_path):
    doc = json.loads((BASIC / PROD_FILE).read_text())
    (tmp_path / "a.json").write_text(json.dumps(doc))
    (tmp_path / "b.json").write_text(json.dumps(doc))
    snap = load_snapshot(tmp_path)
    assert len(snap.accounts[PROD].roles) == 2
    assert any("already loaded" in w.message and w.file == "b.json" for w in snap.report.warnings)


def test_unknown_files_are_reported_and_skipped(root):
    (root / "notes.json").write_text("{}")
    (root / "accounts" / MGMT / "extra.json").write_text("{}")
    (root / "stuff").mkdir()
    snap = load_snapshot(root)
    for rel in ("notes.json", f"accounts/{MGMT}/extra.json", "stuff"):
        (issue,) = issues_at(snap, rel)
        assert issue.severity == "warning" and issue.skipped in ("file", "folder") and "unknown" in issue.message
    assert snap.report.errors == []


def test_folder_name_that_disagrees_with_the_arns(root):
    shutil.move(root / "accounts" / PROD, root / "accounts" / "999999999999")
    snap = load_snapshot(root)
    assert "999999999999" not in snap.accounts
    assert len(snap.accounts[PROD].roles) == 2
    assert "arn:aws:s3:::prod-state" in snap.accounts[PROD].resource_policies  # its other files follow
    (issue,) = [w for w in snap.report.warnings if "disagrees" in w.message]
    assert issue.file == "accounts/999999999999/authorization-details.json"
    assert "999999999999" in issue.message and f"using {PROD} (from the ARNs)" in issue.message


def test_folder_name_that_is_not_an_account_id(root):
    shutil.move(root / "accounts" / PROD, root / "accounts" / "prod")
    snap = load_snapshot(root)
    assert len(snap.accounts[PROD].roles) == 2
    assert any(i.file == "accounts/prod" and "12-digit" in i.message for i in snap.report.warnings)


def test_empty_file(root):
    (root / "organization.json").write_text("")
    (root / "accounts" / PROD / "resource-policies.json").write_text("  \n")
    snap = load_snapshot(root)
    assert snap.organization is None
    (issue,) = issues_at(snap, "organization.json", severity="error")
    assert issue.message == "the file is empty" and issue.skipped == "file"
    assert issues_at(snap, f"accounts/{PROD}/resource-policies.json", severity="error")
    assert len(snap.accounts) == 2


def test_binary_file(root):
    (root / MGMT_FILE).write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (root / "accounts" / MGMT / "roles.json").write_bytes(bytes(range(128, 256)))
    snap = load_snapshot(root)
    (issue,) = issues_at(snap, MGMT_FILE, severity="error")
    assert "binary" in issue.message
    (roles,) = issues_at(snap, f"accounts/{MGMT}/roles.json", severity="error")
    assert "not UTF-8" in roles.message
    assert len(snap.accounts[PROD].roles) == 2


def test_utf16_file_with_bom_is_read(tmp_path):
    text = (BASIC / PROD_FILE).read_text()
    (tmp_path / "gaad.json").write_bytes(text.encode("utf-16"))
    snap = load_snapshot(tmp_path / "gaad.json")
    assert len(snap.accounts[PROD].roles) == 2 and snap.report.errors == []


def test_truncated_gzip_and_bad_trail_records(root):
    log = next((root / "cloudtrail").rglob("*.json"))
    data = gzip.compress(log.read_bytes())
    (log.parent / "cut.json.gz").write_bytes(data[: len(data) // 2])
    edit(root, str(log.relative_to(root)), lambda d: d["Records"].extend([
        "not an event", {"eventName": "AssumeRole", "eventSource": "sts.amazonaws.com", "requestParameters": None}]))
    snap = load_snapshot(root)
    cut = [i for i in snap.report.errors if i.file.endswith("cut.json.gz")]
    assert cut and cut[0].skipped == "file"
    assert len(snap.trail_events) == 5
    (bad,) = [w for w in snap.report.warnings if w.file.startswith("cloudtrail/") and "2 record(s)" in w.message]
    assert bad.where == "$.Records[7]"


def test_truncated_gaad_page_is_flagged(root):
    edit(root, PROD_FILE, lambda d: d.update(IsTruncated=True, Marker="abc"))
    snap = load_snapshot(root)
    assert issues_at(snap, PROD_FILE, "$.IsTruncated", "warning")


def test_bad_roles_json_entries(root):
    def change(doc):
        doc["Roles"][1]["MaxSessionDuration"] = 100000
        doc["Roles"].append({"RoleName": "ghost", "Arn": f"arn:aws:iam::{MGMT}:role/ghost", "MaxSessionDuration": 3600})
        doc["Roles"].append(7)
    edit(root, f"accounts/{MGMT}/roles.json", change)
    snap = load_snapshot(root)
    web = snap.principal(f"arn:aws:iam::{MGMT}:role/web")
    assert (web.max_session_duration, web.max_session_duration_known) == (3600, False)
    rel = f"accounts/{MGMT}/roles.json"
    assert issues_at(snap, rel, "$.Roles[1].MaxSessionDuration", "warning")
    assert issues_at(snap, rel, "$.Roles[4]", "error")
    assert any("ghost" in i.message for i in issues_at(snap, rel, "$.Roles"))


def test_bad_organization_parts(root):
    def change(doc):
        doc["OrganizationalUnits"].append({"Id": "ou-loop-1", "Name": "A", "ParentId": "ou-loop-2"})
        doc["OrganizationalUnits"].append({"Id": "ou-loop-2", "Name": "B", "ParentId": "ou-loop-1"})
        doc["Policies"].append({"Id": "p-x", "Name": "X", "Type": "NOT_A_TYPE", "Content": {}, "Targets": []})
        doc["Policies"].append({"Id": "p-y", "Name": "Y", "Type": "SERVICE_CONTROL_POLICY",
                                "Content": "%7Bbroken", "Targets": ["r-ab12"]})
        doc["Policies"][1]["Targets"].append("ou-nowhere")
    edit(root, "organization.json", change)
    snap = load_snapshot(root)
    org = snap.organization
    assert org is not None and {p.name for p in org.policies} == {"FullAWSAccess", "DenyLeave", "DenyExternalS3"}
    assert issues_at(snap, "organization.json", "$.Policies[3].Type", "error")
    assert issues_at(snap, "organization.json", "$.Policies[4].Content", "error")
    assert issues_at(snap, "organization.json", "$.Policies[1].Targets[1]", "warning")
    assert any("loop" in i.message for i in snap.report.errors)
    assert org.path_of(PROD)[0] == "r-ab12"


def test_organization_without_management_account_is_skipped(root):
    edit(root, "organization.json", lambda d: d["Organization"].pop("MasterAccountId"))
    snap = load_snapshot(root)
    assert snap.organization is None
    assert issues_at(snap, "organization.json", "$.Organization.MasterAccountId", "error")


def test_bad_providers_and_resource_policies(root):
    edit(root, f"accounts/{MGMT}/identity-providers.json", lambda d: d["OpenIDConnectProviderList"].extend(
        [f"arn:aws:iam::{MGMT}:oidc-provider/example.com", 5, "arn:aws:s3:::nope"]))
    edit(root, f"accounts/{PROD}/resource-policies.json", lambda d: d["ResourcePolicies"].extend(
        [{"Arn": "arn:aws:sqs:eu-west-1:444455556666:q", "Policy": "{oops"}, {"Policy": {}}]))
    snap = load_snapshot(root)
    assert f"arn:aws:iam::{MGMT}:oidc-provider/example.com" in snap.accounts[MGMT].oidc_providers
    providers = f"accounts/{MGMT}/identity-providers.json"
    assert issues_at(snap, providers, "$.OpenIDConnectProviderList[2]", "error")
    assert issues_at(snap, providers, "$.OpenIDConnectProviderList[3]", "error")
    policies = f"accounts/{PROD}/resource-policies.json"
    assert issues_at(snap, policies, "$.ResourcePolicies[2].Policy", "error")
    assert issues_at(snap, policies, "$.ResourcePolicies[3].Arn", "error")
    assert len(snap.accounts[PROD].resource_policies) == 2


def test_missing_authorization_details_in_an_account_folder(root):
    (root / MGMT_FILE).unlink()
    snap = load_snapshot(root)
    (issue,) = issues_at(snap, f"accounts/{MGMT}", severity="error")
    assert "authorization-details.json is missing" in issue.message
    assert snap.accounts[MGMT].roles == {}
    assert snap.accounts[MGMT].saml_providers  # the folder's other files still count


# --- nothing loadable: SnapshotError --------------------------------------------------------------------------

def test_missing_path():
    with pytest.raises(SnapshotError, match="no such file or folder"):
        load_snapshot("does/not/exist")


def test_empty_folder(tmp_path):
    with pytest.raises(SnapshotError, match="no account could be loaded"):
        load_snapshot(tmp_path)


def test_folder_of_garbage_names_the_files(tmp_path):
    (tmp_path / "a.json").write_text("{")
    (tmp_path / "b.json").write_bytes(b"\x00\x01")
    with pytest.raises(SnapshotError) as info:
        load_snapshot(tmp_path)
    assert "a.json" in str(info.value) and "b.json" in str(info.value)


def test_single_file_that_is_not_gaad(tmp_path):
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"Roles": []}))
    with pytest.raises(SnapshotError, match="not a get-account-authorization-details output"):
        load_snapshot(path)


def test_gaad_without_any_arn(tmp_path):
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"UserDetailList": [], "RoleDetailList": [], "GroupDetailList": [], "Policies": []}))
    with pytest.raises(SnapshotError, match="no ARN"):
        load_snapshot(path)
