"""The search box finds users and roles by unique id (UserId / RoleId), as trust policies naming a deleted
principal and CloudTrail's principalId show them: exact, case-sensitive, and "AROA…:session" finds the role."""
from __future__ import annotations

import pytest

from conftest import DEMO_ORG
from explorer.graph import build_trust_graph
from explorer.graph import schema as S
from explorer.render import scene as SC
from explorer.snapshot import load_snapshot
from explorer.ui.search import SearchBox, UniqueId, search_entries
from ui_fixtures import DEV, MGMT, arn, small_estate, small_graph

SECURITY_ADMIN = "arn:aws:iam::222222222222:role/SecurityAdmin"
ALICE = "arn:aws:iam::222222222222:user/people/alice.nguyen"


@pytest.fixture()
def small_box(qtbot):
    g = small_graph()
    g.nodes[arn(MGMT, "user", "alice")][S.UNIQUE_ID] = "AIDAEXAMPLEALICE0001"
    g.nodes[arn(DEV, "role", "Deployer")][S.UNIQUE_ID] = "AROAEXAMPLEDEPLOY001"
    box = SearchBox()
    qtbot.addWidget(box)
    box.set_entries(search_entries(g, small_estate()))
    return box


def test_unique_ids_are_found_exactly(small_box):
    assert small_box.lookup("AIDAEXAMPLEALICE0001") == arn(MGMT, "user", "alice")
    assert small_box.lookup("  AROAEXAMPLEDEPLOY001 ") == arn(DEV, "role", "Deployer")


def test_assumed_role_principal_id_finds_the_role(small_box):
    assert small_box.lookup("AROAEXAMPLEDEPLOY001:ci-run-42") == arn(DEV, "role", "Deployer")
    assert small_box.lookup("AROAEXAMPLEDEPLOY001:") == arn(DEV, "role", "Deployer")


def test_unique_ids_are_case_sensitive_and_not_fragments(small_box):
    assert small_box.lookup("aroaexampledeploy001") is None
    assert small_box.lookup("AROAEXAMPLEDEPLOY00") is None
    assert small_box.lookup("AROAOTHERROLE0000001:session") is None


def test_ids_stay_out_of_the_completer_but_names_still_work(small_box):
    listed = small_box.model_.stringList()
    assert not any("AROAEXAMPLE" in t or "AIDAEXAMPLE" in t for t in listed)
    assert small_box.lookup("Deployer") == arn(DEV, "role", "Deployer")
    assert small_box.lookup("orgadmin") == arn(MGMT, "role", "OrgAdmin")


def test_entries_mark_unique_ids(small_box):
    g = small_graph()
    g.nodes[arn(MGMT, "user", "alice")][S.UNIQUE_ID] = "AIDAEXAMPLEALICE0001"
    ids = [(t, n) for t, n in search_entries(g, small_estate()) if isinstance(t, UniqueId)]
    assert ids == [("AIDAEXAMPLEALICE0001", arn(MGMT, "user", "alice"))]


def test_demo_org_ids_from_the_trail(qtbot):
    tg = build_trust_graph(load_snapshot(DEMO_ORG))
    box = SearchBox()
    qtbot.addWidget(box)
    box.set_entries(search_entries(tg.graph, SC.estate_of(tg)))
    assert box.lookup("AROAF4A3RSWJ37EOOJKDI") == SECURITY_ADMIN  # SecurityAdmin's RoleId
    assert box.lookup("AIDAKT4HPZUM3C2HXD4J6") == ALICE  # alice's UserId
    assert box.lookup("AROAF4A3RSWJ37EOOJKDI:alice.nguyen") == SECURITY_ADMIN  # CloudTrail principalId
    assert box.lookup("aidakt4hpzum3c2hxd4j6") is None
