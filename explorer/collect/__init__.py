"""Collect a snapshot folder (interfaces.md §1) from AWS with read-only calls.

    from explorer.collect import collect_snapshot, CollectOptions
    result = collect_snapshot(CollectOptions(out_dir="snap", org=True, role_name="Audit"),
                              progress=callable(ProgressEvent), cancel=callable() -> bool)

Layout (get / transform / write, one module per source):
    sessions.py           credentials, the MFA session, AssumeRole into member accounts, the client factory
    readonly.py           the allow-list every call goes through (a botocore hook on every client)
    aws.py                calls, pagination, the outer throttling retry, error words
    iam.py, organizations.py, resource_policies.py, cloudtrail.py   the sources
    account.py            one account, start to end
    writer.py             atomic files, the manifest, resume markers
    progress.py           progress events, the terminal bar

Only explorer.errors, explorer.iam (session rules) and boto3/botocore are imported: no Qt.
"""
from __future__ import annotations

import re
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from botocore.exceptions import BotoCoreError, ClientError

from explorer.collect import progress as prog
from explorer.collect.account import AccountFailed, AccountJob, collect_account
from explorer.collect.aws import CollectCancelled, error_words
from explorer.collect.organizations import get_organization
from explorer.collect.readonly import ReadOnlyViolation
from explorer.collect.sessions import (DEFAULT_SESSION_SECONDS, FALLBACK_REGION, ClientFactory,
                                       CredentialsError, MemberAccess, StartingCredentials, assume_member_session,
                                       identify, start_mfa_session)
from explorer.collect.writer import (ORGANIZATION, STATUS_COMPLETE, STATUS_FAILED, STATUS_IN_PROGRESS,
                                     SnapshotWriter, now_iso)
from explorer.errors import InputError

__all__ = ["collect_snapshot", "CollectOptions", "CollectResult", "CollectOptionsError", "CredentialsError",
           "CollectCancelled", "ReadOnlyViolation"]

SOURCE = "iam-trust-explorer collect"
MAX_PARALLEL = 32
_ACCOUNT_RE = re.compile(r"^\d{12}$")
_REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
_ROLE_NAME_RE = re.compile(r"^[\w+=,.@/-]{1,512}$")
_EXTERNAL_ID_RE = re.compile(r"^[\w+=,.@:/-]{2,1224}$")
_MFA_SERIAL_RE = re.compile(r"^[\w+=/:,.@-]{9,256}$")
_MFA_TOKEN_RE = re.compile(r"^\d{6}$")


class CollectOptionsError(InputError):
    """Collection options that cannot work (exit code 2 on the CLI)."""


@dataclass
class CollectOptions:
    out_dir: str
    profile: str | None = None
    regions: list[str] = field(default_factory=list)  # empty: the profile's region and us-east-1
    org: bool = False
    role_name: str | None = None
    external_id: str | None = field(default=None, repr=False)
    mfa_serial: str | None = None
    mfa_token: str | None = field(default=None, repr=False)
    mfa_token_provider: object = field(default=None, repr=False)  # callable() -> str, asked once when needed
    cloudtrail_days: int = 0
    parallel: int = 4
    refresh: bool = False
    accounts: list[str] = field(default_factory=list)  # restrict to these account ids
    session_seconds: int = DEFAULT_SESSION_SECONDS
    resource_policies: bool = True

    def validate(self) -> None:
        def bad(message):
            raise CollectOptionsError(message)
        if not self.out_dir or not str(self.out_dir).strip():
            bad("--out is required: the folder to write the snapshot into")
        if self.org and not self.role_name:
            bad("--org needs --role-name: the audit role to assume in each member account (there is no default, "
                "so nothing is collected through an administrator role by accident)")
        if self.role_name and not (self.org or self.accounts):
            bad("--role-name needs --org (every account of the organization) or --accounts (these accounts)")
        if self.role_name and not _ROLE_NAME_RE.match(self.role_name):
            bad(f"--role-name {self.role_name!r} is not a role name")
        if (self.external_id or self.mfa_serial) and not self.role_name:
            bad("--external-id and --mfa-serial are for the audit role: give --role-name")
        if self.external_id is not None and not _EXTERNAL_ID_RE.match(self.external_id):
            bad("--external-id must be 2 to 1224 characters of letters, digits and +=,.@:/-")
        if self.mfa_token is not None and not self.mfa_serial:
            bad("--mfa-token needs --mfa-serial (the ARN of the MFA device)")
        if self.mfa_serial and not _MFA_SERIAL_RE.match(self.mfa_serial):
            bad(f"--mfa-serial {self.mfa_serial!r} is not an MFA device ARN or serial number")
        if self.mfa_token is not None and not _MFA_TOKEN_RE.match(self.mfa_token):
            bad("--mfa-token must be the 6-digit code of the MFA device")
        if not 1 <= int(self.parallel) <= MAX_PARALLEL:
            bad(f"--parallel must be between 1 and {MAX_PARALLEL}, not {self.parallel}")
        if not 0 <= int(self.cloudtrail_days) <= 90:
            bad(f"--cloudtrail-days must be between 0 and 90 (CloudTrail LookupEvents keeps 90 days), "
                f"not {self.cloudtrail_days}")
        if not 900 <= int(self.session_seconds) <= 43200:
            bad(f"--duration-seconds must be between 900 and 43200, not {self.session_seconds}")
        for region in self.regions:
            if not _REGION_RE.match(region):
                bad(f"--region {region!r} is not an AWS region name (like eu-west-1)")
        for acct in self.accounts:
            if not _ACCOUNT_RE.match(acct):
                bad(f"--accounts {acct!r} is not a 12-digit account id")


