"""Data-driven engine scenarios: tests/scenarios/engine/*.json (spec iam-semantics.md §13 and our own cases).

A file is one request in the simulate format (interfaces.md §2) with an "expect" object, or
{"description": ..., "base": {request fields}, "cases": [{"name": ..., fields overriding base, "expect": ...}]}.
expect: "decision" (Allow / ImplicitDeny / ExplicitDeny), optionally "rule", "conditional" (bool),
"requires" (list of alternatives, each a list of "key operator value[,value]" strings, order-free),
"reason_contains", "warning_contains", "settings_used" (subset), "matched" (list of "layer:policy/sid-or-index");
or "rejected": a text the error must contain when the request itself is refused (a malformed context value).
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from explorer.errors import InputError
from explorer.iam import evaluate
from explorer.iam.request_json import parse_request

SCENARIOS = Path(__file__).parent / "scenarios" / "engine"


def _cases():
    out = []
    for path in sorted(SCENARIOS.glob("*.json")):
        data = json.loads(path.read_text())
        if "cases" in data:
            base = data.get("base", {})
            for i, case in enumerate(data["cases"]):
                merged = copy.deepcopy(base)
                merged.update({k: v for k, v in case.items() if k != "name"})
                out.append(pytest.param(path.name, merged, id=f"{path.stem}[{case.get('name', i)}]"))
        else:
            out.append(pytest.param(path.name, data, id=path.stem))
    return out


def _req_text(r) -> str:
    return f"{r.key} {r.operator} {','.join(r.values)}"


@pytest.mark.parametrize("name,case", _cases())
def test_scenario(name, case):
    expect = case.pop("expect")
    case.pop("description", None)
    if "rejected" in expect:
        with pytest.raises(InputError) as err:
            parse_request(case, file=name)
        assert expect["rejected"].lower() in str(err.value).lower(), str(err.value)
        return
    request = parse_request(case, file=name)
    decision = evaluate(request)
    detail = json.dumps(decision.to_json(), indent=1) + "\nwarnings: " + "; ".join(decision.warnings)
    assert decision.result.value == expect["decision"], detail
    if "rule" in expect:
        assert decision.rule == expect["rule"], detail
    if "conditional" in expect:
        assert decision.conditional == expect["conditional"], detail
    if "requires" in expect:
        got = sorted(sorted(_req_text(r) for r in alt) for alt in decision.requirements)
        want = sorted(sorted(alt) for alt in expect["requires"])
        assert got == want, detail
    if "reason_contains" in expect:
        assert expect["reason_contains"].lower() in decision.reason.lower(), detail
    if "warning_contains" in expect:
        assert any(expect["warning_contains"].lower() in w.lower() for w in decision.warnings), detail
    for key, value in expect.get("settings_used", {}).items():
        assert decision.settings_used.get(key) == value, detail
    if "matched" in expect:
        got = {f"{layer.layer}:{st.policy}/{st.sid if st.sid else st.index}"
               for layer in decision.layers for st in layer.statements}
        for m in expect["matched"]:
            assert m in got, detail


def test_scenarios_exist():
    names = {p.stem.split("_")[0] for p in SCENARIOS.glob("*.json")}
    wanted = {f"T{n:02d}" for n in list(range(1, 40)) + list(range(51, 73))}
    assert wanted <= names, sorted(wanted - names)
