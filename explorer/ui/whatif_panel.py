"""What-if: fix request-context keys (MFA, source IP, ExternalId, org id, principal tags, time, any other key)
and re-evaluate the edges off the GUI thread (TrustGraph.with_context through the model). Keys left empty stay
unknown: edges depending on them stay conditional. A value its key cannot hold (a source IP that is no address, a
time that is no date, "yes" for a boolean key: explorer.iam.context_values) is refused with a message under its
field, and nothing is applied. `<absent>` fixes a key as absent (in a field, a principal tag value, an "Other" line);
mixed with values of the same key it is refused. The status line names absent keys as "KEY absent"."""
from __future__ import annotations

from PySide6 import QtWidgets

from explorer.errors import InputError
from explorer.iam.context import ABSENT_VALUE, Context, parse_assignments

UNKNOWN_TEXT = "unknown"
FIELDS = ("source_ip", "external_id", "org_id", "tags", "time", "extra")


def describe_value(key: str, value) -> str:
    """One fixed key for the status line: "key absent" for a key fixed as absent (never confused with a string value
    that happens to read like the marker), "key=v" for one value, "key=[v, w]" for several."""
    if value is None:
        return f"{key} absent"
    if isinstance(value, (list, tuple)):
        return f"{key}=[{', '.join(str(v) for v in value)}]"
    return f"{key}={value}"


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
        self.tags.setPlaceholderText(f"team=platform, env=prod (team={ABSENT_VALUE}: no tag team)")
        self.time = QtWidgets.QLineEdit()
        self.time.setPlaceholderText("unknown, e.g. 2026-01-15T10:00:00Z")
        self.extra = QtWidgets.QPlainTextEdit()
        self.extra.setPlaceholderText(f"other keys, one KEY=VALUE a line ({ABSENT_VALUE}: fixed as absent)")
        self.extra.setMaximumHeight(70)
        # one message label under each typed field: a value the key cannot hold is refused there
        self.errors: dict[str, QtWidgets.QLabel] = {}
        for name in FIELDS:
            label = QtWidgets.QLabel()
            # one line under the field, cut at the dock's edge (the full message is its tooltip and the status
            # line's): a wrapped label was squeezed into a clipped half line when the dock is short
            label.setWordWrap(False)
            label.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Fixed)
            label.setStyleSheet("color: #c62828;")
            label.setVisible(False)
            self.errors[name] = label
        self.apply_button = QtWidgets.QPushButton("Apply")
        self.reset_button = QtWidgets.QPushButton("Reset (all unknown)")
        self.status = QtWidgets.QLabel("All keys unknown: conditional edges show what they need.")
        self.status.setWordWrap(True)
        form = QtWidgets.QFormLayout()
        form.addRow("MFA present", self.mfa)
        form.addRow("Source IP", self._with_error(self.source_ip, "source_ip"))
        form.addRow("ExternalId", self._with_error(self.external_id, "external_id"))
        form.addRow("Org id", self._with_error(self.org_id, "org_id"))
        form.addRow("Principal tags", self._with_error(self.tags, "tags"))
        form.addRow("Time", self._with_error(self.time, "time"))
        form.addRow("Other", self._with_error(self.extra, "extra"))
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
        for name in FIELDS:
            getattr(self, name).textChanged.connect(lambda *_a, n=name: self._show_error(n, None))
        model.graphChanged.connect(self._graph_changed)
        model.snapshotLoaded.connect(self.clear_fields)

    def _with_error(self, field, name: str) -> QtWidgets.QWidget:
        box = QtWidgets.QWidget()
        col = QtWidgets.QVBoxLayout(box)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(1)
        col.addWidget(field)
        col.addWidget(self.errors[name])
        return box

    def _show_error(self, name: str, message: str | None) -> None:
        label = self.errors[name]
        label.setText(message or "")
        label.setToolTip(message or "")
        label.setVisible(bool(message))

    def error_text(self, name: str) -> str:
        """The message shown under a field ("" when its value is fine)."""
        return self.errors[name].text()

    @staticmethod
    def _single(key: str, text: str):
        """One field's value for `key` (None: the absent marker), by parse_assignments' rules; raises InputError
        when the key's type cannot hold it."""
        return parse_assignments([f"{key}={text}"], label="")[key]

    def _collect(self) -> tuple[dict, dict]:
        """({key: value or [values] or None}, {field name: message}) from the fields."""
        out: dict[str, object] = {}
        errors: dict[str, str] = {}
        if self.mfa.currentText() != UNKNOWN_TEXT:
            out["aws:MultiFactorAuthPresent"] = self.mfa.currentText()

        def field(name, fill):
            try:
                fill()
            except InputError as exc:
                errors[name] = str(exc)

        def source_ip():
            if self.source_ip.text().strip():
                out["aws:SourceIp"] = self._single("aws:SourceIp", self.source_ip.text().strip())

        def external_id():
            ext = [v.strip() for v in self.external_id.text().split(",") if v.strip()]
            out.update(parse_assignments([f"sts:ExternalId={v}" for v in ext], label="ExternalId"))

        def org_id():
            if self.org_id.text().strip():
                out["aws:PrincipalOrgID"] = self._single("aws:PrincipalOrgID", self.org_id.text().strip())

        def tags():  # `team=<absent>`: the principal has no tag team
            items = []
            for pair in [p.strip() for p in self.tags.text().split(",") if p.strip()]:
                k, eq, v = pair.partition("=")
                if not eq or not k.strip():
                    raise InputError(f"principal tag {pair!r}: expected KEY=VALUE")
                items.append(f"aws:PrincipalTag/{k.strip()}={v.strip()}")
            out.update(parse_assignments(items, label="principal tag"))

        def time():
            if self.time.text().strip():
                out["aws:CurrentTime"] = self._single("aws:CurrentTime", self.time.text().strip())

        def extra():
            lines = [ln.strip() for ln in self.extra.toPlainText().splitlines() if ln.strip()]
            try:
                parsed = parse_assignments(lines, label="")
            except InputError as exc:  # exc.where: "item #N", the N-th non-empty line
                number = (exc.where or "").rpartition("#")[2]
                raise InputError(f"line {number}: {exc.bare_message}" if number.isdigit() else exc.bare_message) \
                    from None
            out.update(parsed)

        for name, fill in (("source_ip", source_ip), ("external_id", external_id), ("org_id", org_id),
                           ("tags", tags), ("time", time), ("extra", extra)):
            field(name, fill)
        return out, errors

    def values(self) -> dict:
        """The fixed keys, as {key: value or [values] or None (absent)}; raises InputError for a malformed line
        or a value its key cannot hold (a date, an IP address, a number, a boolean)."""
        out, errors = self._collect()
        if errors:
            raise InputError(next(iter(errors.values())))
        return out

    def context(self) -> Context:
        return Context(self.values(), closed=False)

    def apply(self) -> None:
        """Re-evaluate under the fields' values; a refused value is shown under its field and nothing is applied."""
        values, errors = self._collect()
        for name in FIELDS:
            self._show_error(name, errors.get(name))
        if errors:
            self.status.setText("Not applied: " + "; ".join(errors.values()))
            return
        self.status.setText("Re-evaluating the edges…")
        self.model.set_context(Context(values, closed=False))

    def clear_fields(self) -> None:
        """Every key back to unknown, without re-evaluating (a new snapshot opens under the open context)."""
        self.mfa.blockSignals(True)
        self.mfa.setCurrentIndex(0)
        self.mfa.blockSignals(False)
        for edit in (self.source_ip, self.external_id, self.org_id, self.tags, self.time):
            edit.clear()
        self.extra.clear()
        for name in FIELDS:
            self._show_error(name, None)
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
            ("Fixed: " + ", ".join(describe_value(k, v) for k, v in fixed.items()) if fixed else "All keys unknown.")
            + f"  Edges: {counts.get('allowed', 0)} allowed, {counts.get('conditional', 0)} conditional, "
              f"{counts.get('denied', 0)} denied.")
