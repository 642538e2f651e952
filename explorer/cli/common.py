"""Shared pieces of the command-line commands: `--context KEY=VALUE`, loading a snapshot, building the trust
graph, resolving ARN / name arguments, printing JSON.

`--context KEY=VALUE` fixes one request-context key for every hop. Repeating a key gives it a list of values.
The value `<absent>` fixes the key as absent (AWS does not send it). Keys not given stay unknown (what-if): an
edge depending on them is conditional.

Load problems: every command that analyses a snapshot loads it through `load_snapshot_arg` / `build_graph`
(`graph_for`), which record the snapshot's load report (and the policy problems found compiling its policies,
`explorer.graph.policy_report`) on `args`. Right after loading, a short summary of the errors and
warnings goes to stderr (unless `--quiet`); `print_json(obj, args)` adds the top-level "load_report" object;
`finish(args)` (called by `main`) ends a text answer with "answers may be incomplete: ..." when files or items
could not be loaded.
"""
from __future__ import annotations

import json
import sys

from explorer.errors import InputError
from explorer.iam.context import ABSENT_VALUE as ABSENT, parse_assignments as parse_context_values  # noqa: F401


def add_context_argument(parser) -> None:
    parser.add_argument("--context", action="append", default=[], metavar="KEY=VALUE",
                        help="fix a request-context key for every hop (repeatable; repeat a key for a list value; "
                             f"{ABSENT} fixes it as absent). Keys not given stay unknown: edges that depend on them "
                             "are shown as conditional")


def add_settings_argument(parser) -> None:
    parser.add_argument("--setting", action="append", default=[], metavar="NAME=VALUE",
                        help="a named engine setting, e.g. mfa_in_role_session=never (repeatable)")
    parser.add_argument("--workers", type=int, default=None, metavar="N",
                        help="processes deciding the edges of a large graph (default: up to 4 on Linux, else 1)")


def add_graph_arguments(parser) -> None:
    """The options that `build_graph` (and the snapshot comparison) read: --context, --setting, --workers; and
    --quiet (no load-problem summary on stderr)."""
    add_context_argument(parser)
    add_settings_argument(parser)
    add_quiet_argument(parser)


def add_quiet_argument(parser) -> None:
    parser.add_argument("--quiet", "-q", action="store_true",
                        help="do not print the summary of the snapshot's load errors and warnings on stderr (the "
                             "JSON still carries it as \"load_report\")")


def add_include_denied_argument(parser) -> None:
    parser.add_argument("--include-denied", action="store_true",
                        help="also use edges that the trust allows but another layer denies")


def add_console_argument(parser) -> None:
    parser.add_argument("--console", action="store_true",
                        help="console Switch Role only (D8): the signed-in identity switches (one hop; a federated "
                             "sign-in, then one switch), no ExternalId")


def require_at_least_one(value: int | None, option: str) -> None:
    """An InputError when a count option (`--max-hops`, `--k`...) is given below 1."""
    if value is not None and value < 1:
        raise InputError(f"{option} must be at least 1")


def default_workers() -> int:
    """Worker processes for the graph build of a command: forking is safe in a short-lived command-line
    process on Linux; elsewhere the build stays serial."""
    import os
    if not sys.platform.startswith("linux"):
        return 1
    return max(1, min(4, os.cpu_count() or 1))


def parse_context(items):
    """An open (what-if) Context with the given keys fixed."""
    from explorer.iam.context import Context
    return Context(parse_context_values(items), closed=False)


def parse_settings(items):
    from explorer.iam.settings import Settings
    data = {}
    for item in items or []:
        if "=" not in item:
            raise InputError(f"--setting {item!r}: expected NAME=VALUE")
        k, v = item.split("=", 1)
        data[k.strip()] = v.strip()
    return Settings.from_json(data)


def load_snapshot_arg(path: str, args=None, label: str | None = None):
    """Load a snapshot; a snapshot that cannot be loaded at all is an InputError (exit 2) naming the path.
    With `args`, the snapshot's load report is recorded on it (see `LoadedSnapshot`) and summarized on stderr;
    `label` names the snapshot when a command reads several ("old", "new")."""
    from explorer.snapshot import load_snapshot
    snap = load_snapshot(path)
    if not snap.accounts:
        raise InputError("the snapshot holds no account (no authorization-details data was found)", file=str(path))
    if args is not None:
        loaded = LoadedSnapshot(str(path), snap, label)
        _loaded(args).append(loaded)
        if not getattr(args, "quiet", False):
            _write_summary(loaded.summary_lines())
    return snap


