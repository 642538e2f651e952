"""Policy issues, second round: an ignored Deny statement (or a whole policy holding Deny statements) says that
access it would deny may be shown as allowed, an ignored Allow that access may be missing; `dropped_policies`
counts what was ignored; a problem inside a document stored as an encoded string names the document's own path."""
from __future__ import annotations

import json
import re
from urllib.parse import quote, unquote

import pytest

from conftest import DEMO_ORG
from test_policy_report import resolve
from explorer.graph import build_trust_graph
from explorer.graph.policy_report import (ALLOW_NOTE, DENY_NOTE, DroppedPolicies, dropped_policies, dropped_text,
                                          policy_issues)
from explorer.snapshot import load_snapshot

SECURITY = "accounts/222222222222/authorization-details.json"
MANAGEMENT = "accounts/111111111111/authorization-details.json"
ORG = "organization.json"
INSIDE = re.compile(r"\(inside the policy document at (\$\S+), decoded first if the file stores it as an encoded "
                    r"string\)")

pytestmark = pytest.mark.skipif(not DEMO_ORG.exists(), reason="demo organization not present")


def edit(root, rel, change):
    path = root / rel
    doc = json.loads(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")


def problems_of(root):
    tg = build_trust_graph(load_snapshot(root))
    return [i for i in policy_issues(tg) if i.severity in ("warning", "error")]


def scp(doc, name):
    return next(p for p in doc["Policies"] if p["Name"] == name)


def test_ignored_deny_statement_says_access_may_be_shown_as_allowed(demo_copy):
    def change(doc):
        st = scp(doc, "RestrictBreakGlass")["Content"]["Statement"][0]
        st["Condition"] = {"ArnNotLikeX": st["Condition"]["ArnNotLike"]}
    edit(demo_copy, ORG, change)
    (issue,) = problems_of(demo_copy)
    assert "statement ignored" in issue.message and DENY_NOTE in issue.message and ALLOW_NOTE not in issue.message
    assert dropped_policies([issue]) == DroppedPolicies(policies=0, statements=1, deny=1, allow=0)


def test_ignored_allow_statement_says_access_may_be_missing(demo_copy):
    def change(doc):
        role = next(r for r in doc["RoleDetailList"] if r["RoleName"] == "SecurityAdmin")
        role["RolePolicyList"][0]["PolicyDocument"]["Statement"][0]["Action"] = 123
    edit(demo_copy, SECURITY, change)
    (issue,) = problems_of(demo_copy)
    assert ALLOW_NOTE in issue.message and DENY_NOTE not in issue.message
    assert dropped_policies([issue]) == DroppedPolicies(policies=0, statements=1, deny=0, allow=1)


def test_whole_policy_with_deny_statements_says_access_may_be_shown_as_allowed(demo_copy):
    def change(doc):
        content = json.loads(scp(doc, "SandboxGuardrails")["Content"])
        content["Statement"][-1]["Effect"] = "DENY"  # G3: the whole SCP is ignored, its Deny statements with it
        scp(doc, "SandboxGuardrails")["Content"] = json.dumps(content)
    edit(demo_copy, ORG, change)
    (issue,) = problems_of(demo_copy)
    assert "the whole policy is invalid and ignored" in issue.message and DENY_NOTE in issue.message
    assert issue.skipped == "the whole SCP SandboxGuardrails"
    assert dropped_policies([issue]) == DroppedPolicies(policies=1, statements=0, deny=1, allow=0)


def test_dropped_counts_each_policy_once_and_not_its_statements(demo_copy):
    def change(doc):
        role = next(r for r in doc["RoleDetailList"] if r["RoleName"] == "SecurityAdmin")
        sts = role["RolePolicyList"][0]["PolicyDocument"]["Statement"]
        sts[0]["Effect"] = "allow"  # the whole policy is ignored
        sts[0]["Action"] = 123  # and this statement too, but it is counted with its policy
    edit(demo_copy, SECURITY, change)
    issues = problems_of(demo_copy)
    assert len(issues) >= 2
    dropped = dropped_policies(issues)
    assert dropped == DroppedPolicies(policies=1, statements=0, deny=0, allow=1)
    text = dropped_text(dropped)
    assert text.startswith("answers may be incomplete: policy problems made the engine ignore 1 whole policy")
    assert "access it would allow may be missing" in text
    assert dropped_text(dropped_policies([])) is None


def test_dropped_text_counts_and_plurals():
    text = dropped_text(DroppedPolicies(policies=2, statements=3, deny=2, allow=1))
    assert text == ("answers may be incomplete: policy problems made the engine ignore 2 whole policies and "
                    "3 statements; 2 of them deny: access they would deny may be shown as allowed; 1 of them "
                    "allows: access it would allow may be missing")


def test_problem_inside_a_url_encoded_trust_policy_names_the_encoded_string(demo_copy):
    def change(doc):
        role = doc["RoleDetailList"][0]
        assert isinstance(role["AssumeRolePolicyDocument"], str)  # the demo stores it URL-encoded
        trust = json.loads(unquote(role["AssumeRolePolicyDocument"]))
        trust["Statement"][0]["Condition"] = {"StringEqualz": {"aws:PrincipalTag/team": "x"}}
        role["AssumeRolePolicyDocument"] = quote(json.dumps(trust, separators=(",", ":")), safe="")
    edit(demo_copy, MANAGEMENT, change)
    (issue,) = problems_of(demo_copy)
    assert issue.file == MANAGEMENT
    m = INSIDE.search(issue.message)
    assert m and m.group(1) == "$.RoleDetailList[0].AssumeRolePolicyDocument"
    raw = json.loads((demo_copy / MANAGEMENT).read_text("utf-8"))
    encoded = resolve(raw, m.group(1))
    assert isinstance(encoded, str)  # the path of the string resolves in the file...
    assert issue.where.startswith(m.group(1) + ".")
    inner = "$" + issue.where[len(m.group(1)):]
    assert "StringEqualz" in resolve(json.loads(unquote(encoded)), inner)  # ...and the rest inside its text


def test_problem_inside_a_json_string_scp_names_the_content_string(demo_copy):
    def change(doc):
        p = scp(doc, "BaselineGuardrails")
        content = json.loads(p["Content"])
        content["Statement"][0]["Action"] = []
        p["Content"] = json.dumps(content)
    edit(demo_copy, ORG, change)
    (issue,) = problems_of(demo_copy)
    m = INSIDE.search(issue.message)
    assert m and re.fullmatch(r"\$\.Policies\[\d+\]\.Content", m.group(1))
    raw = json.loads((demo_copy / ORG).read_text("utf-8"))
    content = resolve(raw, m.group(1))
    assert isinstance(content, str)
    assert resolve(json.loads(content), "$" + issue.where[len(m.group(1)):]) == []
    assert DENY_NOTE in issue.message  # BaselineGuardrails' statement 0 is a Deny
