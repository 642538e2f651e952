"""Loading a snapshot: the snapshot folder, a folder of plain `get-account-authorization-details` files, or one
such file (interfaces.md §1; docs/snapshot-format.md).

    snap = load_snapshot(path, progress=None, cancel=None)

Every problem goes into `snap.report` with the file (relative to the snapshot) and the JSON path; the broken item
is skipped and everything valid is loaded. `SnapshotError` is raised only when nothing can be loaded (the path
does not exist, or no account at all could be read). `LoadCancelled` (a SnapshotError) when `cancel()` said so.
"""
from __future__ import annotations

import gc
import os
from pathlib import Path
from typing import Callable

from explorer.errors import SnapshotError
from explorer.snapshot.loader_common import Build, FileCtx, is_account_id, read_json_file
from explorer.snapshot.loader_extra import (load_identity_providers, load_manifest, load_resource_policies,
                                            load_roles_json)
from explorer.snapshot.loader_gaad import load_gaad, looks_like_gaad
from explorer.snapshot.loader_org import load_organization
from explorer.snapshot.loader_trail import load_trail
from explorer.snapshot.model import DEFAULT_MAX_SESSION_SECONDS, Manifest, Snapshot
from explorer.snapshot.report import LoadReport

Progress = Callable[[int, int, str], None]
Cancel = Callable[[], bool]

FORM_FOLDER = "snapshot folder"
FORM_GAAD_FOLDER = "folder of authorization-details files"
FORM_GAAD_FILE = "authorization-details file"

ACCOUNT_FILES = ("authorization-details.json", "roles.json", "identity-providers.json", "resource-policies.json")
_NOTES = (".md", ".txt", ".rst")  # notes an analyst keeps next to the data: mentioned, not read


class LoadCancelled(SnapshotError):
    """The caller's `cancel()` returned True; nothing is returned."""


def load_snapshot(path, *, progress: Progress | None = None, cancel: Cancel | None = None) -> Snapshot:
    root = Path(path)
    try:
        exists = root.exists()
    except (OSError, ValueError) as exc:
        raise SnapshotError(f"cannot open the snapshot: {exc}", file=str(path)) from None
    if not exists:
        raise SnapshotError("no such file or folder", file=str(path))
    report = LoadReport()
    build = Build(report)
    snap = Snapshot(name=root.name or str(root), path=str(root), report=report)
    runner = _Runner(root, snap, build, progress, cancel)
    # The loader builds many small objects and no reference cycles: collecting while it runs only re-scans the
    # growing model again and again (about a third of the load time on big snapshots).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        if root.is_dir():
            if (root / "accounts").is_dir() or (root / "manifest.json").is_file() \
                    or (root / "organization.json").is_file():
                snap.form = FORM_FOLDER
                runner.snapshot_folder()
            else:
                snap.form = FORM_GAAD_FOLDER
                runner.gaad_folder()
        elif root.is_file():
            snap.form = FORM_GAAD_FILE
            snap.name = root.name.split(".")[0] or root.name
            runner.gaad_file()
        else:
            raise SnapshotError("not a file or a folder", file=str(path))
        _finish(snap, build)
    except SnapshotError:
        raise
    except (MemoryError, KeyboardInterrupt):
        raise
    except Exception as exc:  # a last safety net: never a traceback for the user
        raise SnapshotError(f"could not load the snapshot ({type(exc).__name__}: {exc})", file=str(path)) from None
    finally:
        if gc_was_enabled:
            gc.enable()
    if not snap.accounts:
        problems = [str(i) for i in report.errors[:5]]
        detail = ("; ".join(problems)) if problems else "no authorization-details file was found"
        raise SnapshotError(f"no account could be loaded: {detail}", file=str(path))
    return snap


