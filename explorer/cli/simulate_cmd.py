"""`simulate REQUEST.json [--json]` and `simulate --batch FILE.jsonl --json`: decide authorization requests
given inline (interfaces.md §2). Parsing lives in explorer.iam.request_json; this module only reads files and
formats the answer."""
from __future__ import annotations

import json
import sys

from explorer.errors import InputError, RequestError
from explorer.iam import evaluate
from explorer.iam.request_json import loads_strict, parse_request


def register(subparsers) -> None:
    p = subparsers.add_parser("simulate", help="decide one authorization request (or a batch of them)",
                              description="Decide an authorization request given with every policy inline.")
    p.add_argument("request", nargs="?", help="request JSON file (interfaces.md section 2); - for stdin")
    p.add_argument("--batch", metavar="FILE.jsonl", help="one request per line; prints one JSON line each")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def _read_text(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except FileNotFoundError:
        raise RequestError("file not found", file=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RequestError(f"cannot read: {exc}", file=path) from None


def run(args) -> int:
    if args.batch and args.request:
        raise RequestError("give either REQUEST.json or --batch FILE.jsonl, not both")
    if args.batch:
        return _run_batch(args.batch)
    if not args.request:
        raise RequestError("a request file is required (or --batch FILE.jsonl)")
    text = _read_text(args.request)
    try:
        data = loads_strict(text)
    except ValueError as exc:
        raise RequestError(f"not valid JSON: {exc}", file=args.request) from None
    request = parse_request(data, file=args.request)
    decision = evaluate(request)
    if args.json:
        print(json.dumps(decision.to_json(), indent=2))
    else:
        print(format_decision(decision))
    return 0


def _run_batch(path: str) -> int:
    text = _read_text(path)
    out = sys.stdout
    policy_cache: dict = {}  # identical policy documents across lines are compiled once
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        rid: object = lineno
        try:
            try:
                data = loads_strict(line)
            except ValueError as exc:
                raise RequestError(f"not valid JSON: {exc}", file=path, where=f"line {lineno}") from None
            if isinstance(data, dict) and "id" in data:
                rid = data["id"]
            request = parse_request(data, file=f"{path} line {lineno}", policy_cache=policy_cache, source_file=path)
            decision = evaluate(request)
            result = {"id": rid, "decision": decision.result.value, "explanation": decision.explanation_json()}
            if decision.requirements:
                result["requires"] = [[r.to_json() for r in alt] for alt in decision.requirements]
        except InputError as exc:
            result = {"id": rid, "error": str(exc)}
        except Exception as exc:  # one bad line never stops the others
            result = {"id": rid, "error": f"internal error: {type(exc).__name__}: {exc}"}
        out.write(json.dumps(result) + "\n")
    return 0


def format_decision(decision) -> str:
    lines = [f"Decision: {decision.result.value}" + (" (conditional)" if decision.conditional else ""),
             f"Rule:     {decision.rule}", f"Reason:   {decision.reason}"]
    for layer in decision.layers:
        head = f"  [{layer.layer}] {layer.outcome}"
        if layer.note:
            head += f" - {layer.note}"
        lines.append(head)
        for st in layer.statements:
            line = f"      {st.effect:5} {st.label()}"
            if st.requirements:
                line += "  if " + " AND ".join(str(r) for r in st.requirements)
            lines.append(line)
    if decision.requirements:
        lines.append("Allowed only when one of these holds:")
        for i, alt in enumerate(decision.requirements, start=1):
            lines.append(f"  {i}. " + " AND ".join(str(r) for r in alt))
    if decision.settings_used:
        lines.append("Settings used: " + ", ".join(f"{k}={v}" for k, v in decision.settings_used.items()))
    for w in decision.warnings:
        lines.append(f"Warning: {w}")
    return "\n".join(lines)
