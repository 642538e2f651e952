"""Condition block compilation and three-valued evaluation (spec M5-M10, issue 3 item 5).

Operators live in one small module per family (strings, numeric, dates, boolean_binary, ip, arn, null); this
module adds the `IfExists` suffix, the `ForAllValues:` / `ForAnyValue:` set prefixes and the block semantics:
different operators and different keys are ANDed, several values of one key are ORed (negated operators: the
request value must match none of them). A key that is unknown in an open context yields a requirement.
"""
from __future__ import annotations

from explorer.iam import formula as F
from explorer.iam.conditions import arn, boolean_binary, dates, ip, null, numeric, strings
from explorer.iam.conditions.base import OperatorSpec
from explorer.iam.conditions.negation import negate_requirement
from explorer.iam.context import UNKNOWN
from explorer.iam.decision import Requirement
from explorer.iam.variables import MISSING, Template, UnknownVar, parse_template, resolve
from explorer.iam.variables import MULTIVALUED_KEYS as VARIABLE_UNUSABLE_MULTIVALUED_KEYS

OPERATORS: dict[str, OperatorSpec] = {
    op.name.lower(): op
    for family in (strings, numeric, dates, boolean_binary, ip, arn, null)
    for op in family.OPERATORS
}
FOR_ALL, FOR_ANY = "ForAllValues", "ForAnyValue"

# Canonical spelling of well-known keys (M9: key names are case-insensitive).
KNOWN_KEYS = [
    "aws:CalledVia", "aws:CalledViaFirst", "aws:CalledViaLast", "aws:CurrentTime", "aws:EpochTime",
    "aws:FederatedProvider", "aws:MultiFactorAuthAge", "aws:MultiFactorAuthPresent", "aws:PrincipalAccount",
    "aws:PrincipalArn", "aws:PrincipalIsAWSService", "aws:PrincipalOrgID", "aws:PrincipalOrgPaths",
    "aws:PrincipalServiceName", "aws:PrincipalServiceNamesList", "aws:PrincipalType", "aws:RequestedRegion",
    "aws:ResourceAccount", "aws:ResourceOrgID", "aws:ResourceOrgPaths", "aws:SecureTransport",
    "aws:SourceAccount", "aws:SourceArn", "aws:SourceIdentity", "aws:SourceIp", "aws:SourceOrgID",
    "aws:SourceOrgPaths", "aws:SourceVpc", "aws:SourceVpce", "aws:TagKeys", "aws:TokenIssueTime",
    "aws:UserAgent", "aws:userid", "aws:username", "aws:ViaAWSService", "aws:VpcSourceIp", "aws:Referer",
    "sts:ExternalId", "sts:RoleSessionName", "sts:SourceIdentity", "sts:TransitiveTagKeys", "sts:TagSession",
    "saml:aud", "kms:ViaService", "kms:CallerAccount", "s3:prefix", "s3:max-keys",
]
_CANONICAL = {k.lower(): k for k in KNOWN_KEYS}
_TAG_PREFIXES = {"aws:principaltag/": "aws:PrincipalTag/", "aws:resourcetag/": "aws:ResourceTag/",
                 "aws:requesttag/": "aws:RequestTag/"}
MULTIVALUED_KEYS = set(VARIABLE_UNUSABLE_MULTIVALUED_KEYS)
SINGLE_VALUED_KEYS = {k.lower() for k in KNOWN_KEYS} - MULTIVALUED_KEYS - {"s3:prefix"}


def canonical_key(key: str) -> str:
    low = key.lower()
    if low in _CANONICAL:
        return _CANONICAL[low]
    for prefix, canon in _TAG_PREFIXES.items():
        if low.startswith(prefix):
            return canon + key[len(prefix):]
    return key


def _is_single_valued(low: str) -> bool:
    return low in SINGLE_VALUED_KEYS or low.startswith(tuple(_TAG_PREFIXES))


