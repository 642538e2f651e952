"""The registry of checks. A check is a function `(snapshot, trust_graph_or_None, settings) -> iterable of
Finding`, registered with `@check(...)` in the module of its family. `run_checks` runs them all (or a chosen
few), skips the graph-based ones when no trust graph is given (and says so), and returns the findings sorted by
severity, rule and subject, without duplicates."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Callable, Iterable

from explorer.analysis.findings.model import Finding, SEVERITY_RANK
from explorer.iam.settings import DEFAULT_SETTINGS, Settings


@dataclass(frozen=True)
class FindingSettings:
    """Parameters of the checks (the engine's own named settings ride along in `engine`)."""
    unused_days: int = 90  # a role unused for longer than this (before `now`) counts as unused
    many_principals: int = 10  # "reachable from many principals": at least this many distinct sources
    max_chains: int = 3  # how many shortest chains a reachability finding shows
    max_hops: int = 5  # chain length searched by the graph checks
    now: datetime | None = None  # reference time; default: the snapshot's collected_at, else the current time
    engine: Settings = DEFAULT_SETTINGS

    def reference_time(self, snapshot) -> datetime:
        when = self.now or getattr(snapshot.manifest, "collected_at", None) or datetime.now(timezone.utc)
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        return when

    def with_(self, **changes) -> "FindingSettings":
        return replace(self, **changes)


DEFAULT_FINDING_SETTINGS = FindingSettings()

CheckFunc = Callable[..., Iterable[Finding]]


@dataclass(frozen=True)
class Check:
    rule: str
    family: str
    title: str
    severity: str  # the usual severity (a finding may raise or lower it)
    func: CheckFunc
    needs_graph: bool = False
    description: str = ""  # what it looks for and why (SARIF rule help, docs)


CHECKS: dict[str, Check] = {}


def check(rule: str, *, family: str, title: str, severity: str, needs_graph: bool = False, description: str = ""):
    """Register a check function under `rule`."""
    if severity not in SEVERITY_RANK:
        raise ValueError(f"unknown severity {severity!r}")

    def deco(func: CheckFunc) -> CheckFunc:
        if rule in CHECKS and CHECKS[rule].func is not func:
            raise ValueError(f"check {rule!r} registered twice")
        CHECKS[rule] = Check(rule, family, title, severity, func, needs_graph, description or (func.__doc__ or "").strip())
        return func

    return deco


def make_finding(rule: str, subject: str, message: str, *, severity: str | None = None, **fields) -> Finding:
    """A Finding of the registered check `rule`: its title (and, unless given, its usual severity) come from
    the registration. `fields` are the other Finding fields (evidence, remediation, related, id)."""
    chk = CHECKS[rule]
    return Finding(rule=rule, severity=severity or chk.severity, title=chk.title, subject=subject, message=message,
                   **fields)


@dataclass
class FindingsReport:
    findings: list[Finding] = field(default_factory=list)
    checks_run: list[str] = field(default_factory=list)
    checks_skipped: dict[str, str] = field(default_factory=dict)  # rule -> why

    def by_rule(self) -> dict[str, list[Finding]]:
        out: dict[str, list[Finding]] = {}
        for f in self.findings:
            out.setdefault(f.rule, []).append(f)
        return out

    def pairs(self) -> set[tuple[str, str]]:
        return {(f.rule, f.subject) for f in self.findings}

    def to_json(self) -> dict:
        counts: dict[str, int] = {}
        for f in self.findings:
            counts[f.severity] = counts.get(f.severity, 0) + 1
        return {"findings": [f.to_json() for f in self.findings],
                "summary": {"total": len(self.findings), "by_severity": counts},
                "checks_run": list(self.checks_run),
                "checks_skipped": dict(self.checks_skipped)}


def _load_families() -> None:
    # Importing the family modules registers their checks.
    from explorer.analysis.findings import (  # noqa: F401
        trust, mfa, resource, unused, graph_checks, observed)


def run_checks(snapshot, trust_graph=None, settings: FindingSettings | None = None, *,
               rules: Iterable[str] | None = None) -> FindingsReport:
    _load_families()
    settings = settings or DEFAULT_FINDING_SETTINGS
    wanted = set(rules) if rules is not None else None
    if wanted is not None:
        unknown = wanted - set(CHECKS)
        if unknown:
            from explorer.errors import InputError
            raise InputError(f"unknown finding rule(s): {', '.join(sorted(unknown))}; known: {', '.join(sorted(CHECKS))}")
    report = FindingsReport()
    seen: dict[str, Finding] = {}
    for rule in sorted(CHECKS):
        chk = CHECKS[rule]
        if wanted is not None and rule not in wanted:
            continue
        if chk.needs_graph and trust_graph is None:
            report.checks_skipped[rule] = "needs the trust graph"
            continue
        report.checks_run.append(rule)
        for finding in chk.func(snapshot, trust_graph, settings):
            if not finding.family:
                finding = replace(finding, family=chk.family)
            seen.setdefault(finding.id, finding)
    report.findings = sorted(seen.values(), key=lambda f: f.sort_key)
    return report
