"""Building the trust graph (docs/trust-graph.md): nodes from the snapshot, candidate edges from the indexes,
each candidate decided once by the engine (explorer/graph/edges.py). `TrustGraph.with_context` re-decides the
candidates from the same indexes and compiled policies (only those whose policies refer to a key that changed).
"""
from __future__ import annotations

import dataclasses
import gc
import itertools
import time
import uuid
import weakref

import networkx as nx

from explorer.graph import schema as S
from explorer.graph.callers import (Caller, RequestContext, anyone_caller, foreign_account_caller,
                                    foreign_principal_caller, norm_dict,
                                    provider_caller, role_caller, role_side_values, role_session_principal,
                                    service_caller, user_caller)
from explorer.graph.edges import (EdgeData, and_requirements, badges, caller_policies_requirement,
                                  is_allowed, requirement_text)
from explorer.graph.indexes import (IdentityIndex, TrustNames, WELL_KNOWN_WEB_IDENTITY, parse_entity,
                                    parse_session, provider_account, read_trust)
from explorer.graph.policies import PolicyCompiler
from explorer.graph.role_twins import RoleTwins
from explorer.graph.session_tags import allows_tag_session, may_allow_tag_session, tag_alternatives, tag_names
from explorer.iam.context import UNKNOWN, Context
from explorer.iam.decision import Decision
from explorer.iam.conditions import evaluate_conditions
from explorer.iam.evaluate import REQUEST_KEY_LAYERS_AT as LAYERS_AT, request_key
from explorer.iam.request import Request
from explorer.iam.settings import DEFAULT_SETTINGS, Settings
from explorer.snapshot.model import RCP, SCP, Role, Snapshot, split_source

_ASSUMED_CALLER_SIDE = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "CallerSideAssumedToAllow", "Effect": "Allow",
                   "Action": ["sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity",
                              "sts:TagSession", "sts:SetSourceIdentity"],
                   "Resource": "*"}]}
# keys the engine reads for every AssumeRole whatever the policies say (T9: passing session tags or a source
# identity needs sts:TagSession / sts:SetSourceIdentity): a change re-decides every candidate
_EXTRA_ACTIONS_KEYS = ("aws:tagkeys", "sts:sourceidentity")
# The fast path: decide identical sub-problems once (TrustGraph._decide). Off: every candidate is decided by the
# engine on its own (the plain path; tests/test_graph_fastpath.py checks both give the same graph).
MEMOISE_DECISIONS = True
# Role twins (explorer/graph/role_twins.py): a caller's candidates on roles that differ only in an ARN no policy of
# the request looks at share one memo key, found without making their requests. False: each computes its key.
TWINS = True
# with_context re-decides the candidates of one old memo key and equal values of the keys that matter once per group
# (_Regroup); False: each is decided on its own (tests/test_graph_fastpath.py checks both give the same graph).
GROUP_REDECIDE = True
# After a build: gc.freeze (True) or one full gc.collect (False); see build_trust_graph.
FREEZE_AFTER_BUILD = True
# Where the engine names the role in a memoised reason (evaluate's resource_text); replaced by the role's ARN. A NUL
# and a random part: policy text cannot hold it by accident.
_RESOURCE_PLACEHOLDER = f"\x00role-{uuid.uuid4().hex}\x00"


class RoleInfo:
    """A role as a target: what its trust names, its compiled trust policy (compiled on first use), the context
    keys derived from it and the RCP levels of its account."""
    __slots__ = ("role", "_trust", "_compiler", "_node_notes", "names", "fixed", "defaults", "keys", "rcps",
                 "rcp_keys")

    def __init__(self, role: Role, compiler, node_notes: list, names: TrustNames, fixed: dict, defaults: dict,
                 keys: frozenset, rcps, rcp_keys: frozenset = frozenset()):
        self.role = role
        self._trust = None
        self._compiler = compiler
        self._node_notes = node_notes
        self.names = names
        self.fixed = fixed
        self.defaults = defaults
        self.keys = keys  # condition keys of the trust policy
        self.rcps = rcps  # compiled RCP levels of the role's account (None: not in an organization)
        self.rcp_keys = rcp_keys

    @property
    def has_trust(self) -> bool:
        return self.role.trust_policy is not None

    @property
    def trust(self):
        """The compiled trust policy (None when the snapshot has none). Its problems are added to the role's
        notes when it is compiled."""
        if self._trust is None and self.role.trust_policy is not None:
            self._trust = self._compiler.compile(self.role.trust_policy, name=f"trust policy of {self.role.name}",
                                                 kind="trust", source=self.role.source)
            where = ""
            file, path = split_source(self.role.source)  # (the role's place: say where its trust policy is)
            if file:
                where = f" (trust policy in {file}" + (f" at {path}.AssumeRolePolicyDocument)" if path else ")")
            for problem in getattr(self._trust, "problems", None) or ():
                note = problem + where
                if note not in self._node_notes:
                    self._node_notes.append(note)
        return self._trust


class Candidate:
    """One (caller, role, action) pair some trust names: decided once per context."""
    __slots__ = ("caller", "role", "action", "key", "via", "principal", "keys", "ck")

    def __init__(self, caller: str, role: str, action: str, key: str, via: tuple = (), ck: tuple | None = None):
        self.ck = (caller, role, key) if ck is None else ck  # (caller, role, key): its id in candidates / results
        self.caller = caller  # node id
        self.role = role  # role ARN
        self.action = action  # STS action of the request
        self.key = key  # edge key (ACTION, or SERVICE_ASSUME)
        self.via: tuple = via  # how it became a candidate (sorted tuple)
        self.principal = None  # Principal override (a trust naming an exact session ARN)
        self.keys: frozenset | None = None  # condition keys its policies refer to (incremental re-evaluation)


class SessionTagCandidate(Candidate):
    """A candidate decided with the caller's principal tags open (session tags, D11; see
    TrustGraph.session_tag_keys): the edge it gives holds it, so that its explanations are computed the same way."""
    __slots__ = ("tag_keys",)

    def __init__(self, cand: Candidate, tag_keys: frozenset):
        super().__init__(cand.caller, cand.role, cand.action, cand.key, cand.via, cand.ck)
        self.principal = cand.principal
        self.keys = cand.keys
        self.tag_keys = tag_keys  # lower-case aws:principaltag/... keys left unknown


def _lower_dict(values: dict) -> dict:
    """Lower-case keys and normalised values (see callers.norm_dict)."""
    return norm_dict(values)


