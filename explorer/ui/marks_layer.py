"""The marks layer: one pyqtgraph item that paints the model's edge and node marks (compare, CloudTrail use,
revocation preview, a finding's subject) over the canvas, without touching the scene's own items.

A marked pair that is drawn in the scene is traced along the drawn edge (same bends); a marked pair that is not
in the drawn graph (an edge of the other snapshot, an edge the filter hides) is drawn as a dashed ghost line when
both of its nodes are shown. Badges (counts, +/-) are painted in screen pixels at the edge middles.

The item lives in the canvas's ViewBox next to the scene items (between the edges and the nodes) and follows
the canvas's scene: `MarksLayer.attach(canvas, model)` is all it needs. No IAM logic here.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from explorer.render.style import HIGHLIGHT_KEYS
from explorer.ui import model as M

COLOURS = {
    M.MARK_ADDED: "#1f9d3a",
    M.MARK_REMOVED: "#d62728",
    M.MARK_CHANGED: "#e08a00",
    M.MARK_USED: "#7b3fd0",
    M.MARK_LOST: "#d62728",
    M.MARK_KEPT: "#1f9d3a",
    M.MARK_FOCUS: "#e6007e",
}
DEFAULT_COLOUR = "#e6007e"
BASE_WIDTH = 3.5
GHOST_OFFSET = 28.0
AA_SEGMENTS = 600  # antialias the marks only when fewer segments than this are in view (thick AA lines are slow)
LOD_SEGMENTS = 6000  # more drawn segments in view than this: coarse outlines instead of the curves
MAX_BADGES = 400  # more badges in view than this: none (unreadable)  # ghost lines bow a little so they do not hide a drawn edge between the same nodes


def _middle(seg: np.ndarray, at: float = 0.35) -> tuple[float, float]:
    """The point `at` of the way along a polyline of segments (n, 4) (not the middle: the scene puts its own
    condition badges there)."""
    if not len(seg):
        return (0.0, 0.0)
    if len(seg) > 2:  # a drawn curve starts with a stub under the source's label: badge the curve itself
        seg = seg[1:]
        at = 0.25
    lengths = np.hypot(seg[:, 2] - seg[:, 0], seg[:, 3] - seg[:, 1])
    half = lengths.sum() * at
    acc = np.cumsum(lengths)
    j = int(np.searchsorted(acc, half))
    j = min(j, len(seg) - 1)
    before = acc[j] - lengths[j]
    t = (half - before) / lengths[j] if lengths[j] else 0.0
    x0, y0, x1, y1 = seg[j]
    return (float(x0 + (x1 - x0) * t), float(y0 + (y1 - y0) * t))


def mark_colour(kind: str) -> QtGui.QColor:
    return QtGui.QColor(COLOURS.get(kind, DEFAULT_COLOUR))


class MarksLayer(pg.GraphicsObject):
    def __init__(self, canvas, model):
        super().__init__()
        self.canvas, self.model = canvas, model
        self.setZValue(-3)  # above the edges (-5), below the highlighted chain (-1), rings (4) and nodes (5)
        self._scene = None
        self._pair_index: dict = {}
        self._rect = QtCore.QRectF(0, 0, 1, 1)
        self.lines: list[tuple] = []  # (segments (n, 4), EdgeMark, ghost, (mx, my)) ready to paint
        self.rings: list[tuple] = []  # (x, y, EdgeMark)
        self.coarse: list = []  # per line: a coarse outline (few segments) drawn when very many are in view
        self.ghost_count = 0
        self.drawn_count = 0
        self.painted_segments = 0  # segments the last paint drew (tests, benchmarks)
        self._batched = None
        self._badge_xy = np.zeros((0, 2))
        self._badge_marks: list = []
        self._prims = pg.Qt.internals.PrimitiveArray(QtCore.QLineF, 4)

    @classmethod
    def attach(cls, canvas, model) -> "MarksLayer":
        layer = cls(canvas, model)
        canvas.viewbox.addItem(layer, ignoreBounds=True)
        model.marksChanged.connect(layer.rebuild)
        model.sceneChanged.connect(lambda _s: layer.rebuild())
        layer.rebuild()
        return layer

    # ---- geometry ----
    def _index(self, sc) -> dict:
        if sc is not self._scene:
            self._scene = sc
            self._pair_index = {}
            for key, pairs in sc.edge_pairs.items():
                if key in HIGHLIGHT_KEYS:  # the selection's own lines (allowed or denied hops)
                    continue
                for i, pair in enumerate(pairs):
                    self._pair_index.setdefault(pair, (key, i))
        return self._pair_index

    def rebuild(self) -> None:
        sc = getattr(self.canvas, "scene_data", None)
        self.lines, self.rings, self.coarse = [], [], []
        self._batched = None
        self.ghost_count = self.drawn_count = 0
        marks = self.model.edge_marks()
        node_marks = self.model.node_marks()
        if sc is None or sc.graph is None or (not marks and not node_marks):
            self.prepareGeometryChange()
            self._rect = QtCore.QRectF(0, 0, 1, 1)
            self.update()
            return
        index = self._index(sc)
        for (u, v), mark in marks.items():
            pu, pv = sc.position(u), sc.position(v)
            if pu is None or pv is None or u == v:
                continue
            hit = index.get((u, v))
            if hit is not None:
                seg = self._drawn_polyline(sc, *hit)
                self.lines.append((seg, mark, False, _middle(seg)))
                self.coarse.append(np.asarray(sc.edge_segments[hit[0]][2 * hit[1]:2 * hit[1] + 2],
                                              dtype=float).reshape(-1, 4))
                self.drawn_count += 1
            else:
                seg = self._ghost_polyline(sc, u, v, pu, pv)
                self.lines.append((seg, mark, True, _middle(seg)))
                self.coarse.append(np.array([[pu[0], pu[1], pv[0], pv[1]]], dtype=float))
                self.ghost_count += 1
        for node, mark in node_marks.items():
            pos = sc.position(node)
            if pos is not None:
                self.rings.append((pos[0], pos[1], mark))
        self.prepareGeometryChange()
        self._rect = QtCore.QRectF(-50, -50, sc.width + 100, sc.height + 100)
        self.update()

    @staticmethod
    def _drawn_polyline(sc, key: str, i: int) -> np.ndarray:
        """The segments of edge i of style `key` as the scene draws them."""
        if hasattr(sc, "edge_polyline"):
            return np.asarray(sc.edge_polyline(key, i), dtype=float).reshape(-1, 4)
        return np.asarray(sc.edge_segments[key][2 * i:2 * i + 2], dtype=float).reshape(-1, 4)

    @staticmethod
    def _ghost_polyline(sc, u, v, pu, pv) -> np.ndarray:
        """A line for a pair the scene does not draw: shaped like the scene's edges when it can say how."""
        if hasattr(sc, "pair_geometry"):
            try:
                seg, _arrows = sc.pair_geometry([(u, v)])
                if len(seg):
                    return np.asarray(seg, dtype=float).reshape(-1, 4)
            except Exception:  # an older or newer scene without this helper's expected shape: draw our own
                pass
        x0, y0 = pu
        x1, y1 = pv
        dx, dy = x1 - x0, y1 - y0
        length = math.hypot(dx, dy) or 1.0
        cx = (x0 + x1) / 2 - dy / length * GHOST_OFFSET
        cy = (y0 + y1) / 2 + dx / length * GHOST_OFFSET
        return np.array([[x0, y0, cx, cy], [cx, cy, x1, y1]], dtype=float)

    # ---- painting ----
    def boundingRect(self):
        return self._rect

    def _groups(self) -> list:
        """Lines batched by pen (kind, ghost, width): one drawLines call each, whatever the number of marks.
        Each batch has its drawn segments and a coarse outline (for when very many are in view)."""
        if self._batched is None:
            batches: dict = {}
            for (seg, mark, ghost, _mid), coarse in zip(self.lines, self.coarse):
                key = (mark.kind, ghost, round(max(0.5, min(mark.weight, 4.0)) * 2) / 2)
                fine_l, coarse_l = batches.setdefault(key, ([], []))
                fine_l.append(seg)
                coarse_l.append(coarse)
            self._batched = [(k, np.concatenate(f), np.concatenate(c)) for k, (f, c) in batches.items()]
            labelled = [(mid, mark) for _seg, mark, _g, mid in self.lines if mark.label]
            self._badge_xy = np.array([m for m, _ in labelled], dtype=float).reshape(-1, 2)
            self._badge_marks = [mk for _, mk in labelled]
        return self._batched

    @staticmethod
    def _in_view(seg: np.ndarray, view) -> np.ndarray:
        if view is None or not len(seg):
            return seg
        l, r = view.left(), view.right()
        t, b = min(view.top(), view.bottom()), max(view.top(), view.bottom())
        inside = ~((np.maximum(seg[:, 0], seg[:, 2]) < l) | (np.minimum(seg[:, 0], seg[:, 2]) > r)
                   | (np.maximum(seg[:, 1], seg[:, 3]) < t) | (np.minimum(seg[:, 1], seg[:, 3]) > b))
        return seg[inside]

    def paint(self, p, opt, widget):
        if not self.lines and not self.rings:
            return
        if self._scene is not getattr(self.canvas, "scene_data", None):
            self.rebuild()  # the canvas got a new scene before our slot ran
        view = self.viewRect()
        groups = self._groups()
        visible = [(key, self._in_view(fine, view), coarse) for key, fine, coarse in groups]
        total = sum(len(seg) for _k, seg, _c in visible)
        many = total > LOD_SEGMENTS
        if many:  # too many to draw as curves: their coarse outlines, thin and without antialiasing
            visible = [(key, self._in_view(coarse, view), coarse) for key, _f, coarse in groups]
            total = sum(len(seg) for _k, seg, _c in visible)
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, not many and total <= AA_SEGMENTS)
        for (kind, ghost, weight), seg, _c in visible:
            if not len(seg):
                continue
            colour = mark_colour(kind)
            colour.setAlpha(200 if not ghost else 230)
            pen = QtGui.QPen(colour)
            pen.setCosmetic(True)
            pen.setWidthF(BASE_WIDTH * weight if not many else 1.0)  # wider lines take the slow stroker
            pen.setCapStyle(QtCore.Qt.PenCapStyle.RoundCap)
            if ghost:
                pen.setStyle(QtCore.Qt.PenStyle.DashLine)
            p.setPen(pen)
            self._prims.resize(len(seg))
            self._prims.ndarray()[:] = seg
            p.drawLines(*self._prims.drawargs())
        self.painted_segments = total
        # badges and rings in screen pixels (badges only when few are in view: they could not be read anyway)
        tr = p.transform()
        p.resetTransform()
        if len(self._badge_xy) and view is not None:
            bx, by = self._badge_xy[:, 0], self._badge_xy[:, 1]
            t, b = min(view.top(), view.bottom()), max(view.top(), view.bottom())
            idx = np.nonzero((bx >= view.left()) & (bx <= view.right()) & (by >= t) & (by <= b))[0]
            if 0 < len(idx) <= MAX_BADGES:
                font = QtGui.QFont()
                font.setPixelSize(10)
                font.setBold(True)
                fm = QtGui.QFontMetricsF(font)
                p.setFont(font)
                white = QtGui.QPen(QtGui.QColor("white"), 1)
                for i in idx:
                    mark = self._badge_marks[i]
                    pt = tr.map(QtCore.QPointF(bx[i], by[i]))
                    w = fm.horizontalAdvance(mark.label) + 8
                    h = fm.height() + 2
                    rect = QtCore.QRectF(pt.x() - w / 2, pt.y() - h / 2, w, h)
                    p.setPen(white)
                    p.setBrush(mark_colour(mark.kind))
                    p.drawRoundedRect(rect, 4, 4)
                    p.drawText(rect, QtCore.Qt.AlignmentFlag.AlignCenter, mark.label)
        p.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        for x, y, mark in self.rings:
            pt = tr.map(QtCore.QPointF(x, y))
            p.setPen(QtGui.QPen(mark_colour(mark.kind), 3))
            p.drawEllipse(pt, 13, 13)
            if mark.label:
                p.drawText(QtCore.QPointF(pt.x() - 6, pt.y() - 16), mark.label)
