"""Session tags on role sessions (spec D11, T9; docs/trust-graph.md "Session tags on role sessions").

A role session's principal tags are its role's tags, overridden by the session tags passed when it was created
and by incoming transitive tags. Whoever assumes a role whose trust policy allows sts:TagSession chooses them, so
for the hops made with such a session, conditions on aws:PrincipalTag/* are requirements an attacker can meet,
not refusals. The builder (TrustGraph._decide) decides such a candidate a second time with those tags unknown;
this module holds the rules it applies to that second answer:

  - which roles' sessions may carry session tags (`allows_tag_session`);
  - which requirement alternatives a session can meet: a session tag overrides the value of a tag the role has,
    it never removes it, so an alternative that needs such a tag absent (`Null true`) is impossible;
  - which tags an alternative needs passed: those whose requirement the role's own value does not meet.
"""
from __future__ import annotations

from explorer.iam import formula as F
from explorer.iam.conditions import compile_conditions, evaluate_conditions

PRINCIPAL_TAG = "aws:principaltag/"


def allows_tag_session(trust) -> bool:
    """Whether a compiled trust policy lets some principal pass session tags: an Allow statement for
    sts:TagSession, and no Deny of it for every principal without a condition (T9)."""
    if trust is None:
        return False
    statements = trust.candidates("sts:tagsession")
    for st in statements:
        if (st.effect == "Deny" and not st.conditions and st.principal is not None and st.principal.any
                and not st.not_principal):
            return False
    return any(st.effect == "Allow" for st in statements)


def requirement_holds(req, value) -> bool | None:
    """Whether a requirement (key, operator, values) holds when its key has `value` (a tuple of strings, or None
    when the key is absent); None when it cannot be told (an operator the engine cannot compile, variables)."""
    op = req.operator
    negate = op.startswith("not(") and op.endswith(")")
    if negate:
        op = op[4:-1]
    conditions, problems, _ = compile_conditions({op: {req.key: list(req.values)}}, variables_allowed=True,
                                                 where="requirement")
    if problems or len(conditions) != 1 or conditions[0].has_vars:
        return None
    got = evaluate_conditions(conditions, lambda _key: value)
    if got is F.TRUE:
        held = True
    elif not got:
        held = False
    else:
        return None
    return not held if negate else held


def tag_alternatives(requires, tag_keys: frozenset, own: dict) -> list[tuple[tuple, frozenset]]:
    """The alternatives of `requires` (decided with the principal tags `tag_keys` unknown) that a session can meet,
    each with the tag keys (lower-case context keys) it needs passed as session tags. `own`: the role's own
    values of those keys (a tuple, or None when the role lacks the tag)."""
    out = []
    for alt in requires:
        needs = set()
        possible = True
        for req in alt:
            key = req.key.lower()
            if key not in tag_keys:
                continue
            mine = own.get(key)
            if mine is not None and req.operator == "Null" and tuple(req.values) == ("true",):
                possible = False  # the role has this tag: a session tag can change its value, not remove it
                break
            if requirement_holds(req, mine) is not True:
                needs.add(key)
        if possible:
            out.append((tuple(alt), frozenset(needs)))
    return out


def tag_names(keys) -> list[str]:
    """Tag keys without the aws:PrincipalTag/ prefix, sorted."""
    return sorted(k[len(PRINCIPAL_TAG):] if k.startswith(PRINCIPAL_TAG) else k for k in keys)
