"""Find a principal: a search box completing over names, ARNs, account names and aliases, and looking up
unique ids (UserId / RoleId, as trust policies naming deleted principals and CloudTrail's principalId show them:
exact and case-sensitive, and "AROA…:session" finds the role of an assumed-role session)."""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from explorer.graph import schema as S

ROLE_ENTRY = QtCore.Qt.ItemDataRole.UserRole + 1


class UniqueId(str):
    """The text of a search entry that is a principal's unique id (AIDA…, AROA…): matched exactly and
    case-sensitively, and not offered by the completer (it would match every fragment typed)."""


def search_entries(graph, estate) -> list[tuple[str, object]]:
    """(text shown, node) pairs: every node by label and by ARN, every user and role by unique id (a UniqueId
    text), every account by name, alias and id."""
    out = []
    for n, a in graph.nodes(data=True):
        label = str(a.get(S.LABEL) or n)
        acct = a.get(S.ACCOUNT_ID)
        info = estate.accounts.get(acct) if acct else None
        where = f" — {info.name}" if info and info.name else (f" — {acct}" if acct else "")
        out.append((f"{label}{where}", n))
        arn = a.get(S.ARN) or n
        if isinstance(arn, str) and arn != label:
            out.append((arn, n))
        uid = a.get(S.UNIQUE_ID)
        if isinstance(uid, str) and uid.strip():
            out.append((UniqueId(uid.strip()), n))
    for acct_id, info in estate.accounts.items():
        node = f"arn:aws:iam::{acct_id}:root"
        if node in graph:
            for text in {info.name, info.alias, acct_id} - {""}:
                out.append((f"account {text}", node))
    return out


class SearchBox(QtWidgets.QLineEdit):
    nodeChosen = QtCore.Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setPlaceholderText("Find a principal, ARN, unique id or account (Ctrl+F)")
        self.setClearButtonEnabled(True)
        self.setMinimumWidth(320)
        self.model_ = QtCore.QStringListModel(self)
        self.completer_ = QtWidgets.QCompleter(self.model_, self)
        self.completer_.setCaseSensitivity(QtCore.Qt.CaseSensitivity.CaseInsensitive)
        self.completer_.setFilterMode(QtCore.Qt.MatchFlag.MatchContains)
        self.completer_.setMaxVisibleItems(15)
        self.setCompleter(self.completer_)
        self.completer_.activated[str].connect(self._chosen)
        self.returnPressed.connect(lambda: self._chosen(self.text()))
        self._nodes: dict[str, object] = {}
        self._ids: dict[str, object] = {}  # unique id -> node (exact, case-sensitive)

    def set_entries(self, entries: list[tuple[str, object]]) -> None:
        self._nodes = {}
        self._ids = {}
        for text, node in entries:
            if isinstance(text, UniqueId):
                self._ids.setdefault(str(text), node)
            else:
                self._nodes.setdefault(text, node)
        self.model_.setStringList(sorted(self._nodes, key=str.lower))

    def lookup(self, text: str):
        """The node of an entry: exact text, else a unique id (exact, case-sensitive; "AROA…:session", an
        assumed-role principalId, finds the role), else case-insensitive exact, else the first entry containing
        it."""
        text = text.strip()
        if not text:
            return None
        if text in self._nodes:
            return self._nodes[text]
        if text in self._ids:
            return self._ids[text]
        head, sep, _session = text.partition(":")
        if sep and head in self._ids:
            return self._ids[head]
        low = text.lower()
        for t, n in self._nodes.items():
            if t.lower() == low:
                return n
        for t in sorted(self._nodes, key=len):
            if low in t.lower():
                return self._nodes[t]
        return None

    def _chosen(self, text: str) -> None:
        node = self.lookup(text)
        if node is not None:
            self.nodeChosen.emit(node)
