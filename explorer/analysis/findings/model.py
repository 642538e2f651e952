"""What a finding is: a rule, a severity, the ARN it is about, the evidence (policy, statement and JSON path) and a
remediation. Plain values with `to_json()`; the CLI, SARIF writer and the app's findings dock all read these.

The id is stable across runs of the same snapshot: the rule id plus a hash of the subject ARN and the evidence
location (policy label and JSON path inside the policy, never a file system path).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

CRITICAL = "critical"
HIGH = "high"
MEDIUM = "medium"
LOW = "low"
INFO = "info"
SEVERITIES = (CRITICAL, HIGH, MEDIUM, LOW, INFO)
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}  # 0 = most severe


@dataclass(frozen=True)
class Evidence:
    """Where the problem is written: one statement (or a whole policy, or an observed fact) of one policy.

    policy: a readable label ("trust policy of arn:...", a managed policy ARN, "key policy of arn:...")
    policy_kind: "trust" | "identity" | "boundary" | "resource" | "scp" | "rcp" | "graph" | "cloudtrail" | "role"
    json_path: path inside the policy document ("$.Statement[1]") or inside the object ("$.MaxSessionDuration")
    source: where the snapshot loader read the policy from ("file#/json/path"), when known
    statement: the statement as written (a dict), when the evidence is one statement
    data: anything else that supports the finding (chains, counts, events), JSON-ready
    """
    policy: str
    policy_kind: str
    json_path: str = "$"
    source: str = ""
    statement: dict | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def location(self) -> str:
        return f"{self.policy}#{self.json_path}"

    def to_json(self) -> dict:
        out: dict[str, Any] = {"policy": self.policy, "policy_kind": self.policy_kind, "json_path": self.json_path}
        if self.source:
            out["source"] = self.source
        if self.statement is not None:
            out["statement"] = self.statement
        if self.data:
            out["data"] = self.data
        return out


@dataclass(frozen=True)
class Remediation:
    """What to do. For policy problems `statement` is the corrected statement (JSON), ready to paste in place of
    the evidence statement; None when the fix is to delete it or lies outside a policy."""
    text: str
    statement: dict | None = None

    def to_json(self) -> dict:
        out: dict[str, Any] = {"text": self.text}
        if self.statement is not None:
            out["statement"] = self.statement
        return out


def stable_id(rule: str, subject: str, location: str) -> str:
    digest = hashlib.sha256(f"{subject}\n{location}".encode("utf-8")).hexdigest()[:12]
    return f"{rule}:{digest}"


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    title: str
    subject: str  # the principal or resource ARN the finding is about
    message: str  # one or two sentences: what exactly, and why it matters here
    evidence: tuple[Evidence, ...] = ()
    remediation: Remediation | None = None
    family: str = ""
    related: tuple[str, ...] = ()  # other ARNs involved (trusted accounts, callers, keys...)
    id: str = ""

    def __post_init__(self):
        if self.severity not in SEVERITY_RANK:
            raise ValueError(f"unknown severity {self.severity!r}")
        if not self.id:
            location = self.evidence[0].location if self.evidence else ""
            object.__setattr__(self, "id", stable_id(self.rule, self.subject, location))

    @property
    def sort_key(self) -> tuple:
        return (SEVERITY_RANK[self.severity], self.rule, self.subject, self.id)

    def to_json(self) -> dict:
        out: dict[str, Any] = {"id": self.id, "rule": self.rule, "severity": self.severity, "title": self.title,
                               "subject": self.subject, "message": self.message, "family": self.family,
                               "evidence": [e.to_json() for e in self.evidence]}
        if self.related:
            out["related"] = list(self.related)
        if self.remediation is not None:
            out["remediation"] = self.remediation.to_json()
        return out

    def __str__(self) -> str:
        return f"[{self.severity}] {self.rule} {self.subject}: {self.message}"


def canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))
