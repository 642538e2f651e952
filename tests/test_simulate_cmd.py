"""`python main.py simulate ...`: single requests, batch JSONL, human output, bad input (exit 2)."""
from __future__ import annotations

import json
import subprocess
import sys

from explorer.cli import main
from conftest import ROOT

A = "111111111111"
REQ = {"principal": f"arn:aws:iam::{A}:user/u", "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k",
       "identity_policies": [{"Version": "2012-10-17", "Statement": [
           {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}]}


def _write(tmp_path, name, data):
    p = tmp_path / name
    p.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(p)


def test_simulate_json(tmp_path, capsys):
    assert main(["simulate", _write(tmp_path, "r.json", REQ), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["decision"] == "Allow"
    layers = {e["layer"]: e for e in out["explanation"] if "layer" in e}
    assert layers["identity"]["statements"][0]["sid"] == "Read"
    assert out["explanation"][-1]["rule"] == "E2.5"


def test_simulate_human(tmp_path, capsys):
    req = dict(REQ, open_context=True, identity_policies=[{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*",
         "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}])
    assert main(["simulate", _write(tmp_path, "r.json", req)]) == 0
    out = capsys.readouterr().out
    assert "Decision: Allow (conditional)" in out
    assert "aws:MultiFactorAuthPresent Bool true" in out
    assert "[identity]" in out


def test_simulate_bad_inputs_exit_2(tmp_path, capsys):
    assert main(["simulate", str(tmp_path / "missing.json")]) == 2
    assert "missing.json: file not found" in capsys.readouterr().err
    assert main(["simulate", _write(tmp_path, "bad.json", "{not json")]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    bad = dict(REQ, scps=[[{"Version": "2012-10-17", "Statement": []}], [7]])
    assert main(["simulate", _write(tmp_path, "bad2.json", bad)]) == 2
    err = capsys.readouterr().err
    assert "bad2.json at $.scps[1][0]" in err and "Traceback" not in err
    assert main(["simulate"]) == 2


def test_simulate_batch(tmp_path, capsys):
    lines = [json.dumps(dict(REQ, id="ok")), "{broken", json.dumps({"id": 7, "principal": "*"}),
             "", json.dumps(dict(REQ, action="s3:PutObject"))]
    assert main(["simulate", "--batch", _write(tmp_path, "b.jsonl", "\n".join(lines)), "--json"]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [o["id"] for o in out] == ["ok", 2, 7, 5]
    assert out[0]["decision"] == "Allow" and "explanation" in out[0]
    assert "error" in out[1] and "line 2" in out[1]["error"]
    assert "error" in out[2] and "$.action" in out[2]["error"]
    assert out[3]["decision"] == "ImplicitDeny"


def test_simulate_batch_many_requests(tmp_path, capsys):
    lines = [json.dumps(dict(REQ, id=i, resource=f"arn:aws:s3:::{'b' if i % 2 else 'c'}/k{i}")) for i in range(2000)]
    assert main(["simulate", "--batch", _write(tmp_path, "b.jsonl", "\n".join(lines)), "--json"]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(out) == 2000
    assert sum(o["decision"] == "Allow" for o in out) == 1000


def test_simulate_via_main_py(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "simulate", _write(tmp_path, "r.json", REQ),
                           "--json"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["decision"] == "Allow"


def test_simulate_rejects_duplicate_keys(tmp_path, capsys):
    text = json.dumps(REQ).replace('"Effect": "Allow"', '"Effect": "Allow", "Effect": "Deny"')
    assert main(["simulate", _write(tmp_path, "dup.json", text)]) == 2
    assert "duplicate key 'Effect'" in capsys.readouterr().err
