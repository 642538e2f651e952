"""The Findings dock: the model's findings report (explorer.analysis.findings.find, run in the background by the
model after the graph is built and after every what-if change) as a list sorted by severity, with a text filter
and a minimum-severity filter. The selected finding's message, evidence (the policy, the JSON path inside it,
the statement as written) and remediation (the corrected statement) are shown below the list.

Clicking a finding selects its subject on the graph (`subjectChosen`); double-clicking focuses the view on it
(`subjectFocused`). Export writes the report as JSON (as `findings --json`) or SARIF 2.1.0 (as `--sarif`).
Nothing is decided here: the checks live in explorer/analysis/findings.
"""
from __future__ import annotations

import json

from PySide6 import QtCore, QtGui, QtWidgets

from explorer.analysis.findings import SEVERITIES, to_sarif
from explorer.ui.json_view import JsonView
from explorer.ui.model import ExplorerModel

SEVERITY_COLOURS = {"critical": "#9b1c1c", "high": "#d62728", "medium": "#e08a00", "low": "#2f6fbf",
                    "info": "#6b7280"}
ROLE_FINDING = QtCore.Qt.ItemDataRole.UserRole + 1
HEADER_MIN_LINES = 3  # the finding's header shows at least this many lines (it scrolls when longer)


def findings_json(model: ExplorerModel) -> dict:
    """The report as `python main.py findings --json` prints it."""
    out = model.findings.to_json()
    out["snapshot"] = model.snapshot.name
    out["context"] = model.tg.context.to_json() if model.tg is not None else {}
    return out


def write_findings(model: ExplorerModel, path: str, fmt: str | None = None) -> str:
    """Write the current report to `path` as "json" or "sarif" (from the extension when not given)."""
    if model.findings is None:
        raise RuntimeError("no findings yet: wait until the checks have run")
    fmt = fmt or ("sarif" if str(path).lower().endswith((".sarif", ".sarif.json")) else "json")
    data = to_sarif(model.findings) if fmt == "sarif" else findings_json(model)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, default=str)
        fh.write("\n")
    return str(path)