class _Runner:
    def __init__(self, root: Path, snap: Snapshot, build: Build, progress: Progress | None, cancel: Cancel | None):
        self.root = root
        self.root_prefix = os.path.join(str(root), "")
        self.snap = snap
        self.build = build
        self.progress = progress
        self.cancel = cancel
        self.done = 0
        self.total = 0

    # --- helpers ---------------------------------------------------------------------------------------
    def rel(self, path: Path) -> str:
        if path == self.root:
            return path.name
        text = str(path)
        if text.startswith(self.root_prefix):  # cheaper than Path.relative_to, called once per file
            return text[len(self.root_prefix):].replace(os.sep, "/")
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def step(self, message: str) -> None:
        if self.cancel is not None and self.cancel():
            raise LoadCancelled("loading was cancelled", file=str(self.root))
        if self.progress is not None:
            self.progress(self.done, self.total, message)
        self.done += 1

    def read(self, path: Path) -> tuple[FileCtx, bool, object]:
        ctx = FileCtx(self.build.report, self.rel(path))
        self.step(f"reading {ctx.file}")
        ok, doc = read_json_file(path, ctx)
        return ctx, ok, doc

    def guarded(self, ctx: FileCtx, fn, *args):
        """Run one file's reader; an unexpected failure skips the rest of that file, not the snapshot."""
        try:
            return fn(*args)
        except SnapshotError:
            raise
        except (MemoryError, KeyboardInterrupt):
            raise
        except Exception as exc:
            ctx.error("", f"unexpected problem while reading this file ({type(exc).__name__}: {exc})",
                      skipped="the rest of the file")
            return None

    def done_progress(self) -> None:
        if self.progress is not None:
            self.progress(self.total, self.total, "loaded")

    # --- the three forms -------------------------------------------------------------------------------
    def gaad_file(self) -> None:
        self.total = 1
        ctx, ok, doc = self.read(self.root)
        if ok:
            self.guarded(ctx, load_gaad, doc, ctx, self.build, None)
        self.done_progress()

    def gaad_folder(self) -> None:
        files: list[Path] = []
        trail_dirs: list[Path] = []
        for entry in sorted(self.root.iterdir()):
            if entry.name.startswith("."):
                continue
            if entry.is_dir():
                if entry.name.lower() == "cloudtrail":
                    trail_dirs.append(entry)
                else:
                    self.build.report.warning(self.rel(entry), "", "unknown folder in a folder of "
                                              "authorization-details files", skipped="folder")
            elif entry.name.lower().endswith(_NOTES):
                self.build.report.info(self.rel(entry), "", "not a snapshot file; not read")
            else:
                files.append(entry)
        trail_files = [f for d in trail_dirs for f in _trail_files(d)]
        self.total = len(files) + len(trail_files)
        later: list[tuple[FileCtx, object]] = []
        for path in files:
            ctx, ok, doc = self.read(path)
            if not ok:
                continue
            if looks_like_gaad(doc):
                self.guarded(ctx, load_gaad, doc, ctx, self.build, None)
            else:
                later.append((ctx, doc))
        for ctx, doc in later:  # after the GAAD files: these need the accounts and roles
            self.guarded(ctx, self.by_content, ctx, doc)
        self.trail(trail_files)
        self.done_progress()

    def by_content(self, ctx: FileCtx, doc: object) -> None:
        """A non-GAAD file in a folder of GAAD files: recognised by what it holds."""
        build = self.build
        if isinstance(doc, dict) and "Organization" in doc:
            self.organization(ctx, doc)
        elif isinstance(doc, dict) and doc.get("format") == "iam-trust-snapshot":
            self.snap.manifest = load_manifest(doc, ctx)
        elif isinstance(doc, dict) and "Records" in doc:
            load_trail(doc, ctx, self.snap.trail_events)
        elif isinstance(doc, dict) and ("SAMLProviderList" in doc or "OpenIDConnectProviderList" in doc):
            load_identity_providers(doc, ctx, build, None)
        elif isinstance(doc, dict) and isinstance(doc.get("Roles"), list):
            account_id = _first_account(doc["Roles"])
            if account_id is None:
                ctx.error("$.Roles", "no role ARN tells which account these roles belong to", skipped="file")
            elif account_id not in build.accounts:
                ctx.error("$.Roles", f"account {account_id} has no authorization details in the snapshot",
                          skipped="file")
            else:
                load_roles_json(doc, ctx, build, build.accounts[account_id])
        else:
            ctx.warning("", "not a file this program knows (expected get-account-authorization-details output)",
                        skipped="file")

    def snapshot_folder(self) -> None:
        root = self.root
        report = self.build.report
        top: dict[str, Path] = {}
        account_dirs: list[Path] = []
        loose_gaad: list[Path] = []
        trail_files: list[Path] = []
        for entry in sorted(root.iterdir()):
            name = entry.name
            if name.startswith("."):
                continue
            if name in ("manifest.json", "organization.json") and entry.is_file():
                top[name] = entry
            elif name == "accounts" and entry.is_dir():
                for sub in sorted(entry.iterdir()):
                    if sub.name.startswith("."):
                        continue
                    if sub.is_dir():
                        account_dirs.append(sub)
                    elif sub.name.endswith((".json", ".json.gz")):
                        loose_gaad.append(sub)  # accounts/<id>.json: one GAAD file per account
                    else:
                        report.warning(self.rel(sub), "", "unknown file in accounts/", skipped="file")
            elif name == "cloudtrail" and entry.is_dir():
                trail_files = _trail_files(entry)
            elif entry.is_file() and name.lower().endswith(_NOTES):
                report.info(self.rel(entry), "", "not a snapshot file; not read")
            else:
                report.warning(self.rel(entry), "", "unknown " + ("folder" if entry.is_dir() else "file") +
                               " in the snapshot folder (expected manifest.json, organization.json, accounts/, "
                               "cloudtrail/)", skipped="folder" if entry.is_dir() else "file")

        plan: list[tuple[Path, str | None, list[Path], list[Path]]] = []  # dir, folder account, GAADs, extras
        for d in account_dirs:
            folder_account = d.name if is_account_id(d.name) else None
            if folder_account is None:
                report.warning(self.rel(d), "", "the folder name is not a 12-digit account id: the account id is "
                                                "read from the ARNs inside")
            gaads: list[Path] = []
            extras: list[Path] = []
            with os.scandir(d) as scan:  # DirEntry knows file from folder without a stat per file
                entries = sorted((e.name, e.is_file()) for e in scan)
            for name, is_file in entries:
                if name.startswith("."):
                    continue
                if is_file and name.startswith("authorization-details") and name.endswith((".json", ".json.gz")):
                    gaads.append(d / name)
                elif is_file and name in ACCOUNT_FILES[1:]:
                    extras.append(d / name)
                elif is_file and name.lower().endswith(_NOTES):
                    report.info(self.rel(d / name), "", "not a snapshot file; not read")
                else:
                    report.warning(self.rel(d / name), "", "unknown " + ("file" if is_file else "folder") +
                                   f" (an account folder holds {', '.join(ACCOUNT_FILES)})",
                                   skipped="file" if is_file else "folder")
            if not gaads:
                report.error(self.rel(d), "", "authorization-details.json is missing (it is required): the "
                             "account's users, groups, roles and managed policies are unknown",
                             skipped=f"account {d.name}")
            plan.append((d, folder_account, gaads, extras))

        self.total = len(top) + len(loose_gaad) + len(trail_files) + sum(len(g) + len(e) for _, _, g, e in plan)
        if "manifest.json" in top:
            ctx, ok, doc = self.read(top["manifest.json"])
            if ok:
                self.snap.manifest = self.guarded(ctx, load_manifest, doc, ctx) or Manifest()
        # All authorization details first, so every policy and role exists when the rest refers to it.
        dir_account: dict[Path, str | None] = {}
        for d, folder_account, gaads, _ in plan:
            loaded = None
            for f in gaads:
                ctx, ok, doc = self.read(f)
                if ok:
                    loaded = self.guarded(ctx, load_gaad, doc, ctx, self.build, folder_account) or loaded
                del doc
            dir_account[d] = loaded or folder_account
        for f in loose_gaad:
            ctx, ok, doc = self.read(f)
            if ok:
                stem = f.name.split(".")[0]
                self.guarded(ctx, load_gaad, doc, ctx, self.build, stem if is_account_id(stem) else None)
        for d, _, _, extras in plan:
            account_id = dir_account[d]
            for f in extras:
                if account_id is None:
                    self.step(f"skipping {self.rel(f)}")
                    report.error(self.rel(f), "", "the account of this folder is unknown (no 12-digit folder name, "
                                 "no authorization details)", skipped="file")
                    continue
                ctx, ok, doc = self.read(f)
                if not ok:
                    continue
                acct = self.build.account(account_id)
                if ctx.file not in acct.source_files:
                    acct.source_files.append(ctx.file)
                reader = {"roles.json": load_roles_json, "identity-providers.json": load_identity_providers,
                          "resource-policies.json": load_resource_policies}[f.name]
                self.guarded(ctx, reader, doc, ctx, self.build, acct)
        if "organization.json" in top:
            ctx, ok, doc = self.read(top["organization.json"])
            if ok:
                self.organization(ctx, doc)
        self.trail(trail_files)
        self.done_progress()

    # --- shared parts ----------------------------------------------------------------------------------
    def organization(self, ctx: FileCtx, doc: object) -> None:
        if self.snap.organization is not None:
            ctx.warning("", "a second organization description is ignored", skipped="file")
            return
        self.snap.organization = self.guarded(ctx, load_organization, doc, ctx)

    def trail(self, files: list[Path]) -> None:
        for f in files:
            ctx, ok, doc = self.read(f)
            if ok:
                self.guarded(ctx, load_trail, doc, ctx, self.snap.trail_events)


