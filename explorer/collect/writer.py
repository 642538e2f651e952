"""Writing the snapshot folder (interfaces.md §1): atomic files, the manifest, and resume markers.

Every file is written atomically: a temporary file in the same folder, flushed and fsync'ed, then `os.replace`d
over the final name. An interrupted run therefore leaves whole files or none; temporary files are named
`.<name>.<random>.tmp` (never `*.json`) and removed by the next run.

The manifest is the resume marker. Besides the fields of interfaces.md (format, version, collected_at,
partition, source, gaps) the collector adds, additively:
    "complete": true | false            false while a run is going on or after it was cancelled
    "collector": {"caller_account", "regions", "organization", "role_name", "cloudtrail_days"}
    "accounts": {"<id>": {"status": "complete" | "failed" | "in_progress", "alias", "name", "via",
                          "collected_at", "files": [...]}}
An account folder counts as collected only when its manifest entry says "complete" (and its
authorization-details.json is there); a rerun skips those accounts unless refresh is asked for.
No credential, token, external id or MFA code is ever written here.
"""
from __future__ import annotations

import json
import os
import tempfile
import threading
from datetime import date, datetime, timezone
from pathlib import Path

FORMAT = "iam-trust-snapshot"
VERSION = 1
MANIFEST = "manifest.json"
ORGANIZATION = "organization.json"
AUTHORIZATION_DETAILS = "authorization-details.json"
ROLES = "roles.json"
IDENTITY_PROVIDERS = "identity-providers.json"
RESOURCE_POLICIES = "resource-policies.json"
CLOUDTRAIL_DIR = "cloudtrail"
ACCOUNTS_DIR = "accounts"

STATUS_COMPLETE = "complete"
STATUS_FAILED = "failed"
STATUS_IN_PROGRESS = "in_progress"


# The process umask, read once at import (os.umask can only be read by setting it): temporary files are created
# 0600 by mkstemp and get the usual permissions of a new file before they replace the final name.
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def _json_default(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    if isinstance(value, set):
        return sorted(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def dumps(obj, *, indent: int | None = 1) -> str:
    return json.dumps(obj, indent=indent, default=_json_default, ensure_ascii=False)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write `data` to `path` so that the file is either the old one or the whole new one, never a part."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), 0o666 & ~_UMASK)
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(path.parent)


def atomic_write_json(path: str | os.PathLike, obj, *, indent: int | None = 1) -> None:
    atomic_write_bytes(path, (dumps(obj, indent=indent) + "\n").encode("utf-8"))


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX); silently skipped where directories cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def remove_stale_temporaries(folder: str | os.PathLike) -> int:
    """Remove `.<name>.<random>.tmp` files an interrupted run left behind (in `folder` and below)."""
    removed = 0
    root = Path(folder)
    if not root.is_dir():
        return 0
    for tmp in root.rglob(".*.tmp"):
        try:
            tmp.unlink()
            removed += 1
        except OSError:
            pass
    return removed


class SnapshotWriter:
    """Owns the output folder of one run: files, gaps and the manifest (thread-safe)."""

    def __init__(self, out_dir: str | os.PathLike, *, refresh: bool = False,
                 source: str = "iam-trust-explorer collect"):
        self.root = Path(out_dir)
        self.refresh = refresh
        self.source = source
        self._lock = threading.Lock()
        self._manifest_lock = threading.Lock()  # one manifest write at a time, each from the latest state
        self.root.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(self.root)
        self.previous = self._read_previous_manifest()
        self.accounts: dict[str, dict] = dict(self.previous.get("accounts") or {}) if self.previous else {}
        self.gaps: list[dict] = []
        self.partition = (self.previous or {}).get("partition", "aws")
        self.collector: dict = {}
        self.started_at = now_iso()

    # --- resume --------------------------------------------------------------------------------------------
    def _read_previous_manifest(self) -> dict | None:
        path = self.root / MANIFEST
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # unreadable: nothing counts as collected, everything is collected again
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            return None
        if not isinstance(data.get("accounts"), dict):
            data["accounts"] = {}
        return data

    def is_complete(self, account_id: str) -> bool:
        if self.refresh:
            return False
        entry = self.accounts.get(account_id)
        return (isinstance(entry, dict) and entry.get("status") == STATUS_COMPLETE
                and (self.account_dir(account_id) / AUTHORIZATION_DETAILS).is_file())

    def keep_previous_gaps(self, account_ids: set[str], *, keep_organization: bool) -> None:
        """Carry over the gaps an earlier run recorded for accounts this run skips (and the organization's when
        it is not collected again)."""
        for gap in (self.previous or {}).get("gaps") or []:
            if not isinstance(gap, dict):
                continue
            is_org = str(gap.get("what", "")).startswith("organizations")
            if (is_org and keep_organization) or (not is_org and gap.get("account") in account_ids):
                self.gaps.append({"account": gap.get("account"), "what": gap.get("what"), "error": gap.get("error")})

    # --- files ---------------------------------------------------------------------------------------------
    def account_dir(self, account_id: str) -> Path:
        return self.root / ACCOUNTS_DIR / account_id

    def write_json(self, relpath: str, obj, *, indent: int | None = 1) -> Path:
        path = self.root / relpath
        atomic_write_json(path, obj, indent=indent)
        return path

    def write_account_file(self, account_id: str, name: str, obj) -> str:
        rel = f"{ACCOUNTS_DIR}/{account_id}/{name}"
        # AWS managed policies make authorization-details big: no indentation there.
        self.write_json(rel, obj, indent=None if name == AUTHORIZATION_DETAILS else 1)
        return rel

    def remove_account_file(self, account_id: str, name: str) -> None:
        """Remove a file an earlier run wrote when this run could not collect it again (no stale mix)."""
        try:
            (self.account_dir(account_id) / name).unlink()
        except FileNotFoundError:
            pass

    # --- manifest ------------------------------------------------------------------------------------------
    def add_gap(self, account: str, what: str, error: str) -> dict:
        gap = {"account": account, "what": what, "error": error}
        with self._lock:
            self.gaps.append(gap)
        return gap

    def set_account(self, account_id: str, entry: dict, *, flush: bool = True) -> None:
        with self._lock:
            self.accounts[account_id] = entry
        if flush:
            self.write_manifest(complete=False)

    def manifest(self, *, complete: bool) -> dict:
        with self._lock:
            return {
                "format": FORMAT,
                "version": VERSION,
                "collected_at": self.started_at,
                "partition": self.partition,
                "source": self.source,
                "complete": complete,
                "collector": dict(self.collector),
                "gaps": list(self.gaps),
                "accounts": {k: dict(v) for k, v in sorted(self.accounts.items())},
            }

    def write_manifest(self, *, complete: bool) -> Path:
        with self._manifest_lock:  # state read and file written together: a later write never loses to an older
            atomic_write_json(self.root / MANIFEST, self.manifest(complete=complete))
        return self.root / MANIFEST