def value_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class Condition:
    """One (operator, key, values) entry of a Condition block."""
    __slots__ = ("operator", "spec", "set_op", "if_exists", "key", "key_lower", "raw_values", "values",
                 "templates", "has_vars", "requirement")

    def __init__(self, operator, spec, set_op, if_exists, key, raw_values, values, templates):
        self.operator = operator  # full canonical name, e.g. "ForAnyValue:StringLikeIfExists"
        self.spec = spec
        self.set_op = set_op
        self.if_exists = if_exists
        self.key = canonical_key(key)
        self.key_lower = key.lower()
        self.raw_values = raw_values  # tuple[str]
        self.values = values  # compiled values (when no variables)
        self.templates = templates  # list[Template] (when variables)
        self.has_vars = templates is not None
        self.requirement = F.literal(Requirement(self.key, operator, raw_values))

    def __repr__(self):
        return f"Condition({self.operator} {self.key} {list(self.raw_values)})"

    def evaluate(self, lookup) -> F.Formula:
        rv = lookup(self.key_lower)
        if rv is UNKNOWN:
            return self._unknown_requirement(lookup) if self.has_vars else self.requirement
        if self.spec.family == "null":
            return F.TRUE if null.null_holds(rv is not None, self.values) else F.FALSE
        values = self.values
        if self.has_vars:
            values = []
            for t in self.templates:
                tokens = resolve(t, lookup)
                if tokens is MISSING:
                    continue  # matches nothing: a positive operator is false for it, a negated one true
                if isinstance(tokens, UnknownVar):
                    return self.requirement
                try:
                    values.append(self.spec.parse(tokens))
                except ValueError:
                    continue
        return F.TRUE if self.holds(rv, values) else F.FALSE

    def _unknown_requirement(self, lookup) -> F.Formula:
        """The requirement on an unknown key, with the policy variables that are known substituted."""
        texts = []
        for t in self.templates:
            tokens = resolve(t, lookup)
            if tokens is MISSING:
                continue
            if isinstance(tokens, UnknownVar):
                texts.append(t.raw)
            else:
                texts.append("".join(text for text, _ in tokens))
        if not texts:  # every value names an absent variable: matches nothing
            if self.set_op is None and not self.spec.negated and not self.if_exists:
                return F.FALSE
            return self.requirement
        return F.literal(Requirement(self.key, self.operator, tuple(texts)))

    def holds(self, rv, values) -> bool:
        spec = self.spec
        test = spec.test
        negated = spec.negated
        if self.set_op is None:
            if rv is None:
                return self.if_exists or negated
            hit = any(test(x, p) for x in rv for p in values)
            return not hit if negated else hit
        if rv is None and self.if_exists:
            return True
        if not rv:
            return self.set_op == FOR_ALL
        if negated:
            per_value = [not any(test(x, p) for p in values) for x in rv]
        else:
            per_value = [any(test(x, p) for p in values) for x in rv]
        return all(per_value) if self.set_op == FOR_ALL else any(per_value)


def parse_operator(name: str):
    """(canonical full name, OperatorSpec, set prefix, if_exists) or raise ValueError."""
    text = name
    set_op = None
    if ":" in text:
        prefix, text = text.split(":", 1)
        low = prefix.lower()
        if low == "forallvalues":
            set_op = FOR_ALL
        elif low == "foranyvalue":
            set_op = FOR_ANY
        else:
            raise ValueError(f"unknown condition operator prefix {prefix!r} in {name!r}")
    if_exists = False
    low = text.lower()
    if low.endswith("ifexists") and low[:-8] in OPERATORS:
        if_exists = True
        low = low[:-8]
    spec = OPERATORS.get(low)
    if spec is None:
        raise ValueError(f"unknown condition operator {name!r}")
    if spec.family == "null" and (if_exists or set_op):
        raise ValueError(f"{name!r}: Null cannot take IfExists or a set prefix (M6)")
    full = (f"{set_op}:" if set_op else "") + spec.name + ("IfExists" if if_exists else "")
    return full, spec, set_op, if_exists


