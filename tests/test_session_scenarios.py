"""Spec scenarios T40-T50 (iam-semantics.md §13, rules D1-D8, T6), one JSON file per case in
tests/scenarios/sessions/.

A case starts from a credential kind and walks its hops: each hop is one STS call (session_rule()); the next
hop's caller kind is credential_kind_after() of the previous hop (via_console marks console sign-ins/switches).
Every hop before the last must succeed; `expected` is checked against the last hop's SessionRule.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from explorer.iam.sessions import credential_kind_after, session_rule
from explorer.iam.settings import Settings

SCENARIOS = Path(__file__).resolve().parent / "scenarios" / "sessions"
CASES = sorted(SCENARIOS.glob("*.json"))
HOP_KEYS = {"action", "role_max_session_seconds", "requested_seconds", "saml_session_not_on_or_after_seconds",
            "console_remaining_seconds", "mfa_supplied", "has_session_policy", "via_console"}
EXPECTED_KEYS = {"may_call", "ok", "chained", "min_seconds", "max_seconds", "default_seconds", "effective_seconds",
                 "limited_by", "settings_used"}


def run_case(case: dict):
    settings = Settings.from_json(case.get("settings"))
    kind = case["start"]
    rules = []
    for i, hop in enumerate(case["hops"]):
        assert kind is not None, f"hop {i}: the previous hop gives no credentials"
        params = {k: v for k, v in hop.items() if k not in ("action", "via_console")}
        rule = session_rule(hop["action"], kind, settings=settings, **params)
        rules.append(rule)
        if i < len(case["hops"]) - 1:
            assert rule.may_call and not rule.fails, f"hop {i} ({hop['action']} by {kind}) fails: {rule.reason}"
            kind = credential_kind_after(hop["action"], kind, via_console=hop.get("via_console", False))
    return rules


def test_all_spec_scenarios_present():
    names = {p.stem for p in CASES}
    for n in range(40, 51):
        assert any(name.startswith(f"T{n}") for name in names), f"scenario T{n} has no file"


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_session_scenario(path: Path):
    case = json.loads(path.read_text())
    assert case["scenario"] == path.stem
    for hop in case["hops"]:
        assert set(hop) <= HOP_KEYS, f"unknown hop keys {set(hop) - HOP_KEYS}"
    expected = case["expected"]
    assert set(expected) <= EXPECTED_KEYS, f"unknown expected keys {set(expected) - EXPECTED_KEYS}"
    rule = run_case(case)[-1]
    got = rule.to_json()
    for key, want in expected.items():
        assert got[key] == want, f"{path.name}: {key} = {got[key]!r}, expected {want!r}. Reason: {rule.reason}"
    # The reason is words, and a failing request says so.
    assert rule.reason
    if expected.get("ok") is False:
        assert "FAILS" in rule.reason
