"""Command line: argument parsing and output formatting only.

Each command lives in its own module of this package and exposes
    register(subparsers) -> None      adds its sub-parser and sets `func=run`
    run(args) -> int                  prints the answer, returns the exit code
Bad input raises `explorer.errors.InputError` (or a subclass such as SnapshotError); `main` turns it into a
message on stderr and exit code 2. No traceback reaches the user.
"""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys

from explorer.errors import InputError

# Command modules, in the order `--help` lists them. A module that does not exist yet is skipped.
COMMAND_MODULES = [
    "info", "simulate", "paths", "reach", "evaluate", "export", "findings", "diff", "collect",
]

COMMANDS = {"info", "simulate", "paths", "reach", "evaluate", "export", "findings", "diff", "collect", "gui"}


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse exits 2 already; keep its message short and traceback-free
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="iam-trust-explorer",
                     description="IAM Trust Explorer: who can become what in an AWS estate.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    gui = sub.add_parser("gui", help="open the desktop explorer (the default when no command is given)")
    gui.add_argument("snapshot", nargs="?", help="snapshot folder or file (default: the bundled demo organization)")
    gui.set_defaults(func=_run_gui)
    for name in COMMAND_MODULES:
        modname = f"explorer.cli.{name}_cmd"
        if importlib.util.find_spec(modname) is None:
            continue
        importlib.import_module(modname).register(sub)
    return parser


def _run_gui(args) -> int:
    from explorer.ui.app import run_app  # Qt is imported only here
    return run_app(args.snapshot)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in COMMANDS and not argv[0].startswith("-")):
        argv = ["gui", *argv]
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        code = int(args.func(args) or 0)
        if args.func is not _run_gui:
            from explorer.cli.common import finish
            finish(args)  # "answers may be incomplete" after a text answer on a snapshot with load errors
        return code
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        from explorer.cli.common import loaded_snapshots
        for ls in loaded_snapshots(args):
            if ls.load_errors:
                print(f"note: {len(ls.load_errors)} file(s)/item(s) of {ls.path} could not be loaded (`info "
                      f"{ls.path}` lists them): what the command looked for may be in one of them", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Output piped into `head` and closed: not an error of ours.
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0
