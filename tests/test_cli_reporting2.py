"""Command line reporting, second round: `diff` flags changes (edges and admin chains, both directions) that may
come from a file either snapshot could not load; the text answer's closing caveat counts the policies and statements
that policy problems made the engine ignore (also with --quiet); the assumed-MaxSessionDuration note does not claim
roles.json is missing when it is unreadable."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import DEMO_ORG, edit_json as _edit, run_cli as _run

ALICE = "arn:aws:iam::222222222222:user/people/alice.nguyen"
PROD_DEPLOY = "arn:aws:iam::666666666666:role/ProdDeploy"
BREAK_GLASS = "arn:aws:iam::666666666666:role/BreakGlassAdmin"
ORG_ADMIN = "arn:aws:iam::111111111111:role/okta/OrgAdmin"
AUTH_222 = "accounts/222222222222/authorization-details.json"
AUTH_888 = "accounts/888888888888/authorization-details.json"
ROLES_666 = "accounts/666666666666/roles.json"
OAAR_666 = "arn:aws:iam::666666666666:role/OrganizationAccountAccessRole"
ORG = "organization.json"
FLAG_ORG = f"[may be a load error: {ORG}]"

pytestmark = pytest.mark.skipif(not DEMO_ORG.exists(), reason="demo organization not present")


def _copy_demo(dest: Path) -> Path:
    shutil.copytree(DEMO_ORG, dest)
    return dest




def _section(out: str, title: str) -> list[str]:
    """The item lines of one section of `diff`'s text answer."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    items = []
    for line in lines[start + 1:]:
        if not line.startswith("  "):
            break
        items.append(line)
    return items


