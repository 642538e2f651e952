"""The chains between a source and a target (found by explorer.analysis.paths.find_paths off the GUI thread):
hops, accounts crossed, conditions, session limit. Clicking a chain selects it (highlighted on the graph)."""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from explorer.graph import schema as S
from explorer.render import style as ST
from explorer.render.scene import requirements_text
from explorer.ui.columns import ColumnFitter
from explorer.ui.model import PATH, ExplorerModel

PATH_ROLE = QtCore.Qt.ItemDataRole.UserRole + 7
COLUMNS = ("chain", "hops", "accounts", "session", "conditions")
CHAIN, HOPS, ACCOUNTS, SESSION, CONDITIONS = range(len(COLUMNS))


class PathsPanel(QtWidgets.QWidget):
    def __init__(self, model: ExplorerModel, parent=None):
        super().__init__(parent)
        self.model = model
        self.source_label = QtWidgets.QLabel()
        self.target_label = QtWidgets.QLabel()
        for lab in (self.source_label, self.target_label):
            lab.setWordWrap(True)
            lab.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hops_spin = QtWidgets.QSpinBox()
        self.hops_spin.setRange(1, 10)
        self.hops_spin.setValue(model.max_hops)
        self.hops_spin.setPrefix("max hops: ")
        self.hops_spin.valueChanged.connect(self._hops_changed)
        self.console_check = QtWidgets.QCheckBox("console only")
        self.console_check.setToolTip(
            "Console Switch Role chains only (spec D8): the signed-in identity makes every switch, so a chain is "
            "one switch from a user, or a federated sign-in (SAML/OIDC) and one switch, capped at 1 h; a console "
            "switch cannot pass sts:ExternalId")
        self.console_check.setChecked(model.console_only)
        self.console_check.toggled.connect(self._console_changed)
        self.clear_button = QtWidgets.QPushButton("Clear")
        self.clear_button.clicked.connect(model.clear_paths)
        self.status = QtWidgets.QLabel()
        self.tree = QtWidgets.QTreeWidget()
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        # the dock is narrow: the short columns (hops, accounts, session limit) are sized to their text and stay
        # in view, "conditions" gives up room first, the chain takes the rest, elided in the middle so both ends
        # show (every cell's full text is in its tooltip)
        self.tree.setTextElideMode(QtCore.Qt.TextElideMode.ElideMiddle)
        self.fitter = ColumnFitter(self.tree, stretch=0, columns={1: (40, 70), 2: (40, 90), 3: (60, 150),
                                                                  4: (60, 260)},
                                   shrink=(4,), stretch_min=140)
        self.tree.itemClicked.connect(self._clicked)
        self.tree.currentItemChanged.connect(lambda cur, prev: cur is not None and self._clicked(cur))
        form = QtWidgets.QFormLayout()
        form.addRow("From:", self.source_label)
        form.addRow("To:", self.target_label)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.hops_spin)
        row.addWidget(self.console_check)
        row.addStretch(1)
        row.addWidget(self.clear_button)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(form)
        lay.addLayout(row)
        lay.addWidget(self.status)
        lay.addWidget(self.tree, 1)
        model.pathsChanged.connect(self.refresh)
        self.refresh()

    def _hops_changed(self, value: int) -> None:
        self.model.max_hops = value
        if self.model.path_source and self.model.path_target:
            self.model.find_paths(self.model.path_source, self.model.path_target)

    def _console_changed(self, on: bool) -> None:
        self.model.console_only = on
        if self.model.path_source and self.model.path_target:
            self.model.find_paths(self.model.path_source, self.model.path_target)

    def refresh(self) -> None:
        m = self.model
        self.source_label.setText(m.label(m.path_source) if m.path_source else
                                  "(right-click a node: “Chains from here”, or use path mode)")
        self.target_label.setText(m.label(m.path_target) if m.path_target else "(right-click a node: “Chains to here”)")
        self.tree.blockSignals(True)
        self.tree.clear()
        for path in m.paths:
            self._add(path)
        self.tree.blockSignals(False)
        self.fitter.fit()
        if m.path_source and m.path_target:
            if m.paths_searching:
                self.status.setText("Finding chains…")
            else:
                n = len(m.paths)
                how = " by console Switch Role" if m.console_only else ""
                self.status.setText(f"{n} chain{'s' if n != 1 else ''}{how} within {m.max_hops} hops"
                                    + ("" if n else ": no way under the current context" if not m.console_only
                                       else self._no_console_chain()))
        else:
            self.status.setText("")

    def _no_console_chain(self) -> str:
        from explorer.analysis.console_switch import not_a_console_identity
        why = not_a_console_identity(self.model.tg, self.model.path_source) if self.model.tg is not None else None
        if why:
            return ": the source is " + why
        return (": the console switches with the signed-in identity only, and cannot pass sts:ExternalId (clear "
                "“console only” for API chains)")

    def _add(self, path) -> None:
        m = self.model
        g = m.tg.graph
        accounts = []
        for n in path.nodes:
            acct = g.nodes[n].get(S.ACCOUNT_ID) if n in g else None
            if acct and acct not in accounts:
                accounts.append(acct)
        conds = [requirements_text(h.requires) for h in path.hops if h.requires]
        if path.denied:
            conds.insert(0, "DENIED hop")
        if path.session_tags_blocked:
            conds.insert(0, "session tags cannot be passed")
        secs = path.max_session_seconds
        session = (ST.format_seconds(secs) if secs else "n/a") + (" (chained)" if path.chained else "")
        chain = " → ".join(m.label(n) for n in path.nodes)
        cells = {CHAIN: chain, HOPS: str(len(path.hops)), ACCOUNTS: str(len(accounts)), SESSION: session,
                 CONDITIONS: "; ".join(conds) or "none"}
        item = QtWidgets.QTreeWidgetItem([cells[c] for c in range(len(COLUMNS))])
        item.setToolTip(CHAIN, chain + "\n\n" + "\n".join(path.nodes))
        item.setToolTip(ACCOUNTS, ", ".join(m.snapshot.account_name(a) for a in accounts))
        item.setToolTip(SESSION, session + ("\nrole chaining: the last hop is made with role-session credentials, "
                                            "so AWS caps the session at one hour (1 h cap) whatever the role's "
                                            "MaxSessionDuration" if path.chained else ""))
        item.setToolTip(CONDITIONS, "\n".join(conds) or "none")
        item.setData(0, PATH_ROLE, path)
        self.tree.addTopLevelItem(item)

    def _clicked(self, item) -> None:
        path = item.data(0, PATH_ROLE)
        if path is not None:
            self.model.select(PATH, path)

    def select_row(self, row: int) -> None:
        item = self.tree.topLevelItem(row)
        if item is not None:
            self.tree.setCurrentItem(item)
            self._clicked(item)
