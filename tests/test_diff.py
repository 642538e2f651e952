"""diff: the demo against a modified copy (a trust policy edited, a role added, a user removed) lists exactly
those changes; the same snapshot twice lists none; output is stable."""
from __future__ import annotations

import json
import shutil

import pytest
from conftest import DEMO_ORG

from explorer.analysis.diff import diff_graphs, edge_infos
from explorer.graph import build_trust_graph
from explorer.snapshot import load_snapshot

VENDOR_ROLE = "arn:aws:iam::444444444444:role/AcmeCostExplorerReadOnly"
NEW_ROLE = "arn:aws:iam::444444444444:role/EmergencyAdmin"
GONE_USER = "arn:aws:iam::222222222222:user/people/bob.martin"


@pytest.fixture(scope="module")
def demo_and_copy(tmp_path_factory):
    copy = tmp_path_factory.mktemp("diff") / "demo-modified"
    shutil.copytree(DEMO_ORG, copy)
    f444 = copy / "accounts" / "444444444444" / "authorization-details.json"
    gaad = json.loads(f444.read_text())
    vendor = next(r for r in gaad["RoleDetailList"] if r["Arn"] == VENDOR_ROLE)
    vendor["AssumeRolePolicyDocument"]["Statement"][0]["Condition"] = {"StringEquals": {"sts:ExternalId": "new-id"}}
    gaad["RoleDetailList"].append({
        "Arn": NEW_ROLE, "RoleName": "EmergencyAdmin", "RoleId": "AROAEMERGENCYADMIN001", "Path": "/",
        "CreateDate": "2026-11-01T00:00:00+00:00", "RoleLastUsed": {}, "Tags": [], "InstanceProfileList": [],
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444444444444:role/InfraAdmin"},
             "Action": "sts:AssumeRole"}]},
        "RolePolicyList": [], "AttachedManagedPolicies": [
            {"PolicyName": "AdministratorAccess", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}]})
    if not any(p["Arn"] == "arn:aws:iam::aws:policy/AdministratorAccess" for p in gaad["Policies"]):
        gaad["Policies"].append({"PolicyName": "AdministratorAccess", "Arn": "arn:aws:iam::aws:policy/AdministratorAccess",
                                 "DefaultVersionId": "v1", "Path": "/", "IsAttachable": True, "PolicyVersionList": [
                                     {"VersionId": "v1", "IsDefaultVersion": True, "Document": {
                                         "Version": "2012-10-17",
                                         "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}]})
    f444.write_text(json.dumps(gaad))
    f222 = copy / "accounts" / "222222222222" / "authorization-details.json"
    gaad = json.loads(f222.read_text())
    gaad["UserDetailList"] = [u for u in gaad["UserDetailList"] if u["Arn"] != GONE_USER]
    f222.write_text(json.dumps(gaad))
    old_tg = build_trust_graph(load_snapshot(DEMO_ORG))
    new_tg = build_trust_graph(load_snapshot(copy))
    return old_tg, new_tg, copy


def test_lists_exactly_the_changes(demo_and_copy):
    old_tg, new_tg, _ = demo_and_copy
    d = diff_graphs(old_tg, new_tg)
    old_e = edge_infos(old_tg)
    new_e = edge_infos(new_tg)
    assert d.principals_added == [NEW_ROLE]
    assert d.principals_removed == [GONE_USER]
    # removed: exactly bob's edges; added: exactly the new role's edges
    assert {e.key for e in d.edges_removed} == {k for k in old_e if GONE_USER in k[:2]}
    assert d.edges_removed and all(e.source == GONE_USER for e in d.edges_removed)
    assert {e.key for e in d.edges_added} == {k for k in new_e if NEW_ROLE in k[:2]}
    assert ("arn:aws:iam::444444444444:role/InfraAdmin", NEW_ROLE, "sts:AssumeRole") in {e.key for e in d.edges_added}
    # changed: only the vendor trust's edge, now conditional on sts:ExternalId
    [change] = d.edges_changed
    assert change.old.target == VENDOR_ROLE and change.old.source == "arn:aws:iam::999999999999:root"
    assert "conditions" in change.changed
    assert change.new.state == "conditional"
    assert "sts:ExternalId" in json.dumps(change.new.to_json()["requires"])
    assert "sts:ExternalId" not in json.dumps(change.old.to_json().get("requires", []))
    # chains to administrative roles: new ones lead to the new admin role, lost ones came from bob
    assert d.chains_added and all(c.admin_role == NEW_ROLE for c in d.chains_added)
    assert {c.source for c in d.chains_added} >= {"arn:aws:iam::444444444444:role/InfraAdmin",
                                                  "arn:aws:iam::222222222222:role/SecurityAdmin",
                                                  "arn:aws:iam::222222222222:user/people/alice.nguyen"}
    [alice] = [c for c in d.chains_added if c.source.endswith("alice.nguyen")]
    assert alice.chain[-2:] == ("arn:aws:iam::444444444444:role/InfraAdmin", NEW_ROLE)
    assert all(c.source == GONE_USER for c in d.chains_lost)


def test_same_snapshot_has_no_differences_and_output_is_stable(demo_and_copy):
    old_tg, new_tg, _ = demo_and_copy
    assert diff_graphs(old_tg, old_tg).empty
    a = json.dumps(diff_graphs(old_tg, new_tg).to_json(), sort_keys=True)
    b = json.dumps(diff_graphs(old_tg, new_tg).to_json(), sort_keys=True)
    assert a == b
    out = diff_graphs(old_tg, new_tg).to_json()
    keys = [(e["from"], e["to"], e["action"]) for e in out["edges"]["removed"]]
    assert keys == sorted(keys)


def test_cli_diff(demo_and_copy, capsys):
    from explorer.cli import main
    _, _, copy = demo_and_copy
    assert main(["diff", str(DEMO_ORG), str(copy), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["principals"] == {"added": [NEW_ROLE], "removed": [GONE_USER]}
    assert out["summary"]["edges_changed"] == 1
    assert main(["diff", str(DEMO_ORG), str(copy)]) == 0
    text = capsys.readouterr().out
    assert f"+ {NEW_ROLE}" in text and f"- {GONE_USER}" in text
    assert main(["diff", str(DEMO_ORG), str(copy / "nope")]) == 2
