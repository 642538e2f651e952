"""Command line: paths, reach, evaluate (interfaces.md §3 JSON shapes, text output, exit codes) and the shared
--context parsing."""
from __future__ import annotations

import json

import pytest

from conftest import DEMO_ORG
from explorer.cli import main
from explorer.cli.common import parse_context, parse_context_values
from explorer.errors import InputError

ALICE = "arn:aws:iam::222222222222:user/people/alice.nguyen"
BOB = "arn:aws:iam::222222222222:user/people/bob.martin"
BREAK_GLASS = "arn:aws:iam::666666666666:role/BreakGlassAdmin"
INCIDENT = "arn:aws:iam::222222222222:role/IncidentResponder"
DEMO = str(DEMO_ORG)

pytestmark = pytest.mark.skipif(not DEMO_ORG.exists(), reason="demo organization not present")


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_paths_json_shape(capsys):
    code, out, _ = _run(capsys, "paths", DEMO, "--from", ALICE, "--to", BREAK_GLASS, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["from"] == ALICE and data["to"] == BREAK_GLASS
    path = data["paths"][0]
    assert set(path) >= {"hops", "conditional", "max_session_seconds"}
    assert path["max_session_seconds"] == 3600 and path["conditional"] is True
    hop = path["hops"][0]
    assert set(hop) >= {"from", "to", "action", "cross_account", "requires", "max_session_seconds", "chained"}
    assert hop["requires"] == [{"key": "aws:MultiFactorAuthPresent", "operator": "Bool", "values": ["true"]}]
    assert [h["chained"] for h in path["hops"]] == [False, True, True, True]
    assert path["hops"][1]["cross_account"] is True


def test_paths_context_and_k(capsys):
    code, out, _ = _run(capsys, "paths", DEMO, "--from", "alice.nguyen", "--to", "BreakGlassAdmin", "--json",
                        "--context", "aws:MultiFactorAuthPresent=true", "--k", "1")
    assert code == 0
    data = json.loads(out)
    assert len(data["paths"]) == 1 and data["paths"][0]["conditional"] is False
    assert data["context"] == {"aws:MultiFactorAuthPresent": "true"}


def test_paths_text_calls_out_the_chaining_cap(capsys):
    code, out, _ = _run(capsys, "paths", DEMO, "--from", ALICE, "--to", BREAK_GLASS)
    assert code == 0
    assert "only if aws:MultiFactorAuthPresent Bool true" in out
    assert "role chaining caps it at one hour" in out
    assert "limited by role chaining" in out


def test_paths_none_and_include_denied(capsys):
    prod_deploy = "arn:aws:iam::666666666666:role/ProdDeploy"
    code, out, _ = _run(capsys, "paths", DEMO, "--from", prod_deploy, "--to", BREAK_GLASS, "--json")
    assert code == 0 and json.loads(out)["paths"] == []
    code, out, _ = _run(capsys, "paths", DEMO, "--from", prod_deploy, "--to", BREAK_GLASS, "--json",
                        "--include-denied")
    assert json.loads(out)["paths"][0]["hops"][0]["state"] == "denied"


def test_reach_from_and_to(capsys):
    code, out, _ = _run(capsys, "reach", DEMO, "--from", ALICE, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["from"] == ALICE
    reached = {e["principal"]: e for e in data["reach"]}
    assert BREAK_GLASS in reached and reached[BREAK_GLASS]["hops"] == 4
    assert reached[BREAK_GLASS]["max_session_seconds"] == 3600
    code, out, _ = _run(capsys, "reach", DEMO, "--to", BREAK_GLASS, "--json")
    who = {e["principal"] for e in json.loads(out)["reach"]}
    assert ALICE in who
    code, out, _ = _run(capsys, "reach", DEMO, "--to", BREAK_GLASS)
    assert code == 0 and "can become" in out and ALICE in out


def test_evaluate_json_effective_permissions(capsys):
    code, out, _ = _run(capsys, "evaluate", DEMO, "--path", BOB, INCIDENT, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["path"] == [BOB, INCIDENT]
    hop = data["hops"][0]
    assert set(hop) >= {"from", "to", "allowed", "requires", "explanation", "max_session_seconds", "chained"}
    assert hop["allowed"] is True and hop["max_session_seconds"] == 7200 and hop["chained"] is False
    assert data["session"]["role"] == INCIDENT and data["session"]["max_session_seconds"] == 7200
    assert data["session"]["limited_by"] == "MaxSessionDuration"
    eff = data["effective_permissions"]
    assert isinstance(eff, dict) and eff
    for levels in eff.values():
        assert all(isinstance(v, list) for v in levels.values())


def test_evaluate_one_decision_compares_direct_access(capsys):
    secret = "arn:aws:secretsmanager:eu-west-1:888888888888:secret:sandbox/api-token-Xy12Ab"
    code, out, _ = _run(capsys, "evaluate", DEMO, "--path", "arn:aws:iam::777777777777:role/github-actions-dev",
                        "arn:aws:iam::444444444444:role/ArtifactReader", "--action", "secretsmanager:GetSecretValue",
                        "--resource", secret, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["decision"]["decision"] != "Allow"
    assert data["decision_direct"]["decision"] == "Allow"
    assert data["session"]["limited_by"] == "role chaining"
    code, out, _ = _run(capsys, "evaluate", DEMO, "--path", "github-actions-dev", "ArtifactReader", "--action",
                        "secretsmanager:GetSecretValue", "--resource", secret)
    assert code == 0 and "directly" in out


def test_evaluate_reports_a_broken_chain(capsys):
    code, out, _ = _run(capsys, "evaluate", DEMO, "--path", "dave.contractor", INCIDENT, "--json")
    data = json.loads(out)
    assert code == 0 and data["hops"][0]["allowed"] is False and data["hops"][0]["state"] == "denied"
    assert "boundary" in data["hops"][0]["reason"]


@pytest.mark.parametrize("argv", [
    ["paths", DEMO, "--from", "arn:aws:iam::222222222222:user/nobody", "--to", BREAK_GLASS],
    ["paths", "no/such/snapshot", "--from", ALICE, "--to", BREAK_GLASS],
    ["paths", DEMO, "--from", ALICE, "--to", BREAK_GLASS, "--context", "novalue"],
    ["paths", DEMO, "--from", ALICE, "--to", BREAK_GLASS, "--max-hops", "0"],
    ["reach", DEMO, "--from", "nobody"],
    ["reach", "no/such/snapshot", "--to", BREAK_GLASS],
    ["evaluate", DEMO, "--path", ALICE, "nobody"],
    ["evaluate", DEMO, "--path", ALICE, BREAK_GLASS, "--action", "s3:GetObject"],
    ["evaluate", DEMO, "--path", BOB, INCIDENT, "--session-policy", "no/such/file.json"],
    ["evaluate", DEMO, "--path", ALICE, ALICE],
])
def test_bad_input_exits_2_without_traceback(capsys, argv):
    code, out, err = _run(capsys, *argv)
    assert code == 2
    assert "Traceback" not in err and err.strip()


def test_context_parsing():
    assert parse_context_values(["a=1", "A=2", "b=<absent>", "c=x=y"]) == {"a": ["1", "2"], "b": None, "c": "x=y"}
    ctx = parse_context(["aws:MultiFactorAuthPresent=true"])
    assert ctx.closed is False and ctx.get("aws:multifactorauthpresent") == ("true",)
    with pytest.raises(InputError):
        parse_context_values(["=1"])
