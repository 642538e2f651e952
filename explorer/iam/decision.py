"""What the engine returns: the result, the reasons, and (for unknown context) the requirements.

`Decision.layers` explains, per policy layer consulted (SCP, RCP, resource/trust, identity, boundary, session),
the statements that matched; `Decision.rule` names the spec rule that decided (for example "E2.1", "O2", "X2",
"T2", "T3"). `Decision.requirements` is empty for an unconditional answer. When it is not empty the request is
allowed exactly when one of the alternatives holds: each alternative is a conjunction of `Requirement`s on
context keys that were unknown (an OR of ANDs).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Result(str, Enum):
    ALLOW = "Allow"
    IMPLICIT_DENY = "ImplicitDeny"
    EXPLICIT_DENY = "ExplicitDeny"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Requirement:
    """One condition on a context key that must hold, e.g. sts:ExternalId StringEquals ["x"]."""
    key: str
    operator: str
    values: tuple[str, ...]

    def to_json(self) -> dict:
        return {"key": self.key, "operator": self.operator, "values": list(self.values)}

    def __str__(self) -> str:
        vals = ", ".join(self.values)
        return f"{self.key} {self.operator} {vals}" if vals else f"{self.key} {self.operator}"


@dataclass(frozen=True)
class MatchedStatement:
    policy: str  # policy name or ARN (or "trust policy of ROLE")
    index: int  # statement index in the policy
    sid: str | None
    effect: str  # "Allow" | "Deny"
    source: str = ""  # file#/json/path where known
    requirements: tuple[Requirement, ...] = ()  # unknown-context requirements of this statement's conditions

    def label(self) -> str:
        return f"{self.policy} / {self.sid or f'statement {self.index}'}"

    def to_json(self) -> dict:
        out = {"policy": self.policy, "index": self.index, "sid": self.sid, "effect": self.effect}
        if self.source:
            out["source"] = self.source
        if self.requirements:
            out["requires"] = [r.to_json() for r in self.requirements]
        return out


# Layer names, as they appear in explanations.
SCP = "scp"
RCP = "rcp"
RESOURCE = "resource"  # resource-based policy (trust policy for sts:AssumeRole*, key policy for KMS)
TRUST = "trust"
IDENTITY = "identity"
BOUNDARY = "boundary"
SESSION = "session"
SESSION_RULES = "session-rules"  # §7/T6: who may call, chaining, durations


@dataclass
class LayerResult:
    layer: str
    outcome: str  # "allow" | "deny" | "no-allow" | "not-applicable" | "conditional"
    statements: list[MatchedStatement] = field(default_factory=list)
    note: str = ""

    def to_json(self) -> dict:
        out = {"layer": self.layer, "outcome": self.outcome,
               "statements": [s.to_json() for s in self.statements]}
        if self.note:
            out["note"] = self.note
        return out


@dataclass
class Decision:
    result: Result
    rule: str  # spec rule id that decided, e.g. "E2.1"
    reason: str  # one sentence in words
    layers: list[LayerResult] = field(default_factory=list)
    requirements: tuple[tuple[Requirement, ...], ...] = ()
    settings_used: dict[str, object] = field(default_factory=dict)  # settings that affected this decision
    warnings: list[str] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return self.result is Result.ALLOW

    @property
    def conditional(self) -> bool:
        return self.allowed and bool(self.requirements)

    def explanation_json(self) -> list[dict]:
        out = [layer.to_json() for layer in self.layers]
        out.append({"rule": self.rule, "reason": self.reason,
                    **({"settings": self.settings_used} if self.settings_used else {}),
                    **({"warnings": self.warnings} if self.warnings else {})})
        return out

    def to_json(self) -> dict:
        out = {"decision": self.result.value, "rule": self.rule, "reason": self.reason,
               "explanation": self.explanation_json()}
        if self.requirements:
            out["requires"] = [[r.to_json() for r in alt] for alt in self.requirements]
        return out
