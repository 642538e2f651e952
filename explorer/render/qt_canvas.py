"""pyqtgraph items that draw a Scene, shared by the window's canvas and the PNG export.

Few items, whatever the size of the estate:
  BandsItem      one item painting every account band; BandTitlesItem their (sticky) titles above the edges
  EdgesItem      every edge style (one layer of segments each): drawn directly when few segments are visible,
                 else from an image of the edges rendered on a pool thread (pan and zoom never wait)
  EdgeCurveItem  a PlotCurveItem (connect="pairs") for the highlighted chain
  ScatterPlotItem one for all nodes (pixel-sized symbols from style.py polygons), one for the selection rings
  LabelsItem     one item painting only the labels and badges inside the visible rectangle, and nothing when
                 zoomed out so far that they could not be read
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from explorer.render import layout as L
from explorer.render import scene as SC
from explorer.render import style as ST

LOD_SEGMENTS = 6000  # more visible segments than this: draw 1-pixel solid lines (dashes would not show anyway)
AA_SEGMENTS = 2000  # antialias edges (dashes counted) only below this many lines: a frame stays < 50 ms
EXPORT_AA_SEGMENTS = 40000  # the same for exports
LABEL_MAX = 2500  # more visible labels than this: too dense to read, draw none
MIN_ROW_PX = 10.0  # a row must be this tall on screen before node labels are drawn

_SYMBOL_CACHE: dict[str, object] = {}


def symbol_path(ks: ST.KindStyle):
    """The kind's symbol as a pyqtgraph symbol (name "o" for circles, a QPainterPath for polygons)."""
    if ks.symbol == ST.CIRCLE:
        return "o"
    path = _SYMBOL_CACHE.get(ks.kind)
    if path is None:
        path = QtGui.QPainterPath()
        pts = ks.symbol
        path.moveTo(*pts[0])
        for x, y in pts[1:]:
            path.lineTo(x, y)
        path.closeSubpath()
        _SYMBOL_CACHE[ks.kind] = path
    return path


def make_pen(es: ST.EdgeStyle, scale: float = 1.0) -> QtGui.QPen:
    pen = QtGui.QPen(QtGui.QColor(es.color))
    pen.setWidthF(es.width * scale)
    pen.setCosmetic(True)
    pen.setCapStyle(QtCore.Qt.PenCapStyle.RoundCap if not es.dash else QtCore.Qt.PenCapStyle.FlatCap)
    if es.dash:
        pen.setDashPattern(list(es.dash))
    return pen


