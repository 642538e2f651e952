"""What the loader says about bad input: a stray non-UTF-8 byte costs nothing but a warning, JSON errors read
well, an account whose OU is unknown is reported with what was assumed."""
from __future__ import annotations

import json

import pytest

from conftest import DEMO_ORG
from explorer.snapshot import load_snapshot
from explorer.snapshot.loader_common import FileCtx, parse_json_bytes
from explorer.snapshot.report import LoadReport

SECURITY = "accounts/222222222222/authorization-details.json"


@pytest.fixture
def demo(demo_copy):
    return demo_copy


def issues_of(snap, file):
    return [i for i in snap.report.issues if i.file == file]


# --- D: invalid UTF-8 -------------------------------------------------------------------------------------------

def test_one_latin1_byte_loads_the_whole_file_with_a_warning(demo):
    path = demo / SECURITY
    data = path.read_bytes()
    offset = data.index(b"\"UserName\": \"carol.smith") + 14  # "c\xe9rol.smith": Latin-1 e-acute in a user name
    path.write_bytes(data[:offset] + b"\xe9" + data[offset + 1:])
    snap = load_snapshot(demo)
    clean = load_snapshot(DEMO_ORG)
    acct, ref = snap.accounts["222222222222"], clean.accounts["222222222222"]
    assert (len(acct.users), len(acct.roles), len(acct.groups)) == (len(ref.users), len(ref.roles), len(ref.groups))
    assert any(u.name == "c\ufffdrol.smith" for u in acct.users.values())
    assert snap.report.errors == []
    (warning,) = [i for i in issues_of(snap, SECURITY) if "UTF-8" in i.message]
    assert warning.severity == "warning" and f"invalid UTF-8 at byte {offset} replaced" in warning.message


def test_invalid_utf8_in_another_file_of_the_loader(demo):
    path = demo / "organization.json"
    data = path.read_bytes()
    offset = data.index(b"log-archive")
    path.write_bytes(data[:offset] + b"\xff\xfe" + data[offset + 2:])
    snap = load_snapshot(demo)
    assert snap.organization is not None and len(snap.organization.accounts) == 8
    (warning,) = [i for i in issues_of(snap, "organization.json") if "UTF-8" in i.message]
    assert f"byte {offset}" in warning.message and "2 invalid sequences" in warning.message


def test_invalid_utf8_with_bom_counts_the_bom_and_binary_is_still_an_error():
    report = LoadReport()
    data = b'\xef\xbb\xbf{"a": "x\xe9"}'
    ok, doc = parse_json_bytes(data, FileCtx(report, "f.json"))
    assert ok and doc == {"a": "x\ufffd"}
    assert data[11] == 0xE9 and "byte 11 " in report.issues[0].message
    report = LoadReport()
    ok, _ = parse_json_bytes(bytes(range(128, 256)), FileCtx(report, "g.json"))
    assert not ok and "not UTF-8" in report.issues[0].message and report.issues[0].skipped == "file"


# --- E: JSON error messages -------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, start", [
    ('{"a": "unterminated', "Unterminated string starting at line 1 column 7"),
    ('{"a": "x\x01y"}', "Invalid control character at line 1 column 9"),
    ('{"a": 1,, }', "Expecting property name enclosed in double quotes at line 1 column 9"),
    ('{"a": }', "Expecting value at line 1 column 7"),
    ('{"a": 1} x', "Extra data at line 1 column 10"),
    ('{"a": "\\q"}', "Invalid \\escape at line 1 column 8"),
    ('\ufeff{"a": 1,,}', "Expecting property name enclosed in double quotes at line 1 column 9"),
])
def test_json_error_messages_read_well(text, start):
    report = LoadReport()
    ok, _ = parse_json_bytes(text.encode("utf-8"), FileCtx(report, "f.json"))
    assert not ok
    (issue,) = report.issues
    assert issue.message == f"not valid JSON: {start}"
    assert " at at " not in issue.message


def test_truncated_file_message(demo):
    path = demo / SECURITY
    text = path.read_text(encoding="utf-8")
    cut = text.index('"carol.smith"') + 5
    path.write_text(text[:cut], encoding="utf-8")
    snap = load_snapshot(demo)
    (issue,) = [i for i in issues_of(snap, SECURITY) if i.severity == "error"]
    line = text[:cut].count("\n") + 1
    assert issue.message.startswith(f"not valid JSON: Unterminated string starting at line {line} column")


# --- C: an account whose parent is unknown ----------------------------------------------------------------------

def _org_edit(root, change):
    path = root / "organization.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")


@pytest.mark.parametrize("how, said", [("null", "ParentId null"), ("missing", "has no ParentId"),
                                       ("number", "not a string"), ("unknown", "ou-nowhere")])
def test_unknown_parent_is_reported_and_the_root_assumed(demo, how, said):
    index = {}

    def change(doc):
        i = next(n for n, a in enumerate(doc["Accounts"]) if a["Id"] == "333333333333")
        index["i"] = i
        if how == "missing":
            del doc["Accounts"][i]["ParentId"]
        else:
            doc["Accounts"][i]["ParentId"] = {"null": None, "number": 7, "unknown": "ou-nowhere"}[how]
    _org_edit(demo, change)
    snap = load_snapshot(demo)
    org = snap.organization
    (issue,) = [i for i in issues_of(snap, "organization.json") if i.where == f"$.Accounts[{index['i']}].ParentId"]
    assert issue.severity == "warning"
    assert "333333333333" in issue.message and said in issue.message
    assert "root r-ex01" in issue.message and "OUs above it are unknown" in issue.message
    assert "NOT applied" in issue.message
    # assumed: directly under the root (the root's SCPs still apply), the OU's SCPs are not
    assert org.path_of("333333333333") == ["r-ex01", "333333333333"]
    assert [p.name for level in org.scp_levels("333333333333") for p in level] == \
        [p.name for level in load_snapshot(DEMO_ORG).organization.scp_levels("333333333333")[:1] for p in level] + \
        ["FullAWSAccess"]


def test_management_account_without_parent_is_only_a_note(demo):
    def change(doc):
        for a in doc["Accounts"]:
            if a["Id"] == "111111111111":
                a["ParentId"] = None
    _org_edit(demo, change)
    snap = load_snapshot(demo)
    notes = [i for i in issues_of(snap, "organization.json") if i.where.endswith(".ParentId")]
    assert [i.severity for i in notes] == ["info"] and "management account" in notes[0].message
    assert snap.report.errors == [] and len(snap.report.warnings) == len(load_snapshot(DEMO_ORG).report.warnings)
