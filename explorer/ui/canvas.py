"""The graph canvas: a pyqtgraph view showing the model's Scene with the shared items of render/qt_canvas.py.

It shows and reports: clicks, double-clicks and context-menu requests on nodes, edges and bands become signals;
hover shows the tooltip of what is under the mouse. Hit testing is vectorised (numpy) so it stays fast with
tens of thousands of edges. Pan and zoom only redraw the existing items: they never wait for a computation.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from explorer.render import scene as SC
from explorer.render import style as ST
from explorer.render.qt_canvas import SceneItems
from explorer.ui.legend import LegendOverlay

HIT_NODE_PX = 10.0
HIT_EDGE_PX = 5.0
FIT_MARGIN = 0.025  # of the scene, on each side
MAX_STRETCH = 2.0  # fit: one axis may be scaled at most this much more than the other
MAX_FIT_ZOOM = 1.6  # fit: a small picture is not blown up beyond this
ZOOM_SETTLE_MS = 180  # symbol sizes follow the zoom this long after it stops changing


class GraphCanvas(pg.GraphicsView):
    nodeClicked = QtCore.Signal(object)
    edgeClicked = QtCore.Signal(object, object)
    backgroundClicked = QtCore.Signal()
    nodeDoubleClicked = QtCore.Signal(object)
    bandDoubleClicked = QtCore.Signal(str)
    contextMenuAt = QtCore.Signal(object, object)  # (node or None, QPoint global)

    def __init__(self, parent=None):
        super().__init__(parent, background="w")
        self.viewbox = pg.ViewBox(invertY=True, enableMenu=False, defaultPadding=0.02)
        # nodes and labels are drawn in pixels: fitting may scale the two axes a little differently (see fit)
        self.viewbox.setAspectLocked(False)
        self.setCentralItem(self.viewbox)
        self.setMouseTracking(True)
        self.scene_data: SC.Scene | None = None
        self.items: SceneItems | None = None
        self.theme_name = "light"
        self._hover_key = None
        self._auto_fit = True  # refit on resize until the user pans or zooms
        self.scene().sigMouseClicked.connect(self._on_click)
        self.scene().sigMouseMoved.connect(self._on_move)
        self.viewbox.sigRangeChangedManually.connect(self._manual_range)
        self.viewbox.sigTransformChanged.connect(self._zoom_changed)
        self._zoom_timer = QtCore.QTimer(self)
        self._zoom_timer.setSingleShot(True)
        self._zoom_timer.timeout.connect(self._apply_zoom)
        self.setToolTip("")
        self.legend = LegendOverlay(self)
        self.place_overlays()

    def _manual_range(self, *_a) -> None:
        self._auto_fit = False

    def _zoom_changed(self, *_a) -> None:
        """Symbol sizes follow the zoom once it settles (a rebuild of the symbol data: never during a frame)."""
        self._zoom_timer.start(ZOOM_SETTLE_MS)

    def _apply_zoom(self) -> None:
        if self.items is not None and not getattr(self, "closed", False):
            px = self.viewbox.viewPixelSize()
            if self.items.set_zoom(1.0 / max(float(px[1]), 1e-9)):
                self.viewport().update()

    def _fit_scale_y(self, scene: SC.Scene) -> float:
        """Pixels per unit (y) that fit() will give this scene."""
        vw = max(float(self.viewbox.width()), 50.0)
        vh = max(float(self.viewbox.height()), 50.0)
        sx = vw / (max(scene.width, 1.0) * (1 + 2 * FIT_MARGIN))
        sy = vh / (max(scene.height, 1.0) * (1 + 2 * FIT_MARGIN))
        return min(sy, sx * MAX_STRETCH, MAX_FIT_ZOOM)

    def place_overlays(self) -> None:
        """The legend sits in the bottom-right corner of the view."""
        legend = getattr(self, "legend", None)
        if legend is None:
            return
        m = 10
        legend.move(max(0, self.width() - legend.width() - m), max(0, self.height() - legend.height() - m))
        legend.raise_()

    def resizeEvent(self, ev) -> None:
        super().resizeEvent(ev)
        if getattr(self, "closed", False):  # pyqtgraph's close() has deleted the items
            return
        self.place_overlays()
        if getattr(self, "_auto_fit", False) and getattr(self, "scene_data", None) is not None:
            self.fit()

    # ---- content ----
    def set_scene(self, scene: SC.Scene, *, keep_view: bool = False) -> None:
        old_range = self.viewbox.viewRange() if keep_view and self.items is not None else None
        if self.items is not None:
            self.items.remove_from(self.viewbox)
        self.scene_data = scene
        if old_range is not None:
            sy = 1.0 / max(float(self.viewbox.viewPixelSize()[1]), 1e-9)
        else:
            sy = self._fit_scale_y(scene)
        self.items = SceneItems(scene, self.theme_name, px_per_unit_y=sy)
        self.items.add_to(self.viewbox)
        self.legend.set_scene(scene)
        if old_range is not None:
            self.viewbox.setRange(xRange=old_range[0], yRange=old_range[1], padding=0)
        else:
            self.fit()

    def set_theme(self, name: str) -> None:
        from explorer.render.style import theme
        self.theme_name = name
        self.setBackground(theme(name)["background"])
        if self.items is not None:
            self.items.set_theme(name)
        self.legend.set_theme(name)

    def set_highlight(self, hl: SC.Highlight) -> None:
        if self.items is not None:
            self.items.set_highlight(hl)
            self.legend.set_scene(self.scene_data)  # a selected denied hop adds its style to the legend

    def fit(self) -> None:
        """The whole picture in view, both axes, with a small margin. Symbols and labels are pixel-sized, so the
        axes may be scaled differently to fill the view, within MAX_STRETCH of each other."""
        sc = self.scene_data
        if sc is None:
            return
        self._auto_fit = True
        vw = max(float(self.viewbox.width()), 50.0)
        vh = max(float(self.viewbox.height()), 50.0)
        w = max(sc.width, 1.0) * (1 + 2 * FIT_MARGIN)
        h = max(sc.height, 1.0) * (1 + 2 * FIT_MARGIN)
        sx, sy = vw / w, vh / h
        sx, sy = min(sx, sy * MAX_STRETCH, MAX_FIT_ZOOM), min(sy, sx * MAX_STRETCH, MAX_FIT_ZOOM)
        xr, yr = vw / sx, vh / sy
        cx, cy = sc.width / 2, sc.height / 2
        self.viewbox.setRange(xRange=(cx - xr / 2, cx + xr / 2), yRange=(cy - yr / 2, cy + yr / 2), padding=0)

    def center_on(self, node, zoom_rows: float = 18.0) -> bool:
        """Centre the view on a node, zoomed so that about `zoom_rows` rows are visible."""
        sc = self.scene_data
        pos = sc.position(node) if sc else None
        if pos is None:
            return False
        from explorer.render.layout import ROW_H
        h = zoom_rows * ROW_H
        w = h * max(self.width(), 1) / max(self.height(), 1)
        self._auto_fit = False
        self.viewbox.setRange(QtCore.QRectF(pos[0] - w / 2, pos[1] - h / 2, w, h), padding=0)
        return True

    def show_nodes(self, nodes) -> bool:
        """Make sure the nodes are in view: pan/zoom to their bounding box when one of them is outside."""
        sc = self.scene_data
        pts = [sc.position(n) for n in nodes] if sc else []
        pts = [p for p in pts if p is not None]
        if not pts:
            return False
        view = self.viewbox.viewRect()
        if all(view.contains(QtCore.QPointF(*p)) for p in pts):
            return True
        from explorer.render.layout import COL_W, ROW_H
        xs = [p[0] for p in pts]
        ys = [p[1] for p in pts]
        rect = QtCore.QRectF(min(xs) - COL_W * 0.3, min(ys) - ROW_H * 3, max(xs) - min(xs) + COL_W * 1.3,
                             max(ys) - min(ys) + ROW_H * 6)
        self._auto_fit = False
        self.viewbox.setRange(rect, padding=0.05)
        return True

    def zoom(self, factor: float) -> None:
        self._auto_fit = False
        self.viewbox.scaleBy((factor, factor))

    # ---- mapping and hit testing ----
    def view_pos_of(self, node) -> QtCore.QPoint | None:
        """Widget (viewport) coordinates of a node: for tests and for popups."""
        sc = self.scene_data
        pos = sc.position(node) if sc else None
        if pos is None:
            return None
        scene_pt = self.viewbox.mapViewToScene(QtCore.QPointF(*pos))
        return self.mapFromScene(scene_pt)

    def _px(self) -> float:
        """Scene units per screen pixel."""
        px = self.viewbox.viewPixelSize()
        return float(max(px[0], px[1])) or 1.0

    def hit(self, scene_pos: QtCore.QPointF):
        """('node', id) | ('edge', (u, v)) | ('band', key) | None at a QGraphicsScene position."""
        sc = self.scene_data
        if sc is None or not len(sc.ids):
            return None
        p = self.viewbox.mapSceneToView(scene_pos)
        x, y = p.x(), p.y()
        px = self._px()
        d2 = (sc.xs - x) ** 2 + (sc.ys - y) ** 2
        i = int(np.argmin(d2))
        if d2[i] <= (HIT_NODE_PX * px) ** 2 * (2.0 if sc.view.mode == SC.OVERVIEW else 1.0):
            return ("node", sc.ids[i])
        best = None
        tol2 = (HIT_EDGE_PX * px) ** 2
        k = sc.curve_segs if sc.edge_curves else 2
        for key, seg in (sc.edge_curves or sc.edge_segments).items():
            if not len(seg) or key in ST.HIGHLIGHT_KEYS:
                continue
            if self.items is not None and key in self.items.curves and not self.items.curves[key].isVisible():
                continue
            ax, ay, bx, by = seg[:, 0], seg[:, 1], seg[:, 2], seg[:, 3]
            dx, dy = bx - ax, by - ay
            ll = dx * dx + dy * dy
            ll[ll == 0] = 1.0
            t = np.clip(((x - ax) * dx + (y - ay) * dy) / ll, 0.0, 1.0)
            dist2 = (ax + t * dx - x) ** 2 + (ay + t * dy - y) ** 2
            j = int(np.argmin(dist2))
            if dist2[j] <= tol2 and (best is None or dist2[j] < best[0]):
                best = (float(dist2[j]), sc.edge_pairs[key][j // k])
        if best is not None:
            return ("edge", best[1])
        band = sc.band_at(x, y)
        if band is not None:
            return ("band", band.key)
        return None

    # ---- events ----
    def _on_click(self, ev) -> None:
        hit = self.hit(ev.scenePos())
        if ev.button() == QtCore.Qt.MouseButton.RightButton:
            node = hit[1] if hit and hit[0] == "node" else None
            self.contextMenuAt.emit(node, ev.screenPos().toPoint())
            ev.accept()
            return
        if ev.button() != QtCore.Qt.MouseButton.LeftButton:
            return
        if ev.double():  # handled by mouseDoubleClickEvent (reliable with every Qt event order)
            ev.accept()
            return
        if hit is None or hit[0] == "band":
            self.backgroundClicked.emit()
        elif hit[0] == "node":
            self.nodeClicked.emit(hit[1])
        else:
            self.edgeClicked.emit(*hit[1])
        ev.accept()

    def mouseDoubleClickEvent(self, ev) -> None:
        if ev.button() == QtCore.Qt.MouseButton.LeftButton and self.scene_data is not None:
            hit = self.hit(self.mapToScene(ev.position().toPoint()))
            if hit and hit[0] == "node":
                if self.scene_data.view.mode == SC.OVERVIEW:
                    self.bandDoubleClicked.emit(str(hit[1]))
                else:
                    self.nodeDoubleClicked.emit(hit[1])
                ev.accept()
                return
            if hit and hit[0] == "band":
                self.bandDoubleClicked.emit(str(hit[1]))
                ev.accept()
                return
        super().mouseDoubleClickEvent(ev)

    def _on_move(self, scene_pos) -> None:
        hit = self.hit(scene_pos)
        if hit is None or hit[0] == "band":
            if self._hover_key is not None:
                self._hover_key = None
                QtWidgets.QToolTip.hideText()
            return
        if hit == self._hover_key:
            return
        self._hover_key = hit
        sc = self.scene_data
        text = sc.node_tooltip(hit[1]) if hit[0] == "node" else sc.edge_tooltip(*hit[1])
        QtWidgets.QToolTip.showText(QtGui.QCursor.pos(), text, self)

    def keyPressEvent(self, ev) -> None:
        if ev.key() in (QtCore.Qt.Key.Key_Plus, QtCore.Qt.Key.Key_Equal):
            self.zoom(0.8)
        elif ev.key() == QtCore.Qt.Key.Key_Minus:
            self.zoom(1.25)
        elif ev.key() == QtCore.Qt.Key.Key_0:
            self.fit()
        else:
            super().keyPressEvent(ev)