class TrustGraph:
    """The trust graph of a snapshot under one context. See explorer/graph/__init__.py for the contract."""

    def __init__(self, snapshot: Snapshot, context: Context, settings: Settings):
        self.snapshot = snapshot
        self.context = context
        self.settings = settings
        self.graph: nx.MultiDiGraph = nx.MultiDiGraph()
        self.callers: dict[str, Caller] = {}
        self.roles: dict[str, RoleInfo] = {}
        self.candidates: dict[tuple[str, str, str], Candidate] = {}
        self.compiler: PolicyCompiler | None = None
        self.notes: list[str] = []  # graph-wide remarks (missing policies, ...)
        self.timings: dict[str, float] = {}
        self._results: dict[tuple[str, str, str], EdgeData | None] = {}
        self._names: dict[str, list[str]] = {}
        self._org_compiled: dict[tuple[str, str], tuple[list | None, frozenset]] = {}
        self._delegations: dict[str, object] = {}
        self._assumed_caller_side = None
        self._tag_keys: tuple[set, set] = (set(), set())
        self._analyst: dict = {}
        self._unique_ids: dict[str, str] = {}
        self._path_cache: dict = {}
        self._env: "TrustGraph | None" = None
        self._interned: dict = {}
        # the fast path's memo (see _decide): request_key -> outcome, shared by with_context copies (the key holds
        # the context values that matter); None when MEMOISE_DECISIONS is off
        self._memo: dict | None = {} if MEMOISE_DECISIONS else None
        self._memo_parts: dict = {}
        # role twins (explorer/graph/role_twins.py): their context-free parts, shared by with_context copies, and
        # per context the memoised (outcome, memo key code) per twin key
        self._twins: RoleTwins | None = RoleTwins() if MEMOISE_DECISIONS and TWINS else None
        self._twin_memo: dict = {}
        # session tags (session_tag_keys): role node -> whether its sessions may carry session tags; (node, keys) ->
        # the caller with those principal tags unknown. Context-free: shared by with_context copies.
        self._tag_sessions: dict = {}
        self._tags_opened: dict = {}
        # condition keys of candidates and the index of candidates by key (re-evaluation), shared by with_context
        # copies: they do not depend on the context
        self._keys_cache: dict = {}
        # the memo key each candidate was decided under (ck -> (key id, version of the analyst's values)), for
        # re-deciding by groups (see _reevaluate); the table of ids is shared by with_context copies
        self._memo_codes: dict | None = {} if MEMOISE_DECISIONS else None
        self._key_table = _KeyTable() if MEMOISE_DECISIONS else None
        self._version = 0
        self.workers = 1  # worker processes for deciding many candidates (see build_trust_graph)

    # ------------------------------------------------------------------ public API
    def with_context(self, context: Context, progress=None, *, workers: int | None = None) -> "TrustGraph":
        """The same graph re-decided under another context, reusing the indexes and compiled policies. Only the
        candidates whose request context changes in a key their policies refer to are decided again; this graph
        is left unchanged. workers: as for build_trust_graph (default: the value the graph was built with)."""
        t0 = time.perf_counter()
        new = TrustGraph.__new__(TrustGraph)
        new.__dict__.update(self.__dict__)
        new.context = context
        new._analyst = _analyst_values(context)
        new._path_cache = {}
        new._twin_memo = {}
        changed = _changed_keys(self._analyst, new._analyst)
        new.graph = _share_structure(self.graph)
        new._results = dict(self._results)
        if self._memo_codes is not None and self._key_table is not None:
            new._memo_codes = dict(self._memo_codes)
            new._version = self._key_table.add_version(new._analyst)
        new._env = None
        new._env = new._make_env()
        if workers is not None:
            new.workers = max(1, int(workers))
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            new._reevaluate(self, changed, progress, copied=time.perf_counter() - t0)
        finally:
            if was_enabled:
                gc.enable()
        return new

    def _reevaluate(self, old: "TrustGraph", changed: set, progress, copied: float = 0.0) -> None:
        t0 = time.perf_counter()
        report = progress or (lambda done, total, message: None)
        # a key every request reads, or open <-> closed (every unknown key changes meaning): all candidates again
        redo_all = (any(k in changed for k in _EXTRA_ACTIONS_KEYS)
                    or any(c.startswith("aws:requesttag/") for c in changed)
                    or self.context.closed != old.context.closed)
        todo: list = []
        if changed or redo_all:
            if redo_all:
                scan = self.candidates.values()
            else:  # only the candidates whose policies refer to a changed key, in build order
                by_key = self._candidates_by_key()
                positions = (by_key.get(next(iter(changed)), ()) if len(changed) == 1  # (ascending already)
                             else sorted({i for k in changed for i in by_key.get(k, ())}))
                everyone = self._candidate_list()
                scan = [everyone[i] for i in positions]
            callers, roles, before, after = self.callers, self.roles, old._analyst, self._analyst
            only = next(iter(changed)) if len(changed) == 1 else None
            # fixing a principal tag (even to the value the caller has) or un-fixing it decides whether the
            # caller's session tags are open (session_tag_keys)
            tags_moved = any(k.startswith("aws:principaltag/") for k in changed)
            tag_sessions = self._tag_sessions
            # (one key changed, fixed by the analyst before or after but not both: whether the request's value
            # changes depends on the caller alone when the role side does not set the key; known per caller)
            same_for: dict = {}
            if only is not None and not redo_all:
                # per role: 0 the role side sets the key (its value does not come from the analyst), 1 its
                # defaults set it (decided per candidate), 2 it does not (the caller's value: known per caller);
                # per caller: 0 the caller fixes it, 1 the analyst fixed it before and after (the values
                # differ), 2 compare the values
                both = only in before and only in after
                role_kind: dict = {}
                caller_kind: dict = {}
                for cand in scan:
                    if tags_moved and tag_sessions.get(cand.caller):
                        todo.append(cand)
                        continue
                    rk = role_kind.get(cand.role)
                    if rk is None:
                        info = roles[cand.role]
                        rk = role_kind[cand.role] = 0 if only in info.fixed else 1 if only in info.defaults else 2
                    if rk == 0:
                        continue
                    kk = caller_kind.get(cand.caller)
                    if kk is None:
                        kk = caller_kind[cand.caller] = 0 if only in callers[cand.caller].fixed else 1 if both else 2
                    if kk == 0:
                        continue
                    if kk == 2:
                        if rk == 1:
                            caller, info = callers[cand.caller], roles[cand.role]
                            if _merged(before, caller, info, only) == _merged(after, caller, info, only):
                                continue
                        else:
                            same = same_for.get(cand.caller)
                            if same is None:
                                caller, info = callers[cand.caller], roles[cand.role]
                                same = same_for[cand.caller] = (_merged(before, caller, info, only)
                                                                == _merged(after, caller, info, only))
                            if same:
                                continue
                    todo.append(cand)
            else:
                for cand in scan:
                    if (not redo_all and not (tags_moved and tag_sessions.get(cand.caller))
                            and all(_merged(before, callers[cand.caller], roles[cand.role], k)
                                    == _merged(after, callers[cand.caller], roles[cand.role], k) for k in changed)):
                        continue
                    todo.append(cand)
        t_selected = time.perf_counter()
        decided = None
        # by groups (_Regroup) when the candidates' keys were recorded (also after a build in worker processes:
        # they send their keys back, see _PortableKeys)
        grouped = (not redo_all and self._memo is not None and bool(self._memo_codes)
                   and self._key_table is not None and self.context.closed == old.context.closed and GROUP_REDECIDE)
        if not grouped and self.workers > 1 and len(todo) >= PARALLEL_MIN_CANDIDATES:
            decided = _decide_in_workers(self, self.workers, report, todo)
        edges = _CopyOnWrite(self.graph)
        regroup = _Regroup(self) if grouped else None
        decide = self._decide if regroup is None else regroup.decide
        set_edge, old_results, results = edges.set, old._results, self._results
        for i, cand in enumerate(todo):
            if decided is None:
                data = decide(cand)
                if i % 2000 == 0:
                    report(i, len(todo), "re-evaluating edges")
            else:
                data = decided[i]
                if data is not None:
                    data = EdgeData(data, self._env, self._worker_candidate(cand, data))
            ck = cand.ck
            before = old_results.get(ck)
            results[ck] = data
            if data is not None or before is not None:
                set_edge(cand.caller, cand.role, cand.key, data)
        t_end = time.perf_counter()
        self.timings = {**old.timings, "reevaluate": t_end - t0 + copied, "reevaluate_copy": copied,
                        "reevaluate_select": t_selected - t0, "reevaluate_decide": t_end - t_selected,
                        "reevaluated": len(todo),
                        "groups": None if regroup is None else len(regroup.groups)}
        report(len(todo), len(todo), "done")

    def node_for(self, arn_or_name: str) -> str | None:
        """The node id for an ARN, an assumed-role session ARN, a unique id, an account id, a service or a
        user/role name (None when unknown or ambiguous)."""
        if not isinstance(arn_or_name, str) or not arn_or_name.strip():
            return None
        text = arn_or_name.strip()
        if text in self.graph:
            return text
        if text.lower() in ("anyone", "*") and S.ANYONE_ID in self.graph:
            return S.ANYONE_ID
        sess = parse_session(text)
        if sess:
            acct = self.snapshot.accounts.get(sess[0])
            for role in (acct.roles.values() if acct is not None else ()):
                if role.name == sess[1]:
                    return role.arn
            foreign = f"arn:aws:iam::{sess[0]}:role/{sess[1]}"
            return foreign if foreign in self.graph else None
        if text.isdigit() and len(text) == 12:
            acct = f"arn:aws:iam::{text}:root"
            return acct if acct in self.graph else None
        entity = self.snapshot.by_unique_id(text)
        if entity is not None and entity.arn in self.graph:
            return entity.arn
        hits = self._names.get(text) or self._names.get(text.lower())
        if hits and len(hits) == 1:
            return hits[0]
        return None

    def tag_session(self, caller: str, role: str, key: str) -> Decision | None:
        """Whether `caller`, assuming `role` by the edge `key`, may pass session tags (sts:TagSession on both sides:
        the role's trust and, for a principal with its own policies, its identity side; T9/D11): the engine's
        Decision, None when they are not a caller and a role of the snapshot. A chain whose next hop needs session
        tags on this role's session (SESSION_TAGS) needs them passed here (explorer.analysis.paths). Cached."""
        cache = self.__dict__.setdefault("_path_cache", {})
        ck = ("tag session", caller, role, key)
        if ck in cache:
            return cache[ck]
        c = self.callers.get(caller)
        info = self.roles.get(role)
        out = None
        if c is not None and info is not None and info.has_trust:
            from explorer.iam import evaluate
            action = S.ASSUME_ROLE if key == S.SERVICE_ASSUME else key
            cand = Candidate(caller, role, action, key, ("session tags",))
            ctx = self.request_context(c, role)
            out = evaluate(self._request(cand, c, info, ctx, "sts:TagSession", side="full"))
        cache[ck] = out
        return out

    def explain_hop(self, caller: str, role: str) -> dict:
        """The engine's answer for `caller` assuming `role` whether or not the graph has an edge (analysts ask why
        an expected edge is missing): {"state": allowed|conditional|denied|None, "decision", "trust_decision",
        "identity_decision", "reason"}. state None: no edge (the role side does not trust the caller)."""
        if caller not in self.callers or role not in self.roles:
            raise KeyError(f"{caller} -> {role}: not a caller and a role of the snapshot")
        g = self.graph
        if g.has_edge(caller, role):
            keys = g[caller][role]
            key = min(keys, key=lambda k: {S.ALLOWED: 0, S.CONDITIONAL: 1}.get(keys[k][S.STATE], 2))
            d = keys[key]
            return {"state": d[S.STATE], "action": key, "decision": d[S.DECISION],
                    "trust_decision": d[S.TRUST_DECISION], "identity_decision": d[S.IDENTITY_DECISION],
                    "reason": d[S.REASON], "requires": d[S.REQUIRES]}
        c = self.callers[caller]
        action = {S.SAML_PROVIDER: S.ASSUME_ROLE_SAML, S.OIDC_PROVIDER: S.ASSUME_ROLE_WEB_IDENTITY}.get(
            c.kind, S.ASSUME_ROLE)
        key = S.SERVICE_ASSUME if c.kind == S.SERVICE else action
        cand = Candidate(caller, role, action, key, ("explain",))
        info = self.roles[role]
        from explorer.iam import evaluate
        ctx = self.request_context(c, role)
        full = evaluate(self._request(cand, c, info, ctx, action, side="full"))
        trust = self.lazy_value(cand, S.TRUST_DECISION)
        ident = self.lazy_value(cand, S.IDENTITY_DECISION)
        return {"state": None, "action": key, "decision": full, "trust_decision": trust,
                "identity_decision": ident, "requires": (),
                "reason": f"no edge: the role side does not allow this caller ({trust.reason})"
                if not is_allowed(trust) else f"no edge: {full.reason}"}

    def nodes_named(self, name: str) -> list[str]:
        return list(self._names.get(name) or self._names.get(name.lower()) or [])

    def caller(self, node: str) -> Caller | None:
        return self.callers.get(node)

    def role_info(self, role_arn: str) -> RoleInfo | None:
        return self.roles.get(role_arn)

    def scps_for(self, account_id: str | None):
        return self._scp_levels(account_id)

    def rcps_for(self, account_id: str | None):
        return self._rcp_levels(account_id)[0]

    def request_context(self, caller: Caller, role_arn: str | None = None) -> Context:
        """The context of a request by `caller` on `role_arn`: derived keys + the analyst's context."""
        info = self.roles.get(role_arn) if role_arn else None
        if info is not None:
            values = {**caller.defaults, **info.defaults, **self._analyst, **caller.fixed, **info.fixed}
        else:
            values = {**caller.defaults, **self._analyst, **caller.fixed}
        unknown = caller.unknown.difference(self._analyst) if caller.unknown else frozenset()
        return RequestContext.merged(values, closed=self.context.closed, unknown=unknown)

    def edges_out(self, node: str):
        return self.graph.out_edges(node, keys=True, data=True)

    def edges_in(self, node: str):
        return self.graph.in_edges(node, keys=True, data=True)

    def stats(self) -> dict:
        states = {s: 0 for s in S.EDGE_STATES}
        for _, _, d in self.graph.edges(data=True):
            states[d[S.STATE]] = states.get(d[S.STATE], 0) + 1
        return {"nodes": self.graph.number_of_nodes(), "edges": self.graph.number_of_edges(),
                "candidates": len(self.candidates), **states}

    # ------------------------------------------------------------------ org policies
    def _org_policy_levels(self, account_id: str, policy_type: str) -> tuple[list | None, frozenset]:
        """The compiled SCP or RCP levels of an account (None outside the organization) and the condition keys
        they read; compiled once per account."""
        key = (policy_type, account_id)
        got = self._org_compiled.get(key)
        if got is None:
            org = self.snapshot.organization
            if org is None or not org.contains(account_id):
                got = (None, frozenset())
            else:
                kind = "scp" if policy_type == SCP else "rcp"
                levels, keys = [], set()
                for level in org.policy_levels(account_id, policy_type):
                    pols = []
                    for p in level:
                        if p.document is not None:
                            pols.append(self.compiler.compile(p.document, name=f"{kind.upper()} {p.name}",
                                                              kind=kind, source=p.source))
                            keys |= self.compiler.keys_of(p.document)
                    levels.append(pols)
                got = (levels, frozenset(keys))
            self._org_compiled[key] = got
        return got

    def _scp_levels(self, account_id: str | None):
        return None if account_id is None else self._org_policy_levels(account_id, SCP)[0]

    def _rcp_levels(self, account_id: str | None):
        return (None, frozenset()) if account_id is None else self._org_policy_levels(account_id, RCP)

    def _is_mgmt(self, account_id: str | None) -> bool:
        org = self.snapshot.organization
        return bool(org and account_id and org.is_management(account_id))

    # ------------------------------------------------------------------ deciding
    def _candidate_list(self) -> list:
        got = self._keys_cache.get(_CANDIDATE_LIST)
        if got is None or len(got) != len(self.candidates):
            got = self._keys_cache[_CANDIDATE_LIST] = list(self.candidates.values())
        return got

    def _candidates_by_key(self) -> dict:
        """Condition key (lower-case) -> positions (in build order) of the candidates whose policies refer to it;
        made on the first re-evaluation and shared by every graph made from this one (with_context)."""
        got = self._keys_cache.get(_BY_KEY)
        if got is None:
            got = {}
            for i, cand in enumerate(self._candidate_list()):
                for k in self._candidate_keys(cand):
                    got.setdefault(k, []).append(i)
            self._keys_cache[_BY_KEY] = got
        return got

    def _candidate_keys(self, cand: Candidate) -> frozenset:
        if cand.keys is None:
            # the union of the role side's keys and the caller side's keys, each computed once, and the union
            # shared by every candidate with the same two sides (there are few distinct ones)
            cache = self._keys_cache
            caller_keys = cache.get(cand.caller)
            if caller_keys is None:
                caller = self.callers[cand.caller]
                keys: set = set()
                pol = caller.policies
                if pol is not None:
                    for doc in pol.documents:
                        keys |= self.compiler.keys_of(doc)
                    keys |= self.compiler.keys_of(pol.boundary_document)
                if caller.account_id is not None:
                    keys |= self._org_policy_levels(caller.account_id, SCP)[1]
                caller_keys = cache[cand.caller] = cache.setdefault(frozenset(keys), frozenset(keys))
            info = self.roles[cand.role]
            pair = (caller_keys, info.keys, info.rcp_keys)
            got = cache.get(pair)
            if got is None:
                got = cache[pair] = frozenset(info.keys | info.rcp_keys | caller_keys)
            cand.keys = got
        return cand.keys

    def _request(self, cand: Candidate, caller: Caller, info: RoleInfo, ctx: Context, action: str, *,
                 side: str) -> Request:
        """side: "full"; "trust": the role side (trust policy + RCPs) with the caller's side assumed to allow;
        "trust-policy": the trust policy alone (caller side assumed, no RCPs); "identity": the caller's side with
        the trust reduced to a delegation to the caller's account."""
        principal = cand.principal or caller.principal
        identity, boundary, scps, rcps, trust = (), None, None, None, info.trust
        if side in ("full", "identity") and caller.policies is not None:
            identity = caller.policies.identity
            boundary = caller.policies.boundary
            scps = self._scp_levels(caller.account_id)
        if side in ("full", "trust"):
            rcps = self._rcp_levels(info.role.account_id)[0]
        if side in ("trust", "trust-policy") and caller.identity_side:
            identity = (self._assumed_caller_side,)
        if side == "full" and caller.foreign:
            # its own policies are unknown (assumed to allow), but organization.json may hold its SCPs
            identity = (self._assumed_caller_side,)
            scps = self._scp_levels(caller.account_id) if caller.account_id else None
        if side == "identity":
            trust = self._delegation(caller.account_id or "")
        scps_elsewhere = rcps_elsewhere = ""
        if scps is None and side in ("trust", "trust-policy") and self._scp_levels(caller.account_id) is not None:
            scps_elsewhere = "the caller's SCPs are part of the caller side (not evaluated in the role side)"
        if rcps is None and side in ("identity", "trust-policy") and info.rcps is not None:
            rcps_elsewhere = "the role account's RCPs are part of the role side (not evaluated in the caller side)"
            if side == "trust-policy":
                rcps_elsewhere = "the trust policy alone is evaluated here (RCPs are in the role side's decision)"
        return Request(principal=principal, action=action, resource=info.role.arn, context=ctx,
                       resource_account=info.role.account_id, identity_policies=identity,
                       permissions_boundary=boundary, session_policy=None, scps=scps, rcps=rcps,
                       resource_policy=trust,
                       principal_is_management_account=self._is_mgmt(caller.account_id),
                       resource_is_management_account=self._is_mgmt(info.role.account_id),
                       settings=self.settings, unique_ids=self._unique_ids, scps_elsewhere=scps_elsewhere,
                       rcps_elsewhere=rcps_elsewhere)

    def caller_side_policies(self, caller: Caller) -> list:
        """The compiled policies of a caller's side of its hops, flattened: its identity policies (the one assumed
        for a caller outside the snapshot), its boundary and the SCP levels of its account. A superset of what a
        hop's request holds (_request leaves the SCPs out for a caller without identity policies)."""
        pols: list = []
        if caller.foreign:
            pols.append(self._assumed_caller_side)
        elif caller.policies is not None:
            pols.extend(caller.policies.identity)
            if caller.policies.boundary is not None:
                pols.append(caller.policies.boundary)
        for level in self._scp_levels(caller.account_id) or ():
            pols.extend(level)
        return pols

    @staticmethod
    def role_side_policies(info: RoleInfo) -> list:
        """The compiled policies of a role's side of its hops, flattened: its trust policy and the RCP levels of
        its account."""
        pols = [info.trust]
        for level in info.rcps or ():
            pols.extend(level)
        return pols

    def _delegation(self, account_id: str):
        pol = self._delegations.get(account_id)
        if pol is None:
            doc = {"Version": "2012-10-17",
                   "Statement": [{"Sid": "DelegateToCallerAccount", "Effect": "Allow",
                                  "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                                  "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]}]}
            from explorer.iam import compile_policy
            pol = compile_policy(doc, name="(caller side only: a trust that delegates to the caller's account)",
                                 kind="trust")
            self._delegations[account_id] = pol
        return pol

    def _make_env(self) -> "TrustGraph":
        """What an edge keeps to compute its decisions again on demand: this graph's state without the graph
        itself (so edges hold no reference cycle back to the graph that holds them)."""
        env = TrustGraph.__new__(TrustGraph)
        env.__dict__.update(self.__dict__)
        env.graph = None
        env._results = None
        env._memo_codes = None
        env._path_cache = None
        env._env = None
        return env

    def _intern(self, value):
        return self._interned.setdefault(value, value)

    def _hop_decision(self, cand: Candidate, caller: Caller, info: RoleInfo, ctx, request: Request | None = None,
                      resource_text: str | None = None) -> tuple[Decision, tuple]:
        """The hop's Decision (for a caller outside the snapshot, with the "caller's own policies" requirement
        added) and its requirements."""
        from explorer.iam import evaluate
        if request is None:
            request = self._request(cand, caller, info, ctx, cand.action, side="full")
        full = evaluate(request, resource_text=resource_text)
        requires = tuple(tuple(alt) for alt in full.requirements)
        if caller.foreign and is_allowed(full):
            requires = and_requirements(requires, ((caller_policies_requirement(caller.account_id),),))
            full = dataclasses.replace(full, requirements=requires)
        return full, requires

    def _outcome(self, cand: Candidate, caller: Caller, info: RoleInfo, ctx, request: Request,
                 resource_text: str | None = None):
        """(state, requires, reason, badges, notes) of a candidate, or None when the role side does not trust the
        caller. resource_text: the words naming the role in the reason (a placeholder for the memo)."""
        from explorer.iam import evaluate
        full, requires = self._hop_decision(cand, caller, info, ctx, request, resource_text)
        notes: tuple = ()
        if is_allowed(full):
            if caller.foreign:
                notes = (f"the caller's own policies in account {caller.account_id or '(any)'} are not in the "
                         "snapshot: the edge assumes they allow sts:AssumeRole on this role",)
            state = S.CONDITIONAL if requires else S.ALLOWED
            reason = (f"allowed: {full.reason}" if state == S.ALLOWED
                      else f"allowed if {requirement_text(requires)}: {full.reason}")
        else:
            # Does the trust policy itself allow this caller (RCPs and the caller's side set aside)? If not, the
            # candidate is no edge; if it does, the edge is kept as "trusted but not permitted".
            if not self._trust_policy_allows(self._request(cand, caller, info, ctx, cand.action,
                                                           side="trust-policy")):
                return None
            state = S.DENIED
            requires = ()
            reason = f"trusted but not permitted: {full.reason}"
        it = self._intern
        return (state, it(requires) if requires else (), it(reason), it(badges(requires)) if requires else (),
                notes)

    def _trust_policy_allows(self, request: Request) -> bool:
        """Whether the trust policy alone (a "trust-policy" request of _request) allows the caller: decided once
        per request_key, like the outcomes (most denied candidates of one role share it)."""
        from explorer.iam import evaluate
        memo = self._memo
        key = None if memo is None else request_key(request, self._memo_parts, resource_in_key=False)
        if key is None:
            return is_allowed(evaluate(request))
        key = (_TRUST_POLICY_ALONE, key)
        got = memo.get(key)
        if got is None:
            got = memo[key] = is_allowed(evaluate(request, resource_text=_RESOURCE_PLACEHOLDER))
        return got

    def _decide(self, cand: Candidate) -> EdgeData | None:
        """Decide one candidate (see _decide_as_is). A role-session caller whose session may carry session tags
        that the candidate's policies read (session_tag_keys) and that gets no edge, a denied one or a conditional
        one with its role's own tags is decided again with those tags open: what the right session tags allow is
        added as requirement alternatives (SESSION_TAGS names the tags; docs/trust-graph.md "Session tags")."""
        data = self._decide_as_is(cand)
        if data is None or data[S.STATE] != S.ALLOWED:
            tag_keys = self.session_tag_keys(cand)
            if tag_keys:
                tagged = self._decide_with_session_tags(cand, tag_keys, data)
                if tagged is not None:
                    return tagged
        return data

    def session_tag_keys(self, cand: Candidate) -> frozenset:
        """D11 in the graph: the principal-tag keys (lower-case context keys) that the candidate's policies read
        and that the caller's session may carry as session tags chosen by whoever created it. That is when the
        caller is a role of the snapshot whose trust policy allows sts:TagSession to some principal (who may pass
        them is the edges into the role). Empty in a closed context, and without the keys the analyst fixed."""
        if self.context.closed or not self._taggable(cand.caller):
            return _NOTHING
        analyst = self._analyst
        return frozenset(k for k in self._candidate_keys(cand)
                         if k.startswith("aws:principaltag/") and k not in analyst)

    def _taggable(self, node: str) -> bool:
        """Whether the sessions of caller `node` may carry session tags chosen by whoever created them (a role of
        the snapshot whose trust allows sts:TagSession; see session_tag_keys). Cached per caller."""
        taggable = self._tag_sessions.get(node)
        if taggable is None:
            info = self.roles.get(node)
            caller = self.callers.get(node)
            taggable = self._tag_sessions[node] = bool(
                info is not None and caller is not None and not caller.foreign and allows_tag_session(info.trust))
        return taggable

    def _worker_candidate(self, cand: Candidate, data: dict) -> Candidate:
        """The candidate an edge decided in a worker process was decided as (its explanations are computed here)."""
        if data.get(S.SESSION_TAGS):
            return SessionTagCandidate(cand, self.session_tag_keys(cand))
        return cand

    def _caller_of(self, cand: Candidate) -> Caller:
        """The caller a candidate is decided for: for a SessionTagCandidate, its caller with those tags unknown."""
        tag_keys = getattr(cand, "tag_keys", None)
        if not tag_keys:
            return self.callers[cand.caller]
        tk = (cand.caller, tag_keys)
        opened = self._tags_opened.get(tk)
        if opened is None:
            caller = self.callers[cand.caller]
            opened = self._tags_opened[tk] = dataclasses.replace(
                caller, defaults={k: v for k, v in caller.defaults.items() if k not in tag_keys},
                unknown=caller.unknown | tag_keys)
        return opened

    def _decide_with_session_tags(self, cand: Candidate, tag_keys: frozenset, base: EdgeData | None
                                  ) -> EdgeData | None:
        """The edge of a candidate whose caller's session may carry session tags (explorer/graph/session_tags.py),
        given its edge with the role's own tags (`base`: None, denied or conditional): conditional on the base
        edge's alternatives and the alternatives that need session tags, or None when no session tag adds one."""
        tagged = SessionTagCandidate(cand, tag_keys)
        caller = self._caller_of(tagged)
        info = self.roles[cand.role]
        out, key = self._memo_outcome(tagged, caller, info, ("session tags",))
        if out is None or out[0] == S.DENIED:
            return None
        _state, requires, reason, _badge, notes = out
        own = self.callers[cand.caller].defaults  # the role's own tag values
        found = [(alt, needs) for alt, needs in tag_alternatives(requires, tag_keys, own) if needs]
        if not found:
            return None  # (no alternative needs a session tag: the role's own tags decide)
        combined = list(base[S.REQUIRES]) if base is not None and base[S.STATE] == S.CONDITIONAL else []
        for alt, _needs in found:
            if alt not in combined:
                combined.append(alt)
        combined = tuple(combined)
        needed = tag_names(set().union(*(needs for _alt, needs in found)))
        role_name = cand.caller.rsplit("/", 1)[-1]
        notes = (*notes, f"session tags ({', '.join(needed)}) on the session of {role_name} open this hop: its "
                         "trust policy allows sts:TagSession, so whoever assumed it may have set them (D11); the "
                         "alternatives naming aws:PrincipalTag/" + ", aws:PrincipalTag/".join(needed)
                         + " need them passed")
        tail = reason.split(": ", 1)[1] if ": " in reason else reason
        it = self._intern
        out = (S.CONDITIONAL, it(combined), it(f"allowed if {requirement_text(combined)}: {tail}"),
               it(badges(combined)), notes)
        data = self._edge_data(tagged, caller, info, out, key is not None)
        data[S.SESSION_TAGS] = tuple(needed)
        return data

    def _decide_as_is(self, cand: Candidate) -> EdgeData | None:
        """Decide one candidate: its edge data, or None when the role side does not trust the caller. Only
        the state, requirements and reason are kept; DECISION, TRUST_DECISION and IDENTITY_DECISION are computed
        again when read (deterministic, same inputs), which keeps a 100,000-principal graph small.

        Identical sub-problems are decided once (the fast path, docs/trust-graph.md "Performance"): the outcome
        is memoised under `explorer.iam.evaluate.request_key` of the hop's request, which holds everything the
        engine reads (the applicable statements of every layer, how the trust names the caller, the values of
        the context keys those statements read), plus what the outcome adds (the caller's account, whether its
        policies are outside the snapshot, whether it has an identity side). Two callers of one account with
        the same relevant statements share one decision of a role; fixing aws:PrincipalOrgID collapses likewise.
        A role twin (explorer/graph/role_twins.py) of a candidate decided before takes its outcome and key code
        without a request."""
        caller = self.callers[cand.caller]
        info = self.roles[cand.role]
        twin = None
        if self._twins is not None:
            twin = self._twins.key(self, cand, caller, info)
            if twin is not None:
                got = self._twin_memo.get(twin)
                if got is not None:
                    self._memo_codes[cand.ck] = got[1]
                    return self._edge_data(cand, caller, info, got[0], True)
        out, key = self._memo_outcome(cand, caller, info)
        codes = self._memo_codes
        if codes is not None:
            if key is not None and self._key_table is not None:
                code = codes[cand.ck] = self._key_table.code(key, self._version)
                if twin is not None:
                    self._twin_memo[twin] = (out, code)
            else:
                codes.pop(cand.ck, None)
        return self._edge_data(cand, caller, info, out, key is not None)

    def _memo_outcome(self, cand: Candidate, caller: Caller, info: RoleInfo, kind: tuple = ()):
        """(_outcome of the candidate's hop, its memo key): the memoised outcome when the request is covered by
        request_key (see _decide_as_is), else (decided directly, None). `kind` tells memo entries of another kind
        of question apart (a caller with its session tags open, _caller_of)."""
        ctx = self.request_context(caller, cand.role)
        request = self._request(cand, caller, info, ctx, cand.action, side="full")
        memo = self._memo
        key = None if memo is None else request_key(request, self._memo_parts, resource_in_key=False)
        if key is None:
            return self._outcome(cand, caller, info, ctx, request), None
        key = (*kind, key, caller.account_id if caller.foreign else None, caller.foreign, caller.identity_side)
        out = memo.get(key, _MISSING)
        if out is _MISSING:
            out = memo[key] = self._outcome(cand, caller, info, ctx, request, _RESOURCE_PLACEHOLDER)
        return out, key

    def _edge_data(self, cand: Candidate, caller: Caller, info: RoleInfo, out, memoised: bool) -> EdgeData | None:
        """The edge data of an outcome of _outcome (None: no edge); memoised: its reason may hold the placeholder
        for the role."""
        if out is None:
            return None
        state, requires, reason, badge, notes = out
        if memoised and _RESOURCE_PLACEHOLDER in reason:
            reason = self._intern(reason.replace(_RESOURCE_PLACEHOLDER, info.role.arn))
        caller_acct = caller.account_id
        cross = bool(caller_acct) and caller_acct != info.role.account_id
        return EdgeData({S.ACTION: cand.key, S.STATE: state, S.REQUIRES: requires, S.CROSS_ACCOUNT: cross,
                         S.REASON: reason, S.BADGES: badge, S.VIA: cand.via, S.NOTES: notes},
                        self._env if self._env is not None else self, cand)

    def lazy_value(self, cand: Candidate, key: str):
        """DECISION / TRUST_DECISION / IDENTITY_DECISION of a candidate edge, computed on demand."""
        from explorer.iam import evaluate
        caller = self._caller_of(cand)
        info = self.roles[cand.role]
        ctx = self.request_context(caller, cand.role)
        if key == S.DECISION:
            return self._hop_decision(cand, caller, info, ctx)[0]
        if key == S.TRUST_DECISION:
            if caller.foreign or not caller.identity_side:
                return self._hop_decision(cand, caller, info, ctx)[0]
            return evaluate(self._request(cand, caller, info, ctx, cand.action, side="trust"))
        if not caller.identity_side or caller.foreign:
            return None
        return evaluate(self._request(cand, caller, info, ctx, cand.action, side="identity"))


