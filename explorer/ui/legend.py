"""The legend: node symbols and edge styles, painted from render/style.py (the same as the exports)."""
from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from explorer.render import style as ST
from explorer.render.qt_canvas import make_pen, symbol_path


class LegendWidget(QtWidgets.QWidget):
    ROW = 22

    def __init__(self, parent=None):
        super().__init__(parent)
        self.theme = "light"
        self.show_denied = True
        self.kinds, self.edges = ST.legend_entries()
        self.setMinimumHeight(self.ROW * (len(self.kinds) + len(self.edges)) + 40)

    def set_theme(self, name: str) -> None:
        self.theme = name
        self.update()

    def sizeHint(self):
        return QtCore.QSize(260, self.minimumHeight())

    def paintEvent(self, ev) -> None:
        th = ST.theme(self.theme)
        p = QtGui.QPainter(self)
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        y = 16
        p.setPen(self.palette().color(QtGui.QPalette.ColorRole.WindowText))
        bold = QtGui.QFont(self.font())
        bold.setBold(True)
        p.setFont(bold)
        p.drawText(8, y, "Nodes")
        p.setFont(self.font())
        y += 8
        for ks in self.kinds:
            y += self.ROW
            p.save()
            p.translate(18, y - 5)
            p.scale(13, 13)
            pen = QtGui.QPen(QtGui.QColor(th["node_border"]))
            pen.setCosmetic(True)
            p.setPen(pen)
            p.setBrush(QtGui.QColor(ks.color))
            sym = symbol_path(ks)
            if sym == "o":
                p.drawEllipse(QtCore.QPointF(0, 0), 0.5, 0.5)
            else:
                p.drawPath(sym)
            p.restore()
            p.drawText(34, y, ks.name)
        y += self.ROW + 4
        p.setFont(bold)
        p.drawText(8, y, "Edges")
        p.setFont(self.font())
        for es in self.edges:
            y += self.ROW
            p.setPen(make_pen(es))
            p.drawLine(6, y - 5, 30, y - 5)
            p.setPen(self.palette().color(QtGui.QPalette.ColorRole.WindowText))
            p.drawText(36, y, es.name)
        y += self.ROW
        p.drawText(8, y, "Badges: " + ", ".join(ST.BADGE_NAMES)[:60])
        p.end()
