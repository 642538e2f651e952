"""Command line: load problems reach every analysing command (stderr summary, "load_report" in the JSON,
"answers may be incomplete" in text, both snapshots of `diff`, SARIF notifications), and the reporting fixes of
`reach` (denied hops, assumed MaxSessionDuration) and `evaluate` (a chain that is not allowed, the requirements of
a conditional decision)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from conftest import DEMO_ORG, run_cli as _run

ALICE = "arn:aws:iam::222222222222:user/people/alice.nguyen"
BOB = "arn:aws:iam::222222222222:user/people/bob.martin"
INCIDENT = "arn:aws:iam::222222222222:role/IncidentResponder"
PROD_DEPLOY = "arn:aws:iam::666666666666:role/ProdDeploy"
PROD_ADMIN = "arn:aws:iam::666666666666:role/ProdAdmin"
INFRA_ADMIN = "arn:aws:iam::444444444444:role/InfraAdmin"
BREAK_GLASS = "arn:aws:iam::666666666666:role/BreakGlassAdmin"
SANDBOX_OAAR = "arn:aws:iam::888888888888:role/OrganizationAccountAccessRole"  # account 888: no roles.json
ORG_ADMIN = "arn:aws:iam::111111111111:role/okta/OrgAdmin"
AUTH_444 = "accounts/444444444444/authorization-details.json"
AUTH_222 = "accounts/222222222222/authorization-details.json"
ASSUMED_NOTE = "MaxSessionDuration not in the snapshot (roles.json missing or unreadable): 3600 s assumed"
SARIF_SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"

pytestmark = pytest.mark.skipif(not DEMO_ORG.exists(), reason="demo organization not present")


def _copy_demo(dest: Path) -> Path:
    shutil.copytree(DEMO_ORG, dest)
    return dest


def _truncate(path: Path, size: int) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:size])


@pytest.fixture(scope="module")
def truncated(tmp_path_factory) -> Path:
    """QA's repro: organization.json cut to 300 bytes (its SCPs are lost) and account 444's authorization
    details cut to 5000 bytes."""
    snap = _copy_demo(tmp_path_factory.mktemp("trunc") / "snap")
    _truncate(snap / "organization.json", 300)
    _truncate(snap / AUTH_444, 5000)
    return snap


@pytest.fixture(scope="module")
def many_errors(tmp_path_factory) -> Path:
    """Six broken authorization-details files: more errors than the stderr summary lists."""
    snap = _copy_demo(tmp_path_factory.mktemp("many") / "snap")
    for acct in ("111111111111", "333333333333", "444444444444", "555555555555", "777777777777", "888888888888"):
        _truncate(snap / "accounts" / acct / "authorization-details.json", 200)
    return snap


@pytest.fixture(scope="module")
def bad_grammar(tmp_path_factory) -> Path:
    """A trust policy with an unknown condition operator (a policy problem, not a load problem)."""
    snap = _copy_demo(tmp_path_factory.mktemp("grammar") / "snap")
    path = snap / AUTH_222
    doc = json.loads(path.read_text("utf-8"))
    role = next(r for r in doc["RoleDetailList"] if r["RoleName"] == "SecurityAdmin")
    stmt = role["AssumeRolePolicyDocument"]["Statement"][0]
    stmt["Condition"] = {"StringEqualz": stmt["Condition"]["Bool"]}
    path.write_text(json.dumps(doc, indent=2), "utf-8")
    return snap


# --- bug 1: load problems are reported by every command -------------------------------------------------------

def test_paths_on_a_broken_snapshot_warns_on_stderr_and_in_the_text(truncated, capsys):
    code, out, err = _run(capsys, "paths", truncated, "--from", PROD_DEPLOY, "--to", BREAK_GLASS)
    assert code == 0
    assert "2 error(s)" in err
    assert "organization.json" in err and AUTH_444 in err
    assert "answers may be incomplete: 2 file(s)/item(s) could not be loaded" in err
    assert "answers may be incomplete: 2 file(s)/item(s) could not be loaded" in out
    assert out.index("Chain 1") < out.index("answers may be incomplete")  # the answer comes first


def test_paths_json_carries_the_load_report(truncated, capsys):
    code, out, _ = _run(capsys, "paths", truncated, "--from", PROD_DEPLOY, "--to", BREAK_GLASS, "--json")
    assert code == 0
    data = json.loads(out)
    assert {"from", "to", "paths", "max_hops", "context"} <= set(data)  # nothing removed
    report = data["load_report"]
    assert report["errors"] == 2
    files = {i["file"] for i in report["issues"] if i["severity"] == "error"}
    assert files == {"organization.json", AUTH_444}
    assert all(set(i) >= {"severity", "file", "where", "message", "skipped"} for i in report["issues"])
    assert "answers may be incomplete" not in out


def test_quiet_silences_the_summary_but_not_the_json(truncated, capsys):
    code, out, err = _run(capsys, "paths", truncated, "--from", PROD_DEPLOY, "--to", BREAK_GLASS, "--json",
                          "--quiet")
    assert code == 0 and err == ""
    assert json.loads(out)["load_report"]["errors"] == 2


@pytest.mark.parametrize("argv", [
    ["reach", "{snap}", "--to", BREAK_GLASS],
    ["evaluate", "{snap}", "--path", ALICE, "arn:aws:iam::222222222222:role/SecurityAdmin"],
    ["findings", "{snap}", "--rule", "trust-principal-star"],
], ids=["reach", "evaluate", "findings"])
def test_every_analysing_command_reports_load_errors(truncated, capsys, argv):
    argv = [a.format(snap=truncated) for a in argv]
    code, out, err = _run(capsys, *argv)
    assert code == 0
    assert "2 error(s)" in err and "organization.json" in err
    assert "answers may be incomplete" in out
    code, out, _ = _run(capsys, *argv, "--json", "-q")
    assert code == 0
    assert json.loads(out)["load_report"]["errors"] == 2


def test_export_reports_load_errors(truncated, tmp_path, capsys):
    code, out, err = _run(capsys, "export", truncated, "--out", tmp_path / "g.graphml")
    assert code == 0 and (tmp_path / "g.graphml").exists()
    assert "2 error(s)" in err and AUTH_444 in err
    assert "answers may be incomplete" in out


def test_a_principal_lost_in_a_broken_file_is_hinted_at(truncated, capsys):
    code, _, err = _run(capsys, "paths", truncated, "--from", INFRA_ADMIN, "--to", BREAK_GLASS, "-q")
    assert code == 2
    assert "is not a principal" in err
    assert "2 file(s)/item(s)" in err and "may be in one of them" in err


def test_summary_lists_the_first_issues_then_points_to_info(many_errors, capsys):
    code, out, err = _run(capsys, "reach", many_errors, "--from", ALICE)
    assert code == 0
    assert "6 error(s)" in err
    issue_lines = [line for line in err.splitlines() if line.startswith("  error:") or line.startswith("  warning:")]
    assert len(issue_lines) == 5
    assert f"more (see `info {many_errors}`)" in err
    assert "answers may be incomplete: 6 file(s)/item(s)" in out


def test_info_issues_are_listed_but_not_counted(capsys):
    code, out, err = _run(capsys, "reach", DEMO_ORG, "--from", ALICE, "--json")
    assert code == 0
    report = json.loads(out)["load_report"]
    issues = report["issues"] + report.get("policy_issues", [])
    assert any(i["severity"] == "info" and i["file"] == "README.md" for i in issues)
    assert report["errors"] == sum(i["severity"] == "error" for i in issues) == 0
    assert report["warnings"] == sum(i["severity"] == "warning" for i in issues) > 0
    assert "README.md" not in err  # info issues stay out of the stderr summary
    assert "0 error(s)" in err and "answers may be incomplete" not in err


def test_clean_text_answer_has_no_incomplete_note(capsys):
    code, out, _ = _run(capsys, "reach", DEMO_ORG, "--from", ALICE)
    assert code == 0 and "answers may be incomplete" not in out


def test_diff_reports_both_snapshots_and_flags_removed_edges(tmp_path, capsys):
    new = _copy_demo(tmp_path / "new")
    _truncate(new / AUTH_444, 5000)
    code, out, err = _run(capsys, "diff", DEMO_ORG, new, "--json")
    assert code == 0
    assert "the old snapshot" in err and "the new snapshot" in err and AUTH_444 in err
    data = json.loads(out)
    report = data["load_report"]
    assert report["errors"] == 1 and report["old"]["errors"] == 0 and report["new"]["errors"] == 1
    assert {i["snapshot"] for i in report["issues"]} == {"old", "new"}
    removed = data["edges"]["removed"]
    into_444 = [e for e in removed if ":444444444444:" in e["to"] or ":444444444444:" in e["from"]]
    assert into_444 and all(e["load_errors"] == [AUTH_444] for e in into_444)
    assert data["principals"]["removed"]  # the lists keep their shape; suspects are listed beside them
    assert set(data["principals_load_errors"]["removed"]) == set(data["principals"]["removed"])
    code, out, _ = _run(capsys, "diff", DEMO_ORG, new, "-q")
    assert code == 0
    removed_lines = [line for line in out.splitlines() if line.startswith("  - ") and INFRA_ADMIN in line]
    assert removed_lines and all(f"[may be a load error: {AUTH_444}]" in line for line in removed_lines)
    assert "answers may be incomplete: 1 file(s)/item(s)" in out


def test_findings_sarif_carries_load_notifications_and_stays_valid(truncated, capsys):
    code, out, _ = _run(capsys, "findings", truncated, "--sarif", "--rule", "trust-principal-star")
    assert code == 0
    log = json.loads(out)
    schema = json.loads(SARIF_SCHEMA.read_text("utf-8"))
    errors = list(jsonschema.Draft4Validator(schema).iter_errors(log))
    assert errors == [], [e.message for e in errors[:3]]
    inv = log["runs"][0]["invocations"][0]
    assert inv["properties"]["load_report"]["errors"] == 2
    notes = inv["toolExecutionNotifications"]
    assert {n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for n in notes
            if n["level"] == "error"} == {"organization.json", AUTH_444}


def test_policy_problems_join_the_load_report(bad_grammar, capsys):
    code, out, err = _run(capsys, "paths", bad_grammar, "--from", ALICE, "--to", BREAK_GLASS, "--json")
    assert code == 0
    report = json.loads(out)["load_report"]
    hits = [i for i in report["policy_issues"] if i["file"] == AUTH_222 and "StringEqualz" in i["message"]]
    assert hits and hits[0]["where"].startswith("$.RoleDetailList[3].AssumeRolePolicyDocument.Statement[0]")
    counted = report["issues"] + report["policy_issues"]
    assert report["warnings"] == sum(i["severity"] == "warning" for i in counted)
    assert report["errors"] == sum(i["severity"] == "error" for i in counted)
    assert "policy problems" in err and "StringEqualz" in err


# --- bug 2: reach --include-denied marks denied results -------------------------------------------------------

def test_reach_marks_denied_hops(capsys):
    code, out, _ = _run(capsys, "reach", DEMO_ORG, "--to", BREAK_GLASS, "--include-denied", "--json")
    assert code == 0
    entries = {e["principal"]: e for e in json.loads(out)["reach"]}
    assert entries[PROD_DEPLOY]["denied"] is True
    assert entries[PROD_ADMIN]["denied"] is False
    assert all(e["denied"] == any(h["state"] == "denied" for h in e["path"]["hops"]) for e in entries.values())
    code, out, _ = _run(capsys, "reach", DEMO_ORG, "--to", BREAK_GLASS, "--include-denied")
    line = next(line for line in out.splitlines() if line.strip().startswith(PROD_DEPLOY + " "))
    assert "[denied hop]" in line
    line = next(line for line in out.splitlines() if line.strip().startswith(PROD_ADMIN + " "))
    assert "[denied hop]" not in line


def test_reach_without_include_denied_has_no_denied_entries(capsys):
    code, out, _ = _run(capsys, "reach", DEMO_ORG, "--to", BREAK_GLASS, "--json")
    entries = {e["principal"]: e for e in json.loads(out)["reach"]}
    assert PROD_DEPLOY not in entries and not any(e["denied"] for e in entries.values())


# --- bug 3: evaluate on a chain that is not allowed ----------------------------------------------------------

def test_evaluate_says_the_chain_is_not_allowed_and_lists_no_permissions(capsys):
    code, out, _ = _run(capsys, "evaluate", DEMO_ORG, "--path", ALICE, BREAK_GLASS)
    assert code == 0
    assert out.splitlines()[1].startswith("NOT ALLOWED: hop 1 (")
    assert "The chain is NOT allowed: hop 1" in out
    assert "Effective permissions of the final session" not in out
    assert "Effective permissions not listed" in out
    code, out, _ = _run(capsys, "evaluate", DEMO_ORG, "--path", ALICE, BREAK_GLASS, "--json")
    data = json.loads(out)
    assert data["allowed"] is False and data["reachable"] is False
    assert data["effective_permissions"]  # kept, for the what-if


def test_evaluate_allowed_chain_is_reachable(capsys):
    code, out, _ = _run(capsys, "evaluate", DEMO_ORG, "--path", BOB, INCIDENT, "--json")
    data = json.loads(out)
    assert data["allowed"] is True and data["reachable"] is True
    code, out, _ = _run(capsys, "evaluate", DEMO_ORG, "--path", BOB, INCIDENT)
    assert "NOT ALLOWED" not in out and "Effective permissions of the final session" in out


def test_evaluate_decision_on_an_unreachable_chain_is_labelled(capsys):
    code, out, _ = _run(capsys, "evaluate", DEMO_ORG, "--path", ALICE, BREAK_GLASS, "--action", "s3:GetObject",
                        "--resource", "arn:aws:s3:::example-corp-prod-data/x")
    assert code == 0
    assert "NOT ALLOWED" in out
    assert out.index("If the chain were allowed (it is not)") < out.index("s3:GetObject on")


# --- bug 4: reach text tells when MaxSessionDuration was assumed ---------------------------------------------

def test_reach_text_notes_the_assumed_max_session(capsys):
    code, out, _ = _run(capsys, "reach", DEMO_ORG, "--from", ORG_ADMIN)
    assert code == 0
    lines = out.splitlines()
    i = next(i for i, line in enumerate(lines) if line.strip().startswith(SANDBOX_OAAR + " "))
    assert ASSUMED_NOTE in lines[i + 1]
    j = next(i for i, line in enumerate(lines) if line.strip().startswith(PROD_ADMIN + " "))
    assert ASSUMED_NOTE not in lines[j + 1]


# --- bug 5: evaluate text names the requirements of a conditional decision ------------------------------------

def test_evaluate_decision_text_names_its_requirements(capsys):
    argv = ["evaluate", DEMO_ORG, "--path", INFRA_ADMIN, PROD_ADMIN, "--action", "s3:GetObject",
            "--resource", "arn:aws:s3:::example-corp-prod-data/x"]
    code, out, _ = _run(capsys, *argv, "--json")
    assert json.loads(out)["decision"]["requires"] == [
        [{"key": "aws:SecureTransport", "operator": "BoolIfExists", "values": ["true"]}]]
    code, out, _ = _run(capsys, *argv)
    assert code == 0
    assert "only if aws:SecureTransport BoolIfExists true" in out
