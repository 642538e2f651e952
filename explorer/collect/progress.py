"""Progress of a collection: events for the app's callback, a small terminal progress bar, and the counters.

`collect_snapshot(options, progress=callable(event), cancel=callable() -> bool)` calls `progress` with a
`ProgressEvent` whenever an account starts or ends, a gap is recorded, and (throttled) as calls are made.
`TerminalProgress` is such a callable: a one-line bar redrawn with '\\r' on stderr when stderr is a terminal,
plain lines (accounts started/done, gaps) otherwise.
"""
from __future__ import annotations

import sys
import threading
import time
from dataclasses import asdict, dataclass, field

# Event kinds
START = "start"              # total accounts known (message: what is collected)
ACCOUNT_START = "account_start"
ACCOUNT_DONE = "account_done"
ACCOUNT_SKIPPED = "account_skipped"  # already complete from an earlier run (resume)
ACCOUNT_FAILED = "account_failed"
GAP = "gap"
CALLS = "calls"              # call counter moved (throttled)
DONE = "done"
CANCELLED = "cancelled"


@dataclass(frozen=True)
class ProgressEvent:
    kind: str
    accounts_done: int
    accounts_total: int
    calls_done: int
    account: str | None = None
    message: str = ""
    elapsed_seconds: float = 0.0

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class ProgressTracker:
    """Thread-safe counters; forwards events to the callback (callback errors never stop the collection)."""
    callback: object = None  # callable(ProgressEvent) | None
    accounts_total: int = 0
    accounts_done: int = 0
    calls_done: int = 0
    min_call_interval: float = 0.2
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _last_call_emit: float = 0.0
    _started: float = field(default_factory=time.monotonic)

    def emit(self, kind: str, *, account: str | None = None, message: str = "") -> None:
        with self._lock:
            event = ProgressEvent(kind, self.accounts_done, self.accounts_total, self.calls_done, account, message,
                                  round(time.monotonic() - self._started, 3))
        if self.callback is not None:
            try:
                self.callback(event)
            except Exception:  # a broken progress display must not break a collection
                pass

    def set_total(self, total: int) -> None:
        with self._lock:
            self.accounts_total = total

    def account_finished(self, kind: str, account: str, message: str = "") -> None:
        with self._lock:
            self.accounts_done += 1
        self.emit(kind, account=account, message=message)

    def call_made(self, operation: str = "") -> None:
        now = time.monotonic()
        with self._lock:
            self.calls_done += 1
            due = now - self._last_call_emit >= self.min_call_interval
            if due:
                self._last_call_emit = now
        if due:
            self.emit(CALLS, message=operation)


class TerminalProgress:
    """A progress callable for the terminal. On a TTY: one line, `[#####.....] 3/10 accounts  412 calls  0:42`,
    redrawn in place; elsewhere: one plain line per account and per gap, nothing per call."""

    def __init__(self, stream=None, *, width: int = 30, tty: bool | None = None):
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)()) if tty is None else tty
        self._lock = threading.Lock()
        self._line_len = 0

    def __call__(self, event: ProgressEvent) -> None:
        with self._lock:
            if self.tty:
                self._draw_tty(event)
            else:
                self._plain(event)

    # --- TTY -----------------------------------------------------------------------------------------------
    def bar(self, event: ProgressEvent) -> str:
        total = max(event.accounts_total, 1)
        filled = min(self.width, int(self.width * event.accounts_done / total))
        minutes, seconds = divmod(int(event.elapsed_seconds), 60)
        accounts = f"{event.accounts_done}/{event.accounts_total} accounts" if event.accounts_total else \
            "listing accounts"
        return (f"[{'#' * filled}{'.' * (self.width - filled)}] {accounts}  {event.calls_done} calls  "
                f"{minutes}:{seconds:02d}")

    def _draw_tty(self, event: ProgressEvent) -> None:
        if event.kind in (GAP, ACCOUNT_FAILED) or event.kind in (DONE, CANCELLED):
            # Permanent lines go above the bar.
            self._clear()
            if event.kind in (GAP, ACCOUNT_FAILED):
                self.stream.write(f"{_words(event)}\n")
        line = self.bar(event)
        if event.kind not in (DONE, CANCELLED) and event.account and event.kind in (ACCOUNT_START, ACCOUNT_DONE):
            line += f"  {event.account}"
        self._clear()
        self.stream.write(line)
        self._line_len = len(line)
        if event.kind in (DONE, CANCELLED):
            self.stream.write(f"\n{_words(event)}\n")
            self._line_len = 0
        self.stream.flush()

    def _clear(self) -> None:
        if self._line_len:
            self.stream.write("\r" + " " * self._line_len + "\r")
            self._line_len = 0

    # --- plain ---------------------------------------------------------------------------------------------
    def _plain(self, event: ProgressEvent) -> None:
        if event.kind == CALLS:
            return
        self.stream.write(_words(event) + "\n")
        self.stream.flush()


def _words(event: ProgressEvent) -> str:
    count = f"[{event.accounts_done}/{event.accounts_total}]"
    if event.kind == START:
        return f"collect: {event.accounts_total} account(s) to collect {event.message}".rstrip()
    if event.kind == ACCOUNT_START:
        return f"{count} collecting {event.account}"
    if event.kind == ACCOUNT_DONE:
        return f"{count} done {event.account} {event.message}".rstrip()
    if event.kind == ACCOUNT_SKIPPED:
        return f"{count} skipped {event.account} (already complete; --refresh collects it again)"
    if event.kind == ACCOUNT_FAILED:
        return f"{count} FAILED {event.account}: {event.message}"
    if event.kind == GAP:
        return f"gap: {event.account}: {event.message}"
    if event.kind == DONE:
        return f"collect: finished, {event.accounts_done}/{event.accounts_total} accounts, {event.calls_done} calls" \
               + (f"; {event.message}" if event.message else "")
    if event.kind == CANCELLED:
        return f"collect: cancelled after {event.accounts_done}/{event.accounts_total} accounts" \
               + (f"; {event.message}" if event.message else "")
    return f"{event.kind} {event.account or ''} {event.message}".strip()
