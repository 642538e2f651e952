"""The load report: warnings, skipped items and collector gaps of the snapshot, and the problems of its policy
documents (explorer.graph.policy_report), one row each, never hidden.

`set_snapshot(snap, tg)` shows the loader's issues at once; the policy problems come from the graph: cached on it
when computed before (explorer.graph.policy_report.cached_policy_issues), else computed here in a background job,
after the load, so that they never delay the first picture. `countChanged(int)` tells how
many warnings and errors there are (each counted once; info lines are not counted).
"""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from explorer.snapshot.report import ERROR, WARNING

COLUMNS = ["severity", "source", "file", "where", "message", "skipped"]
_FILE, _WHERE, _MESSAGE = 2, 3, 4
_COLUMN_CAP = {0: 64, 1: 56, _FILE: 200, _WHERE: 190}  # widest initial width (the message column gets the rest)
LOADER, POLICY, GAP = "loader", "policy", "gap"


class LoadReportWidget(QtWidgets.QWidget):
    countChanged = QtCore.Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.summary = QtWidgets.QLabel("No snapshot loaded.")
        self.summary.setWordWrap(True)
        self.table = QtWidgets.QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Interactive)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(QtCore.Qt.TextElideMode.ElideMiddle)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.summary)
        lay.addWidget(self.table, 1)
        # the whole of the selected row (the columns elide long paths and messages)
        # (a read-only text box of at most four lines that scrolls: a label as tall as a long message would push
        # the dock's contents over its neighbours)
        self.details = QtWidgets.QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.details.setMaximumHeight(self.details.fontMetrics().lineSpacing() * 4 + 10)
        self.details.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Maximum)
        lay.addWidget(self.details)
        self.table.currentCellChanged.connect(lambda row, *_: self._show_details(row))
        self._snap = None
        self._load_rows: list[tuple] = []
        self._policy_rows: list[tuple] = []
        self._policy_state = ""  # "", "checking", "done", "failed: ..."
        self._job = None

    def sizeHint(self) -> QtCore.QSize:  # a bottom dock wide enough for file, place and message
        return QtCore.QSize(1100, 240)

    def minimumSizeHint(self) -> QtCore.QSize:
        return QtCore.QSize(480, 140)

    # ---- data ----
    def set_snapshot(self, snap, tg=None) -> None:
        """The snapshot's load issues now; with `tg`, the policy problems of its documents too (from the graph's
        cache when they were computed before, else from a background job)."""
        self._cancel_job()
        self._snap = snap
        self._load_rows = _load_rows(snap)
        self._policy_rows = []
        self._policy_state = ""
        if tg is not None:
            from explorer.graph.policy_report import cached_policy_issues
            issues = cached_policy_issues(tg)
            if issues is not None:
                self._policy_rows = [_row(POLICY, i) for i in issues]
                self._policy_state = "done"
            else:
                self._start_policy_job(tg)
        self._fill()

    def set_policy_issues(self, issues) -> None:
        self._policy_rows = [_row(POLICY, i) for i in issues]
        self._policy_state = "done"
        self._fill()

    def _start_policy_job(self, tg) -> None:
        from explorer.ui import workers as W
        self._policy_state = "checking"
        job = W.Job(W.policy_issues_job, tg, name="policy problems")

        def on_done(issues, job=job):  # the job's signals live on the GUI thread: delivered there
            if self._job is job:
                self._job = None
                self.set_policy_issues(issues)

        def on_failed(message, job=job):
            if self._job is job:
                self._job = None
                first = message.splitlines()[0] if message else ""
                self._policy_state = f"failed: {first}"
                self._fill()
        job.signals.done.connect(on_done)
        job.signals.failed.connect(on_failed)
        self._job = job
        W.start(job)

    def _cancel_job(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self._job = None

    def wait_policy(self, timeout_ms: int = 30000) -> bool:
        """Block until the policy problems are shown (tests)."""
        timer = QtCore.QElapsedTimer()
        timer.start()
        while self._job is not None and timer.elapsed() < timeout_ms:
            QtCore.QCoreApplication.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 50)
        return self._job is None

    # ---- view ----
    def _fill(self) -> None:
        rows = self._load_rows + self._policy_rows
        table = self.table
        table.setSortingEnabled(False)
        table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                item = QtWidgets.QTableWidgetItem(str(text or ""))
                item.setToolTip(str(text or ""))
                table.setItem(r, c, item)
        table.setSortingEnabled(True)
        self._size_columns()
        if rows:
            table.setCurrentCell(0, 0)
        self._show_details(table.currentRow() if rows else -1)
        self.summary.setText(self._summary_text())
        self.countChanged.emit(self.problem_count())

    def _show_details(self, row: int) -> None:
        if row < 0 or row >= self.table.rowCount():
            self.details.setPlainText("")
            return
        cells = [(self.table.item(row, c).text() if self.table.item(row, c) else "") for c in range(len(COLUMNS))]
        severity, source, file, where, message, skipped = cells
        place = file + (f" at {where}" if where else "")
        self.details.setPlainText(f"{severity} ({source}): {place}: {message}" + (f" — skipped: {skipped}" if skipped
                                                                             else ""))

    def _size_columns(self) -> None:
        table = self.table
        table.resizeColumnsToContents()
        for col, cap in _COLUMN_CAP.items():
            if table.columnWidth(col) > cap:
                table.setColumnWidth(col, cap)
        table.setColumnWidth(_MESSAGE, min(max(table.columnWidth(_MESSAGE), 420), 900))

    def _summary_text(self) -> str:
        snap = self._snap
        if snap is None:
            return "No snapshot loaded."
        rep = snap.report
        gaps = len(snap.manifest.gaps)
        text = (f"{snap.name}: {rep.files_read} files read, {len(rep.errors)} errors, {len(rep.warnings)} warnings, "
                f"{len(rep.skipped)} skipped items" + (f" ({gaps} collector gap{'s' if gaps != 1 else ''} among the "
                                                     "warnings)" if gaps else "") + ".")
        if self._policy_state == "checking":
            text += " Checking the policy documents…"
        elif self._policy_state == "done":
            problems = sum(1 for r in self._policy_rows if r[0] in (ERROR, WARNING))
            notes = len(self._policy_rows) - problems
            text += (f" Policy documents: {problems} problem{'s' if problems != 1 else ''} (statements or policies "
                     f"ignored)" + (f", {notes} note{'s' if notes != 1 else ''}" if notes else "") + ".")
        elif self._policy_state.startswith("failed"):
            text += f" The policy documents could not be checked ({self._policy_state[8:]})."
        return text

    def problem_count(self) -> int:
        """Warnings and errors shown (loader and policy documents), each counted once; info lines are not."""
        return sum(1 for row in self._load_rows + self._policy_rows if row[0] in (ERROR, WARNING, GAP))

    def row_count(self) -> int:
        return self.table.rowCount()

    def rows(self) -> list[tuple]:
        return list(self._load_rows + self._policy_rows)


def _row(source: str, issue) -> tuple:
    return (issue.severity, source, issue.file, issue.where, issue.message, issue.skipped)


def _load_rows(snap) -> list[tuple]:
    issues = snap.report.issues
    rows = []
    # A collector gap is a warning of manifest.json ($.gaps[i]) when the loader read it: listed once. A gap with no
    # such warning (a snapshot built in code) gets its own row.
    reported = {(i.file, i.where) for i in issues}
    for n, gap in enumerate(snap.manifest.gaps):
        if ("manifest.json", f"$.gaps[{n}]") not in reported:
            rows.append((GAP, LOADER, "manifest.json", f"$.gaps[{n}]",
                         f"the collector could not read: account {gap.account} / {gap.what} / {gap.error}",
                         "not collected"))
    rows.extend(_row(LOADER, i) for i in issues)
    return rows
