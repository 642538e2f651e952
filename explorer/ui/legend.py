"""The legend: node symbols and edge styles, painted from render/style.py (the same as the exports)."""
from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from explorer.render import style as ST
from explorer.render.qt_canvas import draw_kind_symbol, make_pen


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
            draw_kind_symbol(p, ks, 18, y - 5, 13, th["node_border"])
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


class LegendOverlay(QtWidgets.QWidget):
    """A compact legend in a corner of the canvas: the node kinds and edge styles of the picture shown, in a few
    columns on a translucent plate; a click on its title folds it to one line (and back)."""

    ROW = 17
    PAD = 8
    HEAD = 20

    def __init__(self, parent=None):
        super().__init__(parent)
        self.theme = "light"
        self.expanded = True
        self.kinds, self.edges = ST.legend_entries(show_denied=False)
        self.badges: list[str] = []
        self.setCursor(QtCore.Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Legend: click to fold or unfold")
        self._relayout()

    def set_theme(self, name: str) -> None:
        self.theme = name
        self.update()

    def set_scene(self, scene) -> None:
        """Show what this scene draws (kinds present, edge styles present, condition badges used)."""
        kinds, edges = ST.legend_entries(show_denied=scene.show_denied, kinds=scene.kinds_present(),
                                         edge_keys=scene.edge_keys_present() | {ST.HIGHLIGHT})
        self.kinds, self.edges = kinds, edges
        seen = []
        for *_xy, text in scene.badges:
            for word in text.split():
                if word in ST.BADGE_NAMES and word not in seen:
                    seen.append(word)
        self.badges = seen
        self._relayout()

    def set_expanded(self, on: bool) -> None:
        self.expanded = bool(on)
        self._relayout()

    def mousePressEvent(self, ev) -> None:
        self.set_expanded(not self.expanded)
        ev.accept()

    def _columns(self) -> int:
        return 3 if len(self.kinds) + len(self.edges) > 9 else 2

    def _relayout(self) -> None:
        fm = QtGui.QFontMetrics(self._font())
        cols = self._columns()
        names = [k.name for k in self.kinds] + [e.name for e in self.edges]
        col_w = max([fm.horizontalAdvance(n) for n in names] + [60]) + 34
        rows = -(-len(self.kinds) // cols) + -(-len(self.edges) // cols)
        self._badge_lines = self._wrap_badges(fm, cols * col_w)
        badge_h = self.ROW * len(self._badge_lines)
        if self.expanded:
            w = self.PAD * 2 + cols * col_w
            h = self.HEAD + rows * self.ROW + badge_h + self.PAD
        else:
            w = fm.horizontalAdvance("Legend ▸") + 2 * self.PAD + 4
            h = self.HEAD + 2
        self.resize(int(w), int(h))
        self._col_w = col_w
        parent = self.parentWidget()
        if parent is not None and hasattr(parent, "place_overlays"):
            parent.place_overlays()
        self.update()

    def _wrap_badges(self, fm, width: float) -> list[str]:
        """The badge words in lines no wider than the legend (their tooltips and the exports say more)."""
        lines, cur = [], "badges, what a conditional edge needs:"
        for b in self.badges:
            item = b
            trial = f"{cur} {item}" if cur.endswith(":") else f"{cur}, {item}"
            if fm.horizontalAdvance(trial) > width and not cur.endswith(":"):
                lines.append(cur + ",")
                cur = "  " + item
            else:
                cur = trial
        if self.badges:
            lines.append(cur)
        return lines

    def _font(self) -> QtGui.QFont:
        f = QtGui.QFont(self.font())
        f.setPixelSize(11)
        return f

    def paintEvent(self, ev) -> None:
        th = ST.theme(self.theme)
        p = QtGui.QPainter(self)
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        bg = QtGui.QColor(th["caption_bg"])
        bg.setAlpha(235)
        p.setPen(QtGui.QPen(QtGui.QColor(th["band_border"])))
        p.setBrush(bg)
        p.drawRoundedRect(QtCore.QRectF(0.5, 0.5, self.width() - 1, self.height() - 1), 6, 6)
        f = self._font()
        bold = QtGui.QFont(f)
        bold.setBold(True)
        p.setFont(bold)
        text = QtGui.QColor(th["text"])
        p.setPen(text)
        p.drawText(QtCore.QPointF(self.PAD, 14), "Legend " + ("▾" if self.expanded else "▸"))
        if not self.expanded:
            p.end()
            return
        p.setFont(f)
        cols = self._columns()
        y0 = self.HEAD + self.ROW * 0.5
        for i, ks in enumerate(self.kinds):
            r, c = divmod(i, cols)
            x, y = self.PAD + c * self._col_w, y0 + r * self.ROW
            draw_kind_symbol(p, ks, x + 7, y, 11, th["node_border"])
            p.setPen(text)
            p.drawText(QtCore.QPointF(x + 18, y + 4), ks.name)
        y0 += -(-len(self.kinds) // cols) * self.ROW
        for i, es in enumerate(self.edges):
            r, c = divmod(i, cols)
            x, y = self.PAD + c * self._col_w, y0 + r * self.ROW
            p.setPen(make_pen(es))
            p.drawLine(QtCore.QPointF(x, y), QtCore.QPointF(x + 22, y))
            p.setPen(text)
            p.drawText(QtCore.QPointF(x + 28, y + 4), es.name)
        y = y0 + -(-len(self.edges) // cols) * self.ROW
        p.setPen(QtGui.QColor(th["muted"]))
        for line in self._badge_lines:
            p.drawText(QtCore.QPointF(self.PAD, y + 4), line)
            y += self.ROW
        p.end()
