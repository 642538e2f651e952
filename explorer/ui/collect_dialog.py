"""File > Collect from AWS…: the collector's options in a dialog, explorer.collect.collect_snapshot run on a pool
thread with its progress events shown in a progress dialog (Cancel sets the collector's cancel flag: it stops
after the calls in flight and the folder can be resumed), and the snapshot opened when it is written (its gaps
appear in the load report).

Credentials are never asked for or kept: boto3 finds them (profile, SSO, environment). The external id, the MFA
serial and the MFA code are used for the run only; they are not stored anywhere, QSettings included (only the
profile name, regions, organization flag, role name, CloudTrail days and the output folder are remembered).
"""
from __future__ import annotations

import re
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from explorer.collect import CollectOptions
from explorer.errors import InputError
from explorer.ui import workers as W

FIELDS = {"--duration-seconds": "the session length", "--cloudtrail-days": "“CloudTrail”",
          "--external-id": "“External id”", "--mfa-serial": "“MFA serial”", "--mfa-token": "“MFA code”",
          "--role-name": "“Audit role name”", "--accounts": "the accounts", "--region": "“Regions”",
          "--parallel": "parallel accounts", "--org": "“The whole organization”", "--out": "“Output folder”"}
REMEMBERED = ("profile", "regions", "org", "role_name", "cloudtrail_days", "out_dir")  # never secrets


