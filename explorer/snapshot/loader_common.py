"""Shared pieces of the snapshot loader: reading one JSON file safely, the per-file issue context, and small
typed field readers that report (never raise) when a value has the wrong type."""
from __future__ import annotations

import gzip
import json
import zlib
from datetime import datetime, timezone
from pathlib import Path

from explorer.snapshot.report import LoadReport
from explorer.snapshot.policy_document import _kind as kind_of  # noqa: F401  (re-exported for the loaders)

_loads = json.loads
try:  # orjson parses the same RFC 8259 JSON about 2-3x faster; anything it rejects goes to json.loads below,
    # so what loads, and every error message, is exactly json's.
    from orjson import JSONDecodeError as _FastError, loads as _fast_loads
except ImportError:  # pragma: no cover - orjson comes with the dependencies
    _fast_loads = None
_fromiso = datetime.fromisoformat
_UTC = timezone.utc


class FileCtx:
    """Where issues of one file go: the report, the file's name relative to the snapshot root."""
    __slots__ = ("report", "file")

    def __init__(self, report: LoadReport, file: str):
        self.report = report
        self.file = file

    def error(self, where: str, message: str, skipped: str = "") -> None:
        self.report.error(self.file, where, message, skipped)

    def warning(self, where: str, message: str, skipped: str = "") -> None:
        self.report.warning(self.file, where, message, skipped)

    def info(self, where: str, message: str) -> None:
        self.report.info(self.file, where, message)

    def source(self, where: str) -> str:
        return f"{self.file}#{where}"


def read_json_file(path: Path, ctx: FileCtx) -> tuple[bool, object]:
    """(True, parsed JSON) or (False, None) after recording why the file cannot be read (whole file skipped).
    `.gz` files are decompressed. A UTF-8 byte order mark is accepted."""
    try:
        if path.name.endswith(".gz"):
            with gzip.open(path, "rb") as fh:
                data = fh.read()
        else:
            data = path.read_bytes()
    except (OSError, EOFError, zlib.error) as exc:
        ctx.error("", f"cannot read the file: {_os_message(exc)}", skipped="file")
        return False, None
    return parse_json_bytes(data, ctx)


