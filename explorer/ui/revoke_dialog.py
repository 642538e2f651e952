"""Revoke sessions… on a role: what AWS's "Revoke active sessions" would do, before doing it.

The dialog takes a time (default now, UTC), shows the inline policy AWSRevokeOlderSessions that AWS attaches
(explorer.analysis.revocation.revocation_policy, with a copy button) and the preview of
explorer.analysis.revocation.preview, computed in the background on a modified copy of the snapshot: the role's
outgoing edges that sessions issued before the time lose, and those sessions issued later keep. The lost edges
are marked red on the graph, the kept ones green, while the dialog is open. Nothing in the snapshot changes.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

from PySide6 import QtCore, QtWidgets

from explorer.analysis.revocation import POLICY_NAME, iso_z, revocation_policy
from explorer.ui import model as M
from explorer.ui import workers as W
from explorer.ui.json_view import JsonView

OWNER = "revoke"


class RevokeDialog(QtWidgets.QDialog):
    def __init__(self, model: M.ExplorerModel, role, parent=None, *, when: datetime | None = None):
        super().__init__(parent)
        self.model = model
        self.role = role
        self.preview = None
        self.error = ""
        self.setWindowTitle(f"Revoke sessions of {model.label(role)}")
        self.resize(780, 720)
        title = QtWidgets.QLabel(f"<b>{model.label(role)}</b><br><span style='color:gray'>{role}</span>")
        title.setTextFormat(QtCore.Qt.TextFormat.RichText)
        title.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.when_edit = QtWidgets.QDateTimeEdit()
        self.when_edit.setTimeZone(QtCore.QTimeZone.utc())
        self.when_edit.setDisplayFormat("yyyy-MM-dd HH:mm:ss 'UTC'")
        self.when_edit.setCalendarPopup(True)
        start = when or datetime.now(timezone.utc)
        self.when_edit.setDateTime(QtCore.QDateTime(
            QtCore.QDate(start.year, start.month, start.day), QtCore.QTime(start.hour, start.minute, start.second),
            QtCore.QTimeZone.utc()))
        now_button = QtWidgets.QPushButton("Now")
        now_button.clicked.connect(lambda: self.when_edit.setDateTime(QtCore.QDateTime.currentDateTimeUtc()))
        when_row = QtWidgets.QHBoxLayout()
        when_row.addWidget(QtWidgets.QLabel("Revoke sessions issued before"))
        when_row.addWidget(self.when_edit)
        when_row.addWidget(now_button)
        when_row.addStretch(1)
        self.policy_view = JsonView()
        self.policy_view.setMinimumHeight(260)
        copy_button = QtWidgets.QPushButton("Copy policy")
        copy_button.clicked.connect(self.copy_policy)
        self.status = QtWidgets.QLabel("")
        self.status.setWordWrap(True)
        self.lost = QtWidgets.QTreeWidget()
        self.lost.setHeaderLabels(["target", "action", "now", "for an older session", "why"])
        self.kept = QtWidgets.QTreeWidget()
        self.kept.setHeaderLabels(["target", "action", "now", "for a newer session"])
        for tree in (self.lost, self.kept):
            tree.setRootIsDecorated(False)
            tree.setColumnWidth(0, 260)
            tree.setColumnWidth(1, 120)
            tree.setColumnWidth(2, 85)
            tree.setColumnWidth(3, 150)
        self.tabs = QtWidgets.QTabWidget()
        self.tabs.addTab(self.lost, "Lost by older sessions")
        self.tabs.addTab(self.kept, "Kept by newer sessions")
        note = QtWidgets.QLabel(
            f"A preview on a copy of the snapshot: nothing is changed. To revoke in AWS, use <i>Revoke active "
            f"sessions</i> on the role in the IAM console, or attach this document as the inline policy "
            f"<b>{POLICY_NAME}</b>. Older sessions lose every permission, sts:AssumeRole included.")
        note.setWordWrap(True)
        note.setTextFormat(QtCore.Qt.TextFormat.RichText)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        pol_row = QtWidgets.QHBoxLayout()
        pol_row.addWidget(QtWidgets.QLabel(f"Inline policy <b>{POLICY_NAME}</b>"))
        pol_row.addStretch(1)
        pol_row.addWidget(copy_button)
        lay = QtWidgets.QVBoxLayout(self)
        lay.addWidget(title)
        lay.addLayout(when_row)
        lay.addLayout(pol_row)
        lay.addWidget(self.policy_view)
        lay.addWidget(self.status)
        lay.addWidget(self.tabs, 1)
        lay.addWidget(note)
        lay.addWidget(buttons)
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self.run_preview)
        self.when_edit.dateTimeChanged.connect(lambda _dt: (self._show_policy(), self._timer.start()))
        self.finished.connect(lambda _r: self._cleanup())
        model.graphChanged.connect(self._graph_changed)  # a what-if change: preview under the new context
        self._show_policy()
        self.run_preview()

    def revoke_before(self) -> datetime:
        dt = self.when_edit.dateTime().toUTC()
        d, t = dt.date(), dt.time()
        return datetime(d.year(), d.month(), d.day(), t.hour(), t.minute(), t.second(), tzinfo=timezone.utc)

    def policy(self) -> dict:
        return revocation_policy(self.revoke_before())

    def _show_policy(self) -> None:
        self.policy_view.set_json(self.policy())

    def copy_policy(self) -> None:
        QtWidgets.QApplication.clipboard().setText(json.dumps(self.policy(), indent=2))
        self.status.setText("Policy copied to the clipboard.")

    def run_preview(self) -> None:
        if self.model.tg is None:
            return
        self.status.setText("Computing the preview…")
        self.model.run_job("revoke", W.revoke_job, self.model.tg, self.role, self.revoke_before(),
                           done=self._done, failed=self._failed)

    def _failed(self, msg: str) -> None:
        self.error = msg
        self.status.setText(f"Cannot preview: {msg.splitlines()[0]}")

    def _done(self, p) -> None:
        self.preview = p
        self.error = ""
        lab = self.model.label
        self.lost.clear()
        self.kept.clear()
        for e in p.edges_lost:
            item = QtWidgets.QTreeWidgetItem(self.lost, [lab(e.target), e.action, e.state_before,
                                                         e.state_after or "gone", e.reason])
            item.setToolTip(0, e.target)
            item.setToolTip(4, e.reason)
        for e in p.edges_kept:
            item = QtWidgets.QTreeWidgetItem(self.kept, [lab(e.target), e.action, e.state_before,
                                                         e.state_after or "gone"])
            item.setToolTip(0, e.target)
        self.status.setText(
            f"Sessions issued before {iso_z(p.revoke_before)} lose {len(p.edges_lost)} of the role's outgoing "
            f"edge{'s' if len(p.edges_lost) != 1 else ''}; sessions issued at or after it keep "
            f"{len(p.edges_kept)}.")
        marks = {(self.role, e.target): M.EdgeMark(M.MARK_KEPT, "new", tooltip=f"kept: {e.action}")
                 for e in p.edges_kept}
        marks.update({(self.role, e.target): M.EdgeMark(M.MARK_LOST, "lost", tooltip=f"lost: {e.action}")
                      for e in p.edges_lost})
        self.model.set_edge_marks(marks, owner=OWNER, nodes={self.role: M.EdgeMark(M.MARK_FOCUS)})

    def lost_rows(self) -> list[str]:
        return [" | ".join(self.lost.topLevelItem(i).text(c) for c in range(5))
                for i in range(self.lost.topLevelItemCount())]

    def _graph_changed(self) -> None:
        if self.isVisible():
            self._timer.start()

    def _cleanup(self) -> None:
        try:
            self.model.graphChanged.disconnect(self._graph_changed)
        except (RuntimeError, TypeError):
            pass
        self._timer.stop()
        self.model.cancel("revoke")
        self.model.clear_edge_marks(OWNER)
