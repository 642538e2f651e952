"""`findings SNAPSHOT [--json | --sarif] [--rule RULE ...] [--unused-days N] [--context ...]`: security findings
(docs/findings.md). Human output is a table sorted by severity; exit 0 when it ran, whatever it found."""
from __future__ import annotations

import sys

from explorer.cli.common import (add_graph_arguments, build_graph, load_report_json, print_json,
                                 require_at_least_one)

_SARIF_LEVEL = {"error": "error", "warning": "warning"}


def register(subparsers) -> None:
    p = subparsers.add_parser("findings", help="security findings",
                              description="Run every check (docs/findings.md) on the snapshot and its trust graph.")
    p.add_argument("snapshot", help="snapshot folder or file")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print JSON")
    fmt.add_argument("--sarif", action="store_true", help="print SARIF 2.1.0")
    p.add_argument("--rule", action="append", default=None, metavar="RULE",
                   help="run only this check (repeatable); --list-rules shows them")
    p.add_argument("--list-rules", action="store_true", help="list the checks and exit")
    p.add_argument("--unused-days", type=int, default=90, metavar="N",
                   help="a role unused for more than N days before the snapshot was collected counts as unused "
                        "(default 90)")
    p.add_argument("--many-principals", type=int, default=10, metavar="N",
                   help="'reachable from many principals' threshold (default 10)")
    p.add_argument("--min-severity", choices=["critical", "high", "medium", "low", "info"], default="info",
                   help="show only findings of this severity or worse")
    add_graph_arguments(p)
    p.set_defaults(func=run)


def _table(rows: list[list[str]], headers: list[str]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths))
    out = [line.rstrip(), "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return out


def run(args) -> int:
    from explorer.analysis.findings import all_checks, find, to_sarif
    from explorer.analysis.findings.model import SEVERITY_RANK
    from explorer.analysis.findings.registry import FindingSettings
    from explorer.errors import InputError
    if args.list_rules:
        for rule, chk in all_checks().items():
            graph = " (trust graph)" if chk.needs_graph else ""
            sys.stdout.write(f"{rule:38} {chk.severity:8} {chk.title}{graph}\n")
        return 0
    if args.unused_days < 0:
        raise InputError("--unused-days must not be negative")
    require_at_least_one(args.many_principals, "--many-principals")
    tg = build_graph(args)
    settings = FindingSettings(unused_days=args.unused_days, many_principals=args.many_principals,
                               engine=tg.settings)
    report = find(tg.snapshot, tg, settings, rules=args.rule)
    limit = SEVERITY_RANK[args.min_severity]
    report.findings = [f for f in report.findings if SEVERITY_RANK[f.severity] <= limit]
    if args.sarif:
        print_json(_with_load_notifications(to_sarif(report), args))
        return 0
    if args.json:
        out = report.to_json()
        out["snapshot"] = tg.snapshot.name
        out["context"] = tg.context.to_json()
        print_json(out, args)
        return 0
    write = sys.stdout.write
    if not report.findings:
        write(f"No findings ({len(report.checks_run)} checks run).\n")
        return 0
    rows = [[f.severity.upper(), f.rule, f.subject, f.id] for f in report.findings]
    for line in _table(rows, ["SEVERITY", "RULE", "SUBJECT", "ID"]):
        write(line + "\n")
    write("\n")
    for f in report.findings:
        write(f"[{f.severity.upper()}] {f.id}\n  {f.title}\n  {f.message}\n")
        if f.evidence:
            ev = f.evidence[0]
            write(f"  evidence: {ev.policy} at {ev.json_path}" + (f" ({ev.source})" if ev.source else "") + "\n")
        if f.remediation is not None:
            write(f"  fix: {f.remediation.text}\n")
    counts: dict[str, int] = {}
    for f in report.findings:
        counts[f.severity] = counts.get(f.severity, 0) + 1
    summary = ", ".join(f"{counts[s]} {s}" for s in SEVERITY_RANK if s in counts)
    write(f"\n{len(report.findings)} finding(s): {summary}.\n")
    return 0


def _with_load_notifications(sarif: dict, args) -> dict:
    """The snapshot's load report in the SARIF log, where SARIF puts such things: one
    toolExecutionNotification per issue (level error / warning / note, the file as its location) on the run's
    invocation, and the whole report under the invocation's properties as "load_report"."""
    report = load_report_json(args)
    runs = sarif.get("runs") or []
    if report is None or not runs:
        return sarif
    invocations = runs[0].setdefault("invocations", [{"executionSuccessful": True}])
    inv = invocations[0]
    inv.setdefault("properties", {})["load_report"] = report
    notes = []
    for issue in report["issues"] + report.get("policy_issues", []):
        text = issue["message"] + (f" (at {issue['where']})" if issue.get("where") else "")
        if issue.get("skipped"):
            text += f" (skipped: {issue['skipped']})"
        note = {"level": _SARIF_LEVEL.get(issue["severity"], "note"), "message": {"text": text}}
        if issue.get("file"):
            note["locations"] = [{"physicalLocation": {"artifactLocation": {"uri": issue["file"]}}}]
        notes.append(note)
    if notes:
        inv["toolExecutionNotifications"] = notes
    return sarif