def _pairs_xy(*arrays: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    segs = [a for a in arrays if a is not None and len(a)]
    if not segs:
        return np.zeros(0), np.zeros(0)
    s = np.concatenate(segs, axis=0)
    return s[:, [0, 2]].ravel(), s[:, [1, 3]].ravel()


def clip_segments(seg: np.ndarray, left: float, top: float, right: float, bottom: float) -> np.ndarray:
    """The parts of segments (n, 4) inside a rectangle (Liang-Barsky, vectorised)."""
    if not len(seg):
        return seg
    x0, y0, x1, y1 = seg[:, 0], seg[:, 1], seg[:, 2], seg[:, 3]
    dx, dy = x1 - x0, y1 - y0
    t0 = np.zeros(len(seg))
    t1 = np.ones(len(seg))
    keep = np.ones(len(seg), dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        for pk, qk in ((-dx, x0 - left), (dx, right - x0), (-dy, y0 - top), (dy, bottom - y0)):
            tk = qk / pk
            t0 = np.where(pk < 0, np.maximum(t0, tk), t0)
            t1 = np.where(pk > 0, np.minimum(t1, tk), t1)
            keep &= ~((pk == 0) & (qk < 0))
    keep &= t0 <= t1
    t0, t1 = t0[keep], t1[keep]
    x0, y0, dx, dy = x0[keep], y0[keep], dx[keep], dy[keep]
    return np.stack([x0 + t0 * dx, y0 + t0 * dy, x0 + t1 * dx, y0 + t1 * dy], axis=1)


class EdgeCurveItem(pg.PlotCurveItem):
    """One edge style: a PlotCurveItem (connect="pairs") whose paint draws only the segments in view, clipped to
    it, with QPainter.drawLines from a numpy buffer. Dashed styles stay cheap when zoomed in (no dash is
    generated outside the view) and many visible segments fall back to thin solid lines (level of detail)."""

    def __init__(self, segments: np.ndarray, pen: QtGui.QPen, *, lod: bool = True, antialias: bool = True):
        x, y = _pairs_xy(segments)
        super().__init__(x=x, y=y, connect="pairs", pen=pen, antialias=antialias, skipFiniteCheck=True)
        self.segments = np.asarray(segments, dtype=float).reshape(-1, 4)
        self.full_pen = QtGui.QPen(pen)
        self.lod_pen = QtGui.QPen(pen)
        self.lod_pen.setStyle(QtCore.Qt.PenStyle.SolidLine)
        self.lod_pen.setWidthF(min(pen.widthF(), 1.0))
        self.lod = lod
        self.aa = antialias
        self._lines = pg.Qt.internals.PrimitiveArray(QtCore.QLineF, 4)
        self.drawn = 0  # segments drawn by the last paint (tests, benchmarks)

    def set_segments(self, segments: np.ndarray) -> None:
        self.segments = np.asarray(segments, dtype=float).reshape(-1, 4)
        x, y = _pairs_xy(self.segments)
        self.setData(x=x, y=y, connect="pairs")

    def paint(self, p, opt, widget):
        seg = self.segments
        self.drawn = 0
        if not len(seg):
            return
        view = self.viewRect()
        if view is not None:
            pad_x, pad_y = view.width() * 0.02, view.height() * 0.02
            l, r = view.left() - pad_x, view.right() + pad_x
            t, b = min(view.top(), view.bottom()) - pad_y, max(view.top(), view.bottom()) + pad_y
            mask = ~((np.maximum(seg[:, 0], seg[:, 2]) < l) | (np.minimum(seg[:, 0], seg[:, 2]) > r)
                     | (np.maximum(seg[:, 1], seg[:, 3]) < t) | (np.minimum(seg[:, 1], seg[:, 3]) > b))
            seg = clip_segments(seg[mask], l, t, r, b)
        n = len(seg)
        if not n:
            return
        many = self.lod and n > LOD_SEGMENTS
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, self.aa and (not self.lod or n <= AA_SEGMENTS))
        p.setPen(self.lod_pen if many else self.full_pen)
        self._lines.resize(n)
        self._lines.ndarray()[:] = seg
        p.drawLines(*self._lines.drawargs())
        self.drawn = n


DIRECT_DASHES = 6000  # and fewer dashes than this
DIRECT_SEGMENTS = 2500  # fewer visible segments than this: draw them at once; more: from the raster cache
RASTER_DELAY_MS = 30


class EdgeLayer:
    """The segments of one edge style, drawn by an EdgesItem."""

    def __init__(self, owner: "EdgesItem", key: str, segments: np.ndarray, pen: QtGui.QPen):
        self.owner, self.key = owner, key
        self.segments = np.asarray(segments, dtype=float).reshape(-1, 4)
        self.full_pen = QtGui.QPen(pen)
        self.lod_pen = QtGui.QPen(pen)
        self.lod_pen.setStyle(QtCore.Qt.PenStyle.SolidLine)
        self.lod_pen.setWidthF(min(pen.widthF(), 1.0))
        self.solid_pen = QtGui.QPen(pen)
        self.solid_pen.setStyle(QtCore.Qt.PenStyle.SolidLine)
        self.solid_pen.setCapStyle(QtCore.Qt.PenCapStyle.FlatCap)
        pattern = pen.dashPattern() if pen.style() != QtCore.Qt.PenStyle.SolidLine else []
        w = max(pen.widthF(), 1.0)
        self.dash = (pattern[0] * w, pattern[1] * w) if len(pattern) >= 2 else None
        self.visible = True

    def isVisible(self) -> bool:
        return self.visible

    def setVisible(self, visible: bool) -> None:
        self.visible = bool(visible)
        self.owner.invalidate()


def _visible(seg: np.ndarray, l: float, t: float, r: float, b: float) -> np.ndarray:
    return ~((np.maximum(seg[:, 0], seg[:, 2]) < l) | (np.minimum(seg[:, 0], seg[:, 2]) > r)
             | (np.maximum(seg[:, 1], seg[:, 3]) < t) | (np.minimum(seg[:, 1], seg[:, 3]) > b))


def dash_segments(seg: np.ndarray, on: float, off: float, max_dashes: int) -> np.ndarray | None:
    """Split segments (device pixels) into dashes `on` long with `off` gaps (vectorised); None when there would
    be more than max_dashes (the caller draws solid lines instead)."""
    period = on + off
    dx, dy = seg[:, 2] - seg[:, 0], seg[:, 3] - seg[:, 1]
    length = np.hypot(dx, dy)
    k = np.ceil(length / period).astype(np.int64)
    total = int(k.sum())
    if total > max_dashes:
        return None
    if total == 0:
        return np.zeros((0, 4))
    idx = np.repeat(np.arange(len(seg)), k)
    first = np.cumsum(k) - k
    j = np.arange(total) - np.repeat(first, k)
    ln = length[idx]
    t0 = j * period / ln
    t1 = np.minimum((j * period + on) / ln, 1.0)
    x0, y0, ddx, ddy = seg[idx, 0], seg[idx, 1], dx[idx], dy[idx]
    return np.stack([x0 + t0 * ddx, y0 + t0 * ddy, x0 + t1 * ddx, y0 + t1 * ddy], axis=1)


def _to_device(seg: np.ndarray, tr: QtGui.QTransform) -> np.ndarray:
    m11, m12, m21, m22, dx, dy = tr.m11(), tr.m12(), tr.m21(), tr.m22(), tr.dx(), tr.dy()
    out = np.empty_like(seg)
    out[:, 0] = m11 * seg[:, 0] + m21 * seg[:, 1] + dx
    out[:, 1] = m12 * seg[:, 0] + m22 * seg[:, 1] + dy
    out[:, 2] = m11 * seg[:, 2] + m21 * seg[:, 3] + dx
    out[:, 3] = m12 * seg[:, 2] + m22 * seg[:, 3] + dy
    return out


MAX_DASHES = 300_000  # exports
MAX_DASHES_INTERACTIVE = 60_000  # the window (more: thin solid lines, the colour still tells conditional edges)


def draw_layers(p: QtGui.QPainter, layers: list, view: QtCore.QRectF | None, *, lod: bool, antialias: bool,
                lines=None, always_antialias: bool = False, max_dashes: int = MAX_DASHES) -> int:
    """Draw the visible, clipped segments of the layers. Dashes are cut with numpy in device pixels and drawn as
    solid lines (Qt's own dash stroking is far slower); many visible segments (level of detail) are drawn as
    thin solid lines. Returns the number of segments drawn."""
    lines = lines if lines is not None else pg.Qt.internals.PrimitiveArray(QtCore.QLineF, 4)
    tr = p.transform()
    parts = []
    for layer in layers:
        seg = layer.segments
        if not layer.visible or not len(seg):
            continue
        if view is not None:
            pad_x, pad_y = view.width() * 0.02, abs(view.height()) * 0.02
            l, r = view.left() - pad_x, view.right() + pad_x
            t, b = min(view.top(), view.bottom()) - pad_y, max(view.top(), view.bottom()) + pad_y
            seg = clip_segments(seg[_visible(seg, l, t, r, b)], l, t, r, b)
        if len(seg):
            parts.append((layer, _to_device(seg, tr)))
    total = sum(len(seg) for _l, seg in parts)
    many = lod and total > LOD_SEGMENTS
    batches = []
    for layer, seg in parts:
        pen = layer.lod_pen if many else layer.full_pen
        if layer.dash and not many:
            on, off = layer.dash
            dashed = dash_segments(seg, on, off, max_dashes)
            if dashed is None:
                pen = layer.lod_pen
            else:
                seg, pen = dashed, layer.solid_pen
        if len(seg):
            batches.append((pen, seg))
    lines_total = sum(len(seg) for _p, seg in batches)
    p.save()
    p.resetTransform()
    # antialiasing costs most of the time with many lines (dashes count): only below a budget
    p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing,
                    antialias and not (lod and lines_total > (EXPORT_AA_SEGMENTS if always_antialias else AA_SEGMENTS)))
    drawn = 0
    for pen, seg in batches:
        p.setPen(pen)
        lines.resize(len(seg))
        lines.ndarray()[:] = seg
        p.drawLines(*lines.drawargs())
        drawn += len(seg)
    p.restore()
    return drawn


