"""The bundled demo organization (resources/demo-org): valid files in the documented shapes, reproducible from
resources/make_demo_org.py, and holding every planted item its README lists."""
from __future__ import annotations

import gzip
import importlib.util
import json
import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from conftest import DEMO_ORG, ROOT

ACCOUNTS = ["111111111111", "222222222222", "333333333333", "444444444444", "555555555555", "666666666666",
            "777777777777", "888888888888"]
ORG_ID = "o-exmplcorp01"


def _load_script():
    spec = importlib.util.spec_from_file_location("make_demo_org", ROOT / "resources" / "make_demo_org.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _read(path: Path):
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    return json.loads(data)


def _decode(value) -> dict:
    """The three accepted encodings of a policy document."""
    if isinstance(value, dict):
        return value
    assert isinstance(value, str)
    text = unquote(value) if value.startswith("%") else value
    out = json.loads(text)
    assert isinstance(out, dict)
    return out


def _statements(document) -> list[dict]:
    st = _decode(document)["Statement"]
    return st if isinstance(st, list) else [st]


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


@pytest.fixture(scope="module")
def gaad() -> dict[str, dict]:
    return {a: _read(DEMO_ORG / "accounts" / a / "authorization-details.json") for a in ACCOUNTS}


@pytest.fixture(scope="module")
def roles(gaad) -> dict[str, dict]:
    return {r["Arn"]: r for d in gaad.values() for r in d["RoleDetailList"]}


@pytest.fixture(scope="module")
def users(gaad) -> dict[str, dict]:
    return {u["Arn"]: u for d in gaad.values() for u in d["UserDetailList"]}


@pytest.fixture(scope="module")
def org() -> dict:
    return _read(DEMO_ORG / "organization.json")


@pytest.fixture(scope="module")
def resource_policies() -> dict[str, dict]:
    out = {}
    for a in ACCOUNTS:
        f = DEMO_ORG / "accounts" / a / "resource-policies.json"
        if f.exists():
            for item in _read(f)["ResourcePolicies"]:
                out[item["Arn"]] = item
    return out


@pytest.fixture(scope="module")
def trail() -> list[tuple[str, int, dict]]:
    out = []
    for f in sorted((DEMO_ORG / "cloudtrail").iterdir()):
        for i, rec in enumerate(_read(f)["Records"]):
            out.append((f.name, i, rec))
    return out


def _policy_doc(gaad_doc: dict, arn: str) -> dict:
    for p in gaad_doc["Policies"]:
        if p["Arn"] == arn:
            return _decode(next(v["Document"] for v in p["PolicyVersionList"] if v["IsDefaultVersion"]))
    raise AssertionError(f"policy {arn} not in Policies")


def _identity_statements(gaad_doc: dict, item: dict, groups: bool = True) -> list[dict]:
    """Every statement of a principal's inline and attached policies (and its groups' for a user)."""
    out = []
    for key in ("RolePolicyList", "UserPolicyList", "GroupPolicyList"):
        for p in item.get(key, []):
            out += _statements(p["PolicyDocument"])
    for ref in item["AttachedManagedPolicies"]:
        out += _as_list(_policy_doc(gaad_doc, ref["PolicyArn"])["Statement"])
    if groups:
        for gname in item.get("GroupList", []):
            group = next(g for g in gaad_doc["GroupDetailList"] if g["GroupName"] == gname)
            out += _identity_statements(gaad_doc, group, groups=False)
    return out


def _allows_assume(statements: list[dict], role_arn: str) -> bool:
    """A plain (wildcard-aware, condition-free) check that some Allow names sts:AssumeRole on the role."""
    def match(pattern: str, value: str) -> bool:
        return re.fullmatch(re.escape(pattern).replace(r"\*", ".*").replace(r"\?", "."), value, re.I) is not None

    for s in statements:
        if s["Effect"] != "Allow" or "Action" not in s:
            continue
        if any(match(a, "sts:AssumeRole") for a in _as_list(s["Action"])) and \
                any(match(r, role_arn) for r in _as_list(s["Resource"])):
            return True
    return False


# --------------------------------------------------------------------------------------------------------
# Files and shapes
# --------------------------------------------------------------------------------------------------------
def test_folder_layout():
    assert (DEMO_ORG / "manifest.json").is_file()
    assert (DEMO_ORG / "organization.json").is_file()
    assert sorted(p.name for p in (DEMO_ORG / "accounts").iterdir()) == ACCOUNTS
    for a in ACCOUNTS:
        assert (DEMO_ORG / "accounts" / a / "authorization-details.json").is_file()
    names = sorted(p.name for p in (DEMO_ORG / "cloudtrail").iterdir())
    assert len(names) == 3 and sum(n.endswith(".json.gz") for n in names) == 1
    assert all(n.endswith(".json") or n.endswith(".json.gz") for n in names)


def test_every_file_is_pretty_sorted_json():
    for path in DEMO_ORG.rglob("*.json"):
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
        assert text == json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n", path


def test_manifest_shape():
    m = _read(DEMO_ORG / "manifest.json")
    assert m["format"] == "iam-trust-snapshot" and m["version"] == 1
    assert m["collected_at"] == "2026-11-20T09:00:00Z" and m["source"] == "demo" and m["partition"] == "aws"
    assert m["gaps"] == [{"account": "555555555555", "what": "resource-policies", "error": m["gaps"][0]["error"]}]
    assert not (DEMO_ORG / "accounts" / "555555555555" / "resource-policies.json").exists()


def test_organization_shape(org):
    assert org["Organization"]["Id"] == ORG_ID and org["Organization"]["MasterAccountId"] == "111111111111"
    root_id = org["Roots"][0]["Id"]
    ous = {o["Id"]: o for o in org["OrganizationalUnits"]}
    assert {o["Name"] for o in ous.values()} == {"Security", "Infrastructure", "Workloads", "Prod", "Dev", "Sandbox"}
    for o in ous.values():
        assert o["ParentId"] == root_id or o["ParentId"] in ous
    accts = {a["Id"]: a for a in org["Accounts"]}
    assert sorted(accts) == ACCOUNTS and all(a["Name"] for a in accts.values())
    assert all(a["ParentId"] == root_id or a["ParentId"] in ous for a in accts.values())
    targets = {root_id, *ous, *accts}
    for p in org["Policies"]:
        assert p["Type"] in ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY")
        assert set(p["Targets"]) <= targets and p["Targets"]
        _decode(p["Content"])
    full = next(p for p in org["Policies"] if p["Name"] == "FullAWSAccess")
    assert set(full["Targets"]) == targets
    rcp_full = next(p for p in org["Policies"] if p["Name"] == "RCPFullAWSAccess")
    assert set(rcp_full["Targets"]) == targets


def test_gaad_shapes(gaad):
    for acct, d in gaad.items():
        assert set(d) == {"UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"}
        policy_arns = {p["Arn"] for p in d["Policies"]}
        for p in d["Policies"]:
            defaults = [v for v in p["PolicyVersionList"] if v["IsDefaultVersion"]]
            assert len(defaults) == 1 and defaults[0]["VersionId"] == p["DefaultVersionId"], p["Arn"]
            for v in p["PolicyVersionList"]:
                assert _decode(v["Document"])["Version"] == "2012-10-17"
            assert p["AttachmentCount"] + p["PermissionsBoundaryUsageCount"] > 0, p["Arn"]
        for r in d["RoleDetailList"]:
            assert r["Arn"] == f"arn:aws:iam::{acct}:role{r['Path']}{r['RoleName']}"
            assert re.fullmatch(r"AROA[A-Z0-9]{17}", r["RoleId"])
            assert _statements(r["AssumeRolePolicyDocument"])
            assert isinstance(r["RoleLastUsed"], dict) and isinstance(r["InstanceProfileList"], list)
            for p in r["RolePolicyList"]:
                assert _statements(p["PolicyDocument"])
        for item in d["UserDetailList"] + d["GroupDetailList"] + d["RoleDetailList"]:
            for ref in item["AttachedManagedPolicies"]:
                assert ref["PolicyArn"] in policy_arns, (acct, ref)
            if "PermissionsBoundary" in item:
                assert item["PermissionsBoundary"]["PermissionsBoundaryType"] == "Policy"
                assert item["PermissionsBoundary"]["PermissionsBoundaryArn"] in policy_arns
        group_names = {g["GroupName"] for g in d["GroupDetailList"]}
        for u in d["UserDetailList"]:
            assert set(u["GroupList"]) <= group_names
            assert re.fullmatch(r"AIDA[A-Z0-9]{17}", u["UserId"])


def test_unique_ids_are_unique(gaad):
    ids = [r["RoleId"] for d in gaad.values() for r in d["RoleDetailList"]]
    ids += [u["UserId"] for d in gaad.values() for u in d["UserDetailList"]]
    assert len(ids) == len(set(ids))


def test_roles_json_matches_gaad(gaad):
    for acct, d in gaad.items():
        f = DEMO_ORG / "accounts" / acct / "roles.json"
        if acct == "888888888888":
            assert not f.exists()
            continue
        listed = {r["Arn"]: r for r in _read(f)["Roles"]}
        assert set(listed) == {r["Arn"] for r in d["RoleDetailList"]}
        for r in d["RoleDetailList"]:
            assert 3600 <= listed[r["Arn"]]["MaxSessionDuration"] <= 43200
            assert listed[r["Arn"]]["RoleId"] == r["RoleId"]


def test_identity_providers_and_resource_policies_shapes(resource_policies):
    for acct in ACCOUNTS:
        f = DEMO_ORG / "accounts" / acct / "identity-providers.json"
        if f.exists():
            d = _read(f)
            assert set(d) == {"SAMLProviderList", "OpenIDConnectProviderList"}
            for p in d["SAMLProviderList"] + d["OpenIDConnectProviderList"]:
                assert p["Arn"].startswith(f"arn:aws:iam::{acct}:")
    assert len(resource_policies) == 8
    for arn, item in resource_policies.items():
        assert _statements(item["Policy"])


def test_cloudtrail_records_shape(trail):
    assert len(trail) == 17
    for name, i, rec in trail:
        assert rec["eventSource"] == "sts.amazonaws.com"
        assert rec["eventName"] in ("AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity")
        assert rec["requestParameters"]["roleArn"].startswith("arn:aws:iam::")
        assert "type" in rec["userIdentity"] and rec["recipientAccountId"] in ACCOUNTS
        if "errorCode" in rec:
            assert rec["responseElements"] is None
        else:
            assumed = rec["responseElements"]["assumedRoleUser"]["arn"]
            assert assumed.startswith("arn:aws:sts::") and "/" + rec["requestParameters"]["roleSessionName"] in assumed


# --------------------------------------------------------------------------------------------------------
# Reproducible
# --------------------------------------------------------------------------------------------------------
def test_regenerating_gives_identical_files(tmp_path):
    module = _load_script()
    module.write_demo_org(tmp_path / "a")
    module.write_demo_org(tmp_path / "b")
    ours = sorted(p.relative_to(DEMO_ORG).as_posix() for p in DEMO_ORG.rglob("*") if p.is_file()
                  and p.name != "README.md")
    new = sorted(p.relative_to(tmp_path / "a").as_posix() for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert ours == new
    for rel in ours:
        assert (tmp_path / "a" / rel).read_bytes() == (DEMO_ORG / rel).read_bytes(), rel
        assert (tmp_path / "b" / rel).read_bytes() == (DEMO_ORG / rel).read_bytes(), rel


def test_regenerating_keeps_the_readme(tmp_path):
    module = _load_script()
    (tmp_path / "README.md").write_text("kept")
    (tmp_path / "accounts" / "000000000000").mkdir(parents=True)
    module.write_demo_org(tmp_path)
    assert (tmp_path / "README.md").read_text() == "kept"
    assert not (tmp_path / "accounts" / "000000000000").exists()


# --------------------------------------------------------------------------------------------------------
# Planted items (README)
# --------------------------------------------------------------------------------------------------------
README_ABSENT = {  # ARNs the README names that are deliberately not principals/resources of the snapshot
    "arn:aws:iam::444444444444:role/terraform-state-legacy",  # C13: not in the snapshot
    "arn:aws:iam::999999999999:root", "arn:aws:iam::210987654321:root",  # outside accounts
}


def test_every_arn_in_the_readme_exists(gaad, roles, users, resource_policies, org):
    text = (DEMO_ORG / "README.md").read_text(encoding="utf-8")
    arns = set(re.findall(r"`(arn:aws:[^`]+)`", text))
    assert len(arns) > 60
    known = set(roles) | set(users) | set(resource_policies) | README_ABSENT
    for d in gaad.values():
        known |= {g["Arn"] for g in d["GroupDetailList"]} | {p["Arn"] for p in d["Policies"]}
        for r in d["RoleDetailList"]:
            known |= {ip["Arn"] for ip in r["InstanceProfileList"]}
    for a in ACCOUNTS:
        known.add(f"arn:aws:iam::{a}:root")
        f = DEMO_ORG / "accounts" / a / "identity-providers.json"
        if f.exists():
            d = _read(f)
            known |= {p["Arn"] for p in d["SAMLProviderList"] + d["OpenIDConnectProviderList"]}
    for arn in sorted(arns):
        if "*" in arn or "<" in arn or "…" in arn:
            continue
        session = re.fullmatch(r"arn:aws:sts::(\d{12}):assumed-role/([^/]+)/.+", arn)
        if session:  # a role session: its role must exist
            assert any(a.split(":")[4] == session[1] and a.endswith("/" + session[2]) for a in roles), arn
            continue
        assert arn in known, f"README names {arn}, which the demo organization does not hold"


def test_readme_lists_every_role_kind_and_counts(gaad, roles, users):
    text = (DEMO_ORG / "README.md").read_text(encoding="utf-8")
    assert f"{len(roles)} roles" in text and f"{len(users)} users" in text
    ids = re.findall(r"^\| (D\d\d) \|", text, re.M)
    assert ids == [f"D{i:02d}" for i in range(1, len(ids) + 1)] and len(ids) >= 30
    events = re.findall(r"^\| (C\d\d) \|", text, re.M)
    assert events == [f"C{i:02d}" for i in range(1, 18)]


def test_d06_break_glass_scp_and_d08_admin_chain(gaad, roles, users, org):
    chain = ["arn:aws:iam::222222222222:user/people/alice.nguyen", "arn:aws:iam::222222222222:role/SecurityAdmin",
             "arn:aws:iam::444444444444:role/InfraAdmin", "arn:aws:iam::666666666666:role/ProdAdmin",
             "arn:aws:iam::666666666666:role/BreakGlassAdmin"]
    assert len({a.split(":")[4] for a in chain[1:]}) == 3
    for caller, target in zip(chain, chain[1:]):
        caller_acct = caller.split(":")[4]
        item = users.get(caller) or roles[caller]
        assert _allows_assume(_identity_statements(gaad[caller_acct], item), target), (caller, target)
        trusted = [p for s in _statements(roles[target]["AssumeRolePolicyDocument"])
                   for p in _as_list(s["Principal"].get("AWS", []))]
        assert caller in trusted or f"arn:aws:iam::{caller_acct}:root" in trusted, (caller, target)
    first = _statements(roles[chain[1]]["AssumeRolePolicyDocument"])[0]
    assert first["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    listed = {r["Arn"]: r for r in _read(DEMO_ORG / "accounts/666666666666/roles.json")["Roles"]}
    assert listed[chain[-1]]["MaxSessionDuration"] == 43200
    assert roles[chain[-1]]["AttachedManagedPolicies"][0]["PolicyName"] == "AdministratorAccess"
    scp = next(p for p in org["Policies"] if p["Name"] == "RestrictBreakGlass")
    assert scp["Targets"] == ["ou-ex01-prod0001"]
    (s,) = _statements(scp["Content"])
    assert s["Effect"] == "Deny" and s["Condition"]["ArnNotLike"]["aws:PrincipalArn"].endswith(":role/ProdAdmin")
    deploy = roles["arn:aws:iam::666666666666:role/ProdDeploy"]
    assert _allows_assume(_identity_statements(gaad["666666666666"], deploy), chain[-1])


def test_d07_rcp_and_d03_d04_d05_scps(org):
    by_name = {p["Name"]: p for p in org["Policies"]}
    rcp = by_name["DataPerimeterIdentities"]
    assert rcp["Type"] == "RESOURCE_CONTROL_POLICY" and rcp["Targets"] == ["r-ex01"]
    (s,) = _statements(rcp["Content"])
    assert s["Effect"] == "Deny" and s["Principal"] == "*" and "sts:AssumeRole" in s["Action"]
    assert s["Condition"]["StringNotEqualsIfExists"] == {"aws:PrincipalOrgID": ORG_ID,
                                                          "aws:PrincipalAccount": ["999999999999"]}
    assert s["Condition"]["BoolIfExists"] == {"aws:PrincipalIsAWSService": "false"}
    assert isinstance(by_name["SandboxGuardrails"]["Content"], str)
    assert by_name["SandboxGuardrails"]["Targets"] == ["ou-ex01-sandbox1"]
    sids = {s["Sid"] for s in _statements(by_name["SandboxGuardrails"]["Content"])}
    assert sids == {"DenyLeavingTheOrganization", "DenyIamUsers", "DenyOutsideApprovedRegions"}
    assert by_name["ProtectSecurityRoles"]["Targets"] == ["ou-ex01-workload"]
    assert by_name["BaselineGuardrails"]["Targets"] == ["r-ex01"]


def test_d09_to_d16_trust_patterns(roles):
    def trust(arn):
        return _statements(roles[arn]["AssumeRolePolicyDocument"])

    for acct in ACCOUNTS[1:]:
        (s,) = trust(f"arn:aws:iam::{acct}:role/security/SecurityAuditor")
        assert s["Principal"] == {"AWS": "arn:aws:iam::222222222222:root"}
        assert s["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    (s,) = trust("arn:aws:iam::666666666666:role/AcmeMonitoringIntegration")
    assert s["Condition"] == {"StringEquals": {"sts:ExternalId": "ExampleCorp-7f3a9c2e"}}
    (s,) = trust("arn:aws:iam::444444444444:role/AcmeCostExplorerReadOnly")
    assert s["Principal"] == {"AWS": "arn:aws:iam::999999999999:root"} and "Condition" not in s
    for arn in ("arn:aws:iam::111111111111:role/okta/OrgAdmin", "arn:aws:iam::222222222222:role/okta/SecurityEngineer",
                "arn:aws:iam::777777777777:role/okta/Developer"):
        (s,) = trust(arn)
        assert s["Principal"]["Federated"] == f"arn:aws:iam::{arn.split(':')[4]}:saml-provider/ExampleCorpOkta"
        assert "sts:AssumeRoleWithSAML" in s["Action"]
    gh = "token.actions.githubusercontent.com"
    (s,) = trust("arn:aws:iam::444444444444:role/github-actions-infra-deploy")
    assert s["Condition"]["StringEquals"] == {f"{gh}:aud": "sts.amazonaws.com",
                                              f"{gh}:sub": "repo:example-corp/infra:ref:refs/heads/main"}
    (s,) = trust("arn:aws:iam::777777777777:role/github-actions-dev")
    assert s["Condition"]["StringLike"] == {f"{gh}:sub": "repo:*"}
    (s,) = trust("arn:aws:iam::888888888888:role/github-actions-sandbox")
    assert s["Condition"] == {"StringEquals": {f"{gh}:aud": "sts.amazonaws.com"}}
    (s,) = trust("arn:aws:iam::444444444444:role/ArtifactReader")
    assert s["Principal"] == {"AWS": "*"} and s["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}


def test_d18_boundary_with_two_versions(gaad, roles):
    dev = gaad["777777777777"]
    boundary = next(p for p in dev["Policies"] if p["PolicyName"] == "DeveloperBoundary")
    assert boundary["PermissionsBoundaryUsageCount"] == 2 and boundary["DefaultVersionId"] == "v2"
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in boundary["PolicyVersionList"]] == [("v2", True),
                                                                                                ("v1", False)]
    for arn in ("arn:aws:iam::777777777777:role/okta/Developer", "arn:aws:iam::777777777777:role/github-actions-dev"):
        assert roles[arn]["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary["Arn"]


def test_d19_users_named_in_trust(gaad, roles, users):
    (s,) = _statements(roles["arn:aws:iam::222222222222:role/IncidentResponder"]["AssumeRolePolicyDocument"])
    assert s["Principal"]["AWS"] == ["arn:aws:iam::222222222222:user/people/bob.martin",
                                     "arn:aws:iam::222222222222:user/people/dave.contractor"]
    dave = users["arn:aws:iam::222222222222:user/people/dave.contractor"]
    boundary = _policy_doc(gaad["222222222222"], dave["PermissionsBoundary"]["PermissionsBoundaryArn"])
    assert not _allows_assume(_as_list(boundary["Statement"]), "arn:aws:iam::222222222222:role/IncidentResponder")


def test_d20_revoked_sessions(roles):
    role = roles["arn:aws:iam::666666666666:role/ProdDeploy"]
    revoke = next(p for p in role["RolePolicyList"] if p["PolicyName"] == "AWSRevokeOlderSessions")
    (s,) = _statements(revoke["PolicyDocument"])
    assert s == {"Effect": "Deny", "Action": "*", "Resource": "*",
                 "Condition": {"DateLessThan": {"aws:TokenIssueTime": "2026-10-01T00:00:00Z"}}}


def test_d21_d22_service_and_service_linked_roles(roles):
    ec2 = roles["arn:aws:iam::666666666666:role/app-server-ec2"]
    assert ec2["InstanceProfileList"][0]["Arn"] == "arn:aws:iam::666666666666:instance-profile/app-server-ec2"
    assert _statements(ec2["AssumeRolePolicyDocument"])[0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    lam = roles["arn:aws:iam::666666666666:role/service-role/order-processor-lambda"]
    assert _statements(lam["AssumeRolePolicyDocument"])[0]["Principal"] == {"Service": "lambda.amazonaws.com"}
    slr = [a for a, r in roles.items() if r["Path"].startswith("/aws-service-role/")]
    assert len(slr) == 9
    assert "arn:aws:iam::111111111111:role/aws-service-role/organizations.amazonaws.com/" \
           "AWSServiceRoleForOrganizations" in slr


def test_d23_dangling_unique_id(roles):
    (s,) = _statements(roles["arn:aws:iam::333333333333:role/LogArchiveAdmin"]["AssumeRolePolicyDocument"])
    assert "AROA4OLDDELETEDROLE42" in s["Principal"]["AWS"]
    assert "AROA4OLDDELETEDROLE42" not in {r["RoleId"] for r in roles.values()}


def test_d24_never_used_roles(roles):
    unused = sorted(a for a, r in roles.items() if not r["RoleLastUsed"])
    assert unused == ["arn:aws:iam::333333333333:role/LegacyAuditAccess",
                      "arn:aws:iam::777777777777:role/ContractorAccess"]
    old = [a for a, r in roles.items() if r["RoleLastUsed"] and r["RoleLastUsed"]["LastUsedDate"] < "2025-06"]
    assert "arn:aws:iam::444444444444:role/AcmeCostExplorerReadOnly" in old


def test_d25_d26_bucket_and_key_policies(resource_policies):
    logs = resource_policies["arn:aws:s3:::example-corp-app-logs"]
    assert logs["ObjectOwnership"] == "BucketOwnerEnforced"
    assert _statements(logs["Policy"])[0]["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}
    legacy = resource_policies["arn:aws:s3:::example-corp-legacy-exports"]
    assert legacy["ObjectOwnership"] == "ObjectWriter"
    (s,) = _statements(legacy["Policy"])
    assert "Condition" not in s and "arn:aws:iam::999999999999:root" in s["Principal"]["AWS"]
    key = resource_policies["arn:aws:kms:eu-west-1:333333333333:key/1f2e3d4c-5b6a-4789-8a0b-1c2d3e4f5a6b"]
    by_sid = {s["Sid"]: s for s in _statements(key["Policy"])}
    assert by_sid["Enable IAM User Permissions"]["Principal"] == {"AWS": "arn:aws:iam::333333333333:root"}
    grant = by_sid["Allow use of the key by prod and shared-services"]
    assert grant["Principal"]["AWS"] == ["arn:aws:iam::666666666666:root", "arn:aws:iam::444444444444:role/InfraAdmin"]


def test_d27_mfa_policies_correct_and_mistaken(gaad):
    sec = gaad["222222222222"]
    force = _policy_doc(sec, "arn:aws:iam::222222222222:policy/ForceMFA")
    deny = next(s for s in force["Statement"] if s["Effect"] == "Deny")
    assert deny["Condition"] == {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
    auditors = next(g for g in sec["GroupDetailList"] if g["GroupName"] == "Auditors")
    raw = next(p for p in auditors["GroupPolicyList"] if p["PolicyName"] == "RequireMFA")["PolicyDocument"]
    assert isinstance(raw, str) and not raw.startswith("%")  # a JSON string
    (s,) = _statements(raw)
    assert s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "false"}}


def test_d33_encodings(gaad):
    raw = json.loads((DEMO_ORG / "accounts/111111111111/authorization-details.json").read_text())
    docs = [r["AssumeRolePolicyDocument"] for r in raw["RoleDetailList"]]
    docs += [v["Document"] for p in raw["Policies"] for v in p["PolicyVersionList"]]
    assert docs and all(isinstance(d, str) and d.startswith("%7B") for d in docs)


def test_cloudtrail_unexplained_and_refused_events(trail, roles):
    by_id = {(name[:12], i): rec for name, i, rec in trail}
    c12 = by_id[("666666666666", 6)]
    assert c12["requestParameters"]["roleArn"] == "arn:aws:iam::333333333333:role/LogArchiveAdmin"
    caller_role = c12["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"]
    (s,) = _statements(roles["arn:aws:iam::333333333333:role/LogArchiveAdmin"]["AssumeRolePolicyDocument"])
    assert caller_role not in s["Principal"]["AWS"] and "arn:aws:iam::666666666666:root" not in s["Principal"]["AWS"]
    assert "errorCode" not in c12
    c13 = by_id[("666666666666", 7)]
    assert c13["requestParameters"]["roleArn"] not in roles and "errorCode" not in c13
    assert by_id[("666666666666", 8)]["errorCode"] == "AccessDenied"
    assert by_id[("777777777777", 2)]["errorCode"] == "AccessDenied"
    assert by_id[("222222222222", 4)]["errorCode"] == "ValidationError"
    names = {rec["eventName"] for _, _, rec in trail}
    assert names == {"AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity"}


# --------------------------------------------------------------------------------------------------------
# Through the project's loader
# --------------------------------------------------------------------------------------------------------
def test_loads_without_errors():
    snapshot = pytest.importorskip("explorer.snapshot")
    snap = snapshot.load_snapshot(DEMO_ORG)
    assert not snap.report.errors, [str(i) for i in snap.report.errors]
    warnings = [str(i) for i in snap.report.warnings]
    assert len(warnings) == 2, warnings
    assert any("888888888888" in w for w in warnings) and any("555555555555" in w for w in warnings)
    assert len(snap.accounts) == 8 and sum(1 for _ in snap.roles()) == 46 and sum(1 for _ in snap.users()) == 5
    assert len(snap.trail_events) == 17
    assert snap.organization is not None and snap.organization.id == ORG_ID
    assert snap.account_name("666666666666") == "workloads-prod"
    bg = snap.principal("arn:aws:iam::666666666666:role/BreakGlassAdmin")
    assert bg.max_session_duration == 43200 and bg.max_session_duration_known
    sandbox = snap.principal("arn:aws:iam::888888888888:role/github-actions-sandbox")
    assert sandbox.max_session_duration == 3600 and not sandbox.max_session_duration_known
    boundary = snap.principal("arn:aws:iam::777777777777:role/okta/Developer").permissions_boundary
    assert boundary.document is not None and boundary.document["Statement"][0]["Sid"].startswith("Everything")
    # every policy document decoded, whatever its encoding in the files
    for role in snap.roles():
        assert isinstance(role.trust_policy, dict)
        for ref in role.inline_policies + role.attached_policies:
            assert isinstance(ref.document, dict), (role.arn, ref.name)
    assert snap.by_unique_id("AROA4OLDDELETEDROLE42") is None
    assert snap.resource_policy("arn:aws:s3:::example-corp-legacy-exports").extra["ObjectOwnership"] == "ObjectWriter"