def _merged(analyst: dict, caller: Caller, info: RoleInfo, key: str):
    """The value a request by `caller` on `info`'s role has for `key` (lower-case), as request_context merges."""
    for source in (info.fixed, caller.fixed, analyst, info.defaults, caller.defaults):
        if key in source:
            return source[key]
    return _MISSING if key not in caller.unknown else UNKNOWN


def _analyst_values(context: Context) -> dict:
    """The analyst's fixed keys: lower-case key -> normalised value (None: fixed as absent)."""
    return {k.lower(): context.get(k) for k in context.keys()}


class _KeyTable:
    """Memo keys as small ids, and the analyst's values each key was computed under (versions): shared by a graph
    and its with_context copies. A candidate's code is the interned pair (key id, version)."""
    __slots__ = ("ids", "keys", "versions", "pairs")

    def __init__(self):
        self.ids: dict = {}
        self.keys: list = []
        self.versions: list[dict] = []
        self.pairs: dict = {}

    def add_version(self, analyst: dict) -> int:
        self.versions.append(analyst)
        return len(self.versions) - 1

    def code(self, key, version: int) -> tuple:
        i = self.ids.get(key)
        if i is None:
            i = self.ids[key] = len(self.keys)
            self.keys.append(key)
        pair = (i, version)
        return self.pairs.setdefault(pair, pair)