class _RasterSignals(QtCore.QObject):
    done = QtCore.Signal(object, object, object)  # key, QImage, QTransform


class _RasterJob(QtCore.QRunnable):
    def __init__(self, layers, transform, size, dpr, view, key, signals, antialias):
        super().__init__()
        self.layers, self.transform, self.size, self.dpr = layers, QtGui.QTransform(transform), size, dpr
        self.view, self.key, self.signals, self.antialias = QtCore.QRectF(view), key, signals, antialias

    def run(self):
        w, h = self.size
        img = QtGui.QImage(max(1, int(w * self.dpr)), max(1, int(h * self.dpr)),
                           QtGui.QImage.Format.Format_ARGB32_Premultiplied)
        img.setDevicePixelRatio(self.dpr)
        img.fill(QtCore.Qt.GlobalColor.transparent)
        p = QtGui.QPainter(img)
        p.setTransform(self.transform)
        draw_layers(p, self.layers, self.view, lod=True, antialias=self.antialias, max_dashes=MAX_DASHES_INTERACTIVE)
        p.end()
        self.signals.done.emit(self.key, img, self.transform)


class EdgesItem(pg.GraphicsObject):
    """Every edge style of a scene in one item. With few visible segments it draws them directly. With many, a
    frame only draws an image of the edges: the image for the current view when it is ready, else the last one,
    moved and scaled to where it belongs, while the exact image renders on a pool thread. Pan and zoom never
    wait for the edges."""

    def __init__(self, *, lod: bool = True, antialias: bool = True):
        super().__init__()
        self.layers: list[EdgeLayer] = []
        self.lod = lod
        self.antialias = antialias
        self._rect = QtCore.QRectF()
        self._lines = pg.Qt.internals.PrimitiveArray(QtCore.QLineF, 4)
        self._image = None  # (key, QImage, QTransform item->device)
        self._want = None  # (key, transform, size, dpr, view)
        self._pending = False
        self._signals = _RasterSignals()
        self._signals.done.connect(self._raster_done)
        self._timer = QtCore.QTimer()
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._start_raster)
        self.drawn = 0  # segments drawn directly by the last paint (0 when it drew the image)
        self.setZValue(-5)

    def add_layer(self, key: str, segments: np.ndarray, pen: QtGui.QPen) -> EdgeLayer:
        layer = EdgeLayer(self, key, segments, pen)
        self.layers.append(layer)
        if len(layer.segments):
            s = layer.segments
            r = QtCore.QRectF(QtCore.QPointF(min(s[:, 0].min(), s[:, 2].min()), min(s[:, 1].min(), s[:, 3].min())),
                              QtCore.QPointF(max(s[:, 0].max(), s[:, 2].max()), max(s[:, 1].max(), s[:, 3].max())))
            self.prepareGeometryChange()
            self._rect = self._rect.united(r) if not self._rect.isNull() else r
        return layer

    def boundingRect(self):
        return self._rect

    def invalidate(self) -> None:
        self._image = None
        self.update()

    def visible_count(self, view) -> int:
        if view is None:
            return sum(len(la.segments) for la in self.layers if la.visible)
        l, r = view.left(), view.right()
        t, b = min(view.top(), view.bottom()), max(view.top(), view.bottom())
        return sum(int(_visible(la.segments, l, t, r, b).sum()) for la in self.layers if la.visible)

    def cheap(self, view, tr) -> bool:
        """Few enough visible segments and dashes to draw them within a frame."""
        if view is None:
            return False
        l, r = view.left(), view.right()
        t, b = min(view.top(), view.bottom()), max(view.top(), view.bottom())
        scale = max(abs(tr.m11()), abs(tr.m22()), 1e-9)
        diag = (view.width() ** 2 + view.height() ** 2) ** 0.5
        n = 0
        dashes = 0.0
        for la in self.layers:
            if not la.visible or not len(la.segments):
                continue
            mask = _visible(la.segments, l, t, r, b)
            k = int(mask.sum())
            n += k
            if la.dash and k:
                s = la.segments[mask]
                ln = np.minimum(np.hypot(s[:, 2] - s[:, 0], s[:, 3] - s[:, 1]), diag)
                dashes += float(ln.sum()) * scale / (la.dash[0] + la.dash[1])
            if n > DIRECT_SEGMENTS or dashes > DIRECT_DASHES:
                return False
        return True

    def paint(self, p, opt, widget):
        view = self.viewRect()
        self.drawn = 0
        if not self.lod or widget is None or self.cheap(view, p.transform()):
            self.drawn = draw_layers(p, self.layers, view, lod=self.lod, antialias=self.antialias,
                                     lines=self._lines, always_antialias=widget is None,
                                     max_dashes=MAX_DASHES if widget is None else MAX_DASHES_INTERACTIVE)
            return
        tr = p.transform()
        dev = p.device()
        size = (dev.width() / max(dev.devicePixelRatioF(), 1e-6) if dev.devicePixelRatioF() > 1 else dev.width(),
                dev.height() / max(dev.devicePixelRatioF(), 1e-6) if dev.devicePixelRatioF() > 1 else dev.height())
        key = (round(tr.m11(), 6), round(tr.m22(), 6), round(tr.dx(), 1), round(tr.dy(), 1), size)
        if self._image is not None:
            ikey, img, itr = self._image
            if ikey == key:
                p.resetTransform()
                p.drawImage(QtCore.QPointF(0, 0), img)
                return
            inv, ok = itr.inverted()
            if ok:
                p.setTransform(inv * tr)
                p.drawImage(QtCore.QPointF(0, 0), img)
                p.setTransform(tr)
        if self._want is None or self._want[0] != key:
            self._want = (key, QtGui.QTransform(tr), size, dev.devicePixelRatioF(), QtCore.QRectF(view))
            self._timer.start(RASTER_DELAY_MS)

    def _start_raster(self) -> None:
        if self._want is None:
            return
        if self._pending:
            self._timer.start(RASTER_DELAY_MS)
            return
        key, tr, size, dpr, view = self._want
        self._pending = True
        QtCore.QThreadPool.globalInstance().start(
            _RasterJob(list(self.layers), tr, size, dpr, view, key, self._signals, self.antialias))

    def _raster_done(self, key, img, tr) -> None:
        self._pending = False
        self._image = (key, img, tr)
        self.update()
        if self._want is not None and self._want[0] != key:
            self._timer.start(RASTER_DELAY_MS)

    def wait_raster(self, timeout_ms: int = 5000) -> None:
        """Block until the pending image is drawn (benchmarks, tests)."""
        timer = QtCore.QElapsedTimer()
        timer.start()
        while (self._pending or self._timer.isActive()) and timer.elapsed() < timeout_ms:
            QtCore.QCoreApplication.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 10)
            QtCore.QThreadPool.globalInstance().waitForDone(5)


