"""Policy helpers of the graph builder: compile each snapshot document once, collect a principal's policy set,
and read what a raw document names (condition keys, AssumeRole resource patterns) for the indexes.

The engine (`explorer.iam.compile_policy` / `evaluate`) decides; this module only prepares its inputs and
scans documents to find candidates, so it never decides anything itself.
"""
from __future__ import annotations

import re
from typing import Iterable

from explorer.iam.actions import compile_action_pattern
from explorer.iam.policy import _canonical_text
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


class PrincipalPolicies:
    """The policies of one caller: raw documents at once (for the indexes), compiled on first use (shared by
    all its candidate edges; a principal that is never a caller is never compiled)."""
    __slots__ = ("_compiler", "_specs", "_boundary_spec", "_identity", "_boundary", "missing", "documents",
                 "boundary_document")

    def __init__(self, compiler=None):
        self._compiler = compiler
        self._specs: list[tuple] = []  # (document, name, source)
        self._boundary_spec: tuple | None = None
        self._identity = None
        self._boundary = None
        self.missing: list[str] = []  # policies the snapshot does not hold
        self.documents: list[dict] = []  # raw identity documents
        self.boundary_document: dict | None = None

    @property
    def identity(self) -> list:
        if self._identity is None:
            self._identity = [self._compiler.compile(d, name=n, kind="identity", source=src)
                              for d, n, src in self._specs]
        return self._identity

    @property
    def boundary(self):
        if self._boundary is None and self._boundary_spec is not None:
            d, n, src = self._boundary_spec
            self._boundary = self._compiler.compile(d, name=n, kind="boundary", source=src)
        return self._boundary


# Kinds of documents compiled once per distinct text (PolicyCompiler.compile): trust policies, one per role.
SHARED_COMPILATION = ("trust",)


class PolicyCompiler:
    """Compiles every document once. Managed policies are the same dict objects on every principal that
    attaches them, so they are compiled once per snapshot (keyed by object identity; the snapshot keeps them
    alive for the life of the graph)."""

    def __init__(self):
        from explorer.iam import compile_policy  # the engine's compiler
        self._compile = compile_policy
        self._cache: dict[tuple[int, str], object] = {}
        self._keys: dict[int, frozenset[str]] = {}
        self._patterns: dict[int, list[str]] = {}
        self._equal: dict[int, object] = {}  # id(document) -> the first equal document (equal_document)
        self._by_text: dict[int, list] = {}  # hash of a canonical text -> documents with that text

    def compile(self, document: dict, *, name: str, kind: str, source: str = ""):
        """The compiled policy of a document. A trust policy equal to one compiled before (most roles of an
        organization share a handful of trust texts) is that policy renamed (Policy.renamed): the same compiled
        statements under its own name, source and document."""
        key = (id(document), kind)
        pol = self._cache.get(key)
        if pol is None:
            same = self.equal_document(document) if kind in SHARED_COMPILATION else None
            first = None if same is None or same is document else self._cache.get((id(same), kind))
            if first is not None:
                pol = first.renamed(document, name=name, source=source)
            else:
                pol = self._compile(document, name=name, kind=kind, source=source)
            self._cache[key] = pol
        return pol

    def equal_document(self, document):
        """The first document seen with the same canonical text as `document` (itself if none), or None when it
        has no canonical text. Found by the text's hash and confirmed by comparing the documents (the hash tells
        apart what == does not, such as 1 and 1.0); the texts are not kept. Documents live as long as the
        snapshot."""
        got = self._equal.get(id(document))
        if got is not None:
            return got
        try:
            text = _canonical_text(document)
        except (TypeError, ValueError):
            return None
        bucket = self._by_text.setdefault(hash(text), [])
        for other in bucket:
            if other == document:
                got = other
                break
        else:
            bucket.append(document)
            got = document
        self._equal[id(document)] = got
        return got

    def patterns_of(self, document: dict) -> list[str]:
        """assume_resource_patterns of a document, cached (managed policies are shared)."""
        got = self._patterns.get(id(document))
        if got is None:
            got = self._patterns[id(document)] = assume_resource_patterns(document)
        return got

    def keys_of(self, document: dict | None) -> frozenset[str]:
        if document is None:
            return frozenset()
        got = self._keys.get(id(document))
        if got is None:
            got = condition_keys(document)
            self._keys[id(document)] = got
        return got

    def refs(self, refs: Iterable[PolicyRef], owner: str, out: PrincipalPolicies) -> None:
        for ref in refs:
            if ref.document is None:
                out.missing.append(f"{ref.arn or ref.name} (attached to {owner}) is not in the snapshot")
                continue
            out._specs.append((ref.document, ref.arn or ref.name, ref.source))
            out.documents.append(ref.document)

    def principal_policies(self, snapshot: Snapshot, principal: User | Role, groups: dict | None = None
                           ) -> PrincipalPolicies:
        """groups: optional {(account, group name): Group} index (else snapshot.group is used)."""
        out = PrincipalPolicies(self)
        self.refs(principal.inline_policies, principal.name, out)
        self.refs(principal.attached_policies, principal.name, out)
        if isinstance(principal, User):
            for gname in principal.groups:
                group: Group | None = (groups.get((principal.account_id, gname)) if groups is not None
                                       else snapshot.group(principal.account_id, gname))
                if group is None:
                    out.missing.append(f"group {gname} of {principal.name} is not in the snapshot")
                    continue
                self.refs(group.inline_policies, f"group {gname}", out)
                self.refs(group.attached_policies, f"group {gname}", out)
        b = principal.permissions_boundary
        if b is not None:
            if b.document is None:
                out.missing.append(f"permissions boundary {b.arn or b.name} of {principal.name} is not in the "
                                   "snapshot")
            else:
                out._boundary_spec = (b.document, b.arn or b.name, b.source)
                out.boundary_document = b.document
        return out
