"""Policy helpers of the graph builder: compile each snapshot document once, collect a principal's policy set,
and read what a raw document names (condition keys, AssumeRole resource patterns) for the indexes.

The engine (`explorer.iam.compile_policy` / `evaluate`) decides; this module only prepares its inputs and
scans documents to find candidates, so it never decides anything itself.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

from explorer.iam.actions import compile_action_pattern
from explorer.snapshot.model import Group, PolicyRef, Role, Snapshot, User

_VAR = re.compile(r"\$\{[^}]*\}")
_VAR_KEY = re.compile(r"\$\{\s*([^},]+)")

ASSUME_ACTIONS = ("sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity")


def as_list(value) -> list:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def statements(document: dict | None) -> list[dict]:
    if not isinstance(document, dict):
        return []
    return [s for s in as_list(document.get("Statement")) if isinstance(s, dict)]


def action_allows(stmt: dict, action: str) -> bool:
    """Whether the statement's Action/NotAction covers `action` (lower-case). Used only to find candidates."""
    if "Action" in stmt:
        return any(isinstance(p, str) and compile_action_pattern(p)(action) for p in as_list(stmt["Action"]))
    if "NotAction" in stmt:
        return not any(isinstance(p, str) and compile_action_pattern(p)(action)
                       for p in as_list(stmt["NotAction"]))
    return False


def condition_keys(document: dict | None) -> frozenset[str]:
    """Lower-case condition keys and policy-variable keys a document refers to."""
    keys: set[str] = set()
    for stmt in statements(document):
        cond = stmt.get("Condition")
        if isinstance(cond, dict):
            for block in cond.values():
                if isinstance(block, dict):
                    for key, vals in block.items():
                        if isinstance(key, str):
                            keys.add(key.lower())
                        for v in as_list(vals):
                            if isinstance(v, str) and "${" in v:
                                keys.update(m.strip().lower() for m in _VAR_KEY.findall(v))
        for elem in ("Resource", "NotResource"):
            for v in as_list(stmt.get(elem)):
                if isinstance(v, str) and "${" in v:
                    keys.update(m.strip().lower() for m in _VAR_KEY.findall(v))
    return frozenset(keys)


def assume_resource_patterns(document: dict | None) -> list[str]:
    """Resource patterns of the Allow statements that may grant sts:AssumeRole (variables become `*`).
    NotResource statements count as `*` (a superset: the engine decides)."""
    out: list[str] = []
    for stmt in statements(document):
        if stmt.get("Effect") != "Allow" or not action_allows(stmt, "sts:assumerole"):
            continue
        if "NotResource" in stmt and "Resource" not in stmt:
            out.append("*")
            continue
        for res in as_list(stmt.get("Resource")):
            if isinstance(res, str):
                out.append(_VAR.sub("*", res) if "${" in res else res)
    return out


@dataclass
class PrincipalPolicies:
    """The compiled policies of one caller (compiled once, shared by all its candidate edges)."""
    identity: tuple = ()
    boundary: object | None = None
    missing: list[str] = field(default_factory=list)  # managed policies the snapshot does not hold
    documents: list[dict] = field(default_factory=list)  # raw identity documents (for the indexes)
    boundary_document: dict | None = None


class PolicyCompiler:
    """Compiles every document once. Managed policies are the same dict objects on every principal that
    attaches them, so they are compiled once per snapshot (keyed by object identity; the snapshot keeps them
    alive for the life of the graph)."""

    def __init__(self):
        from explorer.iam import compile_policy  # the engine's compiler
        self._compile = compile_policy
        self._cache: dict[tuple[int, str], object] = {}
        self._keys: dict[int, frozenset[str]] = {}

    def compile(self, document: dict, *, name: str, kind: str, source: str = ""):
        key = (id(document), kind)
        pol = self._cache.get(key)
        if pol is None:
            pol = self._compile(document, name=name, kind=kind, source=source)
            self._cache[key] = pol
        return pol

    def keys_of(self, document: dict | None) -> frozenset[str]:
        if document is None:
            return frozenset()
        got = self._keys.get(id(document))
        if got is None:
            got = condition_keys(document)
            self._keys[id(document)] = got
        return got

    def refs(self, refs: Iterable[PolicyRef], owner: str, kind: str, out: PrincipalPolicies) -> list:
        compiled = []
        for ref in refs:
            if ref.document is None:
                out.missing.append(f"{ref.arn or ref.name} (attached to {owner}) is not in the snapshot")
                continue
            compiled.append(self.compile(ref.document, name=ref.arn or ref.name, kind=kind,
                                          source=ref.source))
            out.documents.append(ref.document)
        return compiled

    def principal_policies(self, snapshot: Snapshot, principal: User | Role) -> PrincipalPolicies:
        out = PrincipalPolicies()
        identity = self.refs(principal.inline_policies, principal.name, "identity", out)
        identity += self.refs(principal.attached_policies, principal.name, "identity", out)
        if isinstance(principal, User):
            for gname in principal.groups:
                group: Group | None = snapshot.group(principal.account_id, gname)
                if group is None:
                    out.missing.append(f"group {gname} of {principal.name} is not in the snapshot")
                    continue
                identity += self.refs(group.inline_policies, f"group {gname}", "identity", out)
                identity += self.refs(group.attached_policies, f"group {gname}", "identity", out)
        out.identity = tuple(identity)
        b = principal.permissions_boundary
        if b is not None:
            if b.document is None:
                out.missing.append(f"permissions boundary {b.arn or b.name} of {principal.name} is not in the "
                                   "snapshot")
            else:
                out.boundary = self.compile(b.document, name=b.arn or b.name, kind="boundary", source=b.source)
                out.boundary_document = b.document
        return out