class BandsItem(pg.GraphicsObject):
    """Every account band's rectangle (titles: BandTitlesItem, above the edges)."""

    def __init__(self, bands: list[L.Band], theme: dict, pixel_scale: float = 1.0, overview: bool = False):
        super().__init__()
        self.bands = bands
        self.theme = theme
        self.pixel_scale = pixel_scale
        self.overview = overview
        x1 = max((b.x1 for b in bands), default=1.0)
        y1 = max((b.y1 for b in bands), default=1.0)
        self._rect = QtCore.QRectF(0, 0, x1, y1)
        self.setZValue(-10)

    def boundingRect(self):
        return self._rect

    def set_theme(self, theme: dict) -> None:
        self.theme = theme
        self.update()

    def paint(self, p, opt, widget):
        th = self.theme
        fills = (QtGui.QColor(th["band_a"]), QtGui.QColor(th["band_b"]))
        border = QtGui.QPen(QtGui.QColor(th["band_border"]))
        border.setCosmetic(True)
        p.setPen(border)
        for b in self.bands:
            p.setBrush(fills[b.index % 2])
            p.drawRect(QtCore.QRectF(b.x0, b.y0, b.x1 - b.x0, b.y1 - b.y0))


class BandTitlesItem(BandsItem):
    """The band titles, above the edges, pinned to the left edge of the view while the band is visible."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setZValue(15)

    def paint(self, p, opt, widget):
        th = self.theme
        plates = [QtGui.QColor(th["band_a"]), QtGui.QColor(th["band_b"])]
        for c in plates:
            c.setAlpha(215)
        tr = p.transform()
        view = self.viewRect()
        p.resetTransform()
        s = self.pixel_scale
        f_title = QtGui.QFont()
        f_title.setPixelSize(max(6, int(round(14 * s))))
        f_title.setBold(True)
        f_sub = QtGui.QFont()
        f_sub.setPixelSize(max(5, int(round(11 * s))))
        top_left_x = view.left() if view is not None else 0.0
        for b in self.bands:
            if view is not None and (b.y1 < view.top() or b.y0 > view.bottom()):
                continue
            p0 = tr.map(QtCore.QPointF(max(b.x0, top_left_x), b.y0))
            p1 = tr.map(QtCore.QPointF(b.x1, b.y1))
            band_h = abs(p1.y() - p0.y())
            pad_px = L.BAND_PAD_TOP * abs(tr.m22())  # the room above the first row of nodes
            title_px = min(14 * s, max(8.0, pad_px * 0.45))
            if band_h < 12:
                continue
            x = p0.x() + 10 * s
            f_title.setPixelSize(max(5, int(round(title_px))))
            p.setFont(f_title)
            fm = QtGui.QFontMetricsF(f_title)
            plate = QtCore.QRectF(x - 3 * s, p0.y() + title_px * 1.3 - fm.ascent() - 1,
                                  fm.horizontalAdvance(b.title) + 6 * s, fm.height() + 2)
            p.setPen(QtCore.Qt.PenStyle.NoPen)
            p.setBrush(plates[b.index % 2])
            p.drawRoundedRect(plate, 3, 3)  # the title stays readable over edges
            p.setPen(QtGui.QColor(th["band_title"]))
            p.drawText(QtCore.QPointF(x, p0.y() + title_px * 1.3), b.title)
            if b.subtitle and pad_px > 38 * s:
                p.setFont(f_sub)
                p.setPen(QtGui.QColor(th["ou_title"]))
                p.drawText(QtCore.QPointF(x, p0.y() + 33 * s), b.subtitle)


class LabelsItem(pg.GraphicsObject):
    """The labels of the visible nodes and the badges of the visible conditional edges."""

    def __init__(self, scene: SC.Scene, theme: dict, pixel_scale: float = 1.0):
        super().__init__()
        self.scene_data = scene
        self.theme = theme
        self.pixel_scale = pixel_scale
        self._rect = QtCore.QRectF(-50, -50, scene.width + 400, scene.height + 100)
        self._bx = np.array([b[0] for b in scene.badges], dtype=float)
        self._by = np.array([b[1] for b in scene.badges], dtype=float)
        self.setZValue(20)
        self.drawn_labels = 0  # for tests: how many labels the last paint drew

    def boundingRect(self):
        return self._rect

    def set_theme(self, theme: dict) -> None:
        self.theme = theme
        self.update()

    def paint(self, p, opt, widget):
        sc = self.scene_data
        tr = p.transform()
        view = self.viewRect()
        if view is None:
            return
        px_per_unit = abs(tr.m22()) or abs(tr.m21()) or 1.0
        overview = sc.view.mode == SC.OVERVIEW
        row_px = (L.ROW_H if not overview else 60.0) * px_per_unit
        self.drawn_labels = 0
        if row_px < MIN_ROW_PX * self.pixel_scale:
            return
        xs, ys = sc.xs, sc.ys
        margin_x = L.COL_W
        mask = ((xs >= view.left() - margin_x) & (xs <= view.right()) & (ys >= view.top() - L.ROW_H)
                & (ys <= view.bottom() + L.ROW_H))
        idx = np.nonzero(mask)[0]
        if len(idx) > LABEL_MAX:
            return
        s = self.pixel_scale
        font_px = min((13 if overview else 11) * s, row_px * 0.6)  # smaller text in tight rows
        if font_px < 6:  # too small to read (large exports): no labels
            return
        font = QtGui.QFont()
        font.setPixelSize(int(round(font_px)))
        fm = QtGui.QFontMetricsF(font)
        p.resetTransform()
        p.setFont(font)
        p.setPen(QtGui.QColor(self.theme["text"]))
        col_px = (L.COL_W if not overview else 400.0) * px_per_unit
        max_w = max(20.0, col_px - 26 * s)
        elide = QtCore.Qt.TextElideMode.ElideMiddle
        for i in idx:
            pt = tr.map(QtCore.QPointF(xs[i], ys[i]))
            ks = ST.kind_style(sc.kinds[i])
            text = sc.labels[i]
            if fm.horizontalAdvance(text) > max_w:
                text = fm.elidedText(text, elide, max_w)
            # baseline just above the centre line: edges leaving the node run under the text
            p.drawText(QtCore.QPointF(pt.x() + (ks.size / 2 + 3) * s, pt.y() - 2.5 * s), text)
        self.drawn_labels = len(idx)
        # badges of conditional edges (and counts in the overview)
        if len(self._bx) and row_px >= (14 if not overview else 90) * s:
            bmask = ((self._bx >= view.left()) & (self._bx <= view.right()) & (self._by >= view.top())
                     & (self._by <= view.bottom()))
            bidx = np.nonzero(bmask)[0]
            if len(bidx) <= LABEL_MAX:
                bf = QtGui.QFont()
                bf.setPixelSize(max(5, int(round(9 * s))))
                bf.setBold(True)
                bfm = QtGui.QFontMetricsF(bf)
                p.setFont(bf)
                bg = QtGui.QColor(self.theme["badge_bg"])
                border = QtGui.QPen(QtGui.QColor(self.theme["band_border"]))
                fg = QtGui.QColor(self.theme["badge_text"])
                for i in bidx:
                    pt = tr.map(QtCore.QPointF(self._bx[i], self._by[i]))
                    text = sc.badges[i][2]
                    w = bfm.horizontalAdvance(text) + 6 * s
                    h = bfm.height() + 2 * s
                    r = QtCore.QRectF(pt.x() - w / 2, pt.y() - h / 2, w, h)
                    p.setPen(border)
                    p.setBrush(bg)
                    p.drawRoundedRect(r, 3 * s, 3 * s)
                    p.setPen(fg)
                    p.drawText(r, QtCore.Qt.AlignmentFlag.AlignCenter, text)


class SceneItems:
    """All the items of one Scene. `pixel_scale` multiplies pixel sizes (symbols, pens, fonts) for exports."""

    def __init__(self, scene: SC.Scene, theme_name: str = "light", pixel_scale: float = 1.0,
                 antialias: bool | None = None, lod: bool = True):
        self.scene = scene
        self.theme_name = theme_name
        th = ST.theme(theme_name)
        self.pixel_scale = pixel_scale
        aa = True if antialias is None else antialias
        self.bands = BandsItem(scene.bands, th, pixel_scale, scene.view.mode == SC.OVERVIEW)
        self.titles = BandTitlesItem(scene.bands, th, pixel_scale, scene.view.mode == SC.OVERVIEW)
        self.edges = EdgesItem(lod=lod, antialias=aa)
        self.curves: dict[str, EdgeLayer] = {}
        for key in ST.EDGE_STYLE_ORDER:
            if key == ST.HIGHLIGHT:
                continue
            parts = [a for a in (scene.edge_segments.get(key), scene.arrow_segments.get(key))
                     if a is not None and len(a)]
            if not parts:
                continue
            self.curves[key] = self.edges.add_layer(key, np.concatenate(parts),
                                                    make_pen(ST.EDGE_STYLES[key], pixel_scale))
        self.highlight_curve = EdgeCurveItem(np.zeros((0, 4)), make_pen(ST.EDGE_STYLES[ST.HIGHLIGHT], pixel_scale),
                                             lod=False, antialias=True)
        self.highlight_curve.setZValue(-1)
        self.nodes = pg.ScatterPlotItem(pxMode=True, antialias=True)
        self.nodes.setZValue(5)
        self._set_nodes(th)
        self.rings = pg.ScatterPlotItem(pxMode=True, antialias=True)
        self.rings.setZValue(4)
        self.labels = LabelsItem(scene, th, pixel_scale)
        self.set_highlight(scene.highlight)

    def _set_nodes(self, th: dict) -> None:
        sc = self.scene
        s = self.pixel_scale
        border = pg.mkPen(th["node_border"], width=max(0.5, 0.8 * s))
        brushes, symbols, sizes = {}, {}, {}
        b_list, s_list, z_list = [], [], []
        for k in sc.kinds:
            if k not in brushes:
                ks = ST.kind_style(k)
                brushes[k] = pg.mkBrush(ks.color)
                symbols[k] = symbol_path(ks)
                sizes[k] = ks.size * s
            b_list.append(brushes[k])
            s_list.append(symbols[k])
            z_list.append(sizes[k])
        self.nodes.setData(x=sc.xs, y=sc.ys, symbol=s_list, size=z_list, brush=b_list, pen=border)

    def items(self) -> list:
        return [self.bands, self.edges, self.highlight_curve, self.rings, self.nodes, self.labels, self.titles]

    def add_to(self, viewbox: pg.ViewBox) -> None:
        for it in self.items():
            viewbox.addItem(it, ignoreBounds=it is not self.bands)

    def remove_from(self, viewbox: pg.ViewBox) -> None:
        for it in self.items():
            viewbox.removeItem(it)

    def set_theme(self, theme_name: str) -> None:
        self.theme_name = theme_name
        th = ST.theme(theme_name)
        self.bands.set_theme(th)
        self.titles.set_theme(th)
        self.labels.set_theme(th)
        self._set_nodes(th)
        self.set_highlight(self.scene.highlight)

    def set_visible_denied(self, visible: bool) -> None:
        for key, curve in self.curves.items():
            if "denied" in key:
                curve.setVisible(visible)

    def set_highlight(self, hl: SC.Highlight) -> None:
        sc = self.scene
        self.scene.highlight = hl
        th = ST.theme(self.theme_name)
        pairs = [(u, v) for u, v in hl.edges if u in sc.index and v in sc.index]
        coords = [(sc.xs[sc.index[u]], sc.ys[sc.index[u]], sc.xs[sc.index[v]], sc.ys[sc.index[v]])
                  for u, v in pairs]
        seg, arr, _ = SC._segments(coords)
        self.highlight_curve.set_segments(np.concatenate([seg, arr]) if len(seg) else np.zeros((0, 4)))
        ring_nodes = [n for n in hl.nodes if n in sc.index]
        if hl.selected is not None and hl.selected in sc.index and hl.selected not in ring_nodes:
            ring_nodes.append(hl.selected)
        idx = [sc.index[n] for n in ring_nodes]
        s = self.pixel_scale
        if idx:
            self.rings.setData(x=sc.xs[idx], y=sc.ys[idx], symbol="o", size=26 * s, brush=None,
                               pen=pg.mkPen(th["selection"], width=3 * s))
        else:
            self.rings.setData(x=np.zeros(0), y=np.zeros(0))
