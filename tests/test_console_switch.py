"""Console role switching (spec D8, T9, T29, T49): explorer.analysis.console_switch, the CLI's --console and the
chains dock's "console only"."""
from __future__ import annotations

import json

from explorer.analysis.console_switch import (console_graph, console_paths, console_reach_from, console_reach_to,
                                              console_requires)
from explorer.analysis.paths import find_paths
from explorer.graph import build_trust_graph
from explorer.iam.context import Context
from explorer.iam.decision import Requirement
from conftest import DEMO_ORG, run_cli
from graph_scenarios import build_snapshot

A, B, F = "111111111111", "222222222222", "999999999999"
USER = f"arn:aws:iam::{A}:user/u"
IDP = f"arn:aws:iam::{A}:saml-provider/Idp"


def _role(acct, name):
    return f"arn:aws:iam::{acct}:role/{name}"


def _trust(principal, cond=None, action="sts:AssumeRole"):
    st = {"Effect": "Allow", "Principal": principal, "Action": action}
    if cond:
        st["Condition"] = cond
    return st


ALLOW = [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]


def _estate():
    """u (account A) may assume Hop (12 h), Vendor (ExternalId only), Either (ExternalId or MFA); Hop may assume
    Far (B, 12 h); the SAML provider signs in as Fed (8 h), which may assume Far."""
    spec = {"accounts": {
        A: {"saml": ["Idp"],
            "users": [{"name": "u", "policies": [ALLOW]}],
            "roles": [
                {"name": "Hop", "max_session": 43200, "trust": [_trust({"AWS": USER})], "policies": [ALLOW]},
                {"name": "Vendor", "trust": [_trust({"AWS": USER}, {"StringEquals": {"sts:ExternalId": "x1"}})]},
                {"name": "Either", "trust": [
                    _trust({"AWS": USER}, {"StringEquals": {"sts:ExternalId": "x1"}}),
                    _trust({"AWS": USER}, {"Bool": {"aws:MultiFactorAuthPresent": "true"}})]},
                {"name": "NoExtId", "trust": [_trust({"AWS": USER}, {"Null": {"sts:ExternalId": "true"}})]},
                {"name": "Fed", "max_session": 28800, "policies": [ALLOW],
                 "trust": [_trust({"Federated": IDP}, action="sts:AssumeRoleWithSAML")]}]},
        B: {"roles": [{"name": "Far", "max_session": 43200,
                       "trust": [_trust({"AWS": [_role(A, "Hop"), _role(A, "Fed")]})]}]}}}
    return build_trust_graph(build_snapshot(spec))


def test_console_requires_keeps_alternatives_met_with_external_id_absent():
    ext = Requirement("sts:ExternalId", "StringEquals", ("x1",))
    mfa = Requirement("aws:MultiFactorAuthPresent", "Bool", ("true",))
    null = Requirement("sts:ExternalId", "Null", ("true",))
    assert console_requires(()) == ()
    assert console_requires(((ext,),)) is None
    assert console_requires(((ext,), (mfa,))) == ((mfa,),)
    assert console_requires(((null, mfa),)) == ((null, mfa),)


def test_user_switches_one_hop_never_through_the_role_switched_to():
    tg = _estate()
    far = _role(B, "Far")
    # by API calls the user reaches Far through Hop; in the console the switch to Far would be made by the user
    assert [p.nodes for p in find_paths(tg, USER, far)] == [[USER, _role(A, "Hop"), far]]
    assert console_paths(tg, USER, far) == []
    reach = console_reach_from(tg, USER)
    assert set(reach) == {_role(A, "Hop"), _role(A, "Either"), _role(A, "NoExtId")}  # not Vendor (T29), not Far
    hop = reach[_role(A, "Hop")]
    assert hop.console and len(hop) == 1 and hop.max_session_seconds == 43200 and not hop.chained
    assert "console" in hop.hops[0].session.reason
    assert hop.to_json()["console"] is True
    # Either: only the MFA alternative is left
    either = reach[_role(A, "Either")]
    assert [str(r) for alt in either.hops[0].requires for r in alt] == ["aws:MultiFactorAuthPresent Bool true"]


