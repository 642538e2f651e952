"""The load report: warnings, skipped items and collector gaps of the snapshot, one row each, never hidden."""
from __future__ import annotations

from PySide6 import QtWidgets


class LoadReportWidget(QtWidgets.QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.summary = QtWidgets.QLabel("No snapshot loaded.")
        self.summary.setWordWrap(True)
        self.table = QtWidgets.QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["severity", "file", "where", "message", "skipped"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.summary)
        lay.addWidget(self.table)

    def set_snapshot(self, snap) -> None:
        rows = []
        for gap in snap.manifest.gaps:
            rows.append(("gap", f"account {gap.account}", gap.what, gap.error, "not collected"))
        for issue in snap.report.issues:
            rows.append((issue.severity, issue.file, issue.where, issue.message, issue.skipped))
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                item = QtWidgets.QTableWidgetItem(str(text or ""))
                item.setToolTip(str(text or ""))
                self.table.setItem(r, c, item)
        self.table.setSortingEnabled(True)
        self.table.resizeColumnsToContents()
        rep = snap.report
        self.summary.setText(
            f"{snap.name}: {rep.files_read} files read, {len(rep.errors)} errors, {len(rep.warnings)} warnings, "
            f"{len(rep.skipped)} skipped items, {len(snap.manifest.gaps)} collector gaps.")

    def problem_count(self) -> int:
        return self.table.rowCount()
