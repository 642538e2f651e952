"""Helpers for the trust-graph tests: build a Snapshot model directly from a compact scenario description
(the files in tests/scenarios/graph/), without the loader.

Scenario file (JSON):
{
  "title": "...", "rules": ["T18"],
  "settings": {...},                                   optional Settings.from_json
  "organization": {"id": "o-1", "master": "333333333333",
                   "ous": [{"id": "ou-1", "parent": "r-1"}],
                   "accounts": {"111111111111": "r-1", "222222222222": "ou-1"},
                   "scps": [{"name": "...", "targets": ["r-1"], "statements": [...]}],
                   "rcps": [...]},
  "accounts": {"111111111111": {
       "users": [{"name": "u", "policies": [[statements] | document], "boundary": ..., "groups": ["g"],
                  "tags": {}, "id": "AIDA..."}],
       "groups": [{"name": "g", "policies": [...]}],
       "roles": [{"name": "R", "trust": [statements] | document, "policies": [...], "boundary": ...,
                  "tags": {}, "path": "/", "max_session": 43200, "id": "AROA..."}],
       "saml": ["name"], "oidc": ["token.actions.githubusercontent.com"],
       "resource_policies": [{"arn": "...", "statements": [...]}]}},
  "cases": [{"name": "...", "context": {"key": "value" | [values] | null},
             "edges": [{"from": ARN or name, "to": ARN or name, "action": "sts:AssumeRole",
                        "state": "allowed" | "conditional" | "denied" | "absent",
                        "badges": [...], "requires_keys": [...], "cross_account": bool}],
             "no_out_edges": [node...], "nodes": {node: kind}, "role_notes": {role: "substring"},
             "chains": [{"from": node, "to": node, "console": bool (console Switch Role chains),
                         "include_denied": bool, "paths": [[node, ...], ...] (every chain, in order),
                         "max_session": seconds, "limited_by": "...", "conditional": bool,
                         "blocked": bool (first chain's session tags cannot be passed)}]}]
}
`null` in a context fixes the key as absent. A chain's "max_session" / "limited_by" / "conditional" / "blocked"
are those of the first chain.
"""
from __future__ import annotations

import json
from pathlib import Path

from explorer.snapshot.model import (Account, Group, OidcProvider, OrgAccount, Organization, OrgPolicy, OrgUnit,
                                     PolicyRef, ResourcePolicy, Role, SamlProvider, Snapshot, User, SCP, RCP)

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios" / "graph"


def doc(value) -> dict:
    if isinstance(value, dict):
        return value if "Statement" in value else {"Version": "2012-10-17", "Statement": [value]}
    return {"Version": "2012-10-17", "Statement": list(value)}


def _refs(items, owner: str) -> list[PolicyRef]:
    return [PolicyRef(name=f"{owner}-policy-{i + 1}", kind="inline", document=doc(p),
                      source=f"scenario#{owner}/policies/{i}") for i, p in enumerate(items or [])]


def _uid(prefix: str, account: str, name: str) -> str:
    base = "".join(ch for ch in (account + name).upper() if ch.isalnum())
    return (prefix + base + "X" * 16)[:21]


def build_snapshot(spec: dict, name: str = "scenario") -> Snapshot:
    snap = Snapshot(name=name, path=name)
    for acct_id, a in (spec.get("accounts") or {}).items():
        acct = Account(id=acct_id, name=a.get("name", ""))
        for g in a.get("groups", []):
            arn = f"arn:aws:iam::{acct_id}:group/{g['name']}"
            acct.groups[arn] = Group(name=g["name"], arn=arn, group_id=_uid("AGPA", acct_id, g["name"]),
                                     account_id=acct_id, inline_policies=_refs(g.get("policies"), g["name"]))
        for u in a.get("users", []):
            arn = f"arn:aws:iam::{acct_id}:user{u.get('path', '/')}{u['name']}"
            b = u.get("boundary")
            acct.users[arn] = User(
                name=u["name"], arn=arn, user_id=u.get("id") or _uid("AIDA", acct_id, u["name"]), account_id=acct_id,
                groups=list(u.get("groups", [])), inline_policies=_refs(u.get("policies"), u["name"]),
                permissions_boundary=PolicyRef("boundary", "managed", doc(b), arn=f"arn:aws:iam::{acct_id}:policy/b")
                if b is not None else None, tags=dict(u.get("tags", {})))
        for r in a.get("roles", []):
            path = r.get("path", "/")
            arn = f"arn:aws:iam::{acct_id}:role{path}{r['name']}"
            b = r.get("boundary")
            trust = r.get("trust")
            acct.roles[arn] = Role(
                name=r["name"], arn=arn, role_id=r.get("id") or _uid("AROA", acct_id, r["name"]),
                account_id=acct_id, path=path, trust_policy=doc(trust) if trust is not None else None,
                inline_policies=_refs(r.get("policies"), r["name"]),
                permissions_boundary=PolicyRef("boundary", "managed", doc(b), arn=f"arn:aws:iam::{acct_id}:policy/b")
                if b is not None else None, tags=dict(r.get("tags", {})),
                max_session_duration=r.get("max_session", 3600), max_session_duration_known="max_session" in r)
        for pname in a.get("saml", []):
            arn = f"arn:aws:iam::{acct_id}:saml-provider/{pname}"
            acct.saml_providers[arn] = SamlProvider(arn=arn, account_id=acct_id)
        for url in a.get("oidc", []):
            arn = f"arn:aws:iam::{acct_id}:oidc-provider/{url}"
            acct.oidc_providers[arn] = OidcProvider(arn=arn, account_id=acct_id, url=url)
        for rp in a.get("resource_policies", []):
            service = rp["arn"].split(":")[2]
            acct.resource_policies[rp["arn"]] = ResourcePolicy(arn=rp["arn"], account_id=acct_id,
                                                               policy=doc(rp["statements"]), service=service)
        snap.accounts[acct_id] = acct
    o = spec.get("organization")
    if o:
        root = o.get("root", "r-1")
        org = Organization(id=o.get("id", "o-1"), master_account_id=o["master"],
                           roots=[OrgUnit(root, "Root", None)])
        for ou in o.get("ous", []):
            org.units[ou["id"]] = OrgUnit(ou["id"], ou.get("name", ou["id"]), ou.get("parent", root))
        for acct_id, parent in (o.get("accounts") or {}).items():
            org.accounts[acct_id] = OrgAccount(id=acct_id, parent_id=parent)
        if o["master"] not in org.accounts:
            org.accounts[o["master"]] = OrgAccount(id=o["master"], parent_id=root)
        full = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        scps = o.get("scps")
        if scps is None:
            targets = [root, *org.units, *org.accounts]
            org.policies.append(OrgPolicy("p-full", "FullAWSAccess", SCP, full, targets, aws_managed=True))
        for i, p in enumerate(scps or []):
            org.policies.append(OrgPolicy(f"p-scp{i}", p["name"], SCP, doc(p["statements"]), list(p["targets"])))
        for i, p in enumerate(o.get("rcps") or []):
            org.policies.append(OrgPolicy(f"p-rcp{i}", p["name"], RCP, doc(p["statements"]), list(p["targets"])))
        snap.organization = org
    return snap


def load_scenario(path: Path) -> dict:
    return json.loads(Path(path).read_text())


def scenario_files() -> list[Path]:
    return sorted(SCENARIO_DIR.glob("*.json"))
