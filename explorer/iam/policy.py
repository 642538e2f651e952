"""Policy grammar (spec §2): parse a decoded policy document into a compiled `Policy` once, reuse it often.

`compile_policy(document, name=..., kind=...)` never raises on a bad document: problems are recorded
(`Policy.problems`, with the JSON path of each) and what is invalid never matches (G3, G7):
  - a policy-level problem (not an object, bad Version, no Statement, an Effect other than "Allow"/"Deny")
    makes the whole policy invalid (`Policy.valid` False): none of its statements match;
  - a statement-level problem (missing Action, Principal where it is forbidden, NotPrincipal in a trust policy,
    an unknown condition operator, a bad condition value, ...) makes that statement invalid.
Warnings (`Policy.warnings`) are reported but change nothing (Sid characters, wildcard in a service segment,
set operators on single-valued keys, unique-id principals, ...).
"""
from __future__ import annotations

import itertools
import json
import re
import sys
from typing import Iterable

try:  # faster canonical texts (a declared dependency; json below does without it)
    import orjson
except ImportError:  # pragma: no cover
    orjson = None

from explorer.iam import formula as F
from explorer.iam.actions import compile_action_pattern, service_prefix, validate_action_pattern
from explorer.iam.arns import compile_arn_pattern, compile_arn_tokens, service_segment_has_wildcard
from explorer.iam.conditions import compile_conditions
from explorer.iam.decision import MatchedStatement, Requirement
from explorer.iam.principals import DIRECT, PrincipalSpec, compile_principal
from explorer.iam.variables import (CURRENT_VERSION, LEGACY_VERSION, MISSING, UnknownVar, parse_template,
                                    resolve)

KINDS = ("identity", "boundary", "session", "scp", "rcp", "resource", "trust")
RESOURCE_BASED = ("resource", "trust", "rcp")
_STATEMENT_KEYS = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal",
                   "NotPrincipal", "Condition"}
_SID = re.compile(r"^[A-Za-z0-9]*$")
# Per-policy caches of lookups by action and by (action, resource), emptied when full: memory stays bounded and
# goes away with the policy.
CANDIDATES_CACHE_LIMIT = 2048
APPLICABLE_CACHE_LIMIT = 512
_MISSING = object()
# memo_parts tuples -> numbers that are never reused (the table may be emptied: equal tuples then get a new number,
# which only costs sharing, never correctness)
_PARTS_IDS: dict = {}
_PARTS_COUNTER = itertools.count(1)
_PARTS_IDS_LIMIT = 200_000


def _canonical_text(raw) -> str:
    """A canonical text of a JSON value (sorted keys; equal values, equal texts), by orjson when it can
    (several times faster than json.dumps on the build's hundreds of thousands of statements), else json."""
    if orjson is not None:
        try:
            return orjson.dumps(raw, option=orjson.OPT_SORT_KEYS, default=str).decode()
        except (TypeError, orjson.JSONEncodeError):  # (a non-string key, an integer beyond 64 bits)
            pass
    return json.dumps(raw, sort_keys=True, default=str)


def _compact_size(doc) -> int:
    """Characters of the document as compact JSON (G9 quotas), as json.dumps(doc, separators=(",", ":")) counts
    them: orjson when its output is ASCII and holds no number that json would write otherwise, else json."""
    out = None
    if orjson is not None:
        try:
            out = orjson.dumps(doc)
        except (TypeError, orjson.JSONEncodeError):
            pass
    if out is not None and out.isascii() and not _has_float(doc):
        return len(out)
    return len(json.dumps(doc, separators=(",", ":")))