def graph_for(snap, args):
    """The trust graph of an already loaded snapshot under args.context / args.setting / args.workers. When the
    snapshot was loaded with `load_snapshot_arg(path, args)`, the graph's policy problems are added to its
    recorded load report (and summarized on stderr)."""
    from explorer.graph import build_trust_graph
    context = parse_context(getattr(args, "context", None))
    settings = parse_settings(getattr(args, "setting", None))
    workers = getattr(args, "workers", None)
    require_at_least_one(workers, "--workers")
    tg = build_trust_graph(snap, context=context, settings=settings, workers=workers or default_workers())
    for loaded in _loaded(args):
        if loaded.snapshot is snap and loaded.policy_issues is None:
            loaded.policy_issues = policy_issues_of(tg)
            if loaded.policy_issues is not None and not getattr(args, "quiet", False):
                _write_summary(loaded.policy_summary_lines())
    return tg


def build_graph(args):
    """Load args.snapshot and build the trust graph under args.context (and args.setting when present)."""
    # Bad options are reported before the (slower) loading, as before.
    parse_context(getattr(args, "context", None))
    parse_settings(getattr(args, "setting", None))
    require_at_least_one(getattr(args, "workers", None), "--workers")
    snap = load_snapshot_arg(args.snapshot, args)
    return graph_for(snap, args)


# --- load problems ------------------------------------------------------------------------------------------

SUMMARY_ISSUE_LIMIT = 5  # issues the stderr summary lists (per snapshot); `info SNAPSHOT` lists them all


def policy_issues_of(tg):
    """The policy problems found compiling the graph's policies (`explorer.graph.policy_report.policy_issues`),
    or None when they could not be listed (said on stderr)."""
    from explorer.graph.policy_report import policy_issues
    try:
        return list(policy_issues(tg) or [])
    except Exception as exc:  # noqa: BLE001 - a report helper must not stop the answer; say so instead
        sys.stderr.write(f"warning: the policy problems of the snapshot could not be listed: {exc}\n")
        return None


def _counted(issues) -> tuple[list, list]:
    """(errors, warnings) of a list of issues, by the load report's own rule."""
    from explorer.snapshot.report import LoadReport
    report = LoadReport(list(issues or []))
    return report.errors, report.warnings


class LoadedSnapshot:
    """A snapshot a command loaded: its path, load report and (once its graph is built) policy issues."""

    def __init__(self, path: str, snapshot, label: str | None = None):
        self.path = path
        self.snapshot = snapshot
        self.label = label
        self.policy_issues: list | None = None  # None: not computed (no graph, or no policy_report module)

    @property
    def issues(self) -> list:
        return list(self.snapshot.report.issues)

    @property
    def errors(self) -> list:
        return _counted(self.issues)[0] + _counted(self.policy_issues)[0]

    @property
    def warnings(self) -> list:
        return _counted(self.issues)[1] + _counted(self.policy_issues)[1]

    @property
    def load_errors(self) -> list:
        """Errors of the load report itself (files or items that could not be loaded)."""
        return self.snapshot.report.errors

    def _name(self) -> str:
        return f"the {self.label} snapshot ({self.path})" if self.label else "the snapshot"

    def _lines(self, what: str, issues: list) -> list[str]:
        errors, warnings = _counted(issues)
        if not errors and not warnings:
            return []
        shown = (errors + warnings)[:SUMMARY_ISSUE_LIMIT]
        lines = [f"warning: {what.format(name=self._name())}: {len(errors)} error(s), {len(warnings)} warning(s)"]
        lines += [f"  {issue}" for issue in shown]
        more = len(errors) + len(warnings) - len(shown)
        if more > 0:
            lines.append(f"  ... and {more} more (see `info {self.path}`)")
        return lines

    def summary_lines(self) -> list[str]:
        lines = self._lines("{name} was loaded with problems", self.issues)
        if self.load_errors:
            lines.append(f"  {incomplete_text(len(self.load_errors))}")
        return lines

    def policy_summary_lines(self) -> list[str]:
        lines = self._lines("policy problems in {name}", self.policy_issues or [])
        policy_errors = _counted(self.policy_issues)[0]
        if policy_errors:
            lines.append(f"  answers may be incomplete: {len(policy_errors)} policy item(s) could not be compiled")
        dropped = self.dropped_text()
        if dropped:
            lines.append(f"  {dropped}")
        return lines

    def dropped_text(self) -> str | None:
        """"answers may be incomplete: policy problems made the engine ignore ..." when policy problems dropped
        whole policies or statements (explorer.graph.policy_report.dropped_text), else None."""
        if not self.policy_issues:
            return None
        from explorer.graph.policy_report import dropped_policies, dropped_text
        return dropped_text(dropped_policies(self.policy_issues))

    def to_json(self) -> dict:
        out = {"errors": len(self.errors), "warnings": len(self.warnings),
               "issues": [i.to_json() for i in self.issues]}
        if self.policy_issues is not None:
            out["policy_issues"] = [i.to_json() for i in self.policy_issues]
        return out


