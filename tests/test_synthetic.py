"""The synthetic organization generator (explorer/snapshot/synthetic.py): deterministic, the documented folder
shape, the promised counts and trust patterns, loadable."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from explorer.snapshot.synthetic import generate_org, main

GITHUB = "token.actions.githubusercontent.com"


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _statements(doc) -> list[dict]:
    if isinstance(doc, str):
        from urllib.parse import unquote
        doc = json.loads(unquote(doc))
    st = doc["Statement"]
    return st if isinstance(st, list) else [st]


def _as_list(v) -> list:
    return v if isinstance(v, list) else [v]


@pytest.fixture(scope="module")
def medium(tmp_path_factory) -> Path:
    return generate_org(tmp_path_factory.mktemp("synth") / "org", accounts=24, principals_per_account=40, seed=7)


@pytest.fixture(scope="module")
def medium_gaad(medium) -> dict[str, dict]:
    return {p.name: json.loads((p / "authorization-details.json").read_text())
            for p in sorted((medium / "accounts").iterdir())}


def test_same_seed_gives_byte_identical_files(tmp_path):
    a = generate_org(tmp_path / "a", accounts=6, principals_per_account=15, seed=3)
    b = generate_org(tmp_path / "b", accounts=6, principals_per_account=15, seed=3)
    assert isinstance(a, Path) and a == tmp_path / "a"
    fa, fb = _files(a), _files(b)
    assert fa and fa == fb


def test_another_seed_gives_other_files(tmp_path):
    a = _files(generate_org(tmp_path / "a", accounts=6, principals_per_account=15, seed=1))
    b = _files(generate_org(tmp_path / "b", accounts=6, principals_per_account=15, seed=2))
    gaads = sorted(k for k in a if k.endswith("authorization-details.json"))
    assert gaads == sorted(k for k in b if k.endswith("authorization-details.json")) and len(gaads) == 6
    assert any(a[k] != b[k] for k in gaads)


def test_folder_shape_and_counts(medium, medium_gaad):
    manifest = json.loads((medium / "manifest.json").read_text())
    assert manifest["format"] == "iam-trust-snapshot" and manifest["version"] == 1 and manifest["gaps"] == []
    org = json.loads((medium / "organization.json").read_text())
    ids = [a["Id"] for a in org["Accounts"]]
    assert sorted(ids) == sorted(medium_gaad) and len(ids) == 24 == len(set(ids))
    assert all(len(i) == 12 and i.isdigit() for i in ids)
    assert org["Organization"]["MasterAccountId"] == ids[0]
    for acct, d in medium_gaad.items():
        assert set(d) == {"UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"}
        assert len(d["UserDetailList"]) + len(d["RoleDetailList"]) == 40, acct
        assert len(d["RoleDetailList"]) > len(d["UserDetailList"])
        arns = {p["Arn"] for p in d["Policies"]}
        for item in d["UserDetailList"] + d["GroupDetailList"] + d["RoleDetailList"]:
            for ref in item["AttachedManagedPolicies"]:
                assert ref["PolicyArn"] in arns
            if "PermissionsBoundary" in item:
                assert item["PermissionsBoundary"]["PermissionsBoundaryArn"] in arns
        for p in d["Policies"]:
            (v,) = p["PolicyVersionList"]
            assert v["IsDefaultVersion"] and v["VersionId"] == p["DefaultVersionId"]
            assert p["AttachmentCount"] + p["PermissionsBoundaryUsageCount"] > 0 or not p["Arn"].startswith(
                "arn:aws:iam::aws:")
        listed = json.loads((medium / "accounts" / acct / "roles.json").read_text())["Roles"]
        assert [r["Arn"] for r in listed] == [r["Arn"] for r in d["RoleDetailList"]]
        assert all(3600 <= r["MaxSessionDuration"] <= 43200 for r in listed)
        group_names = {g["GroupName"] for g in d["GroupDetailList"]}
        for u in d["UserDetailList"]:
            assert set(u["GroupList"]) <= group_names
    unique = [r["RoleId"] for d in medium_gaad.values() for r in d["RoleDetailList"]]
    unique += [u["UserId"] for d in medium_gaad.values() for u in d["UserDetailList"]]
    assert len(unique) == len(set(unique))


def test_trust_patterns_present(medium, medium_gaad):
    roles = {r["Arn"]: r for d in medium_gaad.values() for r in d["RoleDetailList"]}
    users = {u["Arn"] for d in medium_gaad.values() for u in d["UserDetailList"]}
    org = json.loads((medium / "organization.json").read_text())
    mgmt = org["Organization"]["MasterAccountId"]
    org_ids = {a["Id"] for a in org["Accounts"]}
    kinds = Counter()
    chain_edges: dict[str, str] = {}
    for arn, r in roles.items():
        acct = arn.split(":")[4]
        for s in _statements(r["AssumeRolePolicyDocument"]):
            principal = s["Principal"]
            cond = s.get("Condition", {})
            if "Service" in principal:
                kinds["service"] += 1
            elif "Federated" in principal:
                sub = cond.get("StringEquals", {}).get(f"{GITHUB}:sub")
                like = cond.get("StringLike", {}).get(f"{GITHUB}:sub")
                kinds["oidc restricted" if sub else "oidc repo:*" if like == "repo:*" else "oidc no sub"] += 1
            else:
                for p in _as_list(principal["AWS"]):
                    if p == "*":
                        assert cond == {"StringEquals": {"aws:PrincipalOrgID": org["Organization"]["Id"]}}
                        kinds["wildcard+org"] += 1
                    elif p.endswith(":root"):
                        other = p.split(":")[4]
                        if other == mgmt and r["RoleName"] == "OrganizationAccountAccessRole":
                            kinds["org access"] += 1
                        elif other not in org_ids:
                            kinds["vendor external id" if "sts:ExternalId" in json.dumps(cond) else "vendor plain"] += 1
                        elif other == acct:
                            kinds["same-account root"] += 1
                        else:
                            kinds["cross-account root"] += 1
                    elif p in users:
                        assert p.split(":")[4] == acct
                        kinds["user"] += 1
                    elif p.endswith(":role/HubAdmin"):
                        kinds["hub"] += 1
                    else:
                        assert p in roles, p
                        if r["RoleName"].startswith("chain-"):
                            chain_edges[arn] = p
                        kinds["role"] += 1
    for kind in ("service", "oidc restricted", "wildcard+org", "org access", "vendor external id",
                 "same-account root", "cross-account root", "user", "hub", "role"):
        assert kinds[kind] > 0, (kind, kinds)
    assert kinds["oidc repo:*"] + kinds["oidc no sub"] + kinds["vendor plain"] > 0
    # role chains of several hops, crossing accounts
    longest, crossing = 0, False
    for start in chain_edges:
        hops, node, seen = 0, start, set()
        while node in chain_edges and node not in seen:
            seen.add(node)
            crossing |= node.split(":")[4] != chain_edges[node].split(":")[4]
            node = chain_edges[node]
            hops += 1
        longest = max(longest, hops)
    assert longest >= 3 and crossing
    assert any("PermissionsBoundary" in r for r in roles.values())
    assert any(p["PolicyName"] == "AWSRevokeOlderSessions" for r in roles.values() for p in r["RolePolicyList"])
    assert any(r["InstanceProfileList"] for r in roles.values())
    assert any(not r["RoleLastUsed"] for r in roles.values())
    scps = [p for p in org["Policies"] if p["Type"] == "SERVICE_CONTROL_POLICY"]
    ou_targets = {t for p in scps if not p["AwsManaged"] for t in p["Targets"] if t.startswith("ou-")}
    assert len(ou_targets) >= 3
    assert any(p["Type"] == "RESOURCE_CONTROL_POLICY" and not p["AwsManaged"] for p in org["Policies"])


def test_chain_roles_may_assume_the_next_hop(medium_gaad):
    """Every trusted chain role holds an identity Allow for sts:AssumeRole on chain-* roles (cross-account rule)."""
    for d in medium_gaad.values():
        for r in d["RoleDetailList"]:
            if r["RoleName"].startswith("chain-"):
                docs = [p["PolicyDocument"] for p in r["RolePolicyList"]]
                assert any(s["Action"] == "sts:AssumeRole" and s["Resource"] == "arn:aws:iam::*:role/chain-*"
                           for doc in docs for s in _statements(doc))


def test_tiny_organizations(tmp_path):
    out = generate_org(tmp_path / "one", accounts=1, principals_per_account=1, seed=0)
    (acct,) = list((out / "accounts").iterdir())
    d = json.loads((acct / "authorization-details.json").read_text())
    assert len(d["RoleDetailList"]) + len(d["UserDetailList"]) == 1
    out = generate_org(tmp_path / "three", accounts=3, principals_per_account=3, seed=0)
    for acct in (out / "accounts").iterdir():
        d = json.loads((acct / "authorization-details.json").read_text())
        assert len(d["RoleDetailList"]) + len(d["UserDetailList"]) == 3
    with pytest.raises(ValueError):
        generate_org(tmp_path / "zero", accounts=0, principals_per_account=3)


def test_command_line(tmp_path, capsys):
    assert main(["--accounts", "3", "--principals", "5", "--seed", "2", "--out", str(tmp_path / "cli")]) == 0
    assert "3 accounts x 5 principals" in capsys.readouterr().out
    assert _files(tmp_path / "cli") == _files(generate_org(tmp_path / "api", accounts=3, principals_per_account=5,
                                                           seed=2))
    assert main(["--accounts", "0", "--out", str(tmp_path / "bad")]) == 2
    assert "at least 1" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["--accounts", "many", "--out", str(tmp_path / "bad")])
    assert exc.value.code == 2


def test_loads_without_errors(medium):
    snapshot = pytest.importorskip("explorer.snapshot")
    snap = snapshot.load_snapshot(medium)
    assert not snap.report.errors, [str(i) for i in snap.report.errors[:5]]
    assert not snap.report.warnings, [str(i) for i in snap.report.warnings[:5]]
    assert len(snap.accounts) == 24
    assert sum(1 for _ in snap.roles()) + sum(1 for _ in snap.users()) == 24 * 40
    assert all(r.max_session_duration_known for r in snap.roles())
    assert snap.organization is not None and len(snap.organization.accounts) == 24