@dataclass
class CollectResult:
    out_dir: str
    caller_account: str = ""
    partition: str = "aws"
    regions: list[str] = field(default_factory=list)
    accounts_collected: list[str] = field(default_factory=list)
    accounts_skipped: list[str] = field(default_factory=list)  # complete from an earlier run (resume)
    accounts_failed: list[str] = field(default_factory=list)
    gaps: list[dict] = field(default_factory=list)
    calls: int = 0
    cancelled: bool = False
    elapsed_seconds: float = 0.0
    manifest_path: str = ""

    def to_json(self) -> dict:
        return {"out_dir": self.out_dir, "caller_account": self.caller_account, "partition": self.partition,
                "regions": self.regions, "accounts_collected": self.accounts_collected,
                "accounts_skipped": self.accounts_skipped, "accounts_failed": self.accounts_failed,
                "gaps": self.gaps, "calls": self.calls, "cancelled": self.cancelled,
                "elapsed_seconds": self.elapsed_seconds, "manifest": self.manifest_path}


def default_regions(starting: StartingCredentials) -> list[str]:
    """The profile's region (when it has one) and us-east-1 (IAM, global STS and S3 events live there)."""
    regions = []
    home = starting.region_name()
    if home:
        regions.append(home)
    if FALLBACK_REGION not in regions and (not home or not home.startswith(("cn-", "us-gov-", "us-iso"))):
        regions.append(FALLBACK_REGION)
    return regions