def incomplete_text(n: int) -> str:
    return f"answers may be incomplete: {n} file(s)/item(s) could not be loaded"


def _loaded(args) -> list[LoadedSnapshot]:
    found = getattr(args, "_loaded_snapshots", None)
    if found is None:
        found = []
        setattr(args, "_loaded_snapshots", found)
    return found


def loaded_snapshots(args) -> list[LoadedSnapshot]:
    """The snapshots this command loaded (in order), with their load reports."""
    return list(getattr(args, "_loaded_snapshots", None) or [])


def _write_summary(lines: list[str]) -> None:
    for line in lines:
        sys.stderr.write(line + "\n")
    sys.stderr.flush()


def load_report_json(args) -> dict | None:
    """The top-level "load_report" of a JSON answer: {"errors": n, "warnings": n, "issues": [...],
    "policy_issues": [...] (when computed)}. Info issues are listed but not counted. For several snapshots
    (diff) the counts and lists are the sums, each issue carrying "snapshot": label, and each snapshot's own
    report is under its label."""
    loaded = loaded_snapshots(args)
    if not loaded:
        return None
    if len(loaded) == 1:
        return loaded[0].to_json()
    out: dict = {"errors": 0, "warnings": 0, "issues": []}
    policy: list | None = None
    for i, ls in enumerate(loaded):
        label = ls.label or str(i)
        one = ls.to_json()
        out["errors"] += one["errors"]
        out["warnings"] += one["warnings"]
        out["issues"] += [{**issue, "snapshot": label} for issue in one["issues"]]
        if "policy_issues" in one:
            policy = (policy or []) + [{**issue, "snapshot": label} for issue in one["policy_issues"]]
        out[label] = one
    if policy is not None:
        out["policy_issues"] = policy
    return out


def finish(args) -> None:
    """After a text answer: say that answers may be incomplete when a snapshot had load errors, or when policy
    problems made the engine ignore whole policies or statements (JSON answers carry "load_report" instead).
    This is part of the answer: `--quiet` leaves it."""
    if getattr(args, "json", False) or getattr(args, "sarif", False):
        return
    for ls in loaded_snapshots(args):
        name = f" ({ls.label} snapshot)" if ls.label else ""
        if ls.errors:
            sys.stdout.write(f"\nNote{name}: {incomplete_text(len(ls.errors))} - see the load summary on "
                             f"stderr or `info {ls.path}`.\n")
        dropped = ls.dropped_text()
        if dropped:
            sys.stdout.write(f"\nNote{name}: {dropped} - the policy problems are listed on stderr (unless --quiet) "
                             "and under \"policy_issues\" in --json answers.\n")


def resolve(tg, text: str, what: str) -> str:
    """The node for an ARN / name / unique id argument, or an InputError that says why not."""
    node = tg.node_for(text)
    if node is not None:
        return node
    named = tg.nodes_named(text) if isinstance(text, str) else []
    if len(named) > 1:
        raise InputError(f"{what} {text!r} is ambiguous: " + ", ".join(sorted(named)[:10]) + " (give the ARN)")
    raise InputError(f"{what} {text!r} is not a principal, role, provider or service of the snapshot's trust "
                     "graph")


def print_json(obj, args=None) -> None:
    """Print obj as JSON. With `args` of a command that loaded snapshots and a JSON object (not a list), the
    top-level "load_report" is added (existing keys are kept)."""
    if args is not None and isinstance(obj, dict) and "load_report" not in obj:
        report = load_report_json(args)
        if report is not None:
            obj = {**obj, "load_report": report}
    json.dump(obj, sys.stdout, indent=2, default=_json_default)
    sys.stdout.write("\n")


def _json_default(value):
    to_json = getattr(value, "to_json", None)
    if callable(to_json):
        return to_json()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)
