"""Static reading of policy documents for the checks: statements with their JSON paths, principals, actions and
condition entries. This looks at how a policy is *written* (what a reviewer reads); whether a request is allowed
is the engine's business (explorer.iam)."""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Iterator

from explorer.snapshot.model import account_of_arn

UNIQUE_ID_RE = re.compile(r"^(AIDA|AROA|AIPA|AGPA|ANPA|ANVA|ASIA|AKIA)[A-Z0-9]{12,}$")
ACCOUNT_RE = re.compile(r"^\d{12}$")


def as_list(value) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


@dataclass(frozen=True)
class Stmt:
    index: int
    path: str  # "$.Statement[0]" (or "$.Statement" for a single-object Statement)
    raw: dict

    @property
    def effect(self) -> str:
        return str(self.raw.get("Effect", ""))

    @property
    def is_allow(self) -> bool:
        return self.effect == "Allow"

    @property
    def is_deny(self) -> bool:
        return self.effect == "Deny"

    @property
    def sid(self) -> str | None:
        sid = self.raw.get("Sid")
        return str(sid) if sid is not None else None

    # --- principals -------------------------------------------------------------------------------
    def principals(self) -> dict[str, list[str]]:
        """{"AWS": [...], "Service": [...], "Federated": [...], "CanonicalUser": [...]}; `"*"` becomes AWS "*"."""
        p = self.raw.get("Principal")
        if p is None:
            return {}
        if p == "*":
            return {"AWS": ["*"]}
        if isinstance(p, dict):
            return {str(k): [str(v) for v in as_list(vals)] for k, vals in p.items()}
        return {"AWS": [str(v) for v in as_list(p)]}

    def aws_principals(self) -> list[str]:
        return self.principals().get("AWS", [])

    @property
    def has_not_principal(self) -> bool:
        return "NotPrincipal" in self.raw

    # --- actions ----------------------------------------------------------------------------------
    def actions(self) -> list[str]:
        return [str(a) for a in as_list(self.raw.get("Action"))]

    def covers_action(self, action: str) -> bool:
        """Does the statement's Action / NotAction cover `action` (case-insensitive glob, M1)?"""
        action = action.lower()
        if "Action" in self.raw:
            return any(fnmatchcase(action, str(a).lower()) for a in as_list(self.raw["Action"]))
        if "NotAction" in self.raw:
            return not any(fnmatchcase(action, str(a).lower()) for a in as_list(self.raw["NotAction"]))
        return False

    def covers_any(self, actions) -> bool:
        return any(self.covers_action(a) for a in actions)

    # --- conditions -------------------------------------------------------------------------------
    def conditions(self) -> list[tuple[str, str, list[str]]]:
        """(operator as written, key in lower case, values as strings) for each condition entry."""
        out = []
        cond = self.raw.get("Condition")
        if not isinstance(cond, dict):
            return out
        for op, block in cond.items():
            if not isinstance(block, dict):
                continue
            for key, vals in block.items():
                out.append((str(op), str(key).lower(), [str(v) if not isinstance(v, bool) else str(v).lower()
                                                          for v in as_list(vals)]))
        return out

    def condition_keys(self) -> set[str]:
        return {k for _, k, _ in self.conditions()}

    def positive_condition(self, keys) -> list[tuple[str, str, list[str]]]:
        """Entries that *narrow* on one of `keys`: a positive (not negated, not Null) operator whose values are
        not all `*`."""
        wanted = {k.lower() for k in keys}
        out = []
        for op, key, vals in self.conditions():
            if key not in wanted or is_negated(op) or base_operator(op) == "Null":
                continue
            if vals and all(v.strip() == "*" for v in vals):
                continue
            out.append((op, key, vals))
        return out

    def narrows_on(self, keys) -> bool:
        return bool(self.positive_condition(keys))


def base_operator(op: str) -> str:
    """`ForAnyValue:StringLikeIfExists` -> `StringLike`."""
    name = op.split(":", 1)[1] if ":" in op else op
    if name.endswith("IfExists"):
        name = name[: -len("IfExists")]
    return name


def is_negated(op: str) -> bool:
    b = base_operator(op)
    return b.startswith(("StringNot", "ArnNot", "NumericNot", "DateNot")) or b == "NotIpAddress"


def statements(document: dict | None) -> Iterator[Stmt]:
    if not isinstance(document, dict):
        return
    st = document.get("Statement")
    if isinstance(st, dict):
        yield Stmt(0, "$.Statement", st)
    elif isinstance(st, list):
        for i, s in enumerate(st):
            if isinstance(s, dict):
                yield Stmt(i, f"$.Statement[{i}]", s)


def principal_account(value: str) -> str | None:
    """The account a principal string belongs to: a bare id, an IAM/STS ARN. None for "*", services, unique ids."""
    value = value.strip()
    if ACCOUNT_RE.match(value):
        return value
    if value.startswith("arn:"):
        return account_of_arn(value)
    return None


def is_unique_id(value: str) -> bool:
    return bool(UNIQUE_ID_RE.match(value.strip()))


def with_condition(raw: dict, operator: str, key: str, values) -> dict:
    """A copy of the statement with one more condition entry (values replace any under the same key)."""
    out = copy.deepcopy(raw)
    cond = out.setdefault("Condition", {})
    block = cond.setdefault(operator, {})
    vals = as_list(values)
    block[key] = vals[0] if len(vals) == 1 else vals
    return out


ASSUME_ACTIONS = ("sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity")
