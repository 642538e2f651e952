"""Chains, reach and session limits on the bundled demo organization (resources/demo-org/README.md items)."""
from __future__ import annotations

import pytest

from conftest import DEMO_ORG
from explorer.analysis.paths import find_paths, path_from_nodes, reach_from, reach_to
from explorer.errors import InputError
from explorer.graph import build_trust_graph
from explorer.graph import schema as S
from explorer.iam.context import Context
from explorer.iam.settings import Settings
from explorer.snapshot import load_snapshot

ALICE = "arn:aws:iam::222222222222:user/people/alice.nguyen"
BOB = "arn:aws:iam::222222222222:user/people/bob.martin"
SECURITY_ADMIN = "arn:aws:iam::222222222222:role/SecurityAdmin"
INFRA_ADMIN = "arn:aws:iam::444444444444:role/InfraAdmin"
PROD_ADMIN = "arn:aws:iam::666666666666:role/ProdAdmin"
BREAK_GLASS = "arn:aws:iam::666666666666:role/BreakGlassAdmin"
PROD_DEPLOY = "arn:aws:iam::666666666666:role/ProdDeploy"
ARTIFACT_READER = "arn:aws:iam::444444444444:role/ArtifactReader"
APP_EC2 = "arn:aws:iam::666666666666:role/app-server-ec2"
GH_444 = "arn:aws:iam::444444444444:oidc-provider/token.actions.githubusercontent.com"
GH_888 = "arn:aws:iam::888888888888:oidc-provider/token.actions.githubusercontent.com"
INFRA_DEPLOY = "arn:aws:iam::444444444444:role/github-actions-infra-deploy"
SANDBOX_GH = "arn:aws:iam::888888888888:role/github-actions-sandbox"
INCIDENT = "arn:aws:iam::222222222222:role/IncidentResponder"
AUDITOR_666 = "arn:aws:iam::666666666666:role/security/SecurityAuditor"
CONTRACTOR = "arn:aws:iam::777777777777:role/ContractorAccess"


@pytest.fixture(scope="module")
def snap():
    if not DEMO_ORG.exists():
        pytest.skip("demo organization not present")
    return load_snapshot(DEMO_ORG)


@pytest.fixture(scope="module")
def tg(snap):
    return build_trust_graph(snap)


def test_d08_admin_chain_is_capped_by_role_chaining(tg):
    paths = find_paths(tg, ALICE, BREAK_GLASS)
    assert [p.nodes for p in paths][0] == [ALICE, SECURITY_ADMIN, INFRA_ADMIN, PROD_ADMIN, BREAK_GLASS]
    p = paths[0]
    assert len(p) == 4 and p.conditional  # hop 1 needs MFA
    assert p.hops[0].conditional and p.hops[0].edge[S.BADGES] == ("MFA",)
    assert [h.cross_account for h in p.hops] == [False, True, True, False]
    assert tg.graph.nodes[BREAK_GLASS][S.MAX_SESSION] == 43200
    assert p.max_session_seconds == 3600 and p.limited_by == "role chaining"
    assert [h.chained for h in p.hops] == [False, True, True, True]
    first = p.hops[0]
    assert first.max_session_seconds == 3600 and first.session.limited_by == "MaxSessionDuration"
    js = p.to_json()
    assert js["max_session_seconds"] == 3600 and js["conditional"] is True
    assert js["hops"][0]["requires"] == [{"key": "aws:MultiFactorAuthPresent", "operator": "Bool",
                                          "values": ["true"]}]
    assert any("one hour" in line for line in p.describe())


def test_d08_mfa_fixed_makes_the_chain_unconditional(tg):
    tg2 = tg.with_context(Context({"aws:MultiFactorAuthPresent": "true"}, closed=False))
    p = find_paths(tg2, ALICE, BREAK_GLASS)[0]
    assert not p.conditional and p.max_session_seconds == 3600


def test_d09_first_hop_gets_the_role_max_session(tg):
    tg2 = tg.with_context(Context({"aws:MultiFactorAuthPresent": "true"}, closed=False))
    p = find_paths(tg2, BOB, AUDITOR_666)[0]
    assert len(p) == 1 and p.hops[0].cross_account
    assert p.max_session_seconds == 14400 and p.limited_by == "MaxSessionDuration" and not p.chained


def test_d19_user_named_directly_and_boundary_exception(tg):
    p = find_paths(tg, BOB, INCIDENT)[0]
    assert p.max_session_seconds == 7200
    dave = "arn:aws:iam::222222222222:user/people/dave.contractor"
    assert find_paths(tg, dave, INCIDENT) == []
    denied = find_paths(tg, dave, INCIDENT, include_denied=True)
    assert len(denied) == 1 and denied[0].denied


def test_d13_oidc_then_chained_hop(tg):
    p = find_paths(tg, GH_444, PROD_DEPLOY)[0]
    assert p.nodes == [GH_444, INFRA_DEPLOY, PROD_DEPLOY]
    assert p.hops[0].action == S.ASSUME_ROLE_WEB_IDENTITY and "Claim" in p.hops[0].edge[S.BADGES]
    assert not p.hops[0].chained and p.hops[1].chained and p.max_session_seconds == 3600


def test_d21_instance_profile_credentials_chain(tg, snap):
    p = find_paths(tg, "ec2.amazonaws.com", ARTIFACT_READER)[0]
    assert p.nodes == ["ec2.amazonaws.com", APP_EC2, ARTIFACT_READER]
    assert p.hops[0].session.limited_by == "service-managed" and p.hops[0].max_session_seconds is None
    assert p.hops[1].chained and p.limited_by == "role chaining"
    relaxed = build_trust_graph(snap, settings=Settings(instance_profile_assume_is_chained=False))
    q = find_paths(relaxed, "ec2.amazonaws.com", ARTIFACT_READER)[0]
    assert not q.hops[1].chained and q.limited_by == "MaxSessionDuration"


