"""`python main.py findings SNAPSHOT [--json | --sarif]`: table, JSON, SARIF 2.1.0 (validated against the OASIS
schema in tests/data/sarif-schema-2.1.0.json), exit codes."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from conftest import DEMO_ORG

from explorer.cli import main

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def outputs():
    import contextlib
    import io
    out = {}
    for fmt in ("--json", "--sarif", None):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            code = main(["findings", str(DEMO_ORG)] + ([fmt] if fmt else []))
        out[fmt] = (code, buf.getvalue())
    return out


def test_json_output(outputs):
    code, text = outputs["--json"]
    assert code == 0
    data = json.loads(text)
    assert data["summary"]["total"] == len(data["findings"]) > 0
    first = data["findings"][0]
    assert set(first) >= {"id", "rule", "severity", "title", "subject", "message", "evidence", "remediation"}
    ranks = ["critical", "high", "medium", "low", "info"]
    sev = [ranks.index(f["severity"]) for f in data["findings"]]
    assert sev == sorted(sev)


def test_sarif_output_validates_against_the_schema(outputs):
    code, text = outputs["--sarif"]
    assert code == 0
    log = json.loads(text)
    jsonschema.Draft4Validator.check_schema(SCHEMA)
    errors = sorted(jsonschema.Draft4Validator(SCHEMA).iter_errors(log), key=lambda e: list(e.path))
    assert errors == [], [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    run = log["runs"][0]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert all(rules[r["ruleIndex"]] == r["ruleId"] for r in run["results"])
    assert len(run["results"]) == len(json.loads(outputs["--json"][1])["findings"])
    assert any("physicalLocation" in r["locations"][0] for r in run["results"])


def test_schema_rejects_a_broken_log():
    bad = {"version": "2.1.0", "runs": [{"tool": {"driver": {}}, "results": [{"message": {"text": "x"},
                                                                                "level": "fatal"}]}]}
    assert list(jsonschema.Draft4Validator(SCHEMA).iter_errors(bad))


def test_human_table(outputs):
    code, text = outputs[None]
    assert code == 0
    lines = text.splitlines()
    assert lines[0].split() == ["SEVERITY", "RULE", "SUBJECT", "ID"]
    assert lines[2].startswith("CRITICAL")
    assert "finding(s):" in lines[-1]


def test_rule_filter_list_and_errors(capsys):
    assert main(["findings", str(DEMO_ORG), "--rule", "trust-dangling-unique-id", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [f["subject"] for f in data["findings"]] == ["arn:aws:iam::333333333333:role/LogArchiveAdmin"]
    assert main(["findings", "--list-rules", str(DEMO_ORG)]) == 0
    assert "trust-principal-star" in capsys.readouterr().out
    assert main(["findings", str(DEMO_ORG), "--rule", "no-such-rule"]) == 2
    assert "unknown finding rule" in capsys.readouterr().err
    assert main(["findings", str(DEMO_ORG) + "-missing"]) == 2
    assert main(["findings", str(DEMO_ORG), "--unused-days", "-1"]) == 2


def test_unused_days_parameter(capsys):
    assert main(["findings", str(DEMO_ORG), "--rule", "role-unused-cross-account", "--unused-days", "1000",
                 "--json"]) == 0
    subjects = {f["subject"] for f in json.loads(capsys.readouterr().out)["findings"]}
    assert subjects == {"arn:aws:iam::333333333333:role/LegacyAuditAccess",
                        "arn:aws:iam::777777777777:role/ContractorAccess"}