def compile_conditions(block, *, variables_allowed: bool, where: str):
    """(conditions, problems, warnings). Any problem makes the statement invalid (it never matches)."""
    conditions: list[Condition] = []
    problems: list[str] = []
    warnings: list[str] = []
    if not isinstance(block, dict):
        return conditions, [f"{where} must be an object"], warnings
    for op_name, keys in block.items():
        try:
            full, spec, set_op, if_exists = parse_operator(op_name)
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            continue
        if not isinstance(keys, dict) or not keys:
            problems.append(f"{where}.{op_name} must be an object of condition keys")
            continue
        for key, raw in keys.items():
            place = f"{where}.{op_name}.{key}"
            raw_list = raw if isinstance(raw, list) else [raw]
            if not raw_list:
                problems.append(f"{place} has no values")
                continue
            if any(isinstance(v, (dict, list)) or v is None for v in raw_list):
                problems.append(f"{place}: values must be strings, numbers or booleans")
                continue
            texts = tuple(value_text(v) for v in raw_list)
            if set_op and _is_single_valued(key.lower()):
                warnings.append(f"{place}: {set_op} used with the single-valued key {key} "
                                f"(treated as a set of one value, M7)")
            templates = None
            values = None
            if spec.variables:
                tpls = [parse_template(t, variables_allowed=variables_allowed) for t in texts]
                for t in tpls:
                    problems.extend(f"{place}: {p}" for p in t.problems)
                if any(t.has_vars for t in tpls):
                    templates = tpls
                else:
                    values = []
                    for t in tpls:
                        values.append(spec.parse(t.tokens_without_vars()))
            else:
                values = []
                bad = False
                for t in texts:
                    try:
                        values.append(spec.parse(t))
                    except ValueError as exc:
                        msg = f"{place}: {exc}"
                        if "${" in t:
                            msg += " (policy variables are not substituted in this operator, M10)"
                        problems.append(msg)
                        bad = True
                if bad:
                    continue
            conditions.append(Condition(full, spec, set_op, if_exists, key, texts, values, templates))
    return conditions, problems, warnings


def evaluate_conditions(conditions, lookup) -> F.Formula:
    """AND of the entries; stops at the first FALSE."""
    result = F.TRUE
    for cond in conditions:
        f = cond.evaluate(lookup)
        if not f:
            return F.FALSE
        if f is not F.TRUE:
            result = F.f_and(result, f)
            if not result:
                return F.FALSE
    return result


def requirement_holds(req, lookup) -> bool | None:
    """Whether a requirement (key, operator, values; `not(Op)` for a negation AWS has no operator for) holds when
    `lookup(lower-case key)` gives the key's value: a tuple of strings, None when absent, UNKNOWN when not known.
    True / False, or None when that cannot be told (an unknown key, an operator the engine does not know, such as
    the trust graph's caller-policies marker). Absent keys follow the operators' own rules (Null, IfExists,
    negated operators, ForAllValues)."""
    op = req.operator
    if op.startswith("not(") and op.endswith(")"):
        from explorer.iam.decision import Requirement
        inner = requirement_holds(Requirement(req.key, op[4:-1], req.values), lookup)
        return None if inner is None else not inner
    conditions, problems, _ = compile_conditions({op: {req.key: list(req.values)}}, variables_allowed=True,
                                                 where="requirement")
    if problems or len(conditions) != 1:
        return None
    got = conditions[0].evaluate(lookup)
    if got is F.TRUE:
        return True
    if not got:
        return False
    return None


__all__ = ["Condition", "compile_conditions", "evaluate_conditions", "negate_requirement", "parse_operator",
           "canonical_key", "requirement_holds", "OPERATORS", "Template"]
