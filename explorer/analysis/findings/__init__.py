"""Security findings: one module per check family, a registry, and JSON / SARIF output.

    from explorer.analysis.findings import find, Finding, FindingSettings
    report = find(snapshot, trust_graph=None, settings=None)   # FindingsReport: .findings (sorted), .to_json()
    to_sarif(report)                                           # SARIF 2.1.0 log (dict)

Checks that need the trust graph are skipped (and listed in report.checks_skipped) when none is given.
"""
from explorer.analysis.findings.model import (CRITICAL, HIGH, INFO, LOW, MEDIUM, SEVERITIES, Evidence, Finding,
                                              Remediation, stable_id)
from explorer.analysis.findings.registry import (CHECKS, DEFAULT_FINDING_SETTINGS, Check, FindingSettings,
                                                 FindingsReport, check, run_checks)
from explorer.analysis.findings.sarif import to_sarif


def find(snapshot, trust_graph=None, settings: FindingSettings | None = None, *, rules=None) -> FindingsReport:
    return run_checks(snapshot, trust_graph, settings, rules=rules)


def all_checks() -> dict[str, Check]:
    from explorer.analysis.findings.registry import _load_families
    _load_families()
    return dict(sorted(CHECKS.items()))


__all__ = ["find", "run_checks", "all_checks", "to_sarif", "Finding", "Evidence", "Remediation", "FindingSettings",
           "FindingsReport", "Check", "CHECKS", "check", "stable_id", "DEFAULT_FINDING_SETTINGS", "SEVERITIES",
           "CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO"]