class _Regroup:
    """Re-deciding candidates by groups (with_context with the fast path on). A candidate decided under memo key K
    when the analyst's values were A gets, under the new values B, a key that depends only on K and on the new
    values of (1) the keys whose value differs between A and B ("moved") and (2) the other keys that its
    documents which refer to a moved key refer to ("co-read"):
      - request_key lists, per layer and in order, the applicable statements (context-free, identified by their
        text in K), how Principal names the caller (context-free, in K) and the Resource and Condition formulas,
        computed through the engine's lookup; context-free policies are a number (Policy.memo_parts);
      - a statement that reads no moved key evaluates as under A (its entry in K stays); one that reads a moved
        key evaluates from its text and the values of the keys it reads, all moved or co-read;
      - what else the key holds (principal kind and flags, cross-account, what is read of the resource,
        settings, flags) does not depend on the context.
    So candidates with the same K (same A) and the same new values of those keys share the new key: the first one
    is decided (by _decide, which gives its key) and the others take the memoised outcome. Not grouped (decided
    on their own): a candidate without a recorded key (not covered by request_key, or a worker's key that could
    not be sent back: see _PortableKeys), one
    whose documents name a moved key as a policy variable in Resource / NotResource (the formula then depends on
    the role's ARN, not in K), and one for which one of those keys has no value in the request's context (the
    engine would then read what it derives from the principal, not in K)."""

    def __init__(self, tg: "TrustGraph"):
        self.tg = tg
        self.table: _KeyTable = tg._key_table
        self.groups: dict = {}
        self.by_formulas: dict = {}
        self._codes = tg._memo_codes
        self._open = not tg.context.closed  # (session tags are open only in an open context)
        self._last = (None, None)
        # version -> (moved keys, caller node -> (Caller, co-read keys or None: not groupable, taggable, keys ->
        # its values), role -> (RoleInfo, co-read keys or None, the keys the role side sets), (co-read keys of the
        # caller, of the role, keys the role sets) -> (keys, as a set, whether the role sets one), statements)
        self._moved: dict = {}
        self._scp_docs: dict = {}
        self._rcp_docs: dict = {}

    def _state(self, version: int) -> tuple:
        state = self._moved.get(version)
        if state is None:
            moved = frozenset(_changed_keys(self.table.versions[version], self.tg._analyst))
            state = self._moved[version] = (moved, {}, {}, {}, {})
        self._last = (version, state)
        return state

    def _caller_entry(self, moved: frozenset, node: str, entries: dict) -> tuple:
        tg = self.tg
        caller = tg.callers[node]
        known = tg._keys_cache.get(node)  # the keys of its documents (_candidate_keys)
        cs = _NOTHING if known is not None and moved.isdisjoint(known) else self._side(moved, caller, None)
        entry = entries[node] = (caller, cs, self._open and tg._taggable(node), {})
        return entry

    def _role_entry(self, moved: frozenset, role: str, entries: dict) -> tuple:
        info = self.tg.roles[role]
        rs = self._role_side(moved, info, entries)
        sets = frozenset(info.fixed).union(info.defaults) if info.fixed or info.defaults else _NOTHING
        entry = entries[role] = (info, rs, sets)
        return entry

    def decide(self, cand: Candidate) -> EdgeData | None:
        tg = self.tg
        code = self._codes.get(cand.ck)
        if code is None:
            return tg._decide(cand)
        version = code[1]
        state = self._last[1] if self._last[0] == version else self._state(version)
        moved, caller_entries, role_entries, unions, statements = state
        ce = caller_entries.get(cand.caller)
        if ce is None:
            ce = self._caller_entry(moved, cand.caller, caller_entries)
        caller, cs, taggable, caller_values = ce
        if taggable and tg.session_tag_keys(cand):  # session tags: decided on its own
            return tg._decide(cand)
        re_ = role_entries.get(cand.role)
        if re_ is None:
            re_ = self._role_entry(moved, cand.role, role_entries)
        info, rs, sets = re_
        if cs is None or rs is None:
            return tg._decide(cand)
        pair = (cs, rs, sets)
        union = unions.get(pair)
        if union is None:
            key_set = moved | cs | rs
            union = unions[pair] = (tuple(sorted(key_set)), key_set, not key_set.isdisjoint(sets))
        keys, key_set, role_sets = union
        if role_sets:
            vals = tuple([_merged(tg._analyst, caller, info, k) for k in keys])
        else:
            # the role side sets none of them: the values are the caller's (most callers have several roles)
            vals = caller_values.get(keys)
            if vals is None:
                analyst = tg._analyst
                vals = caller_values[keys] = tuple([_merged(analyst, caller, info, k) for k in keys])
        gk = (code, keys, vals)
        try:
            new = self.groups.get(gk)
        except TypeError:  # an unhashable value
            return tg._decide(cand)
        if new is None:
            complete = _MISSING not in vals
            sig = None
            if complete and _MFA_KEY not in key_set:
                sig = self._formulas(moved, statements, code, cand, caller, info, keys, vals)
                new = None if sig is None else self.by_formulas.get(sig)
                if new is not None:  # (new code, its memoised outcome)
                    self.groups[gk] = new
                    self._codes[cand.ck] = new[0]
                    return tg._edge_data(cand, caller, info, new[1], True)
            data = tg._decide(cand)
            code = self._codes.get(cand.ck)  # the key _decide recorded (None: not covered by request_key)
            if complete and code is not None and code[1] == tg._version:
                new = self.groups[gk] = (code, tg._memo[self.table.keys[code[0]]])
                if sig is not None:
                    self.by_formulas[sig] = new
            else:
                self.groups[gk] = _NO_GROUP
            return data
        if new is _NO_GROUP:
            return tg._decide(cand)
        self._codes[cand.ck] = new[0]
        return tg._edge_data(cand, caller, info, new[1], True)

    def _formulas(self, moved, statements: dict, code, cand, caller, info, keys, vals):
        """(code, ((statement text, Condition formula), ...)) for the statements of the candidate's compiled
        policies that read a moved key (or a policy variable), evaluated on the new values: two candidates with the
        same code and the same formulas get the same new key, even when values of co-read keys differ (for example
        the caller's account where a data perimeter excepts a few accounts). None: a statement reads a key
        without a value here (then the candidate is decided)."""
        cs = statements.get(("caller", cand.caller))
        if cs is None:
            cs = statements[("caller", cand.caller)] = _reading(self.tg.caller_side_policies(caller), moved)
        rs = statements.get(("role", cand.role))
        if rs is None:
            rs = statements[("role", cand.role)] = _reading(TrustGraph.role_side_policies(info), moved)
        values = dict(zip(keys, vals))
        try:
            sig = (code, tuple([(st.memo_token, evaluate_conditions(st.conditions, values.__getitem__))
                                for st in (*cs, *rs)]))
            hash(sig)
        except Exception:  # a key without a value here (KeyError), an unhashable value
            return None
        return sig

    def _role_side(self, moved: frozenset, info: RoleInfo, cache: dict):
        """_side of a role: its trust policy's part and its account's RCPs' part (shared by the account's roles)."""
        rcp = _NOTHING
        if not moved.isdisjoint(info.rcp_keys):
            ak = ("rcps of", info.role.account_id)
            rcp = cache.get(ak, _MISSING)
            if rcp is _MISSING:
                rcp = cache[ak] = self._side(moved, None, None, self._org_docs(self._rcp_docs, info.role.account_id,
                                                                                RCP))
        if moved.isdisjoint(info.keys):
            return rcp
        trust = self._side(moved, None, None, [info.role.trust_policy])
        if trust is None or rcp is None:
            return None
        return rcp if not trust else trust if not rcp else trust | rcp

    def _side(self, moved: frozenset, caller: Caller | None, info: RoleInfo | None, docs: list | None = None):
        tg = self.tg
        if docs is not None:
            pass
        elif caller is not None:
            docs = []
            if caller.policies is not None:
                docs.extend(caller.policies.documents)
                docs.append(caller.policies.boundary_document)
            docs.extend(self._org_docs(self._scp_docs, caller.account_id, SCP))
        else:
            docs = [info.role.trust_policy, *self._org_docs(self._rcp_docs, info.role.account_id, RCP)]
        keys: set = set()
        for doc in docs:
            if doc is None:
                continue
            dk = tg.compiler.keys_of(doc)
            if dk and not moved.isdisjoint(dk):
                if not moved.isdisjoint(_resource_var_keys(tg._keys_cache, doc)):
                    keys = None
                    break
                keys |= dk
        return None if keys is None else frozenset(keys)

    def _org_docs(self, cache: dict, account_id: str | None, policy_type: str) -> list:
        got = cache.get(account_id)
        if got is None:
            got = []
            org = self.tg.snapshot.organization
            if account_id and org is not None and org.contains(account_id):
                got = [p.document for level in org.policy_levels(account_id, policy_type) for p in level
                       if p.document is not None]
            cache[account_id] = got
        return got


