"""Column widths of tree and table views that fit their text within the visible width (the chains dock, the
inspector's hop table)."""
from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets


class ColumnFitter(QtCore.QObject):
    """Keeps the columns of a QTreeWidget inside its viewport: every column but `stretch` is as wide as its
    header and top-level rows need, up to a cap; the `stretch` column gets what is left (at least its minimum,
    its text elided with the full text in the tooltip). When the viewport is too narrow, the columns named in
    `shrink` give up room first, in that order, down to their minimum. Re-fitted on every viewport resize and
    whenever `fit()` is called (after the rows change). Columns: {index: (minimum, cap)} in pixels."""

    PADDING = 14  # cell margins of the style, both sides, plus a little air

    def __init__(self, tree: QtWidgets.QTreeWidget, stretch: int, columns: dict, shrink: tuple = (),
                 stretch_min: int = 140):
        super().__init__(tree)
        self.tree = tree
        self.stretch = stretch
        self.columns = dict(columns)
        self.shrink = tuple(shrink)
        self.stretch_min = stretch_min
        header = tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Interactive)
        tree.viewport().installEventFilter(self)

    def eventFilter(self, obj, event):
        if event.type() == QtCore.QEvent.Type.Resize:
            QtCore.QTimer.singleShot(0, self.fit)
        return False

    def content_width(self, col: int) -> int:
        tree = self.tree
        fm = QtGui.QFontMetrics(tree.font())
        w = tree.header().sectionSizeHint(col)
        for i in range(tree.topLevelItemCount()):
            text = tree.topLevelItem(i).text(col)
            if text:
                w = max(w, fm.horizontalAdvance(text) + self.PADDING)
        return w

    def widths(self, available: int) -> dict:
        """The width of every column for a viewport `available` pixels wide."""
        out = {}
        for col, (_lo, cap) in self.columns.items():
            out[col] = min(cap, self.content_width(col))
        need = self.stretch_min - (available - sum(out.values()))
        for col in self.shrink:
            if need <= 0:
                break
            lo = min(self.columns[col][0], out[col])
            give = min(need, out[col] - lo)
            out[col] -= give
            need -= give
        out[self.stretch] = max(self.stretch_min, available - sum(out.values()))
        return out

    def fit(self) -> None:
        tree = self.tree
        try:
            available = tree.viewport().width()
        except RuntimeError:  # the tree is gone (window closed before the queued fit ran)
            return
        for col, w in self.widths(available).items():
            if col < tree.columnCount() and tree.columnWidth(col) != w:
                tree.setColumnWidth(col, w)
