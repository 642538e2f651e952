"""The inspector dock: whatever is selected, explained. Everything shown comes from the snapshot model, the
graph's edge decisions (explorer.graph) and the analysis functions (explorer.analysis); nothing is decided
here.

  principal  ARN, kind, account, tags, last used, MaxSessionDuration, trust and permission policies (JSON)
  edge       per action: state, reason, requirements, and each side's decision layer by layer with the
             deciding statements (trust, identity, boundary, SCP, RCP)
  path       each hop with its session limit (the one-hour role-chaining cap said in words), the final
             session's effective permissions (filterable table), and a box to evaluate one action
"""
from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from explorer.graph import schema as S
from explorer.render import style as ST
from explorer.render.scene import reach_summary, requirements_text
from explorer.ui import workers as W
from explorer.ui.columns import ColumnFitter
from explorer.ui.json_view import JsonView
from explorer.ui.model import EDGE, NODE, PATH, ExplorerModel

LAYER_NAMES = {"scp": "SCP", "rcp": "RCP", "resource": "resource policy", "trust": "trust policy",
               "identity": "identity policies", "boundary": "permissions boundary", "session": "session policy",
               "session-rules": "session rules"}


def decision_items(parent: QtWidgets.QTreeWidgetItem, decision) -> None:
    """Tree rows for a Decision: result and rule, then each layer with its statements and requirements."""
    if decision is None:
        QtWidgets.QTreeWidgetItem(parent, ["(not evaluated)", ""])
        return
    top = QtWidgets.QTreeWidgetItem(parent, [f"{decision.result.value} ({decision.rule})", decision.reason])
    top.setToolTip(1, decision.reason)
    for layer in decision.layers:
        li = QtWidgets.QTreeWidgetItem(parent, [LAYER_NAMES.get(layer.layer, layer.layer), layer.outcome
                                                + (f" — {layer.note}" if layer.note else "")])
        li.setToolTip(1, li.text(1))
        for st in layer.statements:
            text = f"{st.effect}: {st.label()}"
            si = QtWidgets.QTreeWidgetItem(li, [text, st.source])
            si.setToolTip(0, text)
            si.setToolTip(1, st.source)
            if st.requirements:
                QtWidgets.QTreeWidgetItem(si, ["requires", " and ".join(str(r) for r in st.requirements)])
    if decision.requirements:
        QtWidgets.QTreeWidgetItem(parent, ["allowed only if", requirements_text(decision.requirements)])
    for w in decision.warnings:
        QtWidgets.QTreeWidgetItem(parent, ["warning", w])


def _tooltips(tree: QtWidgets.QTreeWidget) -> None:
    it = QtWidgets.QTreeWidgetItemIterator(tree)
    while it.value():
        item = it.value()
        for c in range(tree.columnCount()):
            if item.text(c) and not item.toolTip(c):
                item.setToolTip(c, item.text(c))
        it += 1