_NO_GROUP = object()
_TRUST_POLICY_ALONE = "trust policy alone"  # memo entries of _trust_policy_allows
_NOTHING: frozenset = frozenset()
_MFA_KEY = "aws:multifactorauthpresent"  # the engine may override its value (settings, MFA token passed)


def _reading(policies, moved: frozenset) -> tuple:
    """The statements of compiled policies whose conditions read a moved key or a policy variable."""
    out = []
    for pol in policies:
        for st in getattr(pol, "statements", None) or ():
            conds = st.conditions
            if conds and any(c.key_lower in moved or c.has_vars for c in conds):
                out.append(st)
    return tuple(out)


def _resource_var_keys(cache: dict, document: dict) -> frozenset:
    """Lower-case keys a document uses as policy variables in Resource / NotResource (cached by id: documents
    live as long as the snapshot)."""
    ck = ("resource variables", id(document))
    got = cache.get(ck)
    if got is None:
        from explorer.graph.policies import _VAR_KEY, as_list, statements
        keys: set = set()
        for stmt in statements(document):
            for elem in ("Resource", "NotResource"):
                for v in as_list(stmt.get(elem)):
                    if isinstance(v, str) and "${" in v:
                        keys.update(m.strip().lower() for m in _VAR_KEY.findall(v))
        got = cache[ck] = frozenset(keys)
    return got