def test_d31_unknown_max_session_is_noted(tg):
    p = find_paths(tg, GH_888, SANDBOX_GH)[0]
    assert p.max_session_seconds == 3600
    assert "roles.json" in p.to_json()["max_session_note"]
    assert "note" in p.session_summary()


def test_d06_scp_denied_edges_form_no_paths(tg):
    assert tg.graph[PROD_DEPLOY][BREAK_GLASS][S.ASSUME_ROLE][S.STATE] == S.DENIED
    assert "RestrictBreakGlass" in tg.graph[PROD_DEPLOY][BREAK_GLASS][S.ASSUME_ROLE][S.REASON]
    assert find_paths(tg, PROD_DEPLOY, BREAK_GLASS) == []
    assert [p.nodes for p in find_paths(tg, PROD_DEPLOY, BREAK_GLASS, include_denied=True)][0] == [PROD_DEPLOY,
                                                                                                 BREAK_GLASS]


def test_d07_rcp_denied_foreign_edge(tg):
    data = tg.graph["arn:aws:iam::210987654321:root"][CONTRACTOR][S.ASSUME_ROLE]
    assert data[S.STATE] == S.DENIED and "DataPerimeterIdentities" in data[S.REASON]
    vendor = tg.graph["arn:aws:iam::999999999999:root"]["arn:aws:iam::666666666666:role/AcmeMonitoringIntegration"]
    assert vendor[S.ASSUME_ROLE][S.BADGES] == ("ExternalId", "Foreign")


def test_d20_revoked_sessions_depend_on_token_issue_time(tg):
    assert tg.graph[PROD_DEPLOY][ARTIFACT_READER][S.ASSUME_ROLE][S.BADGES] == ("Session",)
    old = tg.with_context(Context({"aws:TokenIssueTime": "2026-09-01T00:00:00Z"}, closed=False))
    assert reach_from(old, PROD_DEPLOY) == {}
    new = tg.with_context(Context({"aws:TokenIssueTime": "2026-11-01T00:00:00Z"}, closed=False))
    assert ARTIFACT_READER in reach_from(new, PROD_DEPLOY)
    # users' long-term keys carry no TokenIssueTime: ci-jenkins keeps its edge in both
    jenkins = "arn:aws:iam::444444444444:user/service-accounts/ci-jenkins"
    assert PROD_DEPLOY in reach_from(old, jenkins) and PROD_DEPLOY in reach_from(new, jenkins)


def test_reach_from_and_to(tg):
    roles = reach_from(tg, ALICE)
    assert BREAK_GLASS in roles and len(roles[BREAK_GLASS]) == 4
    assert all(tg.graph.nodes[n][S.KIND] in (S.ROLE, S.SERVICE_LINKED_ROLE) for n in roles)
    assert sum(1 for n in roles if n.endswith("role/security/SecurityAuditor")) == 7
    limited = reach_from(tg, ALICE, max_hops=1)
    assert BREAK_GLASS not in limited and SECURITY_ADMIN in limited
    who = reach_to(tg, BREAK_GLASS)
    assert ALICE in who and who[ALICE].nodes[0] == ALICE and who[ALICE].nodes[-1] == BREAK_GLASS
    assert PROD_DEPLOY not in who  # denied by the SCP
    assert "arn:aws:iam::111111111111:saml-provider/ExampleCorpOkta" in who  # via OrgAdmin -> member admin roles


def test_k_shortest_and_all_paths(tg):
    all_paths = find_paths(tg, "arn:aws:iam::111111111111:saml-provider/ExampleCorpOkta", ARTIFACT_READER)
    assert len(all_paths) > 1
    lengths = [len(p) for p in all_paths]
    assert lengths == sorted(lengths)
    k1 = find_paths(tg, "arn:aws:iam::111111111111:saml-provider/ExampleCorpOkta", ARTIFACT_READER, k=1)
    assert len(k1) == 1 and len(k1[0]) == lengths[0]
    short = find_paths(tg, ALICE, BREAK_GLASS, max_hops=3)
    assert short == []


def test_path_from_nodes_and_errors(tg):
    p = path_from_nodes(tg, ["alice.nguyen", "SecurityAdmin", "InfraAdmin"])
    assert p.nodes == [ALICE, SECURITY_ADMIN, INFRA_ADMIN]
    with pytest.raises(InputError):
        path_from_nodes(tg, [ALICE, BREAK_GLASS])
    with pytest.raises(InputError):
        find_paths(tg, "no-such-principal", BREAK_GLASS)


def test_d36_okta_developer_reaches_the_abac_role_with_a_session_tag(tg):
    saml = "arn:aws:iam::777777777777:saml-provider/ExampleCorpOkta"
    developer = "arn:aws:iam::777777777777:role/okta/Developer"
    analyst = "arn:aws:iam::777777777777:role/DataPlatformAnalyst"
    (path,) = find_paths(tg, saml, analyst)
    assert path.nodes == [saml, developer, analyst]
    hop = path.hops[1]
    assert hop.state == S.CONDITIONAL and hop.edge[S.SESSION_TAGS] == ("team",)
    assert [(r.key, r.values) for alt in hop.requires for r in alt] == [("aws:PrincipalTag/team", ("data-platform",))]
    assert hop.chained and path.max_session_seconds == 3600
    # who else could: nobody has the tag, and DevAdmin's sessions cannot carry session tags
    assert set(reach_to(tg, analyst)) == {saml, developer}
    # the analyst says what the tag is: the rule is off for that key
    assert not tg.with_context(Context({"aws:PrincipalTag/team": "engineering"}, closed=False)).graph.has_edge(
        developer, analyst)