def parse_json_bytes(data: bytes, ctx: FileCtx) -> tuple[bool, object]:
    ctx.report.files_read += 1
    if not data or data.isspace():
        ctx.error("", "the file is empty", skipped="file")
        return False, None
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 with a BOM (PowerShell's `>` writes this)
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            ctx.error("", "the file starts like UTF-16 text but is not: is it a binary file?", skipped="file")
            return False, None
    if b"\x00" in data[:4096]:
        ctx.error("", "the file is binary, not JSON text", skipped="file")
        return False, None
    if _fast_loads is not None and data[:3] != b"\xef\xbb\xbf":
        try:
            return True, _fast_loads(data)
        except (_FastError, RecursionError, ValueError):
            pass  # not strict JSON (NaN, huge integers, bad UTF-8...): json.loads decides and explains
    replaced = ""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # One stray byte (a Latin-1 name, a copy-paste) must not cost the whole file: decode with U+FFFD in its
        # place, load everything, and say where. A file that is still not JSON then is reported as not text.
        text = data.decode("utf-8-sig", errors="replace")
        bom = 3 if data[:3] == b"\xef\xbb\xbf" else 0
        first = exc.start + bom if exc.start is not None else 0
        count = text.count("\ufffd") - data.count("\ufffd".encode("utf-8"))
        replaced = (f"invalid UTF-8 at byte {first} replaced by U+FFFD" +
                    (f" ({count} invalid sequences in all)" if count > 1 else "") +
                    ": names or values there may differ from AWS's")
    try:
        doc = _loads(text)
    except json.JSONDecodeError as exc:
        if replaced:
            ctx.error("", f"the file is not UTF-8 text ({replaced.split(' replaced')[0]}) and not valid JSON: is it "
                          "a binary file?", skipped="file")
        else:
            ctx.error("", f"not valid JSON: {json_error_text(exc)}", skipped="file")
        return False, None
    except RecursionError:
        ctx.error("", "not readable JSON: nested too deeply", skipped="file")
        return False, None
    except ValueError as exc:  # e.g. integer strings too long to convert
        ctx.error("", f"not valid JSON: {exc}", skipped="file")
        return False, None
    if replaced:
        ctx.warning("", replaced)
    return True, doc


def json_error_text(exc: json.JSONDecodeError) -> str:
    """"Expecting value at line 3 column 5", "Unterminated string starting at line 159 column 12": json's message
    (some end in "at", e.g. "Unterminated string starting at", "Invalid control character at") with the place."""
    msg = (exc.msg or "invalid JSON").rstrip().rstrip(":").rstrip()
    if msg.endswith(" at"):
        msg = msg[:-3]
    return f"{msg} at line {exc.lineno} column {exc.colno}"


def _os_message(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 timestamp as AWS prints it ("2024-01-02T03:04:05Z", "+00:00", fractions), timezone-aware
    (UTC when none is given); None when it is not one (the caller reports it)."""
    if value.__class__ is not str:
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=_UTC)
        return None
    try:
        result = _fromiso(value)  # type: ignore[arg-type]
    except ValueError:
        return None
    return result if result.tzinfo is not None else result.replace(tzinfo=_UTC)


def get_time(item: dict, key: str, ctx: FileCtx, where: str) -> datetime | None:
    value = item.get(key)
    if value is None:
        return None
    result = parse_time(value)
    if result is None:
        ctx.warning(f"{where}.{key}", f"not a timestamp: {_short(value)}; ignored")
    return result


def get_str(item: dict, key: str, ctx: FileCtx, where: str, default: str = "") -> str:
    value = item.get(key)
    if value.__class__ is str:
        return value  # type: ignore[return-value]
    if value is None:
        return default
    ctx.warning(f"{where}.{key}", f"expected a string, found {kind_of(value)}; ignored")
    return default


def get_list(item: dict, key: str, ctx: FileCtx, where: str, what: str = "") -> list:
    value = item.get(key)
    if value.__class__ is list:
        return value  # type: ignore[return-value]
    if value is None:
        return []
    ctx.error(f"{where}.{key}", f"expected a list, found {kind_of(value)}", skipped=what or key)
    return []


def get_int(item: dict, key: str, ctx: FileCtx, where: str, default: int = 0) -> int:
    value = item.get(key)
    if value.__class__ is int:
        return value  # type: ignore[return-value]
    if value is None:
        return default
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    ctx.warning(f"{where}.{key}", f"expected a whole number, found {kind_of(value)}; ignored")
    return default


def get_bool(item: dict, key: str, ctx: FileCtx, where: str, default: bool) -> bool:
    value = item.get(key)
    if value is True or value is False:
        return value
    if value is None:
        return default
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    ctx.warning(f"{where}.{key}", f"expected true or false, found {kind_of(value)}; ignored")
    return default


def get_tags(item: dict, ctx: FileCtx, where: str) -> dict[str, str]:
    """`Tags` as AWS prints them ([{"Key": k, "Value": v}]) or as a plain object."""
    value = item.get("Tags")
    if not value:
        return {}
    tags: dict[str, str] = {}
    if value.__class__ is list:
        for i, tag in enumerate(value):
            if tag.__class__ is dict:
                key = tag.get("Key")
                val = tag.get("Value", "")
                if key.__class__ is str and isinstance(val, str):
                    tags[key] = val  # type: ignore[index]
                    continue
            ctx.warning(f"{where}.Tags[{i}]", 'a tag must be {"Key": string, "Value": string}', skipped="tag")
        return tags
    if value.__class__ is dict:
        for key, val in value.items():
            if isinstance(val, str):
                tags[key] = val
            else:
                ctx.warning(f"{where}.Tags.{key}", "a tag value must be a string", skipped="tag")
        return tags
    ctx.warning(f"{where}.Tags", f"expected a list of tags, found {kind_of(value)}", skipped="tags")
    return {}


def is_account_id(value: object) -> bool:
    return value.__class__ is str and len(value) == 12 and value.isdigit() and value.isascii()  # type: ignore[union-attr]


def _short(value: object, limit: int = 60) -> str:
    try:
        text = json.dumps(value) if not isinstance(value, str) else repr(value)
    except (ValueError, TypeError, RecursionError):
        return kind_of(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


short = _short


class Build:
    """What the loader has built so far, shared by the file readers of one load."""

    def __init__(self, report: LoadReport):
        self.report = report
        self.accounts: dict = {}  # account id -> Account
        self.gaad_files: dict[str, list[str]] = {}  # account id -> GAAD files that filled it
        self.policies: dict = {}  # managed policy ARN -> ManagedPolicy (first seen), across accounts
        self.aws_documents: dict[tuple[str, str], dict] = {}  # (AWS managed ARN, version) -> shared document
        # managed-policy references whose policy was not (yet) in the account: (ref, account id, file, where)
        self.pending: list[tuple] = []
        self.roles_json_accounts: set[str] = set()
        self._shared: dict[str, dict] = {}
        self._shared_sizes: dict[str, int] = {}

    def shared_refs(self, acct) -> dict:
        """PolicyRefs of the account's managed policies (with their documents), one per policy, shared by every
        principal that attaches it under the policy's own name: {policy ARN: PolicyRef}."""
        refs = self._shared.get(acct.id)
        if refs is None or self._shared_sizes.get(acct.id) != len(acct.managed_policies):
            from explorer.snapshot.model import PolicyRef
            refs = {arn: PolicyRef(p.name, "managed", p.document, arn, p.source)
                    for arn, p in acct.managed_policies.items() if p.document is not None}
            self._shared[acct.id] = refs
            self._shared_sizes[acct.id] = len(acct.managed_policies)
        return refs

    def account(self, account_id: str):
        acct = self.accounts.get(account_id)
        if acct is None:
            from explorer.snapshot.model import Account
            acct = self.accounts[account_id] = Account(id=account_id)
        return acct