def _share_structure(old: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A new MultiDiGraph with the same nodes (the same attribute dicts: a re-evaluation changes no node
    attribute) whose adjacency shares `old`'s: the outer
    _succ / _pred dicts are copied, each node's neighbour dict and each (u, v) key dict stay shared with `old`
    until `_CopyOnWrite` changes them (the re-evaluation changes the edges through it only). Both graphs are
    read-only for their users (analysis, render and UI build their own graphs), so sharing is invisible; a
    full copy of the adjacency took 1.5-2 s at 465,000 edges."""
    g = nx.MultiDiGraph()
    g.graph.update(old.graph)
    g._node.update(old._node)
    g._succ = g._adj = dict(old._succ)
    g._pred = dict(old._pred)
    return g


class _CopyOnWrite:
    """Sets or removes edges of a graph made by `_share_structure`, copying a node's neighbour dict (in _succ of
    the caller, in _pred of the role) and an (u, v) key dict the first time it changes, so that the graph it was
    made from is left unchanged. Same resulting structure and order as networkx's add_edge / remove_edge (a key
    dict that becomes empty is removed from both sides)."""
    __slots__ = ("g", "succ_owned", "pred_owned", "keys_owned")

    def __init__(self, g: nx.MultiDiGraph):
        self.g = g
        self.succ_owned: set = set()
        self.pred_owned: set = set()
        self.keys_owned: set = set()

    def set(self, u: str, v: str, key: str, data: dict | None) -> None:
        """Edge (u, v, key) gets `data` as its attribute dict (None: the edge is removed)."""
        g = self.g  # (both nodes exist: a re-evaluation's candidates are the build's)
        succ_u = g._succ[u]
        if u not in self.succ_owned:
            succ_u = g._succ[u] = dict(succ_u)
            self.succ_owned.add(u)
        pred_v = g._pred[v]
        if v not in self.pred_owned:
            pred_v = g._pred[v] = dict(pred_v)
            self.pred_owned.add(v)
        keydict = succ_u.get(v)
        if (u, v) not in self.keys_owned:
            self.keys_owned.add((u, v))
            if keydict is not None:
                keydict = succ_u[v] = pred_v[u] = dict(keydict)
        if data is None:
            if keydict is not None and key in keydict:
                del keydict[key]
                if not keydict:
                    del succ_u[v]
                    del pred_v[u]
            return
        if keydict is None:
            keydict = succ_u[v] = pred_v[u] = {}
        keydict[key] = data


def put_edge(g: nx.MultiDiGraph, u: str, v: str, key: str, data: dict) -> None:
    """Add (or replace) an edge whose attribute dict is `data` itself (an EdgeData with lazily computed
    explanations), directly in networkx's adjacency structure (the key dict is shared by _succ[u][v] and
    _pred[v][u])."""
    if u not in g._node or v not in g._node:
        g.add_edge(u, v, key=key)
    nbrs = g._succ[u]
    keydict = nbrs.get(v)
    if keydict is None:
        keydict = nbrs[v] = {}
        g._pred[v][u] = keydict
    keydict[key] = data


def _changed_keys(old: dict, new: dict) -> set[str]:
    keys = set(old) | set(new)
    return {k for k in keys if old.get(k, _MISSING) != new.get(k, _MISSING)}


_MISSING = object()
_BY_KEY = ("index", "candidates by key")  # keys of TrustGraph._keys_cache (tuples: no clash with node ids)
_CANDIDATE_LIST = ("index", "candidates")


# ---------------------------------------------------------------------- building
def build_trust_graph(snapshot: Snapshot, context: Context | None = None, settings: Settings | None = None,
                      progress=None, *, workers: int = 1) -> TrustGraph:
    """Build the trust graph of a snapshot (see explorer/graph/__init__.py).

    workers > 1 decides the candidate edges in that many forked worker processes (Linux/Unix "fork" start method
    only; elsewhere, or for small graphs, or if a worker fails, the build is serial). The default is serial:
    forking is not safe in every host process (for example a Qt application on macOS)."""
    # The build creates many long-lived objects and no reference cycles: the cyclic garbage collector would only
    # re-scan them again and again (it made the build grow faster than the snapshot).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        tg = _build(snapshot, context, settings, progress, max(1, int(workers or 1)))
    finally:
        if was_enabled:
            gc.enable()
    if was_enabled:
        # The graph is millions of long-lived container objects that the cyclic collector would otherwise scan
        # again and again (a young-generation pass over all of them soon after, then older ones): a full
        # collection now took ~6 s at 100,000 principals. The build leaves no cyclic garbage, so instead the
        # objects that exist now are moved to the collector's permanent generation (gc.freeze: no scan, they are
        # still freed by reference counting), and moved back (gc.unfreeze) when this graph is released, so that
        # the cycles among them (compiled policies and their statements) are collected then.
        t = time.perf_counter()
        if FREEZE_AFTER_BUILD:
            gc.freeze()
            weakref.finalize(tg, gc.unfreeze)
        else:
            gc.collect()
        tg.timings["gc"] = time.perf_counter() - t
        tg.timings["build"] += tg.timings["gc"]
    return tg


def _build(snapshot: Snapshot, context: Context | None, settings: Settings | None, progress,
           workers: int = 1) -> TrustGraph:
    from explorer.iam import compile_policy
    context = context if context is not None else Context(closed=False)
    settings = settings or DEFAULT_SETTINGS
    tg = TrustGraph(snapshot, context, settings)
    tg.workers = workers
    tg._analyst = _analyst_values(context)
    if tg._key_table is not None:
        tg._version = tg._key_table.add_version(tg._analyst)
    tg.compiler = PolicyCompiler()
    for acct in snapshot.accounts.values():
        tg._unique_ids.update({u.user_id: u.arn for u in acct.users.values() if u.user_id})
        tg._unique_ids.update({r.role_id: r.arn for r in acct.roles.values() if r.role_id})
    tg._assumed_caller_side = compile_policy(
        _ASSUMED_CALLER_SIDE, name="(caller side assumed to allow: evaluating the role side only)",
        kind="identity")
    t0 = time.perf_counter()
    report = progress or (lambda done, total, message: None)
    g = tg.graph
    g.graph["snapshot"] = snapshot.name
    users = list(snapshot.users())
    roles = list(snapshot.roles())
    total_steps = len(users) + len(roles)
    report(0, total_steps, "indexing principals")

    tag_keys_p, tag_keys_r = _referenced_tag_keys(snapshot, tg.compiler)
    tg._tag_keys = (tag_keys_p, tag_keys_r)

    # -- account nodes
    for acct in snapshot.accounts.values():
        g.add_node(f"arn:aws:iam::{acct.id}:root", **{S.KIND: S.ACCOUNT, S.LABEL: snapshot.account_name(acct.id),
                                                      S.ACCOUNT_ID: acct.id, S.ARN: f"arn:aws:iam::{acct.id}:root",
                                                      S.IN_ORG: snapshot.in_organization(acct.id),
                                                      S.FOREIGN: False})
    # -- principals: nodes, compiled policies, identity index
    ident = IdentityIndex()
    done = 0
    groups = {(a.id, grp.name): grp for a in snapshot.accounts.values() for grp in a.groups.values()}
    for user in users:
        pols = tg.compiler.principal_policies(snapshot, user, groups)
        caller = user_caller(snapshot, user, pols, tag_keys_p)
        tg.callers[user.arn] = caller
        g.add_node(user.arn, **{S.KIND: S.USER, S.LABEL: user.name, S.ACCOUNT_ID: user.account_id, S.ARN: user.arn,
                                S.TAGS: dict(user.tags), S.UNIQUE_ID: user.user_id, S.FOREIGN: False,
                                S.IN_ORG: snapshot.in_organization(user.account_id), S.NOTES: list(pols.missing)})
        ident.add(user.arn, user.account_id, [p for d in pols.documents for p in tg.compiler.patterns_of(d)])
        _name(tg, user.name, user.arn)
        done += 1
        if done % 2000 == 0:
            report(done, total_steps, "indexing principals")
    for role in roles:
        pols = tg.compiler.principal_policies(snapshot, role, groups)
        caller = role_caller(snapshot, role, pols, tag_keys_p, settings)
        tg.callers[role.arn] = caller
        names = read_trust(role.trust_policy)
        fixed, defaults = role_side_values(snapshot, role, tag_keys_r)
        if not may_allow_tag_session(role.trust_policy):
            tg._tag_sessions[role.arn] = False  # (its sessions carry only its own tags: see session_tag_keys)
        rcps, rcp_keys = tg._rcp_levels(role.account_id)
        node_notes = list(pols.missing)
        tg.roles[role.arn] = RoleInfo(role, tg.compiler, node_notes, names, _lower_dict(fixed), _lower_dict(defaults),
                                      tg.compiler.keys_of(role.trust_policy), rcps, rcp_keys)
        g.add_node(role.arn, **{S.KIND: S.SERVICE_LINKED_ROLE if role.is_service_linked else S.ROLE,
                                S.LABEL: role.name, S.ACCOUNT_ID: role.account_id, S.ARN: role.arn,
                                S.TAGS: dict(role.tags), S.UNIQUE_ID: role.role_id, S.FOREIGN: False,
                                S.MAX_SESSION: role.max_session_duration,
                                S.MAX_SESSION_KNOWN: role.max_session_duration_known,
                                S.IN_ORG: snapshot.in_organization(role.account_id),
                                S.TRUST_PRINCIPALS: names.describe(),
                                S.NOTES: node_notes})
        ident.add(role.arn, role.account_id, [p for d in pols.documents for p in tg.compiler.patterns_of(d)])
        _name(tg, role.name, role.arn)
        done += 1
        if done % 2000 == 0:
            report(done, total_steps, "indexing principals")
    shared: dict = {}
    for c in tg.callers.values():
        c.fixed = _lower_dict(c.fixed)
        c.defaults = _share(shared, _lower_dict(c.defaults))  # most principals of an account have the same
    for info in tg.roles.values():
        info.defaults = _share(shared, info.defaults)
    tg._path_cache = {}
    # -- providers of the snapshot
    for acct in snapshot.accounts.values():
        for prov in acct.saml_providers.values():
            _provider_node(tg, prov.arn, S.SAML_PROVIDER, acct.id, False)
        for prov in acct.oidc_providers.values():
            _provider_node(tg, prov.arn, S.OIDC_PROVIDER, acct.id, False, label=prov.url or None)
    tg.timings["index"] = time.perf_counter() - t0

    # -- candidates from what each trust names
    t1 = time.perf_counter()
    for n, (role_arn, info) in enumerate(tg.roles.items()):
        _role_candidates(tg, info, ident)
        if n % 2000 == 0:
            report(len(users) + n, total_steps, "finding candidate edges")
    # a principal outside the snapshot named by one trust is also a candidate of every trust naming its account
    foreign_by_account: dict[str, list[str]] = {}
    for node, c in tg.callers.items():
        if c.foreign and c.kind in (S.USER, S.ROLE) and c.account_id:
            foreign_by_account.setdefault(c.account_id, []).append(node)
    if foreign_by_account:
        for role_arn, info in tg.roles.items():
            if not info.has_trust:
                continue
            for acct in info.names.accounts:
                for node in foreign_by_account.get(acct, ()):
                    _add_candidate(tg, node, role_arn, S.ASSUME_ROLE, S.ASSUME_ROLE, "account")
    tg.timings["candidates"] = time.perf_counter() - t1

    # -- decide every candidate once
    tg._env = tg._make_env()
    t2 = time.perf_counter()
    total = len(tg.candidates)
    decided = _decide_in_workers(tg, workers, report) if workers > 1 and total >= PARALLEL_MIN_CANDIDATES else None
    tg.timings["workers"] = 1 if decided is None else workers
    for i, (ck, cand) in enumerate(tg.candidates.items()):
        if decided is None:
            data = tg._decide(cand)
        else:
            data = decided[i]
            if data is not None:
                data = EdgeData(data, tg._env, tg._worker_candidate(cand, data))
        tg._results[ck] = data
        if data is not None:
            put_edge(g, cand.caller, cand.role, cand.key, data)
        if decided is None and i % 2000 == 0:
            report(i, total, "deciding edges")
    tg.timings["decide"] = time.perf_counter() - t2
    tg.timings["build"] = time.perf_counter() - t0
    report(total, total, "done")
    return tg


PARALLEL_MIN_CANDIDATES = 20000
_WORKER_GRAPH: TrustGraph | None = None


_WORKER_CANDIDATES: list | None = None


def _decide_slice(bounds: tuple[int, int]) -> tuple:
    """In a forked worker: decide candidates [start, end) of the inherited list. Returns (plain edge dicts,
    per candidate the index of its memo key in the table or -1, table of (portable memo key, memoised outcome))."""
    start, end = bounds
    tg = _WORKER_GRAPH
    out = []
    codes = tg._memo_codes
    index: list = []
    table: list = []
    where: dict = {}
    portable = _PortableKeys(tg) if codes is not None and tg._key_table is not None else None
    for cand in _WORKER_CANDIDATES[start:end]:
        data = tg._decide(cand)
        out.append(None if data is None else dict(data))
        i = -1
        code = None if portable is None else codes.get(cand.ck)
        if code is not None and code[1] == tg._version:
            key = tg._key_table.keys[code[0]]
            i = where.get(key)
            if i is None:
                pk = portable.out(key)
                i = where[key] = -1 if pk is None else len(table)
                if pk is not None:
                    table.append((pk, tg._memo[key]))
        index.append(i)
    return out, index, table


class _PortableKeys:
    """Memo keys between processes. A key (see TrustGraph._memo_outcome) holds numbers that are only meaningful in
    the process that made them: the id of its policy layers (TrustGraph._memo_parts) and, inside them, the ids of
    context-free policy parts (`explorer.iam.policy._parts_id`). A worker sends keys with those numbers replaced by
    what they stand for (`out`); this process turns them back into its own numbers (`back`). Equal problems get
    equal keys in both; a number that cannot be resolved (its table was cleared) leaves the candidate without a
    recorded key (decided on its own when re-evaluated)."""

    def __init__(self, tg: TrustGraph):
        self.tg = tg
        self._layers: list = []  # the keys of tg._memo_parts in order: layers id n -> layers
        self._parts: dict = {}

    def out(self, key: tuple):
        if key[:1] == ("session tags",):
            return None  # (not recorded: see _decide_as_is)
        rk = key[0]
        n = rk[LAYERS_AT]
        intern, rev = self.tg._memo_parts, self._layers
        if n >= len(rev):  # (request_key numbers the layers 0, 1, 2... in insertion order)
            rev.extend(itertools.islice(intern, len(rev), None))
        if n >= len(rev):
            return None
        layers = rev[n]
        try:
            portable = (self._layer_out(layers[0]),
                        None if layers[1] is None else tuple(self._layer_out(sig) for sig in layers[1]),
                        *(self._layer_out(sig) for sig in layers[2:]))
        except KeyError:  # (a policy part's id no longer in its table)
            return None
        return ((*rk[:LAYERS_AT], portable, *rk[LAYERS_AT + 1:]), *key[1:])

    def _layer_out(self, sig):
        if type(sig) is not tuple or not any(type(p) is int for p in sig):
            return sig  # False, or statements given in full
        out = []
        for p in sig:
            if type(p) is int:
                parts = self._parts.get(p)
                if parts is None:
                    self._parts = {n: parts for parts, n in _policy_parts_ids().items()}
                    parts = self._parts[p]
                p = ("parts", parts)
            out.append(p)
        return tuple(out)

    def back(self, pk: tuple) -> tuple:
        rk = pk[0]
        portable = rk[LAYERS_AT]
        layers = (self._layer_back(portable[0]),
                  None if portable[1] is None else tuple(self._layer_back(sig) for sig in portable[1]),
                  *(self._layer_back(sig) for sig in portable[2:]))
        intern = self.tg._memo_parts
        n = intern.get(layers)
        if n is None:
            n = intern[layers] = len(intern)
        return ((*rk[:LAYERS_AT], n, *rk[LAYERS_AT + 1:]), *pk[1:])

    @staticmethod
    def _layer_back(sig):
        if type(sig) is not tuple:
            return sig
        from explorer.iam.policy import _parts_id
        return tuple(_parts_id(p[1]) if type(p) is tuple and len(p) == 2 and p[0] == "parts" else p for p in sig)


def _policy_parts_ids() -> dict:
    from explorer.iam import policy
    return policy._PARTS_IDS


def _record_worker_keys(tg: TrustGraph, cands: list, results: list) -> None:
    """Record, in this process, the memo keys and outcomes of candidates decided by workers (from _decide_slice),
    so that their re-evaluations are grouped as after a serial build (_Regroup)."""
    codes, table, memo = tg._memo_codes, tg._key_table, tg._memo
    if codes is None or table is None or memo is None:
        return
    portable = _PortableKeys(tg)
    pos = 0
    for _out, index, keys in results:
        local = []
        for pk, outcome in keys:
            key = portable.back(pk)
            memo.setdefault(key, outcome)
            local.append(table.code(key, tg._version))
        for i in index:
            ck = cands[pos].ck
            if i < 0:
                codes.pop(ck, None)
            else:
                codes[ck] = local[i]
            pos += 1


def _decide_in_workers(tg: TrustGraph, workers: int, report, candidates: list | None = None) -> list | None:
    """Decide candidates (default: all, in order) in forked worker processes (copy-on-write: they inherit the
    indexes and compiled policies). Returns the edge data dicts in order, or None (serial fallback) when fork is
    not available or a worker fails."""
    import multiprocessing
    global _WORKER_GRAPH, _WORKER_CANDIDATES
    try:
        ctx = multiprocessing.get_context("fork")
    except ValueError:
        return None
    cands = list(tg.candidates.values()) if candidates is None else candidates
    total = len(cands)
    step = max(1000, -(-total // (workers * 8)))
    slices = [(i, min(i + step, total)) for i in range(0, total, step)]
    _WORKER_GRAPH, _WORKER_CANDIDATES = tg, cands
    out: list = []
    results: list = []
    try:
        with ctx.Pool(workers) as pool:
            for part in pool.imap(_decide_slice, slices):
                out.extend(part[0])
                results.append(part)
                report(len(out), total, "deciding edges")
    except Exception:  # a worker died (memory, signal): decide serially instead
        return None
    finally:
        _WORKER_GRAPH = _WORKER_CANDIDATES = None
    if len(out) != total:
        return None
    t = time.perf_counter()
    _record_worker_keys(tg, cands, results)
    tg.timings["worker_keys"] = time.perf_counter() - t
    return out


def _share(shared: dict, values: dict) -> dict:
    """One dict object for equal dicts of normalised values (they are never mutated after the build)."""
    try:
        key = frozenset(values.items())
    except TypeError:
        return values
    return shared.setdefault(key, values)


def _name(tg: TrustGraph, name: str, node: str) -> None:
    tg._names.setdefault(name, []).append(node)
    if name.lower() != name:
        tg._names.setdefault(name.lower(), []).append(node)


def _provider_node(tg: TrustGraph, pid: str, kind: str, account: str | None, foreign: bool, label=None) -> str:
    if pid not in tg.graph:
        if label is None:
            label = pid.split("/", 1)[1] if "/" in pid and pid.startswith("arn:") else pid
        tg.graph.add_node(pid, **{S.KIND: kind, S.LABEL: label, S.ACCOUNT_ID: account, S.ARN: pid,
                                  S.FOREIGN: foreign, S.NOTES: []})
        c = provider_caller(pid, kind)
        c.account_id = account
        c.fixed = _lower_dict(c.fixed)
        tg.callers[pid] = c
        _name(tg, label, pid)
    return pid


_VIA: dict = {}


def _add_candidate(tg: TrustGraph, caller: str, role: str, action: str, key: str, via: str, principal=None):
    ck = (caller, role, key)
    cand = tg.candidates.get(ck)
    if cand is None:
        cand = tg.candidates[ck] = Candidate(caller, role, action, key, _VIA.setdefault((via,), (via,)), ck)
    elif via not in cand.via:
        merged = tuple(sorted((*cand.via, via)))
        cand.via = _VIA.setdefault(merged, merged)
    if principal is not None and cand.principal is None:
        cand.principal = principal


def _foreign_account_node(tg: TrustGraph, account: str) -> str:
    node = f"arn:aws:iam::{account}:root"
    if node not in tg.graph:
        snap = tg.snapshot
        tg.graph.add_node(node, **{S.KIND: S.FOREIGN_ACCOUNT, S.LABEL: snap.account_name(account),
                                   S.ACCOUNT_ID: account, S.ARN: node, S.IN_ORG: snap.in_organization(account),
                                   S.FOREIGN: True, S.NOTES: ["account outside the snapshot: the policies of its "
                                                              "principals are not known"]})
        c = foreign_account_caller(snap, account)
        c.fixed, c.defaults = _lower_dict(c.fixed), _lower_dict(c.defaults)
        tg.callers[node] = c
    return node


def _foreign_principal_node(tg: TrustGraph, arn: str, account: str, kind: str) -> str:
    if arn not in tg.graph:
        snap = tg.snapshot
        tg.graph.add_node(arn, **{S.KIND: kind, S.LABEL: arn.split("/")[-1], S.ACCOUNT_ID: account, S.ARN: arn,
                                  S.IN_ORG: snap.in_organization(account), S.FOREIGN: True,
                                  S.NOTES: [f"principal of account {account}, outside the snapshot: its own "
                                            "policies are not known"]})
        c = foreign_principal_caller(snap, arn, account, kind)
        c.fixed, c.defaults = _lower_dict(c.fixed), _lower_dict(c.defaults)
        tg.callers[arn] = c
        _name(tg, arn.split("/")[-1], arn)
    return arn


def _role_candidates(tg: TrustGraph, info: RoleInfo, ident: IdentityIndex) -> None:
    snap = tg.snapshot
    role = info.role
    names = info.names
    g = tg.graph
    notes = g.nodes[role.arn][S.NOTES]
    notes.extend(names.notes)
    if not info.has_trust:
        return
    AR = S.ASSUME_ROLE
    # named user / role ARNs
    for arn in names.arns:
        ent = parse_entity(arn)
        acct, kind, _ = ent
        if arn in tg.callers:
            _add_candidate(tg, arn, role.arn, AR, AR, "arn")  # naming its own ARN is how a role trusts itself
        elif acct in snap.accounts:
            notes.append(f"the trust names {arn}, which is not in the snapshot (deleted? AWS shows a unique id "
                         "for a deleted principal)")
        else:
            node = _foreign_principal_node(tg, arn, acct, S.ROLE if kind == "role" else S.USER)
            _add_candidate(tg, node, role.arn, AR, AR, "arn")
    # exact session ARNs
    for sarn in names.sessions:
        acct, rname, _ = parse_session(sarn)
        if acct in snap.accounts:
            target = next((r for r in snap.accounts[acct].roles.values() if r.name == rname), None)
            if target is None:
                notes.append(f"the trust names the session {sarn} of a role that is not in the snapshot")
                continue
            _add_candidate(tg, target.arn, role.arn, AR, AR, "session",
                           principal=role_session_principal(target, sarn))
        else:
            rarn = f"arn:aws:iam::{acct}:role/{rname}"
            node = _foreign_principal_node(tg, rarn, acct, S.ROLE)
            _add_candidate(tg, node, role.arn, AR, AR, "session")
    # unique ids
    for uid in names.unique_ids:
        ent = snap.by_unique_id(uid)
        if ent is None:
            notes.append(f"dangling unique-ID principal {uid}: no user or role of the snapshot has this id (the "
                         "entity was deleted or recreated); it matches nothing (M4)")
            continue
        _add_candidate(tg, ent.arn, role.arn, AR, AR, "unique-id")
    # accounts
    for acct in names.accounts:
        if acct in snap.accounts:
            for pid in ident.candidates(role.arn, role.account_id, acct):
                _add_candidate(tg, pid, role.arn, AR, AR, "account")
        else:
            node = _foreign_account_node(tg, acct)
            _add_candidate(tg, node, role.arn, AR, AR, "account")
    # public
    if names.public:
        same = snap.accounts.get(role.account_id)
        if same is not None:
            for pid in list(same.users) + list(same.roles):
                _add_candidate(tg, pid, role.arn, AR, AR, "public")
        for pid in ident.candidates(role.arn, role.account_id, None):
            _add_candidate(tg, pid, role.arn, AR, AR, "public")
        if S.ANYONE_ID not in g:
            g.add_node(S.ANYONE_ID, **{S.KIND: S.ANYONE, S.LABEL: "anyone", S.ACCOUNT_ID: None, S.ARN: "*",
                                       S.FOREIGN: True, S.NOTES: ["any principal of any AWS account outside the "
                                                                  "snapshot (public trust)"]})
            c = anyone_caller()
            c.fixed = _lower_dict(c.fixed)
            tg.callers[S.ANYONE_ID] = c
        _add_candidate(tg, S.ANYONE_ID, role.arn, AR, AR, "public")
    # services
    for svc in names.services:
        if svc not in g:
            g.add_node(svc, **{S.KIND: S.SERVICE, S.LABEL: svc, S.ACCOUNT_ID: None, S.ARN: svc, S.FOREIGN: False,
                               S.NOTES: []})
            c = service_caller(svc)
            c.fixed = _lower_dict(c.fixed)
            tg.callers[svc] = c
            _name(tg, svc, svc)
        _add_candidate(tg, svc, role.arn, AR, S.SERVICE_ASSUME, "service")
    # federated
    for arn in names.saml:
        acct = provider_account(arn)
        _provider_node(tg, arn, S.SAML_PROVIDER, acct, acct not in snap.accounts)
        _add_candidate(tg, arn, role.arn, S.ASSUME_ROLE_SAML, S.ASSUME_ROLE_SAML, "federated")
    for pid in names.oidc:
        acct = provider_account(pid)
        foreign = acct is not None and acct not in snap.accounts
        _provider_node(tg, pid, S.OIDC_PROVIDER, acct, foreign)
        if acct is None and pid not in WELL_KNOWN_WEB_IDENTITY:
            g.nodes[pid][S.NOTES].append("not a provider ARN nor a well-known web identity provider")
        _add_candidate(tg, pid, role.arn, S.ASSUME_ROLE_WEB_IDENTITY, S.ASSUME_ROLE_WEB_IDENTITY, "federated")
    # legacy self trust (T5): the role's own sessions are candidates
    if tg.settings.legacy_self_trust:
        _add_candidate(tg, role.arn, role.arn, AR, AR, "self")


def _referenced_tag_keys(snapshot: Snapshot, compiler: PolicyCompiler) -> tuple[set[str], set[str]]:
    """Principal-tag and resource-tag keys (lower-case) that some policy of the snapshot refers to (through
    compiler.keys_of, which keeps each document's keys for the candidates' keys later)."""
    condition_keys = compiler.keys_of
    seen: set[int] = set()
    ptags: set[str] = set()
    rtags: set[str] = set()

    def scan(doc):
        if doc is None or id(doc) in seen:
            return
        seen.add(id(doc))
        for k in condition_keys(doc):
            if k.startswith("aws:principaltag/"):
                ptags.add(k[len("aws:principaltag/"):])
            elif k.startswith("aws:resourcetag/") or k.startswith("iam:resourcetag/"):
                rtags.add(k.split("/", 1)[1])

    for acct in snapshot.accounts.values():
        for p in list(acct.users.values()) + list(acct.roles.values()) + list(acct.groups.values()):
            for ref in list(p.inline_policies) + list(p.attached_policies):
                scan(ref.document)
            b = getattr(p, "permissions_boundary", None)
            if b is not None:
                scan(b.document)
            scan(getattr(p, "trust_policy", None))
    if snapshot.organization:
        for p in snapshot.organization.policies:
            scan(p.document)
    return ptags, rtags