def collect_snapshot(options: CollectOptions, progress=None, cancel=None) -> CollectResult:
    """Collect into options.out_dir. Raises CollectOptionsError / CredentialsError (InputError) before anything
    is written when the options or the starting credentials cannot work; everything that fails later is a gap
    in the manifest. Returns when done or cancelled (result.cancelled)."""
    options.validate()
    started = time.monotonic()
    cancel_fn = cancel if cancel is not None else (lambda: False)
    tracker = prog.ProgressTracker(callback=progress)
    factory = ClientFactory(tracker=tracker, cancel=cancel_fn)
    starting = StartingCredentials(profile=options.profile, region=options.regions[0] if options.regions else None)
    regions = list(dict.fromkeys(options.regions)) or default_regions(starting)
    starting.region = regions[0]

    try:
        caller = identify(starting, factory)
        if options.mfa_serial:
            token = options.mfa_token
            if token is None and options.mfa_token_provider is not None:
                token = options.mfa_token_provider()
            if not token or not _MFA_TOKEN_RE.match(str(token).strip()):
                raise CollectOptionsError("an MFA code (6 digits) is needed for --mfa-serial")
            caller = start_mfa_session(starting, factory, caller, options.mfa_serial, str(token).strip())
    except CollectCancelled:  # cancelled before anything was written
        return CollectResult(out_dir=str(options.out_dir), regions=regions, cancelled=True,
                             calls=tracker.calls_done, elapsed_seconds=round(time.monotonic() - started, 3))

    result = CollectResult(out_dir=str(options.out_dir), caller_account=caller.account, partition=caller.partition,
                           regions=regions)
    try:
        writer = SnapshotWriter(options.out_dir, refresh=options.refresh, source=SOURCE)
    except OSError as exc:
        raise CollectOptionsError(f"cannot write the snapshot folder: {exc}", file=str(options.out_dir)) from None
    writer.partition = caller.partition
    writer.collector = {"caller_account": caller.account, "regions": regions, "organization": options.org,
                        "role_name": options.role_name, "cloudtrail_days": options.cloudtrail_days,
                        "resource_policies": options.resource_policies}

    def org_gap(what, exc):
        entry = writer.add_gap(caller.account, what, error_words(exc))
        tracker.emit(prog.GAP, account=caller.account, message=f"{what}: {entry['error']}")

    # --- which accounts ---------------------------------------------------------------------------------------
    names: dict[str, str] = {}
    targets: list[str]
    if options.org:
        try:
            organization = get_organization(factory.client(starting.session(), "organizations", regions[0]),
                                            cancel=cancel_fn, gap=org_gap)
        except CollectCancelled:
            return _finish_cancelled(writer, tracker, result, started)
        except (ClientError, BotoCoreError) as exc:
            organization = None
            org_gap("organizations: the organization could not be read; only the starting account is collected",
                    exc)
        if organization is not None:
            org_accounts = organization["Accounts"]
            names = {a["Id"]: a.get("Name", "") for a in org_accounts}
            unknown = [a for a in options.accounts if a not in names and a != caller.account]
            if unknown:
                raise CollectOptionsError(f"--accounts {' '.join(unknown)}: not in organization "
                                          f"{organization['Organization'].get('Id', '')}")
            writer.write_json(ORGANIZATION, organization)
            targets = [a["Id"] for a in org_accounts if a.get("State", "ACTIVE") == "ACTIVE"]
            for a in org_accounts:
                if a.get("State", "ACTIVE") != "ACTIVE" and (not options.accounts or a["Id"] in options.accounts):
                    writer.accounts[a["Id"]] = {"status": "not_collected", "name": a.get("Name", ""),
                                                "reason": f"account state {a.get('State')}"}
            if caller.account not in targets:
                targets.insert(0, caller.account)
        else:
            targets = [caller.account]
        if options.accounts:
            targets = [a for a in targets if a in options.accounts]
    elif options.accounts:
        if not options.role_name and options.accounts != [caller.account]:
            raise CollectOptionsError(f"--accounts other than the credentials' own account ({caller.account}) "
                                      "need --role-name (or --org)")
        targets = list(dict.fromkeys(options.accounts))
    else:
        targets = [caller.account]

    skipped = [a for a in targets if writer.is_complete(a)]
    todo = [a for a in targets if a not in skipped]
    # Gaps of accounts this run does not collect again stay (skipped ones, and earlier runs' other accounts).
    writer.keep_previous_gaps(set(writer.accounts) - set(todo), keep_organization=not options.org)
    result.accounts_skipped = skipped
    tracker.set_total(len(targets))
    what = f"in {', '.join(regions)}" + (f" (CloudTrail: {options.cloudtrail_days} days)" if options.cloudtrail_days
                                         else "")
    tracker.emit(prog.START, message=what)
    for acct in skipped:
        tracker.account_finished(prog.ACCOUNT_SKIPPED, acct)
    writer.write_manifest(complete=False)

    access = MemberAccess(role_name=options.role_name, external_id=options.external_id,
                          requested_seconds=options.session_seconds) if options.role_name else None

    def run_one(acct: str) -> str:
        """Collect one account in this thread, with its own boto3 Session. Returns its status."""
        if cancel_fn():
            raise CollectCancelled()
        tracker.emit(prog.ACCOUNT_START, account=acct)
        entry = {"status": STATUS_IN_PROGRESS, "name": names.get(acct, ""), "alias": "",
                 "via": "starting credentials" if acct == caller.account else f"role {options.role_name}",
                 "collected_at": now_iso(), "files": []}
        writer.set_account(acct, entry)
        base = starting.session()
        job_gap_hook = (lambda gap: tracker.emit(prog.GAP, account=gap["account"],
                                                 message=f"{gap['what']}: {gap['error']}"))
        if acct == caller.account:
            session = base
        else:
            try:
                session = assume_member_session(base, factory, access, caller, acct, regions[0])
            except (ClientError, BotoCoreError) as exc:
                role_arn = access.role_arn(caller.partition, acct)
                gap = writer.add_gap(acct, f"sts:AssumeRole {role_arn}", error_words(exc))
                job_gap_hook(gap)
                writer.set_account(acct, entry | {"status": STATUS_FAILED, "error": gap["error"]})
                tracker.account_finished(prog.ACCOUNT_FAILED, acct, gap["error"])
                return STATUS_FAILED
        job = AccountJob(account_id=acct, session=session, factory=factory, writer=writer, regions=regions,
                         partition=caller.partition, cloudtrail_days=options.cloudtrail_days,
                         resource_policies=options.resource_policies, gap_hook=job_gap_hook)
        try:
            learned = collect_account(job)
        except AccountFailed as exc:
            writer.set_account(acct, entry | {"status": STATUS_FAILED, "error": str(exc)})
            tracker.account_finished(prog.ACCOUNT_FAILED, acct, str(exc))
            return STATUS_FAILED
        except (ClientError, BotoCoreError) as exc:  # an unexpected failure of a source: the account failed
            gap = writer.add_gap(acct, "account", error_words(exc))
            job_gap_hook(gap)
            writer.set_account(acct, entry | {"status": STATUS_FAILED, "error": gap["error"]})
            tracker.account_finished(prog.ACCOUNT_FAILED, acct, gap["error"])
            return STATUS_FAILED
        writer.set_account(acct, entry | learned | {"status": STATUS_COMPLETE, "gaps": len(job.gaps)})
        tracker.account_finished(prog.ACCOUNT_DONE, acct, f"({len(job.gaps)} gaps)" if job.gaps else "")
        return STATUS_COMPLETE

    cancelled = False
    violation: BaseException | None = None
    executor = ThreadPoolExecutor(max_workers=max(1, min(options.parallel, len(todo) or 1)),
                                  thread_name_prefix="collect")
    try:
        pending = {executor.submit(run_one, acct): acct for acct in todo}
        while pending:
            done, _ = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            for future in done:
                acct = pending.pop(future)
                try:
                    status = future.result()
                except CollectCancelled:
                    cancelled = True
                    continue
                except ReadOnlyViolation as exc:  # a bug: stop everything, never a gap
                    violation = exc
                    cancelled = True
                    continue
                except OSError:  # the snapshot folder cannot be written: nothing else can be either
                    raise
                except Exception as exc:  # an unexpected response shape: this account failed, the others go on
                    gap = writer.add_gap(acct, "account", f"internal error: {type(exc).__name__}: {exc}")
                    writer.set_account(acct, (writer.accounts.get(acct) or {}) | {"status": STATUS_FAILED,
                                                                                    "error": gap["error"]})
                    tracker.account_finished(prog.ACCOUNT_FAILED, acct, gap["error"])
                    status = STATUS_FAILED
                (result.accounts_collected if status == STATUS_COMPLETE else result.accounts_failed).append(acct)
            if (cancelled or cancel_fn()) and pending:
                cancelled = True
                for future in list(pending):
                    if future.cancel():
                        pending.pop(future)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
    for acct, entry in list(writer.accounts.items()):
        if entry.get("status") == STATUS_IN_PROGRESS:  # interrupted by the cancel: not complete
            writer.accounts[acct] = entry | {"status": "cancelled"}
    if violation is not None:
        writer.write_manifest(complete=False)
        raise violation
    if cancelled:
        return _finish_cancelled(writer, tracker, result, started)
    result.gaps = list(writer.gaps)
    result.calls = tracker.calls_done
    result.elapsed_seconds = round(time.monotonic() - started, 3)
    result.manifest_path = str(writer.write_manifest(complete=True))
    summary = f"{len(result.gaps)} gap(s)" if result.gaps else "no gaps"
    tracker.emit(prog.DONE, message=summary)
    return result


def _finish_cancelled(writer: SnapshotWriter, tracker, result: CollectResult, started: float) -> CollectResult:
    result.cancelled = True
    result.gaps = list(writer.gaps)
    result.calls = tracker.calls_done
    result.elapsed_seconds = round(time.monotonic() - started, 3)
    result.manifest_path = str(writer.write_manifest(complete=False))
    tracker.emit(prog.CANCELLED, message="rerun the same command to resume")
    return result
