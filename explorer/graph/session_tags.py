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

import fnmatch

from explorer.iam.conditions import requirement_holds

PRINCIPAL_TAG = "aws:principaltag/"


def may_allow_tag_session(document) -> bool:
    """A quick look at a raw trust document: False when no Allow statement can match sts:TagSession (then
    allows_tag_session of the compiled policy is False too), True when one may (an Action pattern matching it, a
    NotAction). Lets the builder skip compiling and searching most trust policies."""
    if not isinstance(document, dict):
        return False
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        return False
    for st in statements:
        if not isinstance(st, dict) or st.get("Effect") != "Allow":
            continue  # (an Effect other than "Allow" allows nothing: the compiled statement is invalid or a Deny)
        if "NotAction" in st:
            return True
        actions = st.get("Action")
        for a in ([actions] if isinstance(actions, str) else actions if isinstance(actions, list) else ()):
            if isinstance(a, str) and ("[" in a or fnmatch.fnmatchcase("sts:tagsession", a.lower())):
                return True
    return False


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
            if requirement_holds(req, lambda _key: mine) is not True:
                needs.add(key)
        if possible:
            out.append((tuple(alt), frozenset(needs)))
    return out


def tag_names(keys) -> list[str]:
    """Tag keys without the aws:PrincipalTag/ prefix, sorted."""
    return sorted(k[len(PRINCIPAL_TAG):] if k.startswith(PRINCIPAL_TAG) else k for k in keys)
