"""Shared pieces of the command-line commands: `--context KEY=VALUE`, loading a snapshot, building the trust
graph, resolving ARN / name arguments, printing JSON.

`--context KEY=VALUE` fixes one request-context key for every hop. Repeating a key gives it a list of values.
The value `<absent>` fixes the key as absent (AWS does not send it). Keys not given stay unknown (what-if): an
edge depending on them is conditional.
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
    """The options that `build_graph` (and the snapshot comparison) read: --context, --setting, --workers."""
    add_context_argument(parser)
    add_settings_argument(parser)


def add_include_denied_argument(parser) -> None:
    parser.add_argument("--include-denied", action="store_true",
                        help="also use edges that the trust allows but another layer denies")


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


def load_snapshot_arg(path: str):
    """Load a snapshot; a snapshot that cannot be loaded at all is an InputError (exit 2) naming the path."""
    from explorer.snapshot import load_snapshot
    snap = load_snapshot(path)
    if not snap.accounts:
        raise InputError("the snapshot holds no account (no authorization-details data was found)", file=str(path))
    return snap


def build_graph(args):
    """Load args.snapshot and build the trust graph under args.context (and args.setting when present)."""
    from explorer.graph import build_trust_graph
    context = parse_context(getattr(args, "context", None))
    settings = parse_settings(getattr(args, "setting", None))
    workers = getattr(args, "workers", None)
    require_at_least_one(workers, "--workers")
    snap = load_snapshot_arg(args.snapshot)
    return build_trust_graph(snap, context=context, settings=settings, workers=workers or default_workers())


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


def print_json(obj) -> None:
    json.dump(obj, sys.stdout, indent=2, default=_json_default)
    sys.stdout.write("\n")


def _json_default(value):
    to_json = getattr(value, "to_json", None)
    if callable(to_json):
        return to_json()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)
