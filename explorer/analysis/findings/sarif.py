"""SARIF 2.1.0 output of a findings report (one run, one rule per check, one result per finding).

Findings point into snapshot files, not source code: each result has a logical location (the policy and the JSON
path inside it) and, when the loader recorded where the policy came from, a physical location naming that file.
"""
from __future__ import annotations

from explorer.analysis.findings.model import CRITICAL, HIGH, INFO, LOW, MEDIUM
from explorer.snapshot.model import split_source

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVELS = {CRITICAL: "error", HIGH: "error", MEDIUM: "warning", LOW: "note", INFO: "note"}
SCORES = {CRITICAL: "9.5", HIGH: "8.0", MEDIUM: "5.5", LOW: "3.0", INFO: "1.0"}  # GitHub security-severity


def _physical(source: str) -> dict | None:
    if not source:
        return None
    path = split_source(source)[0]
    if not path or path.startswith("("):
        return None
    return {"artifactLocation": {"uri": path.replace("\\", "/")}}


def to_sarif(report, *, tool_version: str = "0.1.0") -> dict:
    from explorer.analysis.findings import all_checks
    checks = all_checks()
    rule_ids = sorted(checks)
    index = {r: i for i, r in enumerate(rule_ids)}
    rules = []
    for rid in rule_ids:
        chk = checks[rid]
        rules.append({
            "id": rid,
            "name": "".join(p.capitalize() for p in rid.split("-")),
            "shortDescription": {"text": chk.title},
            "fullDescription": {"text": chk.description or chk.title},
            "defaultConfiguration": {"level": LEVELS[chk.severity]},
            "properties": {"family": chk.family, "severity": chk.severity, "needs_graph": chk.needs_graph,
                           "security-severity": SCORES[chk.severity], "tags": ["security", "iam"]},
        })
    results = []
    for f in report.findings:
        locations = []
        for ev in f.evidence[:1]:
            loc: dict = {"logicalLocations": [{"fullyQualifiedName": f"{ev.policy}#{ev.json_path}",
                                               "name": ev.json_path, "kind": "object"}],
                         "message": {"text": ev.policy}}
            physical = _physical(ev.source)
            if physical:
                loc["physicalLocation"] = physical
            locations.append(loc)
        result = {
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": LEVELS[f.severity],
            "message": {"text": f.message},
            "locations": locations,
            "partialFingerprints": {"findingId/v1": f.id},
            "properties": {"id": f.id, "severity": f.severity, "subject": f.subject,
                           "evidence": [e.to_json() for e in f.evidence]},
        }
        if f.related:
            result["relatedLocations"] = [{"id": i + 1, "message": {"text": r}} for i, r in enumerate(f.related)]
        if f.remediation is not None:
            result["properties"]["remediation"] = f.remediation.to_json()
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "iam-trust-explorer", "version": tool_version,
                                "rules": rules}},
            "results": results,
            "invocations": [{"executionSuccessful": True,
                             "properties": {"checks_skipped": dict(report.checks_skipped)}}],
        }],
    }
