"""`python main.py info SNAPSHOT [--json]`."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import DEMO_ORG, ROOT
from explorer.cli import main

BASIC = Path(__file__).parent / "fixtures" / "loader" / "basic"
MGMT, PROD = "111122223333", "444455556666"


def run_info(capsys, *args):
    code = main(["info", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_summary(capsys):
    code, out, err = run_info(capsys, BASIC, "--json")
    assert code == 0 and err == ""
    info = json.loads(out)
    assert set(info) == {"snapshot", "manifest", "totals", "accounts", "organization", "trail_events", "load_report"}
    assert info["snapshot"]["form"] == "snapshot folder"
    assert info["totals"] == {"accounts": 2, "users": 2, "roles": 5, "service_linked_roles": 1, "groups": 1,
                              "managed_policies": 5, "customer_managed_policies": 3, "saml_providers": 1,
                              "oidc_providers": 1, "resource_policies": 2}
    mgmt, prod = info["accounts"]
    assert (mgmt["id"], mgmt["name"], mgmt["management_account"]) == (MGMT, "management", True)
    assert (prod["roles"], prod["resource_policies"], prod["roles_with_assumed_max_session"]) == (2, 2, 2)
    assert prod["ou_path"] == ["Root", "Workloads", "Prod"]
    org = info["organization"]
    assert org["id"] == "o-abc123" and org["management_account"] == {"id": MGMT, "name": "management"}
    (root,) = org["roots"]
    assert [a["id"] for a in root["accounts"]] == [MGMT]
    (workloads,) = root["children"]
    assert workloads["name"] == "Workloads" and workloads["children"][0]["accounts"][0]["id"] == PROD
    assert (org["scp_count"], org["rcp_count"]) == (2, 1)
    deny_leave = next(p for p in org["scps"] if p["name"] == "DenyLeave")
    assert deny_leave["targets"] == [{"id": "ou-ab12-11111111", "name": "Workloads", "kind": "ou"}]
    assert info["trail_events"] == {"total": 5, "failed": 1, "by_event": {
        "AssumeRole": 3, "AssumeRoleWithSAML": 1, "AssumeRoleWithWebIdentity": 1}}
    assert info["manifest"]["collected_at"] == "2026-01-15T09:30:00+00:00"
    assert info["manifest"]["gaps"] == [{"account": PROD, "what": "roles.json (iam:ListRoles)",
                                         "error": "AccessDenied"}]
    report = info["load_report"]
    assert report["errors"] == 0 and report["warnings"] == 3 and report["files_read"] == 8
    assert all(set(i) == {"severity", "file", "where", "message", "skipped"} for i in report["issues"])


def test_text_summary(capsys):
    code, out, _ = run_info(capsys, BASIC)
    assert code == 0
    assert "Accounts (2)" in out
    assert f"  {PROD}  prod" in out
    assert "Organization o-abc123" in out and "OU Workloads (ou-ab12-11111111)" in out
    assert "SCP DenyLeave -> Workloads (ou-ab12-11111111)" in out
    assert "RCP DenyExternalS3 -> prod (444455556666)" in out
    assert "CloudTrail: 5 assume event(s)" in out
    assert "AccessDenied" in out
    assert "Load report: 0 error(s), 3 warning(s)" in out
    assert "ProdBoundary" in out


def test_warnings_and_errors_still_exit_0(tmp_path, capsys):
    root = tmp_path / "snap"
    shutil.copytree(BASIC, root)
    (root / "organization.json").write_text("{ nope")
    code, out, _ = run_info(capsys, root, "--json")
    info = json.loads(out)
    assert code == 0 and info["organization"] is None and info["load_report"]["errors"] == 1
    code, out, _ = run_info(capsys, root)
    assert code == 0 and "organization.json" in out and "not valid JSON" in out
    assert "Organization: none described" in out


def test_unloadable_snapshot_exits_2_with_a_clear_message(tmp_path, capsys):
    code, out, err = run_info(capsys, tmp_path / "missing")
    assert code == 2 and out == ""
    assert "missing" in err and "no such file or folder" in err and "Traceback" not in err
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"\x00\x01\x02")
    code, _, err = run_info(capsys, bad)
    assert code == 2 and "bad.json" in err and "binary" in err


def test_command_line_entry_point(tmp_path):
    result = subprocess.run([sys.executable, "main.py", "info", str(tmp_path / "nothing")], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr and "no such file" in result.stderr
    result = subprocess.run([sys.executable, "main.py", "info", str(BASIC), "--json"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and json.loads(result.stdout)["totals"]["accounts"] == 2


def test_long_issue_lists_are_cut_in_text(tmp_path, capsys):
    doc = json.loads((BASIC / "accounts" / PROD / "authorization-details.json").read_text())
    doc["RoleDetailList"] += [{"RoleName": f"r{i}"} for i in range(60)]  # 60 roles without an Arn
    path = tmp_path / "gaad.json"
    path.write_text(json.dumps(doc))
    code, out, _ = run_info(capsys, path)
    assert code == 0 and "more (use --all-issues or --json)" in out
    code, out, _ = run_info(capsys, path, "--all-issues")
    assert "$.RoleDetailList[61].Arn" in out


@pytest.mark.skipif(not (DEMO_ORG / "accounts").is_dir(), reason="the bundled demo organization is not there yet")
def test_demo_org_loads_cleanly_and_info_describes_it(capsys):
    from explorer.snapshot import load_snapshot
    snap = load_snapshot(DEMO_ORG)
    assert snap.report.errors == [], [str(i) for i in snap.report.errors]
    assert snap.organization is not None and len(snap.accounts) >= 2
    code, out, _ = run_info(capsys, DEMO_ORG, "--json")
    info = json.loads(out)
    assert code == 0
    assert info["totals"]["accounts"] == len(snap.accounts)
    assert info["totals"]["roles"] == sum(len(a.roles) for a in snap.accounts.values())
    assert info["organization"]["id"] == snap.organization.id
    assert info["load_report"]["errors"] == 0
    code, out, _ = run_info(capsys, DEMO_ORG)
    assert code == 0 and f"Organization {snap.organization.id}" in out