@pytest.fixture(scope="module")
def org_third(tmp_path_factory) -> Path:
    """QA's repro: organization.json cut to a third (the SCPs are lost, so denied edges become allowed)."""
    snap = _copy_demo(tmp_path_factory.mktemp("orgthird") / "snap")
    data = (snap / ORG).read_bytes()
    (snap / ORG).write_bytes(data[: len(data) // 3])
    return snap


@pytest.fixture(scope="module")
def no_888(tmp_path_factory) -> Path:
    """Account 888's authorization details cut short: its principals are lost."""
    snap = _copy_demo(tmp_path_factory.mktemp("no888") / "snap")
    data = (snap / AUTH_888).read_bytes()
    (snap / AUTH_888).write_bytes(data[:200])
    return snap


# --- 1: diff flags chains and edges from a load error of either snapshot --------------------------------------

def test_new_chains_from_a_broken_new_snapshot_are_flagged(org_third, capsys):
    code, out, _ = _run(capsys, "diff", DEMO_ORG, org_third, "-q")
    assert code == 0
    added = _section(out, "New chains to administrative roles")
    assert added and all(line.endswith(FLAG_ORG) for line in added)
    for title in ("Trust edges added", "Trust edges removed", "Trust edges changed"):
        assert all(line.endswith(FLAG_ORG) for line in _section(out, title))
    code, out, _ = _run(capsys, "diff", DEMO_ORG, org_third, "-q", "--json")
    data = json.loads(out)
    assert data["admin_chains"]["added"]
    assert all(c["load_errors"] == [ORG] for c in data["admin_chains"]["added"])
    edges = [e for section in data["edges"].values() for e in section]
    assert edges and all(e["load_errors"] == [ORG] for e in edges)


def test_lost_chains_from_a_broken_old_snapshot_are_flagged(org_third, capsys):
    code, out, _ = _run(capsys, "diff", org_third, DEMO_ORG, "-q")
    assert code == 0
    lost = _section(out, "Lost chains to administrative roles")
    assert lost and all(line.endswith(FLAG_ORG) for line in lost)
    code, out, _ = _run(capsys, "diff", org_third, DEMO_ORG, "-q", "--json")
    data = json.loads(out)
    assert data["admin_chains"]["lost"] and all(c["load_errors"] == [ORG] for c in data["admin_chains"]["lost"])
    edges = [e for section in data["edges"].values() for e in section]
    assert edges and all(e["load_errors"] == [ORG] for e in edges)


@pytest.mark.parametrize("broken_is_new", [True, False])
def test_an_account_file_flags_only_the_chains_through_that_account(no_888, capsys, broken_is_new):
    old, new = (DEMO_ORG, no_888) if broken_is_new else (no_888, DEMO_ORG)
    code, out, _ = _run(capsys, "diff", old, new, "-q", "--json")
    assert code == 0
    data = json.loads(out)
    chains = data["admin_chains"]["lost" if broken_is_new else "added"]
    assert chains
    for c in data["admin_chains"]["lost"] + data["admin_chains"]["added"]:
        through_888 = any(":888888888888:" in node for node in c["chain"])
        assert (c.get("load_errors") == [AUTH_888]) == through_888, c
    for section in data["edges"].values():
        for e in section:
            touches = ":888888888888:" in e["from"] + e["to"]
            assert (e.get("load_errors") == [AUTH_888]) == touches, e


# --- 2: the closing caveat counts ignored policies and statements ----------------------------------------------

@pytest.fixture(scope="module")
def allow_lower(tmp_path_factory) -> Path:
    """QA b2: Effect "allow" in SecurityAdmin's inline AssumeOnward: the whole policy is ignored."""
    snap = _copy_demo(tmp_path_factory.mktemp("allowlower") / "snap")

    def change(doc):
        role = next(r for r in doc["RoleDetailList"] if r["RoleName"] == "SecurityAdmin")
        role["RolePolicyList"][0]["PolicyDocument"]["Statement"][0]["Effect"] = "allow"
    _edit(snap / AUTH_222, change)
    return snap


@pytest.fixture(scope="module")
def scp_bad_operator(tmp_path_factory) -> Path:
    """QA b6: an unknown operator in SCP RestrictBreakGlass's Deny: the Deny statement is ignored."""
    snap = _copy_demo(tmp_path_factory.mktemp("scpbad") / "snap")

    def change(doc):
        scp = next(p for p in doc["Policies"] if p["Name"] == "RestrictBreakGlass")
        st = scp["Content"]["Statement"][0]
        st["Condition"] = {"ArnNotLikeX": st["Condition"]["ArnNotLike"]}
    _edit(snap / ORG, change)
    return snap


def test_ignored_allow_policy_makes_the_answer_incomplete_even_quiet(allow_lower, capsys):
    code, out, err = _run(capsys, "paths", allow_lower, "--from", ALICE, "--to", BREAK_GLASS, "-q")
    assert code == 0 and err == ""
    assert "  none" in out
    note = out.strip().splitlines()[-1]
    assert note.startswith("Note: answers may be incomplete: policy problems made the engine ignore 1 whole policy")
    assert "1 of them allows: access it would allow may be missing" in note
    assert "shown as allowed" not in note


def test_ignored_deny_statement_warns_that_access_may_be_shown_as_allowed(scp_bad_operator, capsys):
    code, out, _ = _run(capsys, "paths", scp_bad_operator, "-q", "--from", PROD_DEPLOY, "--to", BREAK_GLASS)
    assert code == 0 and "Chain 1" in out
    note = out.strip().splitlines()[-1]
    assert "policy problems made the engine ignore 1 statement" in note
    assert "1 of them denies: access it would deny may be shown as allowed" in note
    assert out.index("Chain 1") < out.index("answers may be incomplete")
    # the stderr summary says it too (without --quiet); the JSON answer stays pure JSON
    code, out, err = _run(capsys, "paths", scp_bad_operator, "--from", PROD_DEPLOY, "--to", BREAK_GLASS)
    assert "access it would deny may be shown as allowed" in err
    code, out, _ = _run(capsys, "paths", scp_bad_operator, "-q", "--json", "--from", PROD_DEPLOY, "--to", BREAK_GLASS)
    data = json.loads(out)
    assert any("may be shown as allowed" in i["message"] for i in data["load_report"]["policy_issues"])


def test_clean_demo_has_no_policy_caveat(capsys):
    code, out, _ = _run(capsys, "paths", DEMO_ORG, "-q", "--from", PROD_DEPLOY, "--to", BREAK_GLASS)
    assert code == 0 and "answers may be incomplete" not in out


# --- 4: the assumed MaxSessionDuration note ---------------------------------------------------------------------

def test_unreadable_roles_json_is_not_called_missing(tmp_path, capsys):
    snap = _copy_demo(tmp_path / "snap")
    (snap / ROLES_666).write_text("{ not json", "utf-8")
    code, out, err = _run(capsys, "reach", snap, "--from", ORG_ADMIN)
    assert code == 0 and ROLES_666 in err
    lines = out.splitlines()
    i = next(i for i, line in enumerate(lines) if line.strip().startswith(OAAR_666 + " "))
    assert "MaxSessionDuration not in the snapshot (roles.json missing or unreadable): 3600 s assumed" in lines[i + 1]
    assert "(roles.json missing):" not in out
    code, out, _ = _run(capsys, "paths", snap, "-q", "--from", ORG_ADMIN, "--to", OAAR_666, "--json")
    notes = {p["max_session_note"] for p in json.loads(out)["paths"]}
    assert notes == {"MaxSessionDuration not in the snapshot (roles.json missing or unreadable): 3600 s assumed"}
