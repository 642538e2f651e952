"""The decision procedure (spec §4, §5, §6, §8, §11 and the reference algorithm of §12).

    evaluate(request) -> Decision

Every statement evaluates to a formula (see `formula`): TRUE / FALSE when the context decides it, else the
requirements on unknown keys under which it matches. The layers combine exactly as §12 says:

    allowed = NOT(any applicable Deny)                          E2.1 (explicit deny first)
              AND every gate                                    O2 SCP levels, T6 who may call, T9 parameters
              AND (one of the allow paths)                      E4 / X1-X3 / T2-T3 / E3 / P2

where the allow paths are, for a same-account request,
    direct resource grant                                       E4 (+ T2 boundary exception for a trusted user)
    entity resource grant  AND boundary AND session             E4, E5
    [account resource grant, where the resource must allow] AND identity AND boundary AND session
and for a cross-account request (X1, X2, T3)
    any resource grant AND identity AND boundary AND session.
RCPs only deny (RCPFullAWSAccess is implicit at every level, O6). Service principals, identity providers and
anonymous callers have no identity side: only the resource (trust) policy can grant (T7, T8).

"Where the resource must allow" (T1 trust policies, E3/P2 KMS key policies; service_data) applies to a request on
a named resource: a role, a KMS key, or a KMS alias standing for a key. KMS actions that act on no key
(kms:CreateKey, kms:ListKeys, ...) and alias management on an alias are decided by IAM alone. A request on
Resource "*" or a wildcard pattern (as effective permissions make) names no role or key: with no resource policy
given, the caller's side decides and the reason and the resource layer say that a real role's trust policy or
key's key policy must also allow.
"""
from __future__ import annotations

from explorer.iam import formula as F
from explorer.iam.actions import service_prefix
from explorer.iam.arns import account_of, service_of
from explorer.iam.conditions import evaluate_conditions
from explorer.iam.context import UNKNOWN
from explorer.iam.decision import (BOUNDARY, IDENTITY, RCP, RESOURCE, SCP, SESSION, TRUST, Decision, LayerResult,
                                   Requirement, Result)
from explorer.iam.policy import Policy, compile_policy
from explorer.iam.principal import (ANONYMOUS, FEDERATED_PROVIDER, FEDERATED_USER, IAM_USER, IAM_USER_STS,
                                    ROLE_SESSION, ROOT, SERVICE, Principal)
from explorer.iam.principals import ACCOUNT, DIRECT, ENTITY, match_principal, not_principal_excludes, role_key
from explorer.iam.request import Request
from explorer.iam.service_data import (RESOURCE_SIDE_REQUIRED, RESOURCE_SIDE_UNNAMED, is_unnamed_resource,
                                       rcp_exempt, rcp_services, resource_side_requirement, scp_exempt)
from explorer.iam.settings import MFA_NEVER

ASSUME_ROLE_ACTIONS = ("sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity")
# STS actions on a role that its trust policy decides, like AssumeRole (T9)
TRUST_SIDE_ACTIONS = ("sts:tagsession", "sts:setsourceidentity")
MFA_KEY = "aws:multifactorauthpresent"
TOKEN_ISSUE_TIME_KEY = "aws:tokenissuetime"
_MISSING = object()
_MAX_REQUIREMENT_ALTERNATIVES = 32
_DERIVED_CACHE: dict = {}


