"""What-if: fix request-context keys (MFA, source IP, ExternalId, org id, principal tags, time, any other key)
and re-evaluate the edges off the GUI thread (TrustGraph.with_context through the model). Keys left empty stay
unknown: edges depending on them stay conditional."""
from __future__ import annotations

from PySide6 import QtWidgets

from explorer.errors import InputError
from explorer.iam.context import Context

UNKNOWN_TEXT = "unknown"


class WhatIfPanel(QtWidgets.QWidget):
    def __init__(self, model, parent=None):
        super().__init__(parent)
        self.model = model
        self.mfa = QtWidgets.QComboBox()
        self.mfa.addItems([UNKNOWN_TEXT, "true", "false"])
        self.source_ip = QtWidgets.QLineEdit()
        self.source_ip.setPlaceholderText("unknown, e.g. 203.0.113.7")
        self.external_id = QtWidgets.QLineEdit()
        self.external_id.setPlaceholderText("unknown; several values: comma-separated")
        self.org_id = QtWidgets.QLineEdit()
        self.org_id.setPlaceholderText("unknown, e.g. o-abc123")
        self.tags = QtWidgets.QLineEdit()
        self.tags.setPlaceholderText("team=platform, env=prod")
        self.time = QtWidgets.QLineEdit()
        self.time.setPlaceholderText("unknown, e.g. 2026-01-15T10:00:00Z")
        self.extra = QtWidgets.QPlainTextEdit()
        self.extra.setPlaceholderText("other keys, one KEY=VALUE a line")
        self.extra.setMaximumHeight(70)
        self.apply_button = QtWidgets.QPushButton("Apply")
        self.reset_button = QtWidgets.QPushButton("Reset (all unknown)")
        self.status = QtWidgets.QLabel("All keys unknown: conditional edges show what they need.")
        self.status.setWordWrap(True)
        form = QtWidgets.QFormLayout()
        form.addRow("MFA present", self.mfa)
        form.addRow("Source IP", self.source_ip)
        form.addRow("ExternalId", self.external_id)
        form.addRow("Org id", self.org_id)
        form.addRow("Principal tags", self.tags)
        form.addRow("Time", self.time)
        form.addRow("Other", self.extra)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.apply_button)
        row.addWidget(self.reset_button)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(form)
        lay.addLayout(row)
        lay.addWidget(self.status)
        lay.addStretch(1)
        self.apply_button.clicked.connect(self.apply)
        self.reset_button.clicked.connect(self.reset)
        self.mfa.currentIndexChanged.connect(lambda _i: self.apply())
        for edit in (self.source_ip, self.external_id, self.org_id, self.tags, self.time):
            edit.returnPressed.connect(self.apply)
        model.graphChanged.connect(self._graph_changed)
        model.snapshotLoaded.connect(self.clear_fields)

    def values(self) -> dict:
        """The fixed keys, as {key: value or [values]} (raises InputError for a malformed line)."""
        out: dict[str, object] = {}
        if self.mfa.currentText() != UNKNOWN_TEXT:
            out["aws:MultiFactorAuthPresent"] = self.mfa.currentText()
        if self.source_ip.text().strip():
            out["aws:SourceIp"] = self.source_ip.text().strip()
        ext = [v.strip() for v in self.external_id.text().split(",") if v.strip()]
        if ext:
            out["sts:ExternalId"] = ext[0] if len(ext) == 1 else ext
        if self.org_id.text().strip():
            out["aws:PrincipalOrgID"] = self.org_id.text().strip()
        for pair in [p.strip() for p in self.tags.text().split(",") if p.strip()]:
            if "=" not in pair:
                raise InputError(f"principal tag {pair!r}: expected KEY=VALUE")
            k, v = pair.split("=", 1)
            out[f"aws:PrincipalTag/{k.strip()}"] = v.strip()
        if self.time.text().strip():
            out["aws:CurrentTime"] = self.time.text().strip()
        lines = [ln.strip() for ln in self.extra.toPlainText().splitlines() if ln.strip()]
        if lines:
            from explorer.iam.context import parse_assignments
            out.update(parse_assignments(lines))
        return out

    def context(self) -> Context:
        return Context(self.values(), closed=False)

    def apply(self) -> None:
        try:
            ctx = self.context()
        except InputError as exc:
            self.status.setText(f"Not applied: {exc}")
            return
        self.status.setText("Re-evaluating the edges…")
        self.model.set_context(ctx)

    def clear_fields(self) -> None:
        """Every key back to unknown, without re-evaluating (a new snapshot opens under the open context)."""
        self.mfa.blockSignals(True)
        self.mfa.setCurrentIndex(0)
        self.mfa.blockSignals(False)
        for edit in (self.source_ip, self.external_id, self.org_id, self.tags, self.time):
            edit.clear()
        self.extra.clear()
        self.status.setText("All keys unknown: conditional edges show what they need.")

    def reset(self) -> None:
        self.clear_fields()
        self.apply()

    def _graph_changed(self) -> None:
        ctx = self.model.context
        fixed = ctx.to_json() if ctx is not None else {}
        tg = self.model.tg
        counts = {}
        for *_e, d in tg.graph.edges(data=True):
            counts[d.get("state")] = counts.get(d.get("state"), 0) + 1
        self.status.setText(
            ("Fixed: " + ", ".join(f"{k}={v}" for k, v in fixed.items()) if fixed else "All keys unknown.")
            + f"  Edges: {counts.get('allowed', 0)} allowed, {counts.get('conditional', 0)} conditional, "
              f"{counts.get('denied', 0)} denied.")
