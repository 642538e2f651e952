"""The indexes that keep the builder away from all-pairs work (docs/trust-graph.md "Scale").

TrustIndex: for each role, what its trust policy names (Allow statements only: a Deny names no caller):
  ARNs, unique ids, accounts, `*`, services, SAML/OIDC providers; and what it cannot use (NotPrincipal,
  federated-user ARNs, dangling unique ids), recorded as notes.
IdentityIndex: for each account, the principals whose identity policies have an Allow that can grant
  sts:AssumeRole, by resource pattern: exact role ARN, pattern with a fixed account, pattern for any account.
  `candidates(role_arn, account)` answers "who in this account may hold sts:AssumeRole on this role", a superset
  that the engine then decides exactly.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from explorer.iam.arns import compile_arn_pattern
from explorer.graph.policies import as_list, statements

WELL_KNOWN_WEB_IDENTITY = ("cognito-identity.amazonaws.com", "accounts.google.com", "graph.facebook.com",
                           "www.amazon.com")
_UNIQUE_ID = re.compile(r"^(AIDA|AROA|AIPA|ANPA|ANVA|ASIA|AGPA|AKIA)[A-Z0-9]{8,}$")
_ACCOUNT = re.compile(r"^\d{12}$")
_ROOT = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):root$")
_IAM_ENTITY = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):(user|role)/(.+)$")
_SESSION = re.compile(r"^arn:aws[a-z-]*:sts::(\d{12}):assumed-role/([^/]+)/(.+)$")
_FED_USER = re.compile(r"^arn:aws[a-z-]*:sts::(\d{12}):federated-user/(.+)$")
_SAML = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):saml-provider/.+$")
_OIDC = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):oidc-provider/.+$")


@dataclass
class TrustNames:
    """What one role's trust policy names (Allow statements)."""
    arns: set[str] = field(default_factory=set)  # user / role ARNs
    sessions: set[str] = field(default_factory=set)  # exact assumed-role session ARNs
    unique_ids: set[str] = field(default_factory=set)
    accounts: set[str] = field(default_factory=set)
    public: bool = False
    services: set[str] = field(default_factory=set)
    saml: set[str] = field(default_factory=set)
    oidc: set[str] = field(default_factory=set)  # provider ARNs or well-known provider names
    notes: list[str] = field(default_factory=list)

    def describe(self) -> list[str]:
        out = []
        if self.public:
            out.append("* (anyone)")
        out += [f"account {a}" for a in sorted(self.accounts)]
        out += sorted(self.arns) + sorted(self.sessions) + [f"unique id {u}" for u in sorted(self.unique_ids)]
        out += [f"service {s}" for s in sorted(self.services)]
        out += [f"SAML {p}" for p in sorted(self.saml)] + [f"web identity {p}" for p in sorted(self.oidc)]
        return out


def read_trust(document: dict | None) -> TrustNames:
    names = TrustNames()
    if document is None:
        names.notes.append("no trust policy in the snapshot")
        return names
    for i, stmt in enumerate(statements(document)):
        if "NotPrincipal" in stmt:
            names.notes.append(f"statement {i} uses NotPrincipal, which is invalid in a trust policy (G7, T11): "
                               "it never matches")
            continue
        if stmt.get("Effect") != "Allow":
            continue
        principal = stmt.get("Principal")
        if principal == "*":
            names.public = True
            continue
        if not isinstance(principal, dict):
            continue
        for key, values in principal.items():
            for value in as_list(values):
                if not isinstance(value, str):
                    continue
                value = value.strip()
                if key == "AWS":
                    _read_aws(value, names, i)
                elif key == "Service":
                    names.services.add(value)
                elif key == "Federated":
                    if _SAML.match(value):
                        names.saml.add(value)
                    else:
                        names.oidc.add(value)
    return names


def _read_aws(value: str, names: TrustNames, index: int) -> None:
    if value == "*":
        names.public = True
    elif _ACCOUNT.match(value):
        names.accounts.add(value)
    elif m := _ROOT.match(value):
        names.accounts.add(m.group(1))
    elif _IAM_ENTITY.match(value):
        names.arns.add(value)
    elif _SESSION.match(value):
        names.sessions.add(value)
    elif _FED_USER.match(value):
        names.notes.append(f"statement {index} names the federated-user session {value}: GetFederationToken "
                           "sessions cannot call AssumeRole (T6), so it gives no edge")
    elif _UNIQUE_ID.match(value):
        names.unique_ids.add(value)
    else:
        names.notes.append(f"statement {index} names {value!r}, which is not a principal this tool recognises")


def parse_entity(arn: str) -> tuple[str, str, str] | None:
    """(account, 'user'|'role', name) of an IAM user/role ARN."""
    m = _IAM_ENTITY.match(arn)
    if not m:
        return None
    return m.group(1), m.group(2), m.group(3).split("/")[-1]


def parse_session(arn: str) -> tuple[str, str, str] | None:
    """(account, role name, session name) of an assumed-role ARN."""
    m = _SESSION.match(arn)
    return (m.group(1), m.group(2), m.group(3)) if m else None


def provider_account(arn: str) -> str | None:
    m = _SAML.match(arn) or _OIDC.match(arn)
    return m.group(1) if m else None


class _PatternSet:
    """Resource patterns -> principals holding them."""
    __slots__ = ("exact", "by_account", "any")

    def __init__(self):
        self.exact: dict[str, set[str]] = defaultdict(set)
        self.by_account: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.any: dict[str, set[str]] = defaultdict(set)


def _pattern_account(pattern: str) -> str | None:
    """The fixed account segment of an ARN pattern, or None (wildcard / not an ARN)."""
    parts = pattern.split(":", 5)
    if len(parts) >= 5 and parts[0] == "arn" and _ACCOUNT.match(parts[4]):
        return parts[4]
    return None


class IdentityIndex:
    def __init__(self):
        self._by_caller_account: dict[str, _PatternSet] = {}
        self.size = 0

    def add(self, principal_id: str, caller_account: str, patterns: list[str]) -> None:
        if not patterns:
            return
        ps = self._by_caller_account.get(caller_account)
        if ps is None:
            ps = self._by_caller_account[caller_account] = _PatternSet()
        for pat in patterns:
            self.size += 1
            if pat == "*":
                ps.any["*"].add(principal_id)
            elif "*" not in pat and "?" not in pat:
                ps.exact[pat].add(principal_id)
            else:
                acct = _pattern_account(pat)
                if acct is None:
                    ps.any[pat].add(principal_id)
                else:
                    ps.by_account[acct][pat].add(principal_id)

    def candidates(self, role_arn: str, role_account: str, caller_account: str | None = None) -> set[str]:
        """Principals (of `caller_account`, or of every account when None) whose identity policies may grant
        sts:AssumeRole on the role."""
        if caller_account is None:
            sets = list(self._by_caller_account.values())
        else:
            ps = self._by_caller_account.get(caller_account)
            sets = [ps] if ps is not None else []
        out: set[str] = set()
        for ps in sets:
            hit = ps.exact.get(role_arn)
            if hit:
                out |= hit
            for pat, who in ps.any.items():
                if compile_arn_pattern(pat)(role_arn):
                    out |= who
            acct_pats = ps.by_account.get(role_account)
            if acct_pats:
                for pat, who in acct_pats.items():
                    if compile_arn_pattern(pat)(role_arn):
                        out |= who
        return out
