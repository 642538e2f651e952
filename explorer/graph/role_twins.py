"""Role twins: one caller asking two roles that differ only in their ARN where no policy of the request looks at
it (docs/trust-graph.md "Performance").

A principal that may assume any role (`sts:AssumeRole` on `*`) is a candidate of every role whose trust names its
account or `*`, and many such roles are alike: the same trust policy text, often in many accounts of one OU.
Its requests to them differ in the resource ARN and account, and `explorer.iam.evaluate.request_key` reads those
only through the statements that may apply, the context values the statements read, whether the request is
cross-account and a few properties of the ARN. So when, for this caller and action:
  - the roles have the same trust document (with its Principal values; when it has a Deny, the same trust name,
    because a Deny's label is part of the key), the same RCP levels and management-account flag of their
    accounts, the same values on their side of the context (resource tags, organization values,
    aws:ResourceAccount) for the keys the request's documents read, and the same ARN properties request_key reads
    (partition, service, service-linked path, named resource);
  - the request is cross-account for both or for neither;
  - every policy of the request with a Resource element that depends on the resource (the caller's identity
    policies, boundary and SCPs, the trust and the role account's RCPs) selects the same statements for both
    ARNs, each by a static match (no policy variable);
their requests get the same request_key, hence the same memoised outcome. `RoleTwins.key` gives a key for that
(None when the candidate is outside these rules) and the builder decides each twin key once per context,
skipping the request, its context and its request_key for the others.

The parts that do not depend on the context (role classes, which policies of a caller depend on the resource) are
kept here and shared by `with_context` copies; the outcomes per twin key are per context (TrustGraph._twin_memo).
"""
from __future__ import annotations

from explorer.iam.evaluate import ASSUME_ROLE_ACTIONS
from explorer.iam.policy import Policy
from explorer.iam.service_data import is_unnamed_resource

_NOT_COVERED = object()
_UNSET = "\x00unset"  # (a key the role side does not set; values are tuples or None)
# keys request_key reads for every AssumeRole request (T9 parameters), whatever the documents say
_ALWAYS_READ = frozenset({"aws:tagkeys", "sts:sourceidentity"})