def _has_float(value) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(_has_float(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_float(v) for v in value)
    return False


def _parts_id(parts: tuple):
    if not parts:
        return ()
    got = _PARTS_IDS.get(parts)
    if got is None:
        if len(_PARTS_IDS) >= _PARTS_IDS_LIMIT:
            _PARTS_IDS.clear()
        got = _PARTS_IDS[parts] = next(_PARTS_COUNTER)
    return got
# G9 size quotas (characters, compact JSON), for validation warnings only
SIZE_QUOTAS = {"scp": (5120, "SCP documents"), "rcp": (5120, "RCP documents"),
               "trust": (2048, "trust policies (raisable to 4,096)"), "session": (2048, "inline session policies")}


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


class Statement:
    __slots__ = ("policy", "index", "sid", "effect", "actions", "not_action", "_action_matchers",
                 "resources", "not_resource", "_resource_matchers", "_resource_any", "principal",
                 "not_principal", "conditions", "problems", "warnings", "raw", "where", "prefixes", "_plain_match",
                 "_memo_token")

    def __init__(self, policy: "Policy", index: int, raw, where: str):
        self.policy = policy
        self.index = index
        self.raw = raw
        self.where = where
        self.sid = None
        self.effect = None
        self.actions: tuple = ()
        self.not_action = False
        self._action_matchers: tuple = ()
        self.resources = None  # None: no Resource element (trust policies, legacy SCPs): every resource
        self.not_resource = False
        self._resource_matchers = None
        self._resource_any = False
        self.principal: PrincipalSpec | None = None
        self.not_principal = False
        self.conditions: list = []
        self.problems: list[str] = []
        self.warnings: list[str] = []
        self.prefixes: tuple = ()
        self._plain_match = None
        self._memo_token = None

    @property
    def memo_token(self) -> tuple:
        """What decides how this statement evaluates, as a hashable value (see evaluate.request_key): its
        document text without the value of Principal / NotPrincipal, the policy kind and Version (variables),
        and, for a Deny, its label (an explicit Deny is named in the decision's reason). Two statements with equal
        tokens that name a caller the same way (`match_principal`, which request_key adds) give the same formula
        on any request; an Allow is never named in a reason, so equal Allow statements of different policies
        share a token."""
        if self._memo_token is None:
            raw = self.raw
            if self.principal is not None:
                # how Principal / NotPrincipal name the caller is a separate part of the key (its class), so
                # statements that differ only in whom they name share a token
                raw = {k: ("(principal)" if k in ("Principal", "NotPrincipal") else v) for k, v in raw.items()}
            text = sys.intern(_canonical_text(raw))  # equal texts: one string
            pol = self.policy
            if self.effect == "Allow":
                self._memo_token = ("Allow", pol.kind, pol.version, text)
            else:
                self._memo_token = (self.effect, pol.kind, pol.version, text, self.label())
        return self._memo_token

    @property
    def valid(self) -> bool:
        return not self.problems

    @property
    def is_allow(self) -> bool:
        return self.effect == "Allow"

    def _copy_for(self, policy: "Policy") -> "Statement":
        """This compiled statement as a statement of `policy` (Policy.renamed): the compiled parts are shared (never
        changed after compilation); what names the policy (an explanation entry, a Deny's memo token with its
        label) is made again for it."""
        st = Statement.__new__(Statement)
        for name in Statement.__slots__:
            setattr(st, name, getattr(self, name))
        st.policy = policy
        st._plain_match = None
        if self.effect != "Allow":
            st._memo_token = None
        return st

    def label(self) -> str:
        return f"{self.policy.name} / {self.sid or f'statement {self.index}'}"

    def matched(self, requirements: tuple = ()) -> MatchedStatement:
        """The explanation entry for this statement (cached when it matched without requirements)."""
        if requirements:
            return MatchedStatement(self.policy.name, self.index, self.sid, self.effect, self.policy.source,
                                    requirements)
        if self._plain_match is None:
            self._plain_match = MatchedStatement(self.policy.name, self.index, self.sid, self.effect,
                                                 self.policy.source)
        return self._plain_match

    def __repr__(self):
        return f"Statement({self.label()}, {self.effect})"

    # ---- matching ---------------------------------------------------------------------------------
    def action_matches(self, action_lower: str) -> bool:
        hit = any(m(action_lower) for m in self._action_matchers)
        return not hit if self.not_action else hit

    def resource_formula(self, resource: str, lookup) -> F.Formula:
        """Does Resource/NotResource match `resource` (variables substituted from the context)?"""
        if self.resources is None:
            return F.TRUE
        if self._resource_any:
            return F.FALSE if self.not_resource else F.TRUE
        result = F.FALSE
        if self._resource_matchers is not None:
            if any(m(resource) for m in self._resource_matchers):
                result = F.TRUE
        else:
            parts = []
            for tpl in self.resources:
                tokens = resolve(tpl, lookup)
                if tokens is MISSING:
                    continue  # M10: a Resource whose variable is absent without default matches nothing
                if isinstance(tokens, UnknownVar):
                    parts.append(F.literal(Requirement(tokens.key, "MatchesResourcePattern", (tpl.raw,))))
                    continue
                if compile_arn_tokens(tokens)(resource):
                    result = F.TRUE
                    break
            if result is not F.TRUE and parts:
                result = F.f_or(*parts)
        return F.f_not(result) if self.not_resource else result


class Policy:
    """A compiled policy document."""

    def __init__(self, document, *, name: str, kind: str, source: str = ""):
        self.document = document
        self.name = name
        self.kind = kind
        self.source = source
        self.version: str | None = None
        self.statements: list[Statement] = []
        self.problems: list[str] = []
        self.warnings: list[str] = []
        self.policy_problems: list[str] = []  # problems that invalidate the whole policy
        self._by_prefix: dict[str, list[Statement]] = {}
        self._wild: list[Statement] = []
        self._candidates: dict = {}
        self._applicable: dict = {}
        self._memo_parts: dict | None = None  # memo_parts: action or (action, resource) -> result
        self._compile()

    def __repr__(self):
        return f"Policy({self.name!r}, kind={self.kind}, statements={len(self.statements)}, valid={self.valid})"

    def renamed(self, document, *, name: str, source: str = "") -> "Policy":
        """This compiled policy for an equal document of another owner (the same canonical text: see
        graph.policies.PolicyCompiler): compiling is the same work again, so the statements' compiled parts are
        shared and only what names the policy is its own (name, source, document, the statements' back
        references). The caches are empty."""
        new = Policy.__new__(Policy)
        new.document = document
        new.name = name
        new.kind = self.kind
        new.source = source
        new.version = self.version
        new.problems = list(self.problems)
        new.warnings = list(self.warnings)
        new.policy_problems = list(self.policy_problems)
        new.statements = [st._copy_for(new) for st in self.statements]
        by_old = {id(old): st for old, st in zip(self.statements, new.statements)}
        new._by_prefix = {p: [by_old[id(st)] for st in sts] for p, sts in self._by_prefix.items()}
        new._wild = [by_old[id(st)] for st in self._wild]
        new._candidates = {}
        new._applicable = {}
        new._memo_parts = None
        return new

    @property
    def valid(self) -> bool:
        return not self.policy_problems

    @property
    def variables_allowed(self) -> bool:
        return self.version == CURRENT_VERSION

    def _problem(self, msg: str, *, policy_level: bool = False) -> None:
        self.problems.append(msg)
        if policy_level:
            self.policy_problems.append(msg)

    # ---- compilation --------------------------------------------------------------------------------
    def _compile(self) -> None:
        doc = self.document
        if self.kind not in KINDS:
            self._problem(f"unknown policy kind {self.kind!r}", policy_level=True)
            return
        if not isinstance(doc, dict):
            self._problem("$: a policy document must be a JSON object", policy_level=True)
            return
        version = doc.get("Version")
        if version is not None and version not in (CURRENT_VERSION, LEGACY_VERSION):
            self._problem(f"$.Version: {version!r} is not 2012-10-17 or 2008-10-17", policy_level=True)
        self.version = version if isinstance(version, str) else None
        for key in doc:
            if key not in ("Version", "Id", "Statement"):
                self._problem(f"$.{key}: unknown policy element", policy_level=True)
        if "Statement" not in doc:
            self._problem("$.Statement is missing", policy_level=True)
            return
        raw_statements = doc["Statement"]
        single = isinstance(raw_statements, dict)  # G2
        items = [raw_statements] if single else raw_statements
        if not isinstance(items, list):
            self._problem("$.Statement must be an object or a list of objects", policy_level=True)
            return
        for i, raw in enumerate(items):
            where = "$.Statement" if single else f"$.Statement[{i}]"
            st = self._compile_statement(i, raw, where)
            self.statements.append(st)
            self.problems.extend(st.problems)
            self.warnings.extend(st.warnings)
        quota = SIZE_QUOTAS.get(self.kind)
        if quota:
            size = _compact_size(doc)
            if size > quota[0]:
                self.warnings.append(f"$: {size} characters, over the {quota[0]:,}-character quota of {quota[1]} "
                                     f"(G9)")
        for st in self.statements:
            if not st.valid:
                continue
            if st.not_action or any(not p or "*" in p or "?" in p for p in st.prefixes):
                self._wild.append(st)
            else:
                for p in set(st.prefixes):
                    self._by_prefix.setdefault(p, []).append(st)

    def _compile_statement(self, index: int, raw, where: str) -> Statement:
        st = Statement(self, index, raw, where)
        kind = self.kind
        if not isinstance(raw, dict):
            st.problems.append(f"{where}: a statement must be an object")
            self.policy_problems.append(st.problems[-1])
            return st
        for key in raw:
            if key not in _STATEMENT_KEYS:
                st.problems.append(f"{where}.{key}: unknown statement element")
        sid = raw.get("Sid")
        if sid is not None:
            if not isinstance(sid, str):
                st.problems.append(f"{where}.Sid must be a string")
            else:
                st.sid = sid
                if kind in ("identity", "boundary", "session") and not _SID.match(sid):
                    st.warnings.append(f"{where}.Sid {sid!r}: IAM policy Sids are alphanumeric only (G8)")
        effect = raw.get("Effect")
        if effect not in ("Allow", "Deny"):
            msg = f"{where}.Effect: {effect!r} must be exactly \"Allow\" or \"Deny\" (case-sensitive, G3)"
            st.problems.append(msg)
            self.policy_problems.append(msg)
        st.effect = effect if isinstance(effect, str) else None
        self._compile_actions(st, raw, where)
        self._compile_resources(st, raw, where)
        self._compile_principal(st, raw, where)
        if "Condition" in raw:
            conds, problems, warnings = compile_conditions(raw["Condition"], variables_allowed=self.variables_allowed,
                                                           where=f"{where}.Condition")
            st.conditions = conds
            st.problems.extend(problems)
            st.warnings.extend(warnings)
        if (kind == "trust" and st.principal is not None and "cognito-identity.amazonaws.com" in st.principal.federated
                and st.effect == "Allow"
                and not any(c.key_lower == "cognito-identity.amazonaws.com:aud" for c in st.conditions)):
            st.warnings.append(f"{where}: trusts cognito-identity.amazonaws.com without a "
                               f"cognito-identity.amazonaws.com:aud condition: any identity pool can assume (T8)")
        return st

    def _compile_actions(self, st: Statement, raw: dict, where: str) -> None:
        has_a, has_na = "Action" in raw, "NotAction" in raw
        if has_a == has_na:
            st.problems.append(f"{where}: a statement needs exactly one of Action / NotAction (G4)")
            return
        key = "Action" if has_a else "NotAction"
        if has_na and self.kind == "rcp":
            st.problems.append(f"{where}.NotAction: RCPs do not support NotAction (G7, O6)")
        values = _as_list(raw[key])
        if not values:
            st.problems.append(f"{where}.{key} is empty")
            return
        for i, v in enumerate(values):
            problem = validate_action_pattern(v)
            if problem:
                st.problems.append(f"{where}.{key}[{i}]: {problem}")
        if st.problems:
            return
        st.actions = tuple(values)
        st.not_action = has_na
        st._action_matchers = tuple(compile_action_pattern(v) for v in values)
        st.prefixes = tuple("*" if v == "*" else service_prefix(v) for v in values)
        if self.kind == "rcp" and st.effect == "Deny" and "*" in values:
            st.warnings.append(f"{where}.Action: a customer RCP cannot use a bare \"*\" as its Action (O6)")

    def _compile_resources(self, st: Statement, raw: dict, where: str) -> None:
        has_r, has_nr = "Resource" in raw, "NotResource" in raw
        if has_r and has_nr:
            st.problems.append(f"{where}: a statement cannot have both Resource and NotResource (G4)")
            return
        if not has_r and not has_nr:
            if self.kind not in ("trust", "scp"):
                st.problems.append(f"{where}: a statement needs one of Resource / NotResource (G4)")
            return
        key = "Resource" if has_r else "NotResource"
        values = _as_list(raw[key])
        if not values or any(not isinstance(v, str) or not v for v in values):
            st.problems.append(f"{where}.{key} must be a non-empty string or list of strings")
            return
        templates = []
        for i, v in enumerate(values):
            tpl = parse_template(v, variables_allowed=self.variables_allowed)
            st.problems.extend(f"{where}.{key}[{i}]: {p}" for p in tpl.problems)
            if service_segment_has_wildcard(v):
                st.warnings.append(f"{where}.{key}[{i}] {v!r}: wildcards are not allowed in the service "
                                   f"segment; they are taken literally (M2)")
            templates.append(tpl)
        st.resources = templates
        st.not_resource = has_nr
        if any(t.raw == "*" for t in templates):
            st._resource_any = True
        elif not any(t.has_vars for t in templates):
            st._resource_matchers = tuple(compile_arn_pattern(t.tokens_without_vars()[0][0]) if t.plain
                                          else compile_arn_tokens(t.tokens_without_vars()) for t in templates)

    def _compile_principal(self, st: Statement, raw: dict, where: str) -> None:
        has_p, has_np = "Principal" in raw, "NotPrincipal" in raw
        kind = self.kind
        if kind in ("identity", "boundary", "session", "scp"):
            if has_p or has_np:
                st.problems.append(f"{where}: Principal/NotPrincipal is not allowed in {kind} policies (G4, G7)")
            return
        if has_p and has_np:
            st.problems.append(f"{where}: a statement cannot have both Principal and NotPrincipal")
            return
        if not has_p and not has_np:
            st.problems.append(f"{where}: Principal is required in {kind} policies (G4)")
            return
        if has_np:
            if kind in ("trust", "rcp"):
                st.problems.append(f"{where}.NotPrincipal is not allowed in {kind} policies (G7, T11, O6)")
                return
            if st.effect == "Allow":
                st.problems.append(f"{where}.NotPrincipal with Allow is rejected by most resource types (G7)")
                return
        key = "Principal" if has_p else "NotPrincipal"
        spec = compile_principal(raw[key], f"{where}.{key}")
        st.problems.extend(spec.problems)
        st.warnings.extend(spec.warnings)
        if kind == "rcp" and not spec.any:
            st.problems.append(f"{where}.Principal must be \"*\" in RCPs (O6)")
        if spec.unique_ids:
            st.warnings.extend(f"{where}.{key}: unique-ID principal {u} (the entity it named was deleted or "
                               f"recreated, M4)" for u in sorted(spec.unique_ids))
        st.principal = spec
        st.not_principal = has_np

    # ---- lookups ------------------------------------------------------------------------------------
    def candidates(self, action_lower: str) -> tuple:
        """Valid statements whose Action/NotAction matches the action (lower-case), in document order."""
        cache = self._candidates
        hit = cache.get(action_lower)
        if hit is not None:
            return hit
        if not self.valid:
            result = ()
        else:
            pool = self._by_prefix.get(service_prefix(action_lower), [])
            if self._wild:
                pool = sorted(set(pool) | set(self._wild), key=lambda s: s.index) if pool else self._wild
            result = tuple(s for s in pool if s.action_matches(action_lower))
        if len(cache) >= CANDIDATES_CACHE_LIMIT:
            cache.clear()
        cache[action_lower] = result
        return result

    def applicable(self, action_lower: str, resource: str) -> tuple:
        """Statements that may match (action, resource): (statement, resource_is_static) pairs, where
        resource_is_static means Resource/NotResource already matched without policy variables; otherwise the
        caller evaluates `statement.resource_formula` with the request's context. Cached per (action, resource).
        """
        key = (action_lower, resource)
        cache = self._applicable
        hit = cache.get(key)
        if hit is not None:
            return hit
        out = []
        for st in self.candidates(action_lower):
            if st._resource_matchers is not None or st._resource_any or st.resources is None:
                if st.resource_formula(resource, None) is F.TRUE:
                    out.append((st, True))
            else:
                out.append((st, False))
        result = tuple(out)
        if len(cache) >= APPLICABLE_CACHE_LIMIT:
            cache.clear()
        cache[key] = result
        return result

    def memo_parts(self, action_lower: str, resource: str):
        """This policy's part of `evaluate.request_key` for (action, resource) when it does not depend on the
        request's context or principal: the tuple of (statement token, static, resource formula, principal class,
        condition formula) for the statements that may apply, each with a static Resource match, no Condition and
        no Principal (or Principal "*"), as a number (equal tuples, equal numbers: `_parts_id`); () for an invalid
        policy or no applicable statement. None when some
        applicable statement does depend on them (request_key then evaluates those parts with the request).
        Cached per action when no candidate statement looks at the resource, else per (action, resource)."""
        cache = self._memo_parts
        if cache is None:
            cache = self._memo_parts = {}
        hit = cache.get(action_lower, _MISSING)  # a result that holds for every resource
        if hit is not _MISSING:
            return hit
        key = (action_lower, resource)
        hit = cache.get(key, _MISSING)
        if hit is not _MISSING:
            return hit
        if not self.valid or not self.candidates(action_lower):
            cache[action_lower] = ()
            return ()
        any_resource = all(st.resources is None or st._resource_any for st in self.candidates(action_lower))
        parts = []
        for st, static in self.applicable(action_lower, resource):
            if not static or st.conditions:
                parts = None
                break
            if st.principal is None:
                cls = None
            elif st.principal.any and not st.not_principal:
                cls = DIRECT
            else:
                parts = None
                break
            parts.append((st.memo_token, True, F.TRUE, cls, F.TRUE))
        result = None if parts is None else _parts_id(tuple(parts))
        if any_resource:
            cache[action_lower] = result
        else:
            if len(cache) >= APPLICABLE_CACHE_LIMIT:
                cache.clear()
            cache[key] = result
        return result

    def describe_problems(self) -> list[str]:
        return [f"{self.name}: {p}" for p in self.problems]


def compile_policy(document, *, name: str, kind: str, source: str = "") -> Policy:
    """Compile a decoded policy document (dict). Never raises for a bad document: see Policy.problems."""
    return Policy(document, name=name, kind=kind, source=source)


def compile_policies(documents: Iterable, *, name: str, kind: str) -> list[Policy]:
    return [d if isinstance(d, Policy) else compile_policy(d, name=f"{name} {i + 1}", kind=kind)
            for i, d in enumerate(documents)]