class CollectDialog(QtWidgets.QDialog):
    collected = QtCore.Signal(str)  # the snapshot folder, written completely
    finishedRun = QtCore.Signal(object)  # the CollectResult (or None when it failed)

    def __init__(self, parent=None, settings: QtCore.QSettings | None = None):
        super().__init__(parent)
        self.settings = settings
        self.setWindowTitle("Collect a snapshot from AWS")
        self.resize(640, 560)
        self.job: W.Job | None = None
        self.result = None
        self.error = ""
        self.events: list = []
        self.progress_dialog: QtWidgets.QProgressDialog | None = None

        self.profile = QtWidgets.QLineEdit()
        self.profile.setPlaceholderText("default credential chain (environment, SSO, instance role…)")
        self.regions = QtWidgets.QLineEdit()
        self.regions.setPlaceholderText("e.g. eu-west-1 us-east-1 (default: the profile's region and us-east-1)")
        self.org = QtWidgets.QCheckBox("The whole organization (run from the management or delegated admin account)")
        self.role_name = QtWidgets.QLineEdit()
        self.role_name.setPlaceholderText("read-only audit role in every member account (required with the org)")
        self.external_id = QtWidgets.QLineEdit()
        self.external_id.setPlaceholderText("if the audit role's trust asks for one (not remembered)")
        self.mfa_serial = QtWidgets.QLineEdit()
        self.mfa_serial.setPlaceholderText("arn:aws:iam::111122223333:mfa/you (not remembered)")
        self.mfa_token = QtWidgets.QLineEdit()
        self.mfa_token.setPlaceholderText("6 digits, used once")
        self.mfa_token.setValidator(QtGui.QRegularExpressionValidator(QtCore.QRegularExpression(r"\d{0,6}")))
        self.mfa_token.setEchoMode(QtWidgets.QLineEdit.EchoMode.Password)
        self.cloudtrail_days = QtWidgets.QSpinBox()
        self.cloudtrail_days.setRange(0, 90)
        self.cloudtrail_days.setSuffix(" days of CloudTrail")
        self.cloudtrail_days.setSpecialValueText("no CloudTrail events")
        self.out_dir = QtWidgets.QLineEdit()
        self.out_dir.setPlaceholderText("the folder to write the snapshot into")
        browse = QtWidgets.QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        out_row = QtWidgets.QHBoxLayout()
        out_row.addWidget(self.out_dir, 1)
        out_row.addWidget(browse)
        form = QtWidgets.QFormLayout()
        form.addRow("Profile", self.profile)
        form.addRow("Regions", self.regions)
        form.addRow("", self.org)
        form.addRow("Audit role name", self.role_name)
        form.addRow("External id", self.external_id)
        form.addRow("MFA serial", self.mfa_serial)
        form.addRow("MFA code", self.mfa_token)
        form.addRow("CloudTrail", self.cloudtrail_days)
        form.addRow("Output folder", out_row)
        self.message = QtWidgets.QLabel("Every call is read-only; no credential is written anywhere.")
        self.message.setWordWrap(True)
        self.log = QtWidgets.QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(2000)
        self.log.setPlaceholderText("progress and gaps appear here")
        self.buttons = QtWidgets.QDialogButtonBox()
        self.run_button = self.buttons.addButton("Collect", QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_button = self.buttons.addButton(QtWidgets.QDialogButtonBox.StandardButton.Close)
        self.run_button.clicked.connect(self.run)
        self.close_button.clicked.connect(self.reject)
        lay = QtWidgets.QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.message)
        lay.addWidget(self.log, 1)
        lay.addWidget(self.buttons)
        self.org.toggled.connect(self._org_toggled)
        self._restore()
        self._org_toggled(self.org.isChecked())

    # ---- remembered fields (never secrets) ----
    def _restore(self) -> None:
        s = self.settings
        if s is None:
            return
        self.profile.setText(str(s.value("collect/profile", "") or ""))
        self.regions.setText(str(s.value("collect/regions", "") or ""))
        self.org.setChecked(str(s.value("collect/org", "false")).lower() == "true")
        self.role_name.setText(str(s.value("collect/role_name", "") or ""))
        try:
            self.cloudtrail_days.setValue(int(s.value("collect/cloudtrail_days", 0) or 0))
        except (TypeError, ValueError):
            pass
        self.out_dir.setText(str(s.value("collect/out_dir", "") or ""))

    def _remember(self) -> None:
        s = self.settings
        if s is None:
            return
        s.setValue("collect/profile", self.profile.text().strip())
        s.setValue("collect/regions", self.regions.text().strip())
        s.setValue("collect/org", "true" if self.org.isChecked() else "false")
        s.setValue("collect/role_name", self.role_name.text().strip())
        s.setValue("collect/cloudtrail_days", self.cloudtrail_days.value())
        s.setValue("collect/out_dir", self.out_dir.text().strip())

    def _org_toggled(self, on: bool) -> None:
        self.role_name.setPlaceholderText("required with the organization: the read-only audit role" if on else
                                          "only with the organization")

    def _browse(self) -> None:
        path = QtWidgets.QFileDialog.getExistingDirectory(self, "Folder for the snapshot",
                                                          self.out_dir.text() or str(Path.home()))
        if path:
            self.out_dir.setText(path)

    # ---- options ----
    def options(self) -> CollectOptions:
        """The options from the fields, validated (CollectOptionsError: a message naming the field)."""
        def opt(edit):
            text = edit.text().strip()
            return text or None
        opts = CollectOptions(
            out_dir=self.out_dir.text().strip(),
            profile=opt(self.profile),
            regions=[r for r in re.split(r"[\s,]+", self.regions.text().strip()) if r],
            org=self.org.isChecked(),
            role_name=opt(self.role_name),
            external_id=opt(self.external_id),
            mfa_serial=opt(self.mfa_serial),
            mfa_token=opt(self.mfa_token),
            cloudtrail_days=self.cloudtrail_days.value(),
        )
        opts.validate()
        return opts

    # ---- running ----
    def is_running(self) -> bool:
        return self.job is not None

    def run(self) -> bool:
        """Validate and start the collection in the background. False (with the message shown) when the options
        cannot work."""
        if self.job is not None:
            return False
        try:
            opts = self.options()
        except InputError as exc:
            self.error = str(exc)
            self.message.setText(f"<span style='color:#d62728'>{_html(field_words(str(exc)))}</span>")
            return False
        self._remember()
        self.mfa_token.clear()  # a one-time code: never kept, not even in the field
        self.error = ""
        self.result = None
        self.events = []
        self.log.clear()
        self.message.setText(f"Collecting into {opts.out_dir}…")
        self._set_running(True)
        job = W.Job(W.collect_job, opts, name="collect")
        job.kwargs["event"] = lambda ev, job=job: job._emit(job.signals.partial, ev)
        job.signals.partial.connect(self._on_event)
        job.signals.done.connect(self._on_done)
        job.signals.failed.connect(self._on_failed)
        job.signals.finished.connect(self._on_finished)
        self.job = job
        pd = QtWidgets.QProgressDialog("Starting…", "Cancel", 0, 0, self)
        pd.setWindowTitle("Collecting from AWS")
        pd.setMinimumDuration(0)
        pd.setAutoClose(False)
        pd.setAutoReset(False)
        pd.canceled.connect(self.cancel)
        pd.setMinimumWidth(420)
        pd.show()
        self.progress_dialog = pd
        W.start(job)
        return True

    def cancel(self) -> None:
        """Ask the collector to stop (its cancel callable): the calls in flight finish, the folder can resume."""
        if self.job is not None:
            self.job.cancel()
            self.message.setText("Cancelling: waiting for the calls in flight…")
            if self.progress_dialog is not None:
                self.progress_dialog.setLabelText("Cancelling: waiting for the calls in flight…")

    def _set_running(self, on: bool) -> None:
        self.run_button.setEnabled(not on)
        for w in (self.profile, self.regions, self.org, self.role_name, self.external_id, self.mfa_serial,
                  self.mfa_token, self.cloudtrail_days, self.out_dir):
            w.setEnabled(not on)

    def _on_event(self, ev) -> None:
        self.events.append(ev)
        from explorer.collect import progress as P
        line = None
        if ev.kind in (P.START, P.DONE, P.CANCELLED):
            line = f"{ev.kind}: {ev.message}"
        elif ev.kind == P.ACCOUNT_START:
            line = f"account {ev.account}: started"
        elif ev.kind in (P.ACCOUNT_DONE, P.ACCOUNT_SKIPPED, P.ACCOUNT_FAILED):
            line = f"account {ev.account}: {ev.kind.replace('account_', '')} {ev.message}".rstrip()
        elif ev.kind == P.GAP:
            line = f"gap in {ev.account}: {ev.message}"
        if line:
            self.log.appendPlainText(line)
        pd = self.progress_dialog
        if pd is not None and not pd.wasCanceled():
            if ev.accounts_total:
                pd.setMaximum(ev.accounts_total)
                pd.setValue(min(ev.accounts_done, ev.accounts_total))
            pd.setLabelText(f"{ev.accounts_done}/{ev.accounts_total or '?'} accounts · {ev.calls_done} calls"
                            + (f"\n{ev.message[:80]}" if ev.message else ""))

    def _on_done(self, result) -> None:
        self.result = result
        if result.cancelled:
            self.message.setText(f"Cancelled after {result.calls} calls. {result.out_dir} holds what was "
                                 f"collected; collect into the same folder to resume.")
            return
        gaps = len(result.gaps)
        failed = f", {len(result.accounts_failed)} failed" if result.accounts_failed else ""
        skipped = f", {len(result.accounts_skipped)} already complete" if result.accounts_skipped else ""
        self.message.setText(f"Done: {len(result.accounts_collected)} account(s) collected{failed}{skipped}, "
                             f"{result.calls} calls, {gaps} gap{'s' if gaps != 1 else ''} (listed in the load "
                             f"report). Opening it…")
        self.collected.emit(result.out_dir)

    def _on_failed(self, msg: str) -> None:
        self.error = msg
        self.message.setText(f"<span style='color:#d62728'>{_html(msg.splitlines()[0])}</span>")
        self.log.appendPlainText(msg)

    def _on_finished(self) -> None:
        job, self.job = self.job, None
        if job is not None and job.cancelled and self.result is None:
            self.message.setText("Cancelled. The folder holds what was collected; collect into it again to "
                                 "resume.")
        if self.progress_dialog is not None:
            self.progress_dialog.close()
            self.progress_dialog.deleteLater()
            self.progress_dialog = None
        self._set_running(False)
        self.finishedRun.emit(self.result)

    def wait(self, timeout_ms: int = 120000) -> bool:
        """Block until the run ends (tests)."""
        timer = QtCore.QElapsedTimer()
        timer.start()
        while self.job is not None and timer.elapsed() < timeout_ms:
            QtCore.QCoreApplication.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 50)
            W.pool().waitForDone(10)
        QtCore.QCoreApplication.processEvents()
        return self.job is None

    def reject(self) -> None:
        if self.job is not None:
            self.cancel()  # closing stops the collection cleanly; the dialog stays until it has
            return
        super().reject()


def field_words(message: str) -> str:
    """The collector's message with the dialog's field names instead of the command-line flags."""
    for flag in sorted(FIELDS, key=len, reverse=True):
        message = message.replace(flag, FIELDS[flag])
    return message


def _html(text) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
