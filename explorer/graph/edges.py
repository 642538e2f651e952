"""Deciding one candidate edge with the engine (spec §6): the whole hop, and each side for the explanation.

The engine decides; this module only builds the requests and reads the decisions:
  DECISION           the hop as AWS decides it: trust policy + the role account's RCPs on the role side; the caller's
                     identity policies, boundary and SCPs on the caller side (same- vs cross-account rules, T2/T3,
                     are the engine's).
  TRUST_DECISION     the role side alone: the same request with the caller's own side assumed to allow
                     (a synthetic identity policy, named so in the explanation).
  IDENTITY_DECISION  the caller side alone: the same request against a trust policy that only delegates to the
                     caller's account (so the caller's identity policies, boundary and SCPs must allow, T2).
                     None for SAML / web identity / service callers (no identity side, T7/T8) and for callers
                     outside the snapshot (their policies are not known).
State: allowed (DECISION allows whatever the unknown keys are), conditional (allows under REQUIRES), denied
(the trust policy allows the caller but the hop is refused: kept, with the reason). A candidate whose trust
policy refuses is no edge at all. The builder keeps state, requirements and reason; the three decisions are
computed again on first read (EdgeData below).
"""
from __future__ import annotations

from explorer.graph import schema as S
from explorer.iam.decision import Decision, Requirement, Result

# Requirement keys (lower-case, or prefixes ending in "/") -> badge.
_BADGES_EXACT = {
    "sts:externalid": "ExternalId",
    "aws:multifactorauthpresent": "MFA", "aws:multifactorauthage": "MFA",
    "aws:sourceip": "IP", "aws:sourcevpc": "IP", "aws:sourcevpce": "IP", "aws:vpcsourceip": "IP",
    "aws:principalorgid": "Org", "aws:principalorgpaths": "Org", "aws:resourceorgid": "Org",
    "aws:resourceorgpaths": "Org", "aws:sourceorgid": "Org", "aws:sourceorgpaths": "Org",
    "aws:tagkeys": "Tag",
    "aws:currenttime": "Time", "aws:epochtime": "Time",
    "aws:tokenissuetime": "Session", "sts:rolesessionname": "Session", "aws:userid": "Session",
    "sts:sourceidentity": "SourceIdentity", "aws:sourceidentity": "SourceIdentity",
    "aws:sourceaccount": "Source", "aws:sourcearn": "Source", "aws:sourceowner": "Source",
    "aws:principalarn": "Principal", "aws:principalaccount": "Principal", "aws:principaltype": "Principal",
    "aws:username": "Principal", "aws:calledvia": "Service", "aws:viaawsservice": "Service",
    "aws:principalisawsservice": "Service", "aws:principalservicename": "Service",
    "aws:securetransport": "TLS",
    S.CALLER_POLICIES_KEY.lower(): "Foreign",
}
_BADGES_PREFIX = (("aws:principaltag/", "Tag"), ("aws:resourcetag/", "Tag"), ("aws:requesttag/", "Tag"),
                  ("iam:resourcetag/", "Tag"))
BADGE_ORDER = ("MFA", "ExternalId", "IP", "Org", "Tag", "Time", "Session", "SourceIdentity", "Claim", "Source",
               "Principal", "Service", "TLS", "Foreign", "Other")


def badge_for(key: str) -> str:
    low = key.lower()
    if low in _BADGES_EXACT:
        return _BADGES_EXACT[low]
    for prefix, badge in _BADGES_PREFIX:
        if low.startswith(prefix):
            return badge
    prefix = low.split(":", 1)[0]
    if ":" in low and prefix not in ("aws", "sts", "iam"):
        return "Claim"  # SAML (saml:aud) and OIDC claims (token.actions.githubusercontent.com:sub, ...)
    return "Other"


def badges(requires) -> tuple[str, ...]:
    found = {badge_for(r.key) for alt in requires for r in alt}
    return tuple(b for b in BADGE_ORDER if b in found)


def requirement_text(requires) -> str:
    """Requirements in words: 'A and B' or '(A and B) or (C)'."""
    alts = [" and ".join(str(r) for r in alt) for alt in requires]
    if len(alts) == 1:
        return alts[0]
    return " or ".join(f"({a})" for a in alts)


def and_requirements(a: tuple, b: tuple) -> tuple:
    """AND of two alternatives-of-requirements (an empty tuple means no requirement)."""
    if not a:
        return b
    if not b:
        return a
    out = []
    for x in a:
        for y in b:
            merged = tuple(dict.fromkeys((*x, *y)))
            if merged not in out:
                out.append(merged)
    return tuple(out)


def caller_policies_requirement(account: str | None) -> Requirement:
    return Requirement(S.CALLER_POLICIES_KEY, S.CALLER_POLICIES_OPERATOR, (account or "*",))


def is_allowed(decision: Decision | None) -> bool:
    return decision is not None and decision.result is Result.ALLOW


class EdgeData(dict):
    """An edge's attribute dict whose DECISION / TRUST_DECISION / IDENTITY_DECISION are computed on first
    access (by `env.lazy_value(candidate, key)`) and then kept: keeping three Decisions for every edge of a large
    graph would multiply its memory. `data[key]`, `data.get(key)` and `key in data` behave as if they were always
    present; `materialize()` computes them all."""
    __slots__ = ("_env", "_cand")
    LAZY_KEYS = (S.DECISION, S.TRUST_DECISION, S.IDENTITY_DECISION)

    def __init__(self, values=(), env=None, cand=None):
        """values: the edge's attributes; env, cand: what computes the lazy decisions (env.lazy_value(cand, key));
        None: there are none."""
        dict.__init__(self, values)
        self._env = env
        self._cand = cand

    def __missing__(self, key):
        if self._env is not None and key in self.LAZY_KEYS:
            value = self._env.lazy_value(self._cand, key)
            self[key] = value
            return value
        raise KeyError(key)

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key) -> bool:
        return dict.__contains__(self, key) or (self._env is not None and key in self.LAZY_KEYS)

    def materialize(self) -> "EdgeData":
        if self._env is not None:
            for key in self.LAZY_KEYS:
                self[key]
        return self

    def copy(self) -> "EdgeData":
        return EdgeData(dict.items(self), self._env, self._cand)