# ---------------------------------------------------------------------------------------------------------
# context lookup: the request's context plus the keys AWS derives from the principal (R3, K7)
# ---------------------------------------------------------------------------------------------------------
def _name_of(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def derived_context(principal: Principal, resource_account: str | None) -> dict:
    """Context keys AWS fills from the principal itself (lower-case key -> tuple of values)."""
    d: dict = {}
    kind = principal.kind
    acct = principal.account_id
    if kind == ANONYMOUS:
        d["aws:principalaccount"] = ("anonymous",)
        d["aws:principaltype"] = ("Anonymous",)
    elif kind in (ROOT, IAM_USER, IAM_USER_STS, ROLE_SESSION, FEDERATED_USER):
        d["aws:principalarn"] = (principal.principal_arn,)
        if acct:
            d["aws:principalaccount"] = (acct,)
        d["aws:principaltype"] = ({ROOT: "Account", IAM_USER: "User", IAM_USER_STS: "User",
                                   ROLE_SESSION: "AssumedRole", FEDERATED_USER: "FederatedUser"}[kind],)
        if kind not in (IAM_USER, IAM_USER_STS):
            d["aws:username"] = None  # absent for roles, the root user and federated users (R3)
        if kind in (IAM_USER, IAM_USER_STS):
            d["aws:username"] = (_name_of(principal.arn),)
            if principal.unique_id:
                d["aws:userid"] = (principal.unique_id,)
        elif kind == ROLE_SESSION and principal.unique_id:
            d["aws:userid"] = (f"{principal.unique_id}:{_name_of(principal.arn)}",)
        elif kind == ROOT and acct:
            d["aws:userid"] = (acct,)
        elif kind == FEDERATED_USER and acct:
            d["aws:userid"] = (f"{acct}:{_name_of(principal.arn)}",)
        d["aws:principalisawsservice"] = ("false",)
    elif kind == SERVICE:
        d["aws:principalisawsservice"] = ("true",)
        d["aws:principalservicename"] = (principal.arn,)
    if resource_account:
        d["aws:resourceaccount"] = (resource_account,)
    for k, v in principal.tags:
        d[f"aws:principaltag/{k.lower()}"] = (v,)
    return d


# K1, K4: with temporary credentials aws:MultiFactorAuthPresent is present, "false" when there was no MFA; with
# long-term keys it is absent. In a closed context a temporary-credential request that does not give the key
# has it as "false" (in an open context it stays unknown).
_TEMPORARY_KINDS = (ROLE_SESSION, IAM_USER_STS, FEDERATED_USER)
_TEMPORARY_DEFAULTS = {MFA_KEY: ("false",)}


class _Lookup:
    """Callable lower-case key -> tuple | None (absent) | UNKNOWN; records which keys were read."""
    __slots__ = ("ctx", "derived", "overrides", "closed", "tags_known", "touched", "defaults")

    def __init__(self, ctx, derived: dict, overrides: dict, tags_known: bool, defaults: dict | None = None):
        self.ctx = ctx
        self.derived = derived
        self.overrides = overrides
        self.closed = ctx.closed
        self.tags_known = tags_known
        self.touched: set = set()
        self.defaults = defaults

    def peek(self, key: str):
        """The value __call__ returns for `key`, without recording that it was read (for request_key)."""
        if self.overrides:
            v = self.overrides.get(key, _MISSING)
            if v is not _MISSING:
                return v
        v = self.ctx.get_lower(key, _MISSING)
        if v is not _MISSING:
            return v
        v = self.derived.get(key, _MISSING)
        if v is not _MISSING:
            return v
        if self.tags_known and key.startswith("aws:principaltag/"):
            return None
        if not self.closed:
            return UNKNOWN
        return self.defaults.get(key) if self.defaults else None

    def __call__(self, key: str):
        """The value of `key` for this request, recording that the decision read it."""
        self.touched.add(key)
        return self.peek(key)


# ---------------------------------------------------------------------------------------------------------
# one layer: which statements match, their Allow / Deny formulas
# ---------------------------------------------------------------------------------------------------------
class _LayerEval:
    __slots__ = ("layer", "allow", "deny", "by_class", "matched", "policies", "notes")

    def __init__(self, layer: str):
        self.layer = layer
        self.policies = ()
        self.allow = F.FALSE
        self.deny = F.FALSE
        self.by_class: dict = {}
        self.matched: list = []
        self.notes: list = []  # warnings of the statements that matched

    def outcome(self) -> str:
        if self.deny is F.TRUE or F.is_true(self.deny):
            return "deny"
        if self.allow is F.TRUE or F.is_true(self.allow):
            return "conditional" if self.deny else "allow"
        if self.allow or self.deny:
            return "conditional"
        return "no-allow"


def _requirements_of(f) -> tuple:
    if f is F.TRUE or not f:
        return ()
    if len(f) == 1:
        (alt,) = f
        return tuple(sorted(alt, key=lambda r: (r.key.lower(), r.operator)))
    return tuple(sorted({r for alt in f for r in alt}, key=lambda r: (r.key.lower(), r.operator)))


_EMPTY = {}


def _eval_layer(layer: str, policies, action: str, resource: str, lookup, principal: Principal | None = None,
                unique_ids=None, notes: list | None = None, has_boundary: bool = False) -> _LayerEval:
    if not policies:
        empty = _EMPTY.get(layer)
        if empty is None:
            empty = _EMPTY[layer] = _LayerEval(layer)
        return empty
    out = _LayerEval(layer)
    out.policies = policies
    allow_parts = []
    deny_parts = []
    TRUE = F.TRUE
    for pol in policies:
        if not pol.valid:
            continue
        for st, static in pol.applicable(action, resource):
            if static:
                f = TRUE
            else:
                f = st.resource_formula(resource, lookup)
                if not f:
                    continue
            cls = None
            if st.principal is not None:
                if st.not_principal:  # only with Deny (G7): the Deny applies unless the caller is excluded (S8)
                    excluded = not_principal_excludes(st.principal, principal, unique_ids, notes)
                    if excluded and has_boundary:
                        excluded = False
                        if notes is not None:
                            notes.append(f"{pol.name}: a Deny with NotPrincipal always denies a principal that has a "
                                         f"permissions boundary, whatever NotPrincipal lists (S8)")
                    if excluded:
                        continue
                    cls = DIRECT
                else:
                    cls = match_principal(st.principal, principal, unique_ids, notes)
                    if cls is None:
                        continue
            if st.conditions:
                c = evaluate_conditions(st.conditions, lookup)
                if not c:
                    continue
                f = c if f is TRUE else F.f_and(f, c)
                if not f:
                    continue
            out.matched.append(st.matched(_requirements_of(f)) if f is not TRUE else st.matched())
            if st.warnings:
                out.notes.extend(f"{pol.name}: {w}" for w in st.warnings)
            if st.effect == "Deny":
                deny_parts.append(f)
            else:
                allow_parts.append(f)
                if cls is not None:
                    prev = out.by_class.get(cls)
                    out.by_class[cls] = f if prev is None else F.f_or(prev, f)
    if allow_parts:
        out.allow = allow_parts[0] if len(allow_parts) == 1 else F.f_or(*allow_parts)
    if deny_parts:
        out.deny = deny_parts[0] if len(deny_parts) == 1 else F.f_or(*deny_parts)
    return out


def _as_policies(value, kind: str, name: str) -> list:
    if not value:
        return []
    if type(value) is Policy:
        return [value]
    if type(value) in (list, tuple) and all(type(p) is Policy for p in value):
        return value
    if isinstance(value, (Policy, dict)):
        value = [value]
    out = []
    for i, p in enumerate(value):
        out.append(p if isinstance(p, Policy) else compile_policy(p, name=f"{name} {i + 1}", kind=kind))
    return out


# ---------------------------------------------------------------------------------------------------------
# the decision
# ---------------------------------------------------------------------------------------------------------
class _Part:
    """One conjunct of a gate or an allow path: a formula, the rule it stands for and words for failure."""
    __slots__ = ("rule", "fail", "formula")

    def __init__(self, rule: str, fail, formula):
        self.rule = rule
        self.fail = fail  # words, or a callable returning them (built only when needed)
        self.formula = formula

    def words(self) -> str:
        return self.fail() if callable(self.fail) else self.fail


def evaluate(request: Request, *, resource_text: str | None = None) -> Decision:
    """Decide one request (spec §12). Never raises for bad policies: they are reported in the warnings.

    resource_text: the words naming the resource in the reason (default: request.resource). A caller that reuses
    one decision for several resources (see request_key) passes a placeholder and substitutes it."""
    principal = request.principal
    action = request.action.strip().lower()
    resource = request.resource
    settings = request.settings
    kind = principal.kind
    p_acct = principal.account_id
    r_acct = request.resource_account or account_of(resource) or p_acct
    is_assume = action in ASSUME_ROLE_ACTIONS
    trust_side = is_assume or action in TRUST_SIDE_ACTIONS  # the role's trust policy is the resource policy (T1)
    svc = service_prefix(action)
    res_svc = service_of(resource) or svc
    warnings: list[str] = []
    notes: list[str] = []
    settings_used: dict = {}

    if action == "sts:getcalleridentity":
        return Decision(Result.ALLOW, "T6", "GetCallerIdentity needs no permission and cannot be denied (S36)")

    truncations_before = F.truncations
    # ---- context --------------------------------------------------------------------------------------
    overrides = {}
    if request.mfa_token_passed:
        overrides[MFA_KEY] = ("true",)
    elif kind == ROLE_SESSION and settings.mfa_in_role_session == MFA_NEVER:
        overrides[MFA_KEY] = ("false",)
    dkey = (principal, r_acct)
    derived = _DERIVED_CACHE.get(dkey)
    if derived is None:
        if len(_DERIVED_CACHE) > 8192:
            _DERIVED_CACHE.clear()
        derived = _DERIVED_CACHE[dkey] = derived_context(principal, r_acct)
    lookup = _Lookup(request.context, derived, overrides, bool(principal.tags),
                     _TEMPORARY_DEFAULTS if kind in _TEMPORARY_KINDS else None)

    # ---- which layers apply -------------------------------------------------------------------------
    identity_pols = _as_policies(request.identity_policies, "identity", "identity policy")
    boundary_pols = _as_policies(request.permissions_boundary, "boundary", "permissions boundary")
    session_pols = _as_policies(request.session_policy, "session", "session policy")
    resource_pols = _as_policies(request.resource_policy, "trust" if trust_side else "resource",
                                 "trust policy" if trust_side else "resource policy")
    if boundary_pols and principal.is_service_linked:
        warnings.append("a permissions boundary cannot be attached to a service-linked role (E6); it was ignored")
        boundary_pols = []
    res_layer_name = TRUST if trust_side else RESOURCE
    has_identity_side = kind in (ROOT, IAM_USER, IAM_USER_STS, ROLE_SESSION, FEDERATED_USER)
    is_session = kind in (ROLE_SESSION, FEDERATED_USER)
    target_is_slr = trust_side and "/aws-service-role/" in resource
    layers: list[LayerResult] = []
    evals: list[_LayerEval] = []

    # RCPs (O5, O6, T10): resource side, member accounts, supported services; they only deny.
    rcp_note = ""
    if request.rcps is None:
        rcp_note = request.rcps_elsewhere or "resource account not in an organization"
    elif request.resource_is_management_account:
        rcp_note = "resource in the management account (O5)"
    elif res_svc not in rcp_services() and svc not in rcp_services():
        rcp_note = f"service {svc} does not support RCPs (O5)"
    elif principal.is_service_linked:
        rcp_note = "calls by service-linked roles are not affected by RCPs (O5)"
    elif target_is_slr:
        rcp_note = "trust policies of service-linked roles are not affected by RCPs (T10)"
    elif request.resource_is_aws_managed_key:
        rcp_note = "AWS managed KMS keys are not affected by RCPs (O5)"
    elif rcp_exempt(action):
        rcp_note = f"{request.action} is not affected by RCPs (O5)"
    rcp_eval = None
    if not rcp_note:
        rcp_eval = _eval_layer(RCP, [p for level in request.rcps for p in _as_policies(level, "rcp", "RCP")],
                               action, resource, lookup, principal, request.unique_ids, notes)
        evals.append(rcp_eval)

    # SCPs (O1, O2, X3): principal side, IAM principals of member accounts.
    scp_note = ""
    if not principal.is_iam:
        scp_note = "not an IAM principal of an account (O1)"
    elif request.scps is None:
        scp_note = request.scps_elsewhere or "principal's account not in an organization"
    elif request.principal_is_management_account:
        scp_note = "principal in the management account (O1)"
    elif principal.is_service_linked:
        scp_note = "service-linked roles are not affected by SCPs (O1, V1)"
    elif scp_exempt(action):
        scp_note = f"{request.action} is outside SCP control (O4)"
    scp_levels: list[_LayerEval] = []
    if not scp_note:
        for i, level in enumerate(request.scps):
            ev = _eval_layer(SCP, _as_policies(level, "scp", f"SCP level {i}"), action, resource, lookup)
            scp_levels.append(ev)
            evals.append(ev)

    res_eval = _eval_layer(res_layer_name, resource_pols, action, resource, lookup, principal,
                           request.unique_ids, notes, has_boundary=bool(boundary_pols) and has_identity_side)
    evals.append(res_eval)
    id_eval = bnd_eval = ses_eval = None
    if has_identity_side and kind != ROOT:
        id_eval = _eval_layer(IDENTITY, identity_pols, action, resource, lookup)
        evals.append(id_eval)
        if boundary_pols:
            bnd_eval = _eval_layer(BOUNDARY, boundary_pols, action, resource, lookup)
            evals.append(bnd_eval)
    if is_session and session_pols:
        ses_eval = _eval_layer(SESSION, session_pols, action, resource, lookup)
        evals.append(ses_eval)
    elif session_pols and not is_session:
        warnings.append("a session policy was given for a principal that is not a session; it was ignored")

    # ---- explicit deny (E2.1) ---------------------------------------------------------------------------
    deny = F.f_or(*(e.deny for e in evals if e.deny))

    # ---- gates ------------------------------------------------------------------------------------------
    gates: list[_Part] = []
    if scp_levels or (not scp_note):
        n_levels = len(scp_levels)
        for i, ev in enumerate(scp_levels):
            gates.append(_Part("O2", lambda i=i: f"no SCP attached at {_level_name(i, n_levels)} of the "
                                                 f"principal's account path allows {request.action} (every level "
                                                 f"needs an Allow)", ev.allow))
    _who_may_call(gates, kind, action, request, lookup)
    if has_identity_side and resource.startswith("arn:") and principal.arn.startswith("arn:"):
        p_part = principal.arn.split(":", 2)[1]
        r_part = resource.split(":", 2)[1]
        if p_part != r_part:
            gates.append(_Part("X4", f"the principal's partition {p_part} differs from the resource's partition "
                                     f"{r_part}: no access across partitions", F.FALSE))
    if is_assume:
        _assume_role_parameters(gates, request, action, resource, lookup, principal, resource_pols,
                                identity_pols, boundary_pols, session_pols, evals, p_acct, r_acct, kind)

    # ---- allow paths ------------------------------------------------------------------------------------
    id_ok = F.TRUE if kind == ROOT else (id_eval.allow if id_eval is not None else F.FALSE)
    bnd_ok = bnd_eval.allow if bnd_eval is not None else F.TRUE
    if is_session:
        if ses_eval is not None:
            ses_ok = ses_eval.allow
        elif kind == ROLE_SESSION:
            ses_ok = F.TRUE
        else:
            ses_ok = F.FALSE
    else:
        ses_ok = F.TRUE
    rb_direct = res_eval.by_class.get(DIRECT, F.FALSE)
    rb_entity = res_eval.by_class.get(ENTITY, F.FALSE)
    rb_account = res_eval.by_class.get(ACCOUNT, F.FALSE)
    rb_any = F.f_or(rb_direct, rb_entity, rb_account)
    res_word = "trust policy" if trust_side else ("key policy" if res_svc == "kms" else "resource policy")
    no_rb_text = "the {res} does not allow the caller" if resource_pols else "there is no {res}"

    def no_rb_plus(suffix=""):
        return lambda: no_rb_text.format(res=res_word) + suffix
    no_rb = no_rb_plus()

    def id_fail():
        return f"no identity policy allows {request.action} on {resource if resource_text is None else resource_text}"

    def bnd_fail():
        return f"the permissions boundary does not allow {request.action}"

    def ses_fail():
        return ("the session policy does not allow " + request.action) if ses_eval is not None else \
            "a federated-user session without a session policy has no permissions (D6)"
    cross = bool(p_acct and r_acct and p_acct != r_acct)
    # Must the resource's own policy allow (T1 trust policies, E3/P2 KMS keys)? Only for a request on a named
    # resource: Resource "*" (or a pattern) names no role or key, so with no resource policy given the caller's
    # side decides and the reason says that the resource's own policy must also allow.
    unnamed_note = ""
    if trust_side:
        requires_rb = bool(resource_pols) or not is_unnamed_resource(resource)
        if not requires_rb:
            unnamed_note = ("the request names no particular role (Resource \"*\" or a pattern), so no trust policy "
                            "was evaluated: a role's own trust policy must also allow the caller (T1)")
    else:
        side = resource_side_requirement(action, resource)
        requires_rb = side == RESOURCE_SIDE_REQUIRED or (side == RESOURCE_SIDE_UNNAMED and bool(resource_pols))
        if side == RESOURCE_SIDE_UNNAMED and not requires_rb:
            noun = "key" if res_svc == "kms" else "resource"
            unnamed_note = (f"the request names no particular {noun} (Resource \"*\" or a pattern), so no "
                            f"{res_word} was evaluated: a real {noun}'s own {res_word} must also allow the "
                            f"caller ({'P2' if res_svc == 'kms' else 'E3'})")
    paths: list[tuple[str, str, list[_Part]]] = []
    if not has_identity_side:
        rule = "T8" if kind == FEDERATED_PROVIDER else ("T7" if kind == SERVICE and is_assume else "E4")
        paths.append((rule, "the {res} allows the {kind} principal",
                      [_Part(rule, no_rb, rb_any)]))
    elif cross:
        rule = "T3" if trust_side else ("P2" if res_svc == "kms" else "X1")
        paths.append((rule, "cross-account: the {res} allows the caller and the caller's own policies allow {action}",
                      [_Part("T3" if trust_side else "X2", no_rb_plus(" (cross-account needs both sides)"), rb_any),
                       _Part("T3" if trust_side else "X1", lambda: id_fail() + " (cross-account needs both sides)",
                             id_ok),
                       _Part("E2.6", bnd_fail, bnd_ok), _Part("E2.7", ses_fail, ses_ok)]))
    else:
        rule_rb = "T2" if trust_side else "E4"
        direct_parts = [_Part(rule_rb, no_rb, rb_direct)]
        if is_assume and kind in (IAM_USER, IAM_USER_STS) and bnd_eval is not None:
            direct_parts.append(_Part("T2", lambda: bnd_fail() + " (a user named in a trust policy still needs its "
                                                       "boundary to allow it, S21)", bnd_ok))
        paths.append((rule_rb, "the {res} names the caller directly", direct_parts))
        paths.append((rule_rb, "the {res} names the caller's {entity}",
                      [_Part(rule_rb, no_rb, rb_entity), _Part("E2.6", bnd_fail, bnd_ok),
                       _Part("E2.7", ses_fail, ses_ok)]))
        if requires_rb:
            rule = "T2" if trust_side else ("P2" if res_svc == "kms" else "E3")
            rb_acc = rb_account
            acc_rule = rule
            acc_reason = "the {res} delegates to the account and the identity policy allows {action}"
            if is_assume and kind == ROLE_SESSION and role_key(principal.role_arn or principal.arn) == role_key(
                    resource):
                settings_used["legacy_self_trust"] = settings.legacy_self_trust
                acc_rule = "T5"
                if settings.legacy_self_trust:
                    rb_acc = F.f_or(rb_acc, F.TRUE)
                    acc_reason = ("legacy self-trust: the role implicitly trusts itself and its identity policy "
                                  "allows sts:AssumeRole on itself (T5, setting legacy_self_trust)")
                elif not rb_any:
                    notes.append("a role does not trust itself implicitly; its trust policy must name it (T5)")
            cite = "T1, T5" if acc_rule == "T5" else ("T1" if trust_side else "E3")
            paths.append((acc_rule, acc_reason,
                          [_Part(acc_rule, no_rb_plus(f" (the {res_word} must itself allow the caller: {cite})"),
                                 rb_acc),
                           _Part("E2.5", id_fail, id_ok), _Part("E2.6", bnd_fail, bnd_ok),
                           _Part("E2.7", ses_fail, ses_ok)]))
        else:
            paths.append(("E2.5", "an identity policy allows {action} and no other layer denies it"
                          + (f"; {unnamed_note}" if unnamed_note else ""),
                          [_Part("E2.5", id_fail, id_ok), _Part("E2.6", bnd_fail, bnd_ok),
                           _Part("E2.7", ses_fail, ses_ok)]))

    path_formulas = [F.f_and(*(p.formula for p in parts)) for _, _, parts in paths]
    allow_f = F.f_or(*path_formulas)
    gates_f = F.f_and(*(g.formula for g in gates))
    final = F.f_and(gates_f, allow_f)
    if final and deny:
        final = F.f_and(F.f_not(deny), final)

    # ---- the explanation --------------------------------------------------------------------------------
    for name, note in ((RCP, rcp_note), (SCP, scp_note)):
        if note:
            layers.append(LayerResult(name, "not-applicable", note=note))
    if rcp_eval is not None:
        layers.append(LayerResult(RCP, rcp_eval.outcome() if rcp_eval.deny else "allow", rcp_eval.matched or [],
                                  note="RCPFullAWSAccess is implicit at every level (O6)"))
    for i, ev in enumerate(scp_levels):
        layers.append(LayerResult(SCP, ev.outcome(), ev.matched or [], note=_level_name(i, len(scp_levels))))
    layers.append(LayerResult(res_layer_name, res_eval.outcome() if resource_pols else "not-applicable",
                              res_eval.matched or [],
                              note="" if resource_pols else (unnamed_note or f"no {res_word}")))
    for ev in (id_eval, bnd_eval, ses_eval):
        if ev is not None:
            layers.append(LayerResult(ev.layer, ev.outcome(), ev.matched or []))
    for ev in evals:
        warnings.extend(ev.notes)
        for pol in ev.policies:
            if pol.problems:
                if not pol.valid:
                    warnings.append(f"{pol.name} is invalid and was ignored: {'; '.join(pol.policy_problems)}")
                else:
                    warnings.extend(f"{pol.name}: invalid statement ignored: {p}" for p in pol.problems[:5])
    if is_assume and any(st.principal is not None and st.principal.any and st.effect == "Allow"
                         for pol in resource_pols for st in pol.statements if st.valid):
        warnings.append("the trust policy allows Principal \"*\" (every principal of every account, T11)")
    warnings.extend(dict.fromkeys(notes))
    if (kind in _TEMPORARY_KINDS and lookup.closed and TOKEN_ISSUE_TIME_KEY in lookup.touched
            and request.context.get_lower(TOKEN_ISSUE_TIME_KEY, _MISSING) is _MISSING):
        warnings.append("aws:TokenIssueTime is always present for temporary credentials (K8) but the request does not "
                        "give it: it was taken as absent, so conditions on it (such as a session revocation Deny) "
                        "did not match")
    if kind == ROLE_SESSION and MFA_KEY in lookup.touched:
        settings_used["mfa_in_role_session"] = settings.mfa_in_role_session

    if F.truncations != truncations_before:
        warnings.append(f"too many alternative conditions: a formula was cut at {F.MAX_ALTERNATIVES} alternatives, "
                        f"so the requirements are approximate (a Deny whose alternatives were cut may be missing "
                        f"from them); fix more context keys for an exact answer")
    fmt = {"res": res_word, "action": request.action, "kind": kind.replace("_", " "),
           "entity": "role" if kind == ROLE_SESSION else "user"}
    if F.is_true(deny):
        st_label = _first_unconditional_deny(evals)
        return Decision(Result.EXPLICIT_DENY, "E2.1", f"explicit Deny: {st_label}", layers, (), settings_used,
                        warnings)
    if F.is_true(final):
        rule, reason = _allowing_path(paths, path_formulas)
        return Decision(Result.ALLOW, rule, reason.format(**fmt), layers, (), settings_used, warnings)
    if final:
        rule, reason = _allowing_path(paths, path_formulas)
        reqs = F.to_requirements(final)
        if len(reqs) > _MAX_REQUIREMENT_ALTERNATIVES:
            warnings.append(f"{len(reqs)} alternative requirements; only the {_MAX_REQUIREMENT_ALTERNATIVES} "
                            f"simplest are shown")
            reqs = reqs[:_MAX_REQUIREMENT_ALTERNATIVES]
        return Decision(Result.ALLOW, rule, reason.format(**fmt) + " (conditional: allowed only when the requirements hold)",
                        layers, reqs, settings_used, warnings)
    rule, reason = _why_not(gates, paths, deny)
    return Decision(Result.IMPLICIT_DENY, rule, reason, layers, (), settings_used, warnings)


# ---------------------------------------------------------------------------------------------------------
# memo keys: which requests are certain to get the same answer
# ---------------------------------------------------------------------------------------------------------
_ROLE_KEYS: dict = {}


class _LazyDerived:
    """derived_context(principal, resource_account), made on the first look-up that needs it (a request whose
    context already fixes the keys its statements read never derives them)."""
    __slots__ = ("principal", "r_acct", "values")

    def __init__(self, principal, r_acct):
        self.principal = principal
        self.r_acct = r_acct
        self.values = None

    def get(self, key, default=None):
        if self.values is None:
            self.values = derived_context(self.principal, self.r_acct)
        return self.values.get(key, default)


def _role_key_cached(arn: str):
    got = _ROLE_KEYS.get(arn, _MISSING)
    if got is _MISSING:
        if len(_ROLE_KEYS) > 131072:
            _ROLE_KEYS.clear()
        got = _ROLE_KEYS[arn] = role_key(arn)
    return got


def request_key(request: Request, intern: dict | None = None, *, resource_in_key: bool = True):
    """A hashable key of everything `evaluate(request)` reads to decide: two requests with equal keys (made with the
    same `intern` dict) get the same result, rule, reason and requirements. (The explanation's layers, warnings
    and notes may still differ, e.g. a note naming the caller's own unique id, or the label of an Allow statement
    of another policy with the same text.)

    Instead of the principal's ARN and the whole context, the key holds the principal's kind, partition and flags,
    whether the request is cross-account, and per policy layer, for every statement that may apply to
    (action, resource) (`Policy.applicable`): its text (`Statement.memo_token`; a Deny also its label), how its
    Resource, Principal and Condition elements evaluate for this request (formulas over the unknown keys, computed
    as _eval_layer does, with the same lookup). Callers that differ only in what no applicable statement reads
    (their ARN, their name, unrelated tags, their account when no condition reads it) get equal keys: this is
    what lets the trust graph decide identical sub-problems once.

    resource_in_key=False leaves the resource ARN out (keeping what evaluate reads of it besides the statements:
    its service, whether it is a service-linked role, whether it names a resource); the reason then names the
    resource only where `evaluate(..., resource_text=...)` puts it, so a caller reusing a decision for another
    resource evaluates with a placeholder there and substitutes the resource.

    `intern` (optional dict) maps the policy layers' parts to small ints, so that many keys share them. Returns
    None when the request is outside what the key covers (policies given as documents, session tags or a source
    identity passed, GetCallerIdentity): decide it with evaluate directly."""
    principal = request.principal
    action = request.action.strip().lower()
    if action == "sts:getcalleridentity" or request.inherited_transitive_tag_keys:
        return None
    resource = request.resource
    kind = principal.kind
    p_acct = principal.account_id
    r_acct = request.resource_account or account_of(resource) or p_acct
    context = request.context
    lookups: list = []

    def peek_of():
        # evaluate's lookup (built only when a statement needs the context)
        if not lookups:
            overrides = {}
            if request.mfa_token_passed:
                overrides[MFA_KEY] = ("true",)
            elif kind == ROLE_SESSION and request.settings.mfa_in_role_session == MFA_NEVER:
                overrides[MFA_KEY] = ("false",)
            derived = _LazyDerived(principal, r_acct)
            lookups.append(_Lookup(context, derived, overrides, bool(principal.tags),
                                   _TEMPORARY_DEFAULTS if kind in _TEMPORARY_KINDS else None).peek)
        return lookups[0]

    is_assume = action in ASSUME_ROLE_ACTIONS
    if is_assume:  # T9 parameters (session tags, source identity) are decided with other actions: not covered
        peek = peek_of()
        tk = peek("aws:tagkeys")
        si = peek("sts:sourceidentity")
        if (tk is not UNKNOWN and tk) or (si is not UNKNOWN and si):
            return None
        if context.passes_request_tags():
            return None
    if intern is None:
        intern = {}
    TRUE = F.TRUE
    unique_ids = request.unique_ids

    def sig(value, with_principal: bool = False):
        # per policy that has applicable statements: a number for its context-free part (Policy.memo_parts), or
        # per statement its token and the parts of its formula as _eval_layer computes them
        if not value:
            return False
        if type(value) is Policy:
            pols = (value,)
        elif type(value) in (list, tuple):
            pols = value
        else:
            raise _NotCovered
        parts = []
        for pol in pols:
            if type(pol) is not Policy:
                raise _NotCovered
            got = pol.memo_parts(action, resource)
            if got is None:
                peek = peek_of()
                got = []
                for st, static in pol.applicable(action, resource):
                    rf = TRUE if static else st.resource_formula(resource, peek)
                    cls = None
                    if st.principal is not None:
                        if not with_principal:  # (only resource-based layers name principals)
                            raise _NotCovered
                        if st.not_principal:
                            cls = not_principal_excludes(st.principal, principal, unique_ids, None)
                        else:
                            cls = match_principal(st.principal, principal, unique_ids, None)
                    cf = evaluate_conditions(st.conditions, peek) if st.conditions and rf else TRUE
                    got.append((st.memo_token, static, rf, cls, cf))
                got = tuple(got)
            if got:
                parts.append(got)
        return tuple(parts)  # () when no statement applies; False: no policy at all

    try:
        rcps = None
        if request.rcps is not None:
            flat = []
            for level in request.rcps:
                if type(level) is Policy:
                    flat.append(level)
                elif type(level) in (list, tuple):
                    flat.extend(level)
                elif level:  # a document: evaluate compiles it
                    raise _NotCovered
            rcps = sig(flat, True)
        layers = (rcps, None if request.scps is None else tuple(sig(level) for level in request.scps),
                  sig(request.resource_policy, True), sig(request.identity_policies),
                  sig(request.permissions_boundary), sig(request.session_policy))
    except _NotCovered:
        return None
    n = intern.get(layers)
    if n is None:
        n = intern[layers] = len(intern)  # (numbered in insertion order: graph.builder._PortableKeys relies on it)
    p_arn = principal.arn
    partitions = (p_arn.split(":", 2)[1] if p_arn.startswith("arn:") else None,
                  resource.split(":", 2)[1] if resource.startswith("arn:") else None)
    self_trust = (is_assume and kind == ROLE_SESSION
                  and _role_key_cached(principal.role_arn or p_arn) == _role_key_cached(resource))
    mfa = peek_of()(MFA_KEY) if kind == IAM_USER_STS else None
    cross = bool(p_acct and r_acct and p_acct != r_acct)
    if resource_in_key:
        where = (resource, request.resource_account)
    else:  # what evaluate reads of the resource besides the statements (see the docstring)
        trust_side = is_assume or action in TRUST_SIDE_ACTIONS
        where = (service_of(resource), trust_side and "/aws-service-role/" in resource,
                 is_unnamed_resource(resource) if trust_side else resource_side_requirement(action, resource))
    # (n at REQUEST_KEY_LAYERS_AT)
    return (request.action, where, kind, p_acct is None, cross, principal.is_service_linked, partitions, self_trust,
            request.mfa_token_passed, request.settings, context.closed, request.principal_is_management_account,
            request.resource_is_management_account, request.resource_is_aws_managed_key, n, mfa)


REQUEST_KEY_LAYERS_AT = 14  # position in request_key's tuple of the id of its policy layers (in `intern`)


class _NotCovered(Exception):
    pass


def _level_name(i: int, n: int) -> str:
    if i == 0:
        return "the root"
    if i == n - 1:
        return "the account"
    return f"OU level {i}"


def _first_unconditional_deny(evals) -> str:
    for ev in evals:
        for m in ev.matched:
            if m.effect == "Deny" and not m.requirements:
                return f"{m.label()} ({ev.layer})"
    for ev in evals:  # an OR of conditional denies covering every case
        for m in ev.matched:
            if m.effect == "Deny":
                return f"{m.label()} ({ev.layer})"
    return "a Deny statement"  # pragma: no cover


def _allowing_path(paths, formulas) -> tuple[str, str]:
    for (rule, reason, _parts), f in zip(paths, formulas):
        if F.is_true(f):
            return rule, reason
    for (rule, reason, _parts), f in zip(paths, formulas):
        if f:
            return rule, reason
    return paths[0][0], paths[0][1]  # pragma: no cover


def _why_not(gates, paths, deny) -> tuple[str, str]:
    for g in gates:
        if not g.formula:
            return g.rule, g.words()
    best = None
    best_score = -1
    for rule, _reason, parts in paths:
        score = 0
        for part in parts:
            if not part.formula:
                break
            score += 1
        else:
            continue
        if score >= best_score:
            best_score = score
            best = parts[score]
    if best is not None:
        return best.rule, best.words()
    if deny:
        return "E2.1", "every way to allow is blocked by a Deny statement under the same conditions"
    return "E1", "nothing allows the request"


# ---------------------------------------------------------------------------------------------------------
# STS specifics: who may call (T6, D7) and AssumeRole parameters (T9)
# ---------------------------------------------------------------------------------------------------------
def _who_may_call(gates: list, kind: str, action: str, request: Request, lookup) -> None:
    if not action.startswith("sts:") and not action.startswith("iam:"):
        return
    if action.startswith("sts:"):
        if kind == ROOT and action == "sts:assumerole":
            gates.append(_Part("T6", "the root user cannot call AssumeRole", F.FALSE))
        elif kind == FEDERATED_USER and action != "sts:getcalleridentity":
            gates.append(_Part("T6", "GetFederationToken credentials cannot call STS APIs other than "
                                     "GetCallerIdentity", F.FALSE))
        elif kind == IAM_USER_STS and action not in ("sts:assumerole", "sts:getcalleridentity"):
            gates.append(_Part("T6", "GetSessionToken credentials can call only AssumeRole and GetCallerIdentity "
                                     "among STS APIs", F.FALSE))
    elif kind == IAM_USER_STS:
        v = lookup(MFA_KEY)
        if v is UNKNOWN:
            f = F.literal(Requirement("aws:MultiFactorAuthPresent", "Bool", ("true",)))
        else:
            f = F.TRUE if v and v[0].lower() == "true" else F.FALSE
        gates.append(_Part("D7", "GetSessionToken credentials without MFA cannot call IAM APIs", f))


def _present(lookup, key: str) -> bool:
    v = lookup(key)
    return v is not UNKNOWN and v is not None and len(v) > 0


def _assume_role_parameters(gates, request, action, resource, lookup, principal, resource_pols, identity_pols,
                            boundary_pols, session_pols, evals, p_acct, r_acct, kind) -> None:
    """T9: passing session tags needs sts:TagSession, a source identity needs sts:SetSourceIdentity.

    Parameters are taken from the context: tags as aws:RequestTag/<key> and aws:TagKeys, the source identity as
    sts:SourceIdentity. A parameter whose key is unknown is taken as not passed.
    """
    ctx = request.context
    tags_passed = _present(lookup, "aws:tagkeys") or ctx.passes_request_tags()
    if tags_passed and request.inherited_transitive_tag_keys:
        passed = {k[len("aws:requesttag/"):].lower() for k, v in ctx.items()
                  if k.lower().startswith("aws:requesttag/") and v}
        tk = lookup("aws:tagkeys")
        if tk is not UNKNOWN and tk:
            passed |= {k.lower() for k in tk}
        clash = sorted(k for k in request.inherited_transitive_tag_keys if k.lower() in passed)
        if clash:
            gates.append(_Part("D11", f"session tag {', '.join(clash)} was inherited as a transitive tag and "
                                      f"cannot be passed again", F.FALSE))
    if tags_passed:
        gates.append(_Part("T9", "session tags were passed but the trust policy does not allow sts:TagSession",
                           _extra_action_ok(request, "sts:tagsession", resource, lookup, principal, resource_pols,
                                            None)))
    if _present(lookup, "sts:sourceidentity"):
        need_identity = kind == ROLE_SESSION or bool(p_acct and r_acct and p_acct != r_acct)
        gates.append(_Part("T9", "a source identity was passed but sts:SetSourceIdentity is not allowed "
                                 + ("by the trust policy and the caller's own policies" if need_identity
                                    else "by the trust policy"),
                           _extra_action_ok(request, "sts:setsourceidentity", resource, lookup, principal,
                                            resource_pols,
                                            (identity_pols, boundary_pols, session_pols) if need_identity
                                            else None)))


def _extra_action_ok(request, action, resource, lookup, principal, resource_pols, caller_side):
    trust = _eval_layer(TRUST, resource_pols, action, resource, lookup, principal, request.unique_ids, [])
    f = trust.allow
    denies = [trust.deny]
    if caller_side is not None:
        identity_pols, boundary_pols, session_pols = caller_side
        ide = _eval_layer(IDENTITY, identity_pols, action, resource, lookup)
        f = F.f_and(f, ide.allow)
        denies.append(ide.deny)
        if boundary_pols:
            b = _eval_layer(BOUNDARY, boundary_pols, action, resource, lookup)
            f = F.f_and(f, b.allow)
            denies.append(b.deny)
        if session_pols:
            s = _eval_layer(SESSION, session_pols, action, resource, lookup)
            f = F.f_and(f, s.allow)
            denies.append(s.deny)
    deny = F.f_or(*denies)
    return F.f_and(f, F.f_not(deny)) if deny else f