def test_federated_sign_in_then_one_switch_capped_at_one_hour():
    tg = _estate()
    far = _role(B, "Far")
    paths = console_paths(tg, IDP, far)
    assert [p.nodes for p in paths] == [[IDP, _role(A, "Fed"), far]]
    p = paths[0]
    assert p.hops[0].max_session_seconds == 28800 and not p.hops[0].chained
    assert p.max_session_seconds == 3600 and p.chained and p.limited_by == "role chaining"
    assert set(console_reach_from(tg, IDP)) == {_role(A, "Fed"), far}
    # who reaches Far from the console: Hop and Fed as console sessions, the provider through Fed; not the user
    to_far = console_reach_to(tg, far)
    assert set(to_far) == {_role(A, "Hop"), _role(A, "Fed"), IDP}
    assert to_far[IDP].nodes == [IDP, _role(A, "Fed"), far]


def test_a_context_that_fixes_the_external_id_is_set_aside():
    tg = _estate().with_context(Context({"sts:ExternalId": "x1"}, closed=False))
    assert _role(A, "Vendor") in {p.nodes[-1] for p in find_paths(tg, USER, _role(A, "Vendor"))}
    ctg = console_graph(tg)
    assert ctg is not tg and ctg.context.get("sts:ExternalId") is None
    assert console_paths(ctg, USER, _role(A, "Vendor")) == []
    assert console_graph(tg) is ctg  # cached
    assert console_graph(_estate()) is not None


def test_cli_console_flag(capsys):
    rc, out, _ = run_cli(capsys, "paths", DEMO_ORG, "--from", "alice.nguyen", "--to", "BreakGlassAdmin", "--console",
                         "--quiet")
    assert rc == 0 and "Console (Switch Role) chains" in out and "none" in out
    assert "there are chains by API calls" in out
    rc, out, _ = run_cli(capsys, "paths", DEMO_ORG, "--from", "ec2.amazonaws.com", "--to", "ArtifactReader", "--console",
                         "--quiet")
    assert rc == 0 and "is an AWS service, not a console identity" in out and "chains by API" not in out
    # under a context that fixes the right ExternalId the API chain exists (the console one still does not)
    rc, out, _ = run_cli(capsys, "paths", DEMO_ORG, "--from", "999999999999", "--to", "AcmeMonitoringIntegration",
                         "--console", "--context", "sts:ExternalId=ExampleCorp-7f3a9c2e", "--quiet")
    assert rc == 0 and "none" in out and "there are chains by API calls" in out
    rc, out, _ = run_cli(capsys, "reach", DEMO_ORG, "--to", "arn:aws:iam::666666666666:role/OrganizationAccountAccessRole",
                         "--console", "--json", "--quiet")
    data = json.loads(out)
    assert rc == 0 and data["console"] is True
    found = {r["principal"]: r for r in data["reach"]}
    saml = "arn:aws:iam::111111111111:saml-provider/ExampleCorpOkta"
    assert found[saml]["hops"] == 2 and found[saml]["max_session_seconds"] == 3600
    assert all(r["path"]["console"] for r in data["reach"])


def test_chains_dock_console_only(qtbot, tmp_path):
    from ui_fixtures import open_demo_window
    w = open_demo_window(qtbot, tmp_path)
    pp = w.paths_panel

    def settled():
        w.model.wait(60000)
        qtbot.waitUntil(lambda: not w.model.paths_searching, timeout=30000)
        return w.model.paths

    def chains(source, target):
        w.model.find_paths(source, target)
        return settled()

    paths = chains("arn:aws:iam::222222222222:user/people/alice.nguyen", "arn:aws:iam::666666666666:role/BreakGlassAdmin")
    assert len(paths) == 1 and not paths[0].console
    pp.console_check.setChecked(True)
    assert settled() == [] and "signed-in identity" in pp.status.text()
    paths = chains("arn:aws:iam::111111111111:saml-provider/ExampleCorpOkta",
                   "arn:aws:iam::666666666666:role/OrganizationAccountAccessRole")
    assert [len(p) for p in paths] == [2] and paths[0].console
    pp.select_row(0)
    assert w.inspector.summary.text().startswith("console Switch Role")
    paths = chains("ec2.amazonaws.com", "arn:aws:iam::444444444444:role/ArtifactReader")
    assert paths == [] and "the source is an AWS service, not a console identity" in pp.status.text()
