"""`collect`: write a snapshot folder from AWS with read-only calls (docs/collect.md)."""
from __future__ import annotations

import getpass
import json
import signal
import sys
import threading

from explorer.errors import InputError

HELP = "collect a snapshot with boto3 (read-only calls)"


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "collect", help=HELP, description=HELP + ". Gaps (what could not be read) are listed, not failures.")
    p.add_argument("--out", required=True, metavar="DIR", help="the snapshot folder to write (resumed when it "
                   "holds an earlier, interrupted run)")
    p.add_argument("--profile", help="AWS profile (SSO profiles included); default: the default credential chain")
    p.add_argument("--region", nargs="+", action="extend", default=[], metavar="R", dest="regions",
                   help="regions for resource policies and CloudTrail (repeatable; default: the profile's "
                        "region and us-east-1); the first is used for STS, IAM and Organizations")
    p.add_argument("--org", action="store_true", help="the whole organization (run from the management or a "
                   "delegated administrator account); needs --role-name")
    p.add_argument("--role-name", metavar="NAME", help="the read-only audit role to assume in each member account")
    p.add_argument("--external-id", metavar="X", help="external id the audit role's trust policy asks for")
    p.add_argument("--mfa-serial", metavar="ARN", help="MFA device of the starting IAM user; the code is asked "
                   "once")
    p.add_argument("--mfa-token", metavar="CODE", help="the 6-digit MFA code (for scripts; else it is prompted)")
    p.add_argument("--cloudtrail-days", type=int, default=0, metavar="N", help="also read N days (at most 90) of "
                   "AssumeRole, AssumeRoleWithSAML and AssumeRoleWithWebIdentity events")
    p.add_argument("--parallel", type=int, default=4, metavar="N", help="accounts collected at once (default 4)")
    p.add_argument("--refresh", action="store_true", help="collect again accounts an earlier run completed")
    p.add_argument("--accounts", nargs="+", action="extend", default=[], metavar="ID",
                   help="only these account ids")
    p.add_argument("--duration-seconds", type=int, default=3600, metavar="S", help="session length asked of each "
                   "audit role (default 3600; role chaining is capped at 3600)")
    p.add_argument("--no-resource-policies", action="store_true", help="skip S3, KMS, SQS, SNS, Secrets Manager "
                   "and Lambda policies")
    p.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    p.set_defaults(func=run)


def _mfa_prompt(serial: str):
    def ask() -> str:
        if not sys.stdin.isatty():
            raise InputError("--mfa-serial: no terminal to ask the MFA code on; pass --mfa-token")
        return getpass.getpass(f"MFA code for {serial}: ")
    return ask


def run(args) -> int:
    from explorer.collect import CollectOptions, collect_snapshot
    from explorer.collect.progress import TerminalProgress

    options = CollectOptions(
        out_dir=args.out, profile=args.profile, regions=list(args.regions), org=args.org, role_name=args.role_name,
        external_id=args.external_id, mfa_serial=args.mfa_serial, mfa_token=args.mfa_token,
        mfa_token_provider=_mfa_prompt(args.mfa_serial) if args.mfa_serial else None,
        cloudtrail_days=args.cloudtrail_days, parallel=args.parallel, refresh=args.refresh,
        accounts=list(args.accounts), session_seconds=args.duration_seconds,
        resource_policies=not args.no_resource_policies)

    # First Ctrl-C: stop cleanly (accounts already written stay complete, a rerun resumes). Second: abort.
    stop = threading.Event()
    previous = None
    if threading.current_thread() is threading.main_thread():
        def on_interrupt(signum, frame):
            if stop.is_set():
                raise KeyboardInterrupt
            stop.set()
            print("\nstopping after the calls in flight (Ctrl-C again to abort)", file=sys.stderr)
        previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        result = collect_snapshot(options, progress=TerminalProgress(sys.stderr), cancel=stop.is_set)
    except OSError as exc:
        raise InputError(f"cannot write the snapshot: {exc}", file=args.out) from None
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)

    if args.json:
        print(json.dumps(result.to_json(), indent=2))
        return 0
    state = "cancelled" if result.cancelled else "collected"
    print(f"{state}: {len(result.accounts_collected)} account(s) into {result.out_dir}"
          f" ({len(result.accounts_skipped)} already complete, {len(result.accounts_failed)} failed,"
          f" {result.calls} calls, {result.elapsed_seconds:.1f} s)")
    if result.gaps:
        print(f"gaps ({len(result.gaps)}): what could not be read (also in manifest.json)")
        for gap in result.gaps:
            print(f"  {gap['account']}  {gap['what']}: {gap['error']}")
    if result.cancelled:
        print("rerun the same command to resume")
    return 0
