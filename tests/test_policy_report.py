"""Problems of policy documents become load issues naming the file, the JSON path of the statement, the policy and
its owner (explorer.graph.policy_report.policy_issues)."""
from __future__ import annotations

import json
import re

import pytest

from conftest import DEMO_ORG
from explorer.graph import build_trust_graph
from explorer.graph.policy_report import cached_policy_issues, policy_issues
from explorer.snapshot import load_snapshot

SECURITY = "accounts/222222222222/authorization-details.json"
SHARED = "accounts/444444444444/authorization-details.json"
SECURITY_ADMIN = "arn:aws:iam::222222222222:role/SecurityAdmin"


@pytest.fixture
def demo(demo_copy):
    return demo_copy


def edit(root, rel, change):
    path = root / rel
    doc = json.loads(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")


def role_item(doc, name):
    return next(r for r in doc["RoleDetailList"] if r["RoleName"] == name)


def resolve(doc, path: str):
    """The value at a simple JSON path ($.A[3].B.C[0].Effect) of a decoded document."""
    assert path.startswith("$")
    value = doc
    for name, index in re.findall(r"\.([A-Za-z]+)|\[(\d+)\]", path[1:]):
        value = value[name] if name else value[int(index)]
    return value


def graph_of(root):
    snap = load_snapshot(root)
    return snap, build_trust_graph(snap)


def problems(issues):
    return [i for i in issues if i.severity in ("warning", "error")]


def test_clean_demo_has_no_policy_problems():
    _, tg = graph_of(DEMO_ORG)
    issues = policy_issues(tg)
    assert problems(issues) == []
    # the demo's deleted-role unique id (D-case) is a note, not a problem
    assert all(i.severity == "info" for i in issues)


def test_lower_case_effect_is_reported_with_file_path_policy_and_owner(demo):
    def change(doc):
        role_item(doc, "SecurityAdmin")["RolePolicyList"][0]["PolicyDocument"]["Statement"][0]["Effect"] = "allow"
    edit(demo, SECURITY, change)
    _, tg = graph_of(demo)
    (issue,) = problems(policy_issues(tg))
    assert issue.severity == "warning" and issue.file == SECURITY
    assert re.fullmatch(r"\$\.RoleDetailList\[\d+\]\.RolePolicyList\[0\]\.PolicyDocument\.Statement\[0\]\.Effect",
                        issue.where)
    raw = json.loads((demo / SECURITY).read_text(encoding="utf-8"))
    assert resolve(raw, issue.where) == "allow"  # the path points at the bad value
    assert "AssumeOnward" in issue.message and "SecurityAdmin" in issue.message and "'allow'" in issue.message
    assert "whole policy" in issue.message and "AssumeOnward" in issue.skipped


def test_bad_action_type_ignores_that_statement_only(demo):
    def change(doc):
        role_item(doc, "SecurityAdmin")["RolePolicyList"][0]["PolicyDocument"]["Statement"][0]["Action"] = 123
    edit(demo, SECURITY, change)
    _, tg = graph_of(demo)
    (issue,) = problems(policy_issues(tg))
    assert issue.file == SECURITY and ".PolicyDocument.Statement[0].Action" in issue.where
    assert "statement ignored" in issue.message and "SecurityAdmin" in issue.message
    assert issue.skipped.startswith("statement 0 of inline policy AssumeOnward")


def test_trust_policy_problems_name_the_file(demo):
    def change(doc):
        trust = role_item(doc, "IncidentResponder")["AssumeRolePolicyDocument"]
        cond = trust["Statement"][0].setdefault("Condition", {})
        cond["StringEqualz"] = {"aws:PrincipalTag/team": "x"}
    edit(demo, SECURITY, change)

    def change2(doc):
        st = role_item(doc, "AcmeCostExplorerReadOnly")["AssumeRolePolicyDocument"]["Statement"][0]
        st["NotPrincipal"] = st.pop("Principal")
    edit(demo, SHARED, change2)
    _, tg = graph_of(demo)
    found = {(i.file, i.where.rsplit(".", 1)[-1]): i for i in problems(policy_issues(tg))}
    cond = found[(SECURITY, "Condition")]
    assert ".AssumeRolePolicyDocument.Statement[0].Condition" in cond.where
    assert "StringEqualz" in cond.message and "trust policy of role IncidentResponder" in cond.message
    notp = found[(SHARED, "NotPrincipal")]
    assert "trust policy of role AcmeCostExplorerReadOnly" in notp.message and "NotPrincipal" in notp.message
    assert notp.skipped == "statement 0 of trust policy of role AcmeCostExplorerReadOnly (444444444444)"


def test_scp_problem_points_into_organization_json(demo):
    def change(doc):
        for p in doc["Policies"]:
            if p["Name"] == "BaselineGuardrails":
                content = json.loads(p["Content"])
                content["Statement"][0]["Action"] = []
                p["Content"] = json.dumps(content)
    edit(demo, "organization.json", change)
    _, tg = graph_of(demo)
    (issue,) = problems(policy_issues(tg))
    assert issue.file == "organization.json"
    assert re.fullmatch(r"\$\.Policies\[\d+\]\.Content\.Statement\[0\]\.Action", issue.where)
    assert "SCP BaselineGuardrails" in issue.message


def _gaad_with_shared_bad_policy(tmp_path):
    acct = "123456789012"
    bad = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
        {"Effect": "Allow", "Action": "sts:AssumeRole"}]}  # no Resource: statement 1 is invalid
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"}, "Action": "sts:AssumeRole"}]}
    policy_arn = f"arn:aws:iam::{acct}:policy/Shared"
    attached = [{"PolicyName": "Shared", "PolicyArn": policy_arn}]
    doc = {
        "UserDetailList": [{"UserName": "u", "UserId": "AIDAEXAMPLEUSER00001", "Arn": f"arn:aws:iam::{acct}:user/u",
                            "Path": "/", "AttachedManagedPolicies": attached, "GroupList": []}],
        "GroupDetailList": [],
        "RoleDetailList": [
            {"RoleName": name, "RoleId": f"AROAEXAMPLEROLE0000{i}", "Arn": f"arn:aws:iam::{acct}:role/{name}",
             "Path": "/", "AssumeRolePolicyDocument": trust, "AttachedManagedPolicies": attached,
             "RolePolicyList": [], "PermissionsBoundary": {"PermissionsBoundaryType": "Policy",
                                                           "PermissionsBoundaryArn": policy_arn}}
            for i, name in enumerate(["A", "B"])],
        "Policies": [{"PolicyName": "Shared", "PolicyId": "ANPAEXAMPLEPOLICY001", "Arn": policy_arn, "Path": "/",
                      "DefaultVersionId": "v2", "AttachmentCount": 3, "IsAttachable": True,
                      "PolicyVersionList": [{"VersionId": "v2", "IsDefaultVersion": True, "Document": bad}]}]}
    path = tmp_path / "gaad.json"
    path.write_text(json.dumps(doc))
    return path