class FindingsDock(QtWidgets.QWidget):
    subjectChosen = QtCore.Signal(object)  # graph node of the selected finding's subject
    subjectFocused = QtCore.Signal(object)  # double-click: focus the view on it
    message = QtCore.Signal(str)  # status-bar text
    exportRequested = QtCore.Signal(str)  # "json" | "sarif"

    def __init__(self, model: ExplorerModel, parent=None):
        super().__init__(parent)
        self.model = model
        self.filter_edit = QtWidgets.QLineEdit()
        self.filter_edit.setPlaceholderText("filter: rule, title, subject, message…")
        self.filter_edit.setClearButtonEnabled(True)
        self.severity_box = QtWidgets.QComboBox()
        self.severity_box.addItem("all severities", "info")
        for s in SEVERITIES:
            if s != "info":
                self.severity_box.addItem(f"{s} and above" if s != "critical" else "critical only", s)
        self.export_button = QtWidgets.QToolButton()
        self.export_button.setText("Export")
        self.export_button.setPopupMode(QtWidgets.QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QtWidgets.QMenu(self.export_button)
        menu.addAction("Findings as JSON…", lambda: self.exportRequested.emit("json"))
        menu.addAction("Findings as SARIF…", lambda: self.exportRequested.emit("sarif"))
        self.export_button.setMenu(menu)
        self.rerun_button = QtWidgets.QToolButton()
        self.rerun_button.setText("Re-run")
        self.rerun_button.setToolTip("run the checks again on the current graph")
        self.rerun_button.clicked.connect(lambda: self.model.compute_findings())
        self.status = QtWidgets.QLabel("No snapshot")
        self.tree = QtWidgets.QTreeWidget()
        self.tree.setHeaderLabels(["severity", "rule", "title", "subject"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setColumnWidth(0, 70)
        self.tree.setColumnWidth(1, 210)
        self.tree.setColumnWidth(2, 250)
        self.tree.header().setStretchLastSection(True)
        self.tree.currentItemChanged.connect(lambda cur, _prev: self._show(cur))
        self.tree.itemClicked.connect(lambda item, _c: self._choose(item))
        self.tree.itemDoubleClicked.connect(lambda item, _c: self._focus(item))

        self.detail_title = QtWidgets.QLabel("")
        self.detail_title.setWordWrap(True)
        self.detail_title.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.detail_title.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.evidence_label = QtWidgets.QLabel("")
        self.evidence_label.setWordWrap(True)
        self.evidence_label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.evidence_json = JsonView()
        self.remediation_label = QtWidgets.QLabel("")
        self.remediation_label.setWordWrap(True)
        self.remediation_label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.remediation_json = JsonView()
        self.copy_fix = QtWidgets.QPushButton("Copy corrected statement")
        self.copy_fix.clicked.connect(self._copy_fix)
        self.detail_tabs = QtWidgets.QTabWidget()
        ev = QtWidgets.QWidget()
        el = QtWidgets.QVBoxLayout(ev)
        el.setContentsMargins(2, 2, 2, 2)
        el.addWidget(self.evidence_label)
        el.addWidget(self.evidence_json, 1)
        rem = QtWidgets.QWidget()
        rl = QtWidgets.QVBoxLayout(rem)
        rl.setContentsMargins(2, 2, 2, 2)
        rl.addWidget(self.remediation_label)
        rl.addWidget(self.remediation_json, 1)
        rl.addWidget(self.copy_fix, 0, QtCore.Qt.AlignmentFlag.AlignRight)
        self.detail_tabs.addTab(ev, "Evidence")
        self.detail_tabs.addTab(rem, "Remediation")
        # the header (severity, title, subject ARN, message) wraps within the pane; it is as tall as its text up
        # to about half the pane, and scrolls beyond that, so no line is ever cut (full text in its tooltip)
        self.detail_scroll = QtWidgets.QScrollArea()
        self.detail_scroll.setWidget(self.detail_title)
        self.detail_scroll.setWidgetResizable(True)
        self.detail_scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.detail_scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.detail_title.setAlignment(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignTop)
        self.detail_title.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored,
                                        QtWidgets.QSizePolicy.Policy.Preferred)
        self.detail_scroll.setFixedHeight(QtGui.QFontMetrics(self.detail_title.font()).lineSpacing()
                                          * HEADER_MIN_LINES)
        # the tabs keep a few lines of evidence; the header gets the rest of the pane
        self.detail_tabs.setMinimumHeight(100)
        detail = QtWidgets.QWidget()
        dl = QtWidgets.QVBoxLayout(detail)
        dl.setContentsMargins(0, 0, 0, 0)
        dl.addWidget(self.detail_scroll)
        dl.addWidget(self.detail_tabs, 1)
        self.detail = detail
        detail.installEventFilter(self)

        split = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)  # the bottom dock is wide and low
        split.addWidget(self.tree)
        split.addWidget(detail)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        split.setSizes([600, 600])  # the detail pane wide enough that the header's ARNs fit on a line
        self.splitter = split
        top = QtWidgets.QHBoxLayout()
        top.addWidget(self.filter_edit, 1)
        top.addWidget(self.severity_box)
        top.addWidget(self.rerun_button)
        top.addWidget(self.export_button)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(top)
        lay.addWidget(self.status)
        lay.addWidget(split, 1)

        self.filter_edit.textChanged.connect(self._apply_filter)
        self.severity_box.currentIndexChanged.connect(self._apply_filter)
        model.findingsChanged.connect(self.refresh)
        model.snapshotLoaded.connect(self.refresh)
        self.refresh()

    # ---- content ----
    def refresh(self) -> None:
        m = self.model
        current = self.current_finding()
        if current is not None:
            self._keep = current.id  # selected again when the checks have run again (what-if)
        keep = getattr(self, "_keep", None)
        self.tree.clear()
        self._clear_detail()
        report = m.findings
        if report is None:
            if m.findings_error:
                self.status.setText(f"The checks failed: {m.findings_error.splitlines()[0]}")
            else:
                self.status.setText("Running the checks…" if m.tg is not None else "No snapshot")
            self.export_button.setEnabled(False)
            return
        self.export_button.setEnabled(True)
        for f in report.findings:
            subject = self.subject_text(f)
            item = QtWidgets.QTreeWidgetItem([f.severity, f.rule, f.title, subject])
            item.setData(0, ROLE_FINDING, f)
            colour = QtGui.QColor(SEVERITY_COLOURS.get(f.severity, "#6b7280"))
            item.setForeground(0, colour)
            font = item.font(0)
            font.setBold(True)
            item.setFont(0, font)
            item.setToolTip(3, f.subject)
            item.setToolTip(2, f.message)
            self.tree.addTopLevelItem(item)
            if f.id == keep:
                self.tree.setCurrentItem(item)
        self._apply_filter()

    def _apply_filter(self) -> None:
        text = self.filter_edit.text().strip().lower()
        from explorer.analysis.findings.model import SEVERITY_RANK
        worst = SEVERITY_RANK.get(self.severity_box.currentData() or "info", len(SEVERITIES))
        shown = 0
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            f = item.data(0, ROLE_FINDING)
            hay = " ".join((f.rule, f.title, f.subject, f.message, f.severity, item.text(3))).lower()
            visible = SEVERITY_RANK.get(f.severity, 99) <= worst and (not text or text in hay)
            item.setHidden(not visible)
            shown += visible
        report = self.model.findings
        if report is not None:
            counts = {}
            for f in report.findings:
                counts[f.severity] = counts.get(f.severity, 0) + 1
            by = ", ".join(f"{counts[s]} {s}" for s in SEVERITIES if counts.get(s))
            skipped = f" · {len(report.checks_skipped)} checks skipped" if report.checks_skipped else ""
            self.status.setText(f"{len(report.findings)} findings ({by or 'none'}){skipped}"
                                + (f" · {shown} shown" if shown != len(report.findings) else ""))

    def visible_findings(self) -> list:
        return [self.tree.topLevelItem(i).data(0, ROLE_FINDING) for i in range(self.tree.topLevelItemCount())
                if not self.tree.topLevelItem(i).isHidden()]

    def current_finding(self):
        item = self.tree.currentItem() if hasattr(self, "tree") else None
        return item.data(0, ROLE_FINDING) if item is not None else None

    def select_finding(self, finding, *, focus: bool = False) -> None:
        """Select a finding (the object, its id, or a row of the visible list) as a click would (a double-click
        with `focus`)."""
        if isinstance(finding, int):
            finding = self.visible_findings()[finding]
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            f = item.data(0, ROLE_FINDING)
            if f is finding or f.id == finding:
                self.tree.setCurrentItem(item)
                (self._focus if focus else self._choose)(item)
                return

    def subject_text(self, f) -> str:
        """The subject's name and account ("OrganizationAccountAccessRole · security")."""
        m = self.model
        tg = m.tg
        arn = f.subject or ""
        name = m.label(arn) if tg is not None and arn in tg.graph else (arn.rsplit("/", 1)[-1] if "/" in arn
                                                                        else arn.rsplit(":", 1)[-1] or arn)
        parts = arn.split(":")
        acct = parts[4] if len(parts) > 4 and parts[4].isdigit() else ""
        if acct and m.snapshot is not None:
            return f"{name} · {m.snapshot.account_name(acct) or acct}"
        return name

    # ---- the subject on the graph ----
    def subject_node(self, f):
        """The graph node of a finding's subject, else of the first related principal that is one."""
        tg = self.model.tg
        if tg is None:
            return None
        for arn in (f.subject, *f.related):
            if arn in tg.graph:
                return arn
            node = tg.node_for(arn) if arn else None
            if node is not None and node in tg.graph:
                return node
        return None

    def _choose(self, item) -> None:
        f = item.data(0, ROLE_FINDING) if item is not None else None
        if f is None:
            return
        node = self.subject_node(f)
        if node is None:
            self.message.emit(f"{f.subject} is not a principal of the graph")
            return
        self.subjectChosen.emit(node)

    def _focus(self, item) -> None:
        f = item.data(0, ROLE_FINDING) if item is not None else None
        node = self.subject_node(f) if f is not None else None
        if node is None:
            if f is not None:
                self.message.emit(f"{f.subject} is not a principal of the graph")
            return
        self.subjectFocused.emit(node)

    # ---- details ----
    def eventFilter(self, obj, event):
        if obj is self.detail and event.type() == QtCore.QEvent.Type.Resize:
            QtCore.QTimer.singleShot(0, self._fit_header)
        return False

    def _fit_header(self) -> None:
        """The header as tall as its wrapped text, at most what the tabs below leave of the detail pane; beyond
        that it scrolls, showing whole lines (so it never makes the dock taller nor cuts a line)."""
        try:
            scroll = self.detail_scroll
            width = scroll.viewport().width() or scroll.width()
        except RuntimeError:  # closed before the queued call ran
            return
        label = self.detail_title
        need = label.heightForWidth(width)
        if need < 0:
            need = label.sizeHint().height()
        spacing = max(0, self.detail.layout().spacing())
        room = self.detail.height() - self.detail_tabs.minimumHeight() - spacing
        if need <= room:
            scroll.setFixedHeight(need)
            return
        scroll.setFixedHeight(_whole_lines_height(label, width, room))

    def _clear_detail(self) -> None:
        self.detail_title.setText("Select a finding to see its evidence and fix." if self.tree.topLevelItemCount()
                                  else "")
        self.detail_title.setToolTip("")
        self._fit_header()
        self.evidence_label.setText("")
        self.evidence_json.setPlainText("")
        self.remediation_label.setText("")
        self.remediation_json.setPlainText("")
        self.copy_fix.setEnabled(False)

    def _show(self, item) -> None:
        f = item.data(0, ROLE_FINDING) if item is not None else None
        if f is None:
            self._clear_detail()
            return
        colour = SEVERITY_COLOURS.get(f.severity, "#6b7280")
        self.detail_title.setText(f"<b style='color:{colour}'>{f.severity.upper()}</b> <b>{_html(f.title)}</b>"
                                  f"<br>{_html(f.subject)}<br>{_html(f.message)}")
        self.detail_title.setToolTip(f"{f.severity.upper()} {f.title}\n{f.subject}\n{f.message}")
        self._fit_header()
        lines = []
        for i, e in enumerate(f.evidence):
            lines.append(f"{'Evidence' if i == 0 else 'Also'}: {e.policy} ({e.policy_kind}) at {e.json_path}")
            if e.source:
                lines.append(f"   read from {e.source}")
        self.evidence_label.setText("\n".join(lines) or "no evidence recorded")
        first = f.evidence[0] if f.evidence else None
        if first is not None and first.statement is not None:
            self.evidence_json.set_json(first.statement)
        elif first is not None and first.data:
            self.evidence_json.set_json(first.data)
        else:
            self.evidence_json.setPlainText("(no statement: see the message)")
        rem = f.remediation
        self.remediation_label.setText(rem.text if rem is not None else "no remediation given")
        if rem is not None and rem.statement is not None:
            path = first.json_path if first is not None else "$"
            self.remediation_label.setText(f"{rem.text}\nCorrected statement, to replace {path}:")
            self.remediation_json.set_json(rem.statement)
            self.copy_fix.setEnabled(True)
        else:
            self.remediation_json.setPlainText("(no corrected statement for this finding)")
            self.copy_fix.setEnabled(False)

    def _copy_fix(self) -> None:
        f = self.current_finding()
        if f is not None and f.remediation is not None and f.remediation.statement is not None:
            QtWidgets.QApplication.clipboard().setText(json.dumps(f.remediation.statement, indent=2))
            self.message.emit("Copied the corrected statement")

    def set_theme(self, name: str) -> None:
        for view in (self.evidence_json, self.remediation_json):
            view.highlighter.set_theme(name)


def _line_bottoms(label: QtWidgets.QLabel, width: int) -> list[int]:
    """Where each line of a rich-text label ends (pixels from its top) when wrapped to `width`."""
    doc = QtGui.QTextDocument()
    doc.setDocumentMargin(0)
    doc.setDefaultFont(label.font())
    doc.setHtml(label.text())
    doc.setTextWidth(width)
    out = []
    block = doc.begin()
    while block.isValid():
        top = doc.documentLayout().blockBoundingRect(block).top()
        lay = block.layout()
        for i in range(lay.lineCount()):
            ln = lay.lineAt(i)
            out.append(int(top + ln.y() + ln.height() + 0.999))
        block = block.next()
    return out


def _whole_lines_height(label: QtWidgets.QLabel, width: int, room: int) -> int:
    """The tallest height up to `room` (but at least HEADER_MIN_LINES lines) that ends on a whole line."""
    bottoms = _line_bottoms(label, width)
    fit = [b for b in bottoms if b <= room]
    least = bottoms[:HEADER_MIN_LINES][-1] if bottoms else 0
    return max(fit[-1] if fit else 0, least)


def _html(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