def _trail_files(folder: Path) -> list[Path]:
    """CloudTrail log files under `folder` (any depth, as AWS lays them out); digest files are not logs."""
    found = []
    for f in sorted(folder.rglob("*")):
        if not f.is_file() or any(part.startswith(".") for part in f.relative_to(folder).parts):
            continue
        if "CloudTrail-Digest" in f.parts:
            continue
        if f.name.endswith((".json", ".json.gz")):
            found.append(f)
    return found


def _first_account(items: list) -> str | None:
    from explorer.snapshot.model import account_of_arn
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("Arn"), str):
            found = account_of_arn(item["Arn"])
            if found:
                return found
    return None


# --- after every file is read -------------------------------------------------------------------------------

def _finish(snap: Snapshot, build: Build) -> None:
    report = build.report
    snap.accounts = dict(sorted(build.accounts.items()))
    _resolve_pending(build)
    for acct in snap.accounts.values():
        first_file = acct.source_files[0] if acct.source_files else f"accounts/{acct.id}"
        # Group memberships that name a group the account does not have.
        if acct.users:
            group_names = {g.name for g in acct.groups.values()}
            missing: dict[str, int] = {}
            for user in acct.users.values():
                for name in user.groups:
                    if name not in group_names:
                        missing[name] = missing.get(name, 0) + 1
            for name, count in missing.items():
                report.warning(first_file, "", f"group {name} of account {acct.id} is named by {count} user(s) but "
                                               "not described in the snapshot: its policies are unknown")
        # MaxSessionDuration that roles.json did not give.
        unknown = [r for r in acct.roles.values() if not r.max_session_duration_known]
        if unknown:
            if acct.id in build.roles_json_accounts:
                report.warning(first_file, "", f"{len(unknown)} role(s) of account {acct.id} are not in roles.json "
                                               f"(first: {unknown[0].name}): MaxSessionDuration unknown, "
                                               f"{DEFAULT_MAX_SESSION_SECONDS} s assumed")
            else:
                report.warning(first_file, "", f"no roles.json for account {acct.id}: MaxSessionDuration of its "
                                               f"{len(unknown)} role(s) is unknown, {DEFAULT_MAX_SESSION_SECONDS} s "
                                               "(the AWS default) assumed")
    org = snap.organization
    if org is not None:
        for acct in snap.accounts.values():
            member = org.accounts.get(acct.id)
            if member is not None and member.name and not acct.name:
                acct.name = member.name
        outside = [a for a in snap.accounts if not org.contains(a)]
        if outside:
            report.info("organization.json", "", f"{len(outside)} loaded account(s) are outside the organization: "
                                                 f"{', '.join(outside[:10])}" + (" ..." if len(outside) > 10 else ""))
        absent = [a for a in org.accounts if a not in snap.accounts]
        if absent:
            report.info("organization.json", "", f"{len(absent)} organization account(s) have no authorization "
                                                 f"details in the snapshot: {', '.join(absent[:10])}"
                        + (" ..." if len(absent) > 10 else ""))
    for acct_id, alias in snap.manifest.account_aliases.items():
        if acct_id in snap.accounts and not snap.accounts[acct_id].alias:
            snap.accounts[acct_id].alias = alias
    for i, gap in enumerate(snap.manifest.gaps):
        report.warning("manifest.json", f"$.gaps[{i}]", "the collector could not read: " +
                       " / ".join(x for x in (gap.account, gap.what, gap.error) if x))
    if snap.trail_events:
        from datetime import datetime, timezone
        oldest = datetime.min.replace(tzinfo=timezone.utc)
        snap.trail_events.sort(key=lambda e: e.event_time or oldest)


def _resolve_pending(build: Build) -> None:
    missing: dict[tuple[str, str], list] = {}
    for ref, account_id, file, where in build.pending:
        acct = build.accounts.get(account_id)
        policy = (acct.managed_policies.get(ref.arn) if acct is not None else None) or build.policies.get(ref.arn)
        if policy is not None and policy.document is not None:
            ref.document = policy.document
            ref.source = policy.source
            continue
        entry = missing.get((account_id, ref.arn))
        if entry is None:
            missing[(account_id, ref.arn)] = [file, where, 1, policy is not None]
        else:
            entry[2] += 1
    for (account_id, arn), (file, where, count, held) in missing.items():
        if held:
            text = (f"managed policy {arn} is referenced by {count} item(s) in account {account_id}, but its document "
                    "could not be read: its permissions are unknown")
        else:
            text = (f"managed policy {arn} is referenced by {count} item(s) in account {account_id} but the snapshot "
                    "does not hold it (get-account-authorization-details leaves out policies used only as "
                    "permissions boundaries in some accounts): its permissions are unknown")
        build.report.warning(file, where, text)
    build.pending.clear()