class PermissionsModel(QtCore.QAbstractTableModel):
    HEADERS = ["service", "access level", "action", "deciding statement", "condition"]

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[tuple] = []

    def set_rows(self, eff) -> None:
        self.beginResetModel()
        self.rows = [] if eff is None else [
            (r.service, r.access_level, r.action, r.statement,
             requirements_text(r.decision.requirements) if r.conditional else "") for r in eff.rows]
        self.endResetModel()

    def rowCount(self, parent=QtCore.QModelIndex()):
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QtCore.QModelIndex()):
        return len(self.HEADERS)

    def data(self, index, role=QtCore.Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        if role in (QtCore.Qt.ItemDataRole.DisplayRole, QtCore.Qt.ItemDataRole.ToolTipRole):
            return self.rows[index.row()][index.column()]
        return None

    def headerData(self, section, orientation, role=QtCore.Qt.ItemDataRole.DisplayRole):
        if role == QtCore.Qt.ItemDataRole.DisplayRole and orientation == QtCore.Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None


class Inspector(QtWidgets.QWidget):
    def __init__(self, model: ExplorerModel, parent=None):
        super().__init__(parent)
        self.model = model
        self.title = QtWidgets.QLabel("Nothing selected")
        f = self.title.font()
        f.setPointSizeF(f.pointSizeF() * 1.25)
        f.setBold(True)
        self.title.setFont(f)
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary = QtWidgets.QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.summary.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.tabs = QtWidgets.QTabWidget()

        # principal: facts + policies
        self.facts = QtWidgets.QTreeWidget()
        self.facts.setHeaderHidden(True)
        self.facts.setColumnCount(2)
        self.facts.setColumnWidth(0, 170)
        self.facts.setWordWrap(True)
        self.trust_json = JsonView()
        self.perm_json = JsonView()
        # edge / hops: decision tree
        self.decisions = QtWidgets.QTreeWidget()
        self.decisions.setHeaderLabels(["layer / statement", "outcome / source"])
        self.decisions.setColumnWidth(0, 250)
        self.decisions.setWordWrap(True)
        # path: hops
        self.hops = QtWidgets.QTreeWidget()
        self.hops.setHeaderLabels(["hop", "action", "max session", "requires"])
        self.hops.setWordWrap(True)
        # hop | action | max session | requires: the short columns sized to their text, "requires" and then
        # "action" give up room first, the hop column takes the rest (full text in the tooltips)
        self.hops_fit = ColumnFitter(self.hops, stretch=0, columns={1: (100, 200), 2: (60, 140), 3: (60, 240)},
                                     shrink=(3, 1), stretch_min=140)
        self.session_note = QtWidgets.QLabel("")
        self.session_note.setWordWrap(True)
        hops_box = QtWidgets.QWidget()
        hl = QtWidgets.QVBoxLayout(hops_box)
        hl.setContentsMargins(0, 0, 0, 0)
        hl.addWidget(self.session_note)
        hl.addWidget(self.hops)
        # effective permissions
        self.perm_model = PermissionsModel(self)
        self.perm_proxy = QtCore.QSortFilterProxyModel(self)
        self.perm_proxy.setSourceModel(self.perm_model)
        self.perm_proxy.setFilterCaseSensitivity(QtCore.Qt.CaseSensitivity.CaseInsensitive)
        self.perm_proxy.setFilterKeyColumn(-1)
        self.perm_filter = QtWidgets.QLineEdit()
        self.perm_filter.setPlaceholderText("filter: service, access level, action, statement…")
        self.perm_filter.textChanged.connect(self.perm_proxy.setFilterFixedString)
        self.perm_table = QtWidgets.QTableView()
        self.perm_table.setModel(self.perm_proxy)
        self.perm_table.setSortingEnabled(True)
        self.perm_table.horizontalHeader().setStretchLastSection(True)
        self.perm_table.verticalHeader().hide()
        self.perm_status = QtWidgets.QLabel("")
        self.perm_button = QtWidgets.QPushButton("Compute effective permissions")
        self.perm_button.clicked.connect(self.compute_effective)
        perm_box = QtWidgets.QWidget()
        pl = QtWidgets.QVBoxLayout(perm_box)
        pl.setContentsMargins(0, 0, 0, 0)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.perm_filter)
        row.addWidget(self.perm_button)
        pl.addLayout(row)
        pl.addWidget(self.perm_status)
        pl.addWidget(self.perm_table)
        # evaluate one action
        self.action_edit = QtWidgets.QLineEdit()
        self.action_edit.setPlaceholderText("action, e.g. s3:GetObject")
        self.resource_edit = QtWidgets.QLineEdit()
        self.resource_edit.setPlaceholderText("resource ARN, e.g. arn:aws:s3:::bucket/key (default *)")
        self.eval_button = QtWidgets.QPushButton("Evaluate")
        self.eval_button.clicked.connect(self.evaluate_action)
        self.action_edit.returnPressed.connect(self.evaluate_action)
        self.resource_edit.returnPressed.connect(self.evaluate_action)
        self.eval_result = QtWidgets.QLabel("")
        self.eval_result.setWordWrap(True)
        self.eval_tree = QtWidgets.QTreeWidget()
        self.eval_tree.setHeaderLabels(["layer / statement", "outcome / source"])
        self.eval_tree.setColumnWidth(0, 260)
        eval_box = QtWidgets.QWidget()
        el = QtWidgets.QFormLayout(eval_box)
        el.addRow("Action", self.action_edit)
        el.addRow("Resource", self.resource_edit)
        el.addRow("", self.eval_button)
        el.addRow(self.eval_result)
        el.addRow(self.eval_tree)

        self.tab_widgets = {"facts": self.facts, "trust": self.trust_json, "perms": self.perm_json,
                            "decision": self.decisions, "hops": hops_box, "effective": perm_box,
                            "evaluate": eval_box}
        self.tab_titles = {"facts": "Principal", "trust": "Trust policy", "perms": "Permission policies",
                           "decision": "Evaluation", "hops": "Hops", "effective": "Effective permissions",
                           "evaluate": "Evaluate an action"}
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addWidget(self.title)
        lay.addWidget(self.summary)
        lay.addWidget(self.tabs, 1)
        self._effective_for = None
        self.effective = None
        model.selectionChanged.connect(self.refresh)
        model.graphChanged.connect(self.refresh)
        self.refresh()

    # ---- helpers ----
    def _show_tabs(self, names: list[str]) -> None:
        current = self.tabs.tabText(self.tabs.currentIndex()) if self.tabs.count() else ""
        self.tabs.clear()
        for n in names:
            self.tabs.addTab(self.tab_widgets[n], self.tab_titles[n])
        for i in range(self.tabs.count()):
            if self.tabs.tabText(i) == current:
                self.tabs.setCurrentIndex(i)

    def tab_names(self) -> list[str]:
        return [self.tabs.tabText(i) for i in range(self.tabs.count())]

    def text(self) -> str:
        """All visible text (title, summary, tree rows): for tests and for copying."""
        parts = [self.title.text(), QtGui.QTextDocumentFragment.fromHtml(self.summary.text()).toPlainText()]
        for tree in (self.facts, self.decisions, self.hops, self.eval_tree):
            it = QtWidgets.QTreeWidgetItemIterator(tree)
            while it.value():
                item = it.value()
                parts.append(" | ".join(item.text(c) for c in range(tree.columnCount())))
                it += 1
        parts.append(self.session_note.text())
        parts.append(self.eval_result.text())
        return "\n".join(parts)

    # ---- refresh ----
    def refresh(self) -> None:
        m = self.model
        sel = m.selection
        self.facts.clear()
        self.decisions.clear()
        self.hops.clear()
        self.eval_tree.clear()
        self.eval_result.setText("")
        self.session_note.setText("")
        if m.tg is None or sel is None:
            self.title.setText("Nothing selected" if m.tg else "No snapshot loaded")
            self.summary.setText("Click a node, an edge or a chain to inspect it." if m.tg else "")
            self._show_tabs([])
            return
        if sel.kind == NODE:
            self._show_node(sel.value)
        elif sel.kind == EDGE:
            self._show_edge(*sel.value)
        elif sel.kind == PATH:
            self._show_path(sel.value)
        key = sel.key()
        if self._effective_for != key:
            self._effective_for = None
            self.effective = None
            self.perm_model.set_rows(None)
            self.perm_status.setText("Not computed yet: press the button (it runs in the background).")

    def _fact(self, name: str, value) -> QtWidgets.QTreeWidgetItem:
        item = QtWidgets.QTreeWidgetItem(self.facts, [name, str(value)])
        item.setToolTip(1, str(value))
        return item

    def _show_node(self, node) -> None:
        m = self.model
        g = m.tg.graph
        if node not in g:
            self.title.setText(str(node))
            self.summary.setText("not in the current graph")
            self._show_tabs([])
            return
        a = g.nodes[node]
        kind = a.get(S.KIND, "")
        self.title.setText(f"{a.get(S.LABEL) or node}")
        acct = a.get(S.ACCOUNT_ID)
        acct_name = m.snapshot.account_name(acct) if acct else ""
        self.summary.setText(f"{ST.kind_style(kind).name}" + (f" in <b>{acct_name}</b> ({acct})" if acct else "")
                             + " · " + reach_summary(g, node))
        self._fact("ARN / id", a.get(S.ARN) or node)
        self._fact("kind", ST.kind_style(kind).name)
        if acct:
            self._fact("account", f"{acct_name} ({acct})")
        principal = m.snapshot.principal(node) if isinstance(node, str) and node.startswith("arn:") else None
        tags = a.get(S.TAGS) or (getattr(principal, "tags", None) or {})
        tag_item = self._fact("tags", f"{len(tags)}" if tags else "none")
        for k, v in tags.items():
            QtWidgets.QTreeWidgetItem(tag_item, [k, str(v)])
        tag_item.setExpanded(True)
        if kind in (S.ROLE, S.SERVICE_LINKED_ROLE):
            ms = a.get(S.MAX_SESSION) or getattr(principal, "max_session_duration", None)
            known = a.get(S.MAX_SESSION_KNOWN, getattr(principal, "max_session_duration_known", True))
            self._fact("MaxSessionDuration", f"{ST.format_seconds(ms)} ({ms} s)" + (
                "" if known else " — assumed: roles.json does not give it"))
        if principal is not None:
            last = getattr(principal, "last_used", None)
            if kind in (S.ROLE, S.SERVICE_LINKED_ROLE):
                self._fact("last used", last.isoformat() + (f" in {principal.last_used_region}"
                                                            if principal.last_used_region else "")
                           if last else "never / unknown")
            created = getattr(principal, "create_date", None)
            if created:
                self._fact("created", created.isoformat())
            if getattr(principal, "groups", None):
                self._fact("groups", ", ".join(principal.groups))
            if principal.permissions_boundary is not None:
                self._fact("permissions boundary", principal.permissions_boundary.name)
            if getattr(principal, "description", ""):
                self._fact("description", principal.description)
        tabs = ["facts"]
        if principal is not None:
            if kind in (S.ROLE, S.SERVICE_LINKED_ROLE):
                self.trust_json.set_json(principal.trust_policy)
                tabs.append("trust")
            pols = [{"name": p.name, "kind": p.kind, **({"arn": p.arn} if p.arn else {}),
                     "document": p.document} for p in [*principal.inline_policies, *principal.attached_policies]]
            if principal.permissions_boundary is not None:
                b = principal.permissions_boundary
                pols.append({"name": b.name, "kind": "permissions boundary", "document": b.document})
            if kind == S.USER:
                for gname in principal.groups:
                    grp = m.snapshot.group(principal.account_id, gname)
                    if grp is not None:
                        for p in [*grp.inline_policies, *grp.attached_policies]:
                            pols.append({"name": p.name, "kind": f"{p.kind} (group {gname})",
                                         "document": p.document})
            self.perm_json.set_json(pols)
            tabs.append("perms")
            if kind in (S.ROLE, S.USER):
                tabs += ["effective", "evaluate"]
        self._show_tabs(tabs)

    def _show_edge(self, u, v) -> None:
        m = self.model
        g = m.tg.graph
        self.title.setText(f"{m.label(u)} → {m.label(v)}")
        data = g.get_edge_data(u, v) or {}
        if not data:
            self.summary.setText("No edge under the current context.")
            self._show_tabs([])
            return
        lines = []
        for key, d in data.items():
            state = d.get(S.STATE)
            text = f"<b>{d.get(S.ACTION, key)}</b>: {state}"
            if d.get(S.CROSS_ACCOUNT):
                text += " · cross-account"
            if d.get(S.REQUIRES):
                text += f" · requires {requirements_text(d.get(S.REQUIRES))}"
            lines.append(text)
            top = QtWidgets.QTreeWidgetItem(self.decisions, [f"{d.get(S.ACTION, key)}: {state}",
                                                             str(d.get(S.REASON, ""))])
            top.setToolTip(1, str(d.get(S.REASON, "")))
            if d.get(S.REQUIRES):
                QtWidgets.QTreeWidgetItem(top, ["requires", requirements_text(d.get(S.REQUIRES))])
            if d.get(S.BADGES):
                QtWidgets.QTreeWidgetItem(top, ["badges", ", ".join(d.get(S.BADGES))])
            if d.get(S.SESSION_TAGS):
                QtWidgets.QTreeWidgetItem(top, ["session tags", ", ".join(d.get(S.SESSION_TAGS))])
            for note in d.get(S.NOTES) or ():
                QtWidgets.QTreeWidgetItem(top, ["note", note])
            t = QtWidgets.QTreeWidgetItem(top, [f"role side (trust policy of {m.label(v)})", ""])
            decision_items(t, d.get(S.TRUST_DECISION))
            c = QtWidgets.QTreeWidgetItem(top, [f"caller side ({m.label(u)})", ""])
            if d.get(S.IDENTITY_DECISION) is None:
                # The graph says why there is no caller-side evaluation (caller outside the snapshot, ...);
                # otherwise the caller is a provider or a service, which signs with no AWS credentials of its own.
                notes = [n for n in (d.get(S.NOTES) or ()) if "not in the snapshot" in n]
                QtWidgets.QTreeWidgetItem(c, ["not evaluated" if notes else "not applicable",
                                              notes[0] if notes else "SAML/OIDC providers and services have no "
                                                                     "identity policies"])
            else:
                decision_items(c, d.get(S.IDENTITY_DECISION))
            whole = QtWidgets.QTreeWidgetItem(top, ["combined decision (all layers)", ""])
            decision_items(whole, d.get(S.DECISION))
        self.summary.setText("<br>".join(lines))
        self.decisions.expandToDepth(1)
        _tooltips(self.decisions)
        self._show_tabs(["decision"])

    def _show_path(self, path) -> None:
        m = self.model
        labels = [m.label(n) for n in path.nodes]
        self.title.setText(" → ".join(labels))
        hops = path.hops
        accounts = []
        for n in path.nodes:
            acct = m.tg.graph.nodes[n].get(S.ACCOUNT_ID) if n in m.tg.graph else None
            if acct and acct not in accounts:
                accounts.append(acct)
        final = path.final
        summary = (f"{'console Switch Role · ' if path.console else ''}"
                   f"{len(hops)} hop{'s' if len(hops) != 1 else ''}, {len(accounts)} account"
                   f"{'s' if len(accounts) != 1 else ''} ({', '.join(m.snapshot.account_name(a) for a in accounts)})"
                   f"{' · conditional' if path.conditional else ''}{' · includes a denied hop' if path.denied else ''}"
                   f"{' · session tags cannot be passed' if path.session_tags_blocked else ''}")
        self.summary.setText(summary)
        notes = []
        for i, h in enumerate(hops, 1):
            item = QtWidgets.QTreeWidgetItem(self.hops, [
                f"{i}. {m.label(h.source)} → {m.label(h.target)}",
                h.action + (" (cross-account)" if h.cross_account else ""),
                ST.format_seconds(h.max_session_seconds) if h.max_session_seconds else "n/a",
                requirements_text(h.requires)])
            item.setToolTip(0, f"{h.source} → {h.target}")
            reason = getattr(h.session, "reason", "")
            lines = []
            if reason:
                lines.append(f"session: {reason}")
            if h.chained and path.console:
                lines.append("role chaining: this switch is made by a console identity that is itself a role "
                             "session (a federated sign-in), so AWS caps the session at one hour")
            elif h.chained:
                lines.append("role chaining: this hop is made with role-session credentials, so AWS caps the "
                             "session at one hour whatever the role's MaxSessionDuration")
            lines.extend(h.session_tags_lines(i, m.label(h.source)))
            if not h.max_session_known:
                lines.append("note: MaxSessionDuration is not in the snapshot (roles.json missing or unreadable): 3600 s assumed")
            for text in lines:
                child = QtWidgets.QTreeWidgetItem(item, [text])
                child.setFirstColumnSpanned(True)
            dec = QtWidgets.QTreeWidgetItem(item, [f"evaluation: {h.edge.get(S.REASON, '')}"])
            dec.setFirstColumnSpanned(True)
            decision_items(dec, h.edge.get(S.DECISION))
        self.hops.expandToDepth(0)
        _tooltips(self.hops)
        self.hops_fit.fit()
        if final is not None:
            limit = final.session.limited_by
            secs = final.max_session_seconds
            if final.chained:
                notes.append(f"The final session lasts at most one hour ({secs} s): the last hop is role chaining "
                             f"(a role session assuming another role), and AWS caps chained sessions at one hour "
                             f"whatever the role's MaxSessionDuration.")
            elif secs:
                notes.append(f"The final session lasts at most {ST.format_seconds(secs)} ({secs} s), limited by "
                             f"{limit}" + (", and no longer than the console sign-in it was switched from."
                                           if path.console and final.action == S.ASSUME_ROLE
                                           else "."))
            else:
                notes.append(f"Session: {limit or 'n/a'}.")
        self.session_note.setText(" ".join(notes))
        self._show_tabs(["hops", "effective", "evaluate"])

    # ---- actions ----
    def _subject(self):
        sel = self.model.selection
        if sel is None:
            return None
        if sel.kind == PATH:
            return sel.value
        if sel.kind == NODE:
            return sel.value
        return None

    def compute_effective(self) -> None:
        subject = self._subject()
        if subject is None or self.model.tg is None:
            return
        key = self.model.selection.key()
        self.perm_status.setText("Computing…")

        def done(eff, key=key):
            if self.model.selection is None or self.model.selection.key() != key:
                return
            self._effective_for = key
            self.effective = eff
            self.perm_model.set_rows(eff)
            self.perm_table.resizeColumnsToContents()
            notes = ("; ".join(eff.notes)) if eff.notes else ""
            self.perm_status.setText(f"{len(eff.rows)} allowed actions of {eff.evaluated} evaluated"
                                     f"{' — ' + notes if notes else ''}")

        self.model.run_job("effective", W.effective_job, self.model.tg, subject, done=done,
                           failed=lambda msg: self.perm_status.setText(f"Could not compute: {msg}"))

    def evaluate_action(self) -> None:
        subject = self._subject()
        action = self.action_edit.text().strip()
        resource = self.resource_edit.text().strip() or "*"
        self.eval_tree.clear()
        if subject is None or not action:
            self.eval_result.setText("Give an action (and optionally a resource).")
            return
        from explorer.analysis.effective_permissions import decide_on_path
        from explorer.errors import InputError
        try:
            d = decide_on_path(self.model.tg, subject if not isinstance(subject, str) else [subject], action,
                               resource)
        except InputError as exc:
            self.eval_result.setText(f"Cannot evaluate: {exc}")
            return
        verdict = "allowed" if d.allowed else "denied"
        if d.conditional:
            verdict = f"allowed only if {requirements_text(d.requirements)}"
        self.eval_result.setText(f"<b>{action}</b> on <b>{resource}</b>: {verdict}. {d.reason}")
        self.eval_result.setTextFormat(QtCore.Qt.TextFormat.RichText)
        decision_items(self.eval_tree.invisibleRootItem(), d)
        self.eval_tree.expandAll()