def test_managed_policy_reported_once_and_compiled_once(tmp_path):
    snap = load_snapshot(_gaad_with_shared_bad_policy(tmp_path))
    tg = build_trust_graph(snap)
    compiled = []
    real = tg.compiler._compile
    tg.compiler._compile = lambda *a, **k: compiled.append(k.get("kind")) or real(*a, **k)
    issues = problems(policy_issues(tg))
    # one issue: attached to a user and two roles, and the boundary of both roles, it is still one statement
    (issue,) = issues
    assert issue.file == "gaad.json"
    assert issue.where.startswith("$.Policies[0].PolicyVersionList") and issue.where.endswith(".Statement[1]")
    assert "managed policy Shared" in issue.message and "Resource" in issue.message
    assert issue.skipped == "statement 1 of managed policy Shared of account 123456789012"
    # each document is compiled at most once per kind (the build's compilations are reused)
    assert compiled.count("identity") <= 1 and compiled.count("boundary") <= 1
    compiled.clear()
    tg.__dict__.pop("_policy_issues")
    assert problems(policy_issues(tg)) == issues and compiled == []


def test_deterministic_and_cached(demo):
    def change(doc):
        for name in ("SecurityAdmin", "IncidentResponder"):
            st = role_item(doc, name)["AssumeRolePolicyDocument"]["Statement"][0]
            st["Effect"] = "ALLOW"
    edit(demo, SECURITY, change)
    _, tg1 = graph_of(demo)
    _, tg2 = graph_of(demo)
    assert cached_policy_issues(tg1) is None
    first = policy_issues(tg1)
    assert len(problems(first)) == 2
    assert [str(i) for i in first] == [str(i) for i in policy_issues(tg2)]
    assert cached_policy_issues(tg1) == first and policy_issues(tg1) == first
    wheres = [i.where for i in problems(first)]  # same file: by JSON path, numbers in numeric order
    assert wheres == sorted(wheres, key=lambda w: [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", w)])