class RoleTwins:
    """Twin keys of candidates (see the module docstring), for one TrustGraph and its with_context copies. The
    tables are nested per action and keyed by strings and numbers (no tuple per entry): at 100,000 principals they
    live next to the graph while it is built."""

    def __init__(self):
        self._accounts: dict = {}  # account id -> number of its part of a base (RCP levels, management account)
        self._numbers: dict = {}  # (what, value) -> small int (_number): bases, classes, codes, their parts
        self._base: dict = {}  # role ARN -> its base id, or _NOT_COVERED
        self._role_class: dict = {}  # id of the keys read -> {role ARN -> class id, or _NOT_COVERED}
        self._sides: dict = {}  # action -> ({caller node -> ...}, {role ARN -> ...}, {id(policy) -> blind})
        self._actions: dict = {}  # action as the candidate has it -> lower case

    def key(self, tg, cand, caller, info):
        """The twin key of a candidate of TrustGraph `tg`, or None (decide it through its request_key). (The graph
        is passed, not kept: no reference cycle, see builder.build_trust_graph on the garbage collector.)"""
        if cand.principal is not None or cand.caller == cand.role:
            return None  # (an exact session named by the trust; a role asking itself: self-trust reads the ARN)
        action = self._actions.get(cand.action)
        if action is None:
            action = self._actions[cand.action] = cand.action.strip().lower()
        if action not in ASSUME_ROLE_ACTIONS:
            return None
        arn = cand.role
        keys = tg._candidate_keys(cand)  # (one frozenset object per distinct set, kept by the graph)
        classes = self._role_class.get(id(keys))
        if classes is None:
            classes = self._role_class[id(keys)] = {}
        rid = classes.get(arn)
        if rid is None:
            rid = classes[arn] = self._class_of(tg, info, keys)
        if rid is _NOT_COVERED:
            return None
        sides = self._sides.get(action)
        if sides is None:
            sides = self._sides[action] = ({}, {}, {})
        callers, roles, blind = sides
        caller_side = callers.get(cand.caller)
        if caller_side is None:
            caller_side = callers[cand.caller] = _dependent(tg.caller_side_policies(caller), action, blind)
        if caller_side is _NOT_COVERED:
            return None
        role_side = roles.get(arn)
        if role_side is None:
            role_side = roles[arn] = _dependent(tg.role_side_policies(info), action, blind)
        if role_side is _NOT_COVERED:
            return None
        selected = ()
        if caller_side or role_side:
            parts = []
            for pol in (*caller_side, *role_side):
                chosen = []
                for st, static in pol.applicable(action, arn):
                    if not static:
                        return None  # (a policy variable in Resource: the formula reads the ARN)
                    chosen.append(st.index)
                parts.append(tuple(chosen))
            selected = tuple(parts)
        p_acct = caller.principal.account_id
        r_acct = info.role.account_id
        cross = bool(p_acct and r_acct and p_acct != r_acct)  # (as request_key has it)
        return (cand.caller, self._number(("code", action, rid, cross, selected)))

    # ---------------------------------------------------------------------------------------------------
    def _class_of(self, tg, info, keys: frozenset):
        """The class id of a role for candidates whose documents read `keys`: its base (_base_of) and the values
        its side of the request context gives the keys read (an unread key's value cannot change the key)."""
        base = self._base.get(info.role.arn)
        if base is None:
            base = self._base[info.role.arn] = self._base_of(tg, info)
        if base is _NOT_COVERED:
            return _NOT_COVERED
        fixed, defaults = info.fixed, info.defaults
        read = sorted(k for k in {*fixed, *defaults} if k in keys or k in _ALWAYS_READ)
        values = tuple((k, fixed.get(k, _UNSET), defaults.get(k, _UNSET)) for k in read)
        try:
            return self._number(("class", base, values))
        except TypeError:  # (an unhashable value)
            return _NOT_COVERED

    def _base_of(self, tg, info):
        """What request_key reads of a role besides the context values and the statements its Resource tests
        select: the trust document (with its Principal values; with its name when it has a Deny, whose label is in
        the key), the RCPs of its account, whether the account is the management account, and the ARN's
        partition, service, service-linked path and whether it names a resource."""
        role = info.role
        trust = info.trust  # (compiled here if not yet: its problems become the role's notes)
        if trust is None or type(trust) is not Policy or role.trust_policy is None:
            return _NOT_COVERED
        same = tg.compiler.equal_document(role.trust_policy)  # (one document per distinct canonical text)
        if same is None:
            return _NOT_COVERED
        doc_id = id(same)  # (documents live as long as the snapshot)
        arn = role.arn
        has_deny = any(st.effect == "Deny" for st in trust.statements)
        account = self._accounts.get(role.account_id)
        if account is None:
            # RCP levels: Policy objects compiled once per organization policy (TrustGraph._org_policy_levels),
            # alive as long as the graph, so their ids stand for them
            rcps = None if info.rcps is None else tuple(tuple(id(p) for p in level) for level in info.rcps)
            account = self._accounts[role.account_id] = self._number(
                ("account", rcps, tg._is_mgmt(role.account_id), bool(role.account_id)))
        parts = arn.split(":", 3) if arn.startswith("arn:") else None
        where = self._number(("arn", None if parts is None else parts[1],
                              None if parts is None or len(parts) < 3 else parts[2], "/aws-service-role/" in arn,
                              role.is_service_linked, is_unnamed_resource(arn)))
        return self._number(("base", doc_id, account, where, trust.name if has_deny else None, trust.kind))

    def _number(self, value: tuple) -> int:
        """A small number per distinct value; values start with what they are ("base", "class", "code",
        "account", "arn"), so values of two kinds never share a number."""
        got = self._numbers.get(value)
        if got is None:
            got = self._numbers[value] = len(self._numbers)
        return got


def _dependent(pols: list, action: str, blind: dict):
    """The policies whose statements for the action test the Resource (the others select the same statements
    for every ARN), or _NOT_COVERED when one is not a compiled Policy. blind: id(policy) -> whether none does
    (policies live as long as the graph)."""
    out = []
    for pol in pols:
        if type(pol) is not Policy:
            return _NOT_COVERED
        b = blind.get(id(pol))
        if b is None:
            b = blind[id(pol)] = all(st.resources is None or st._resource_any for st in pol.candidates(action))
        if not b:
            out.append(pol)
    return tuple(out) if out else ()
