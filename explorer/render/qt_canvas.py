"""pyqtgraph items that draw a Scene, shared by the window's canvas and the PNG export.

Few items, whatever the size of the estate:
  BandsItem      one item painting every account band; BandTitlesItem their (sticky) titles above the edges
  EdgesItem      every edge style (one layer of segments each: the drawn curves): drawn directly when few
                 segments are visible, else from an image of the edges rendered on a pool thread (pan and zoom
                 never wait); dimmed while a chain is selected
  EdgeCurveItem  the highlighted chain, on top of every other edge, with a casing in the background colour
  ScatterPlotItem one for all nodes (pixel-sized symbols from style.py polygons), one for the selection rings,
                 one for the arrowheads (one per target and arrival direction, pre-rotated symbols) and one for
                 the chain's arrowheads
  LabelsItem     one item painting only the labels and badges inside the visible rectangle, on a subtle plate,
                 shrinking with the zoom below 1 and left out when too small to read (the chain's labels stay)
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


def draw_kind_symbol(p: QtGui.QPainter, ks: ST.KindStyle, x: float, y: float, size: float, border: str) -> None:
    """A node kind's symbol, `size` pixels across and centred on (x, y), as the legends draw it (the window's
    legends and the PNG export)."""
    p.save()
    p.translate(x, y)
    p.scale(size, size)
    pen = QtGui.QPen(QtGui.QColor(border))
    pen.setCosmetic(True)
    p.setPen(pen)
    p.setBrush(QtGui.QColor(ks.color))
    sym = symbol_path(ks)
    if sym == "o":
        p.drawEllipse(QtCore.QPointF(0, 0), 0.5, 0.5)
    else:
        p.drawPath(sym)
    p.restore()


def make_pen(es: ST.EdgeStyle, scale: float = 1.0, opacity: float | None = None) -> QtGui.QPen:
    color = QtGui.QColor(es.color)
    color.setAlphaF(es.opacity if opacity is None else opacity)
    pen = QtGui.QPen(color)
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
        self.casing_pen: QtGui.QPen | None = None  # drawn first, wider: the chain stands out over other edges
        self.polyline_k = 0  # > 1: every k consecutive segments are one edge, drawn as one polyline

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
        if self.polyline_k > 1 and not many and len(self.segments) <= 4000:
            # few edges (the highlighted chain): whole polylines, with proper joins
            k = self.polyline_k
            full = self.segments
            polys = []
            for i in range(0, len(full) - k + 1, k):
                rows = full[i:i + k]
                poly = QtGui.QPolygonF([QtCore.QPointF(rows[0][0], rows[0][1])]
                                       + [QtCore.QPointF(r[2], r[3]) for r in rows])
                polys.append(poly)
            p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, self.aa)
            for pen in ([self.casing_pen] if self.casing_pen is not None else []) + [self.full_pen]:
                p.setPen(pen)
                for poly in polys:
                    p.drawPolyline(poly)
            self.drawn = n
            return
        self._lines.resize(n)
        self._lines.ndarray()[:] = seg
        if self.casing_pen is not None and not many:
            p.setPen(self.casing_pen)
            p.drawLines(*self._lines.drawargs())
        p.setPen(self.lod_pen if many else self.full_pen)
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
        self.base_pen = QtGui.QPen(pen)
        self.visible = True
        self._set_pens(pen)

    def set_opacity(self, factor: float) -> None:
        """Draw at `factor` times the style's opacity (dimmed while a chain is selected)."""
        pen = QtGui.QPen(self.base_pen)
        c = pen.color()
        c.setAlphaF(self.base_pen.color().alphaF() * factor)
        pen.setColor(c)
        self._set_pens(pen)

    def _set_pens(self, pen: QtGui.QPen) -> None:
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
        self._gen = 0  # bumped when the pens change: older images are dropped
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
        self._want = None
        self._gen += 1
        self.update()

    def set_dim(self, dim: bool) -> None:
        """Dim every edge (a chain is selected: the highlighted chain is drawn on top by its own item)."""
        if getattr(self, "_dim", False) == dim:
            return
        self._dim = dim
        for layer in self.layers:
            layer.set_opacity(ST.DIM_OPACITY if dim else 1.0)
        self.invalidate()

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
        key = (round(tr.m11(), 6), round(tr.m22(), 6), round(tr.dx(), 1), round(tr.dy(), 1), size, self._gen)
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
        if key[-1] != self._gen:  # drawn with pens since changed
            if self._want is not None:
                self._timer.start(RASTER_DELAY_MS)
            return
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
    """The band titles on one line (account name and id in bold, then the OU path), above the edges, pinned to the
    left edge of the view while the band is visible."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setZValue(15)

    def paint(self, p, opt, widget):
        th = self.theme
        plates = [QtGui.QColor(th["band_a"]), QtGui.QColor(th["band_b"])]
        for c in plates:
            c.setAlpha(225)
        tr = p.transform()
        view = self.viewRect()
        p.resetTransform()
        s = self.pixel_scale
        f_title = QtGui.QFont()
        f_title.setBold(True)
        f_sub = QtGui.QFont()
        top_left_x = view.left() if view is not None else 0.0
        sy = abs(tr.m22()) or 1.0
        pad_px = L.BAND_PAD_TOP * sy  # the room above the first row of nodes
        # zoomed out the titles keep a readable size (on their plate, over the band's first row): they orient
        title_px = min(13.0 * s, max(pad_px * 0.6, 9.0 * min(1.0, s)))
        if title_px < 5.5:
            return
        f_title.setPixelSize(max(5, int(round(title_px))))
        f_sub.setPixelSize(max(5, int(round(title_px * 0.88))))
        fm, fm_sub = QtGui.QFontMetricsF(f_title), QtGui.QFontMetricsF(f_sub)
        for b in self.bands:
            if view is not None and (b.y1 < view.top() or b.y0 > view.bottom()):
                continue
            p0 = tr.map(QtCore.QPointF(max(b.x0, top_left_x), b.y0))
            p1 = tr.map(QtCore.QPointF(b.x1, b.y1))
            if abs(p1.y() - p0.y()) < title_px * 1.5:
                continue
            x = p0.x() + 8 * s
            base = p0.y() + pad_px * 0.5 + fm.ascent() * 0.42
            sub = f"  {b.subtitle}" if b.subtitle else ""
            w = fm.horizontalAdvance(b.title) + (fm_sub.horizontalAdvance(sub) if sub else 0)
            plate = QtCore.QRectF(x - 4 * s, base - fm.ascent() - 2 * s, w + 8 * s, fm.height() + 3 * s)
            p.setPen(QtCore.Qt.PenStyle.NoPen)
            p.setBrush(plates[b.index % 2])
            p.drawRoundedRect(plate, 3 * s, 3 * s)  # the title stays readable over edges
            p.setFont(f_title)
            p.setPen(QtGui.QColor(th["band_title"]))
            p.drawText(QtCore.QPointF(x, base), b.title)
            if sub:
                p.setFont(f_sub)
                p.setPen(QtGui.QColor(th["ou_title"]))
                p.drawText(QtCore.QPointF(x + fm.horizontalAdvance(b.title), base), sub)


MIN_LABEL_PX = 7.0  # labels smaller than this are not drawn (zoom in to read them)
LABEL_OVERFLOW = 1.15  # zoomed out, labels may reach this much past their column's room, into the gap
HIGHLIGHT_LABEL_PX = 10.0  # the selected chain's labels are drawn at least this large, at any zoom


def label_budget(room: float, sx: float, pixel_scale: float = 1.0) -> float:
    """The widest a node label may be drawn, in pixels: its column's room under the zoom `sx`, a little slack
    into the gap. Selected (bold) labels get the same budget and are elided to it."""
    return max(20.0, room * sx * (LABEL_OVERFLOW + 0.05) + 3 * pixel_scale)


class LabelsItem(pg.GraphicsObject):
    """The labels of the visible nodes (to the right of the node, on a subtle plate so they stay readable over
    edges, cut at the end when longer than their column allows) and the badges of the visible conditional
    edges. Labels shrink with the zoom below 1 (so they keep within their column) and are left out when they
    would be too small to read; the selected chain's labels are always drawn."""

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
        self.font_px = 0.0  # the label size of the last paint
        self.strong: set = set()  # node indexes drawn bold and always (the selected chain)
        self.dim = False  # other labels muted (a chain is selected)
        self.marks: list = []  # (x, y, text): "denied" markers of selected denied hops, always drawn
        self._elided: dict = {}

    def boundingRect(self):
        return self._rect

    def set_theme(self, theme: dict) -> None:
        self.theme = theme
        self.update()

    def set_strong(self, idx, dim: bool) -> None:
        self.strong = set(int(i) for i in idx)
        self.dim = dim
        self.update()

    def label_px(self, tr) -> float:
        """The label size in pixels under a transform (zoom): LABEL_PX at zoom >= 1, smaller below."""
        sx = abs(tr.m11()) or abs(tr.m12()) or 1.0
        sy = abs(tr.m22()) or abs(tr.m21()) or 1.0
        overview = self.scene_data.view.mode == SC.OVERVIEW
        row = (L.ROW_H if not overview else 60.0) * sy
        s = self.pixel_scale
        return min(L.LABEL_PX * (1.18 if overview else 1.0) * s, L.LABEL_PX * sx * LABEL_OVERFLOW, row / 1.4)

    def paint(self, p, opt, widget):
        sc = self.scene_data
        tr = p.transform()
        view = self.viewRect()
        if view is None:
            return
        self.drawn_labels = 0
        s = self.pixel_scale
        sx = abs(tr.m11()) or abs(tr.m12()) or 1.0
        font_px = self.label_px(tr)
        self.font_px = font_px
        readable = font_px >= MIN_LABEL_PX * min(1.0, s) and font_px >= 5.5
        xs, ys = sc.xs, sc.ys
        idx = np.zeros(0, dtype=int)
        if readable:
            margin_x = L.LABEL_MAX_W + L.NODE_W
            mask = ((xs >= view.left() - margin_x) & (xs <= view.right()) & (ys >= view.top() - L.ROW_H)
                    & (ys <= view.bottom() + L.ROW_H))
            idx = np.nonzero(mask)[0]
            if len(idx) > LABEL_MAX:
                idx = np.zeros(0, dtype=int)
        strong = [i for i in self.strong if i < len(xs)]
        if not len(idx) and not strong and not self.marks:
            return
        p.resetTransform()
        th = self.theme
        text_c = QtGui.QColor(th["text"])
        muted = QtGui.QColor(th["muted"])
        plate = QtGui.QColor(th["label_bg"])
        plate.setAlpha(200)
        room = sc.label_room if sc.label_room is not None else np.full(len(xs), L.LABEL_MAX_W)
        self._paint_labels(p, tr, [i for i in idx.tolist() if i not in self.strong], font_px, False,
                           muted if self.dim else text_c, plate, room, sx)
        if strong:
            self._paint_labels(p, tr, strong, max(font_px, HIGHLIGHT_LABEL_PX * s), True, text_c, plate, room, sx)
        self.drawn_labels = len(idx) + len([i for i in strong if i not in set(idx.tolist())])
        if readable:
            self._paint_badges(p, tr, view, font_px)
        self._paint_marks(p, tr)

    def _paint_marks(self, p, tr) -> None:
        """The "denied" marker on each selected denied hop (white on red), at any zoom."""
        if not self.marks:
            return
        s = self.pixel_scale
        f = QtGui.QFont()
        f.setPixelSize(max(8, int(round(10 * s))))
        f.setBold(True)
        fm = QtGui.QFontMetricsF(f)
        p.setFont(f)
        border = QtGui.QPen(QtGui.QColor(self.theme["background"]))
        border.setWidthF(max(1.0, s))
        for x, y, text in self.marks:
            pt = tr.map(QtCore.QPointF(x, y))
            w, h = fm.horizontalAdvance(text) + 10 * s, fm.height() + 2 * s
            r = QtCore.QRectF(pt.x() - w / 2, pt.y() - h / 2, w, h)
            p.setPen(border)
            p.setBrush(QtGui.QColor(ST.DENIED_MARK_BG))
            p.drawRoundedRect(r, 4 * s, 4 * s)
            p.setPen(QtGui.QColor(ST.DENIED_MARK_TEXT))
            p.drawText(r, QtCore.Qt.AlignmentFlag.AlignCenter, text)

    def _paint_labels(self, p, tr, idx, font_px, bold, color, plate, room, sx) -> None:
        if not idx:
            return
        sc = self.scene_data
        s = self.pixel_scale
        font = QtGui.QFont()
        font.setPixelSize(max(5, int(font_px)))  # never rounded up: the column's room is sized for font_px
        font.setBold(bold)
        fm = QtGui.QFontMetricsF(font)
        p.setFont(font)
        asc, h = fm.ascent(), fm.height()
        elide = QtCore.Qt.TextElideMode.ElideRight
        cache = self._elided
        for i in idx:
            pt = tr.map(QtCore.QPointF(sc.xs[i], sc.ys[i]))
            ks = ST.kind_style(sc.kinds[i])
            text = sc.labels[i]
            # a little slack into the column gap: hinting makes small text a few per cent wider than estimated.
            # A selected (bold) label may use the room up to the next node to its right in its row (the whole
            # name when there is none), never over that node's label; its full text is in the tooltip anyway.
            max_w = label_budget(float(room[i]), sx, s)
            if bold:
                max_w = max(max_w, self._room_to_next(i, tr, ks.size * s))
            key = (i, round(max_w), font.pixelSize(), bold)
            hit = cache.get(key)
            if hit is None:
                shown = text if fm.horizontalAdvance(text) <= max_w else fm.elidedText(text, elide, max_w)
                if len(cache) > 20000:
                    cache.clear()
                hit = cache[key] = (shown, fm.horizontalAdvance(shown))
            shown, w = hit
            x = pt.x() + (ks.size / 2 + 4) * s
            y = pt.y() + asc - h / 2  # centred on the node
            p.setPen(QtCore.Qt.PenStyle.NoPen)
            p.setBrush(plate)
            p.drawRoundedRect(QtCore.QRectF(x - 2 * s, pt.y() - h / 2, w + 4 * s, h), 2.5 * s, 2.5 * s)
            p.setPen(color)
            p.drawText(QtCore.QPointF(x, y), shown)

    def _room_to_next(self, i: int, tr, symbol_px: float) -> float:
        """Pixels from node i's label start to just before the next node to its right in the same row (wide
        when there is none)."""
        sc = self.scene_data
        xs, ys = np.asarray(sc.xs), np.asarray(sc.ys)
        right = np.nonzero((np.abs(ys - ys[i]) < 1e-6) & (xs > xs[i]))[0]
        start = tr.map(QtCore.QPointF(xs[i], ys[i])).x() + symbol_px / 2 + 4 * self.pixel_scale
        if not len(right):
            return 2000.0 * self.pixel_scale
        nxt = right[np.argmin(xs[right])]
        nxt_x = tr.map(QtCore.QPointF(xs[nxt], ys[nxt])).x()
        size = ST.kind_style(sc.kinds[nxt]).size * self.pixel_scale
        return max(0.0, nxt_x - size / 2 - 6 * self.pixel_scale - start)

    def _paint_badges(self, p, tr, view, font_px) -> None:
        sc = self.scene_data
        overview = sc.view.mode == SC.OVERVIEW
        if not len(self._bx) or font_px < (8.0 if not overview else 7.0) * min(1.0, self.pixel_scale):
            return
        bmask = ((self._bx >= view.left()) & (self._bx <= view.right()) & (self._by >= view.top())
                 & (self._by <= view.bottom()))
        bidx = np.nonzero(bmask)[0]
        if len(bidx) > LABEL_MAX:
            return
        s = self.pixel_scale
        bf = QtGui.QFont()
        bf.setPixelSize(max(5, int(round(font_px * 0.8))))
        bf.setBold(True)
        bfm = QtGui.QFontMetricsF(bf)
        p.setFont(bf)
        bg = QtGui.QColor(self.theme["badge_bg"])
        border = QtGui.QPen(QtGui.QColor(self.theme["band_border"]))
        fg = QtGui.QColor(self.theme["badge_text"])
        bg_dim, fg_dim = QtGui.QColor(bg), QtGui.QColor(fg)
        bg_dim.setAlphaF(0.45)
        fg_dim.setAlphaF(0.45)
        chain = sc.highlight.edges if self.dim else frozenset()
        on_chain = [i for i in bidx if i < len(sc.badge_edges) and sc.badge_edges[i] in chain]
        bidx = on_chain + [i for i in bidx if i not in set(on_chain)]  # the chain's badges first: they stay
        taken: list = []  # badges that would cover one already drawn are left out (the tooltip has them)
        grid: dict = {}
        for i in bidx:
            pt = tr.map(QtCore.QPointF(self._bx[i], self._by[i]))
            text = sc.badges[i][2]
            w = bfm.horizontalAdvance(text) + 6 * s
            h = bfm.height() + 1 * s
            r = QtCore.QRectF(pt.x() - w / 2, pt.y() - h / 2, w, h)
            cell = (int(pt.x() // 80), int(pt.y() // 40))
            near = [taken[j] for dx in (-1, 0, 1) for dy in (-1, 0, 1) for j in grid.get((cell[0] + dx, cell[1] + dy), ())]
            if any(r.intersects(o) for o in near):
                continue
            grid.setdefault(cell, []).append(len(taken))
            taken.append(r)
            faded = self.dim and not (i < len(sc.badge_edges) and sc.badge_edges[i] in chain)
            p.setPen(border)
            p.setBrush(bg_dim if faded else bg)
            p.drawRoundedRect(r, 3 * s, 3 * s)
            p.setPen(fg_dim if faded else fg)
            p.drawText(r, QtCore.Qt.AlignmentFlag.AlignCenter, text)


_ARROW_CACHE: dict = {}
ARROW_TIP = 8.0  # pixels from the target's centre: at its border


def arrow_symbol(angle: float):
    """An arrowhead symbol (QPainterPath) pointing at `angle` with its tip at the node's border."""
    key = int(angle) % 360
    path = _ARROW_CACHE.get(key)
    if path is None:
        pts = ST.arrow_polygon(key, tip=ARROW_TIP, length=9.0, half_width=4.0, box=ARROW_BOX)
        path = QtGui.QPainterPath()
        path.moveTo(*pts[0])
        for x, y in pts[1:]:
            path.lineTo(x, y)
        path.closeSubpath()
        _ARROW_CACHE[key] = path
    return path


ARROW_BOX = 40.0  # the arrow symbols' box (pixels): room for the tip offset and the head
SYMBOL_MIN = 0.45  # zoomed out, symbols shrink to no less than this share of their size
ARROWS_LOD = 3000  # more arrowheads than this are left out when symbols are at their smallest


def symbol_factor(px_per_unit_y: float) -> float:
    """How much of their size symbols keep at a zoom (rows closer than a symbol is tall: smaller), in steps."""
    row_px = L.ROW_H * px_per_unit_y
    f = max(SYMBOL_MIN, min(1.0, row_px * 0.9 / 14.0))
    return round(f * 10) / 10


class SceneItems:
    """All the items of one Scene. `pixel_scale` multiplies pixel sizes (symbols, pens, fonts) for exports."""

    def __init__(self, scene: SC.Scene, theme_name: str = "light", pixel_scale: float = 1.0,
                 antialias: bool | None = None, lod: bool = True, px_per_unit_y: float | None = None):
        self.scene = scene
        self.theme_name = theme_name
        th = ST.theme(theme_name)
        self.pixel_scale = pixel_scale
        aa = True if antialias is None else antialias
        self.bands = BandsItem(scene.bands, th, pixel_scale, scene.view.mode == SC.OVERVIEW)
        self.titles = BandTitlesItem(scene.bands, th, pixel_scale, scene.view.mode == SC.OVERVIEW)
        self.edges = EdgesItem(lod=lod, antialias=aa)
        self.curves: dict[str, EdgeLayer] = {}
        curves = scene.edge_curves or scene.edge_segments
        for key in ST.EDGE_STYLE_ORDER:
            if key in ST.HIGHLIGHT_KEYS:
                continue
            seg = curves.get(key)
            if seg is None or not len(seg):
                continue
            self.curves[key] = self.edges.add_layer(key, seg, make_pen(ST.EDGE_STYLES[key], pixel_scale))
        hl_style = ST.EDGE_STYLES[ST.HIGHLIGHT]
        self.highlight_curve = EdgeCurveItem(np.zeros((0, 4)), make_pen(hl_style, pixel_scale),
                                             lod=False, antialias=True)
        casing = QtGui.QPen(QtGui.QColor(th["background"]))
        casing.setWidthF((hl_style.width + 4) * pixel_scale)
        casing.setCosmetic(True)
        casing.setCapStyle(QtCore.Qt.PenCapStyle.RoundCap)
        self.highlight_curve.casing_pen = casing
        self.highlight_curve.setZValue(3)  # over every edge and arrowhead, under the nodes
        # a selected denied hop: dashed red, with a "denied" marker (LabelsItem.marks), never like a usable path
        self.denied_curve = EdgeCurveItem(np.zeros((0, 4)), make_pen(ST.EDGE_STYLES[ST.HIGHLIGHT_DENIED],
                                                                     pixel_scale, opacity=1.0),
                                          lod=False, antialias=True)
        self.denied_curve.casing_pen = QtGui.QPen(casing)
        self.denied_curve.setZValue(3)
        self.arrows = pg.ScatterPlotItem(pxMode=True, antialias=True)
        self.arrows.setZValue(-2)
        self.hl_arrows = pg.ScatterPlotItem(pxMode=True, antialias=True)
        self.hl_arrows.setZValue(3.5)
        self.nodes = pg.ScatterPlotItem(pxMode=True, antialias=True)
        self.nodes.setZValue(5)
        self._dim_nodes: set = set()
        self.symbol_factor = 1.0 if px_per_unit_y is None else symbol_factor(px_per_unit_y)
        self._arrows_dim = None
        self._set_nodes(th)
        self.rings = pg.ScatterPlotItem(pxMode=True, antialias=True)
        self.rings.setZValue(4)
        self.labels = LabelsItem(scene, th, pixel_scale)
        self.set_highlight(scene.highlight)

    def set_zoom(self, px_per_unit_y: float) -> bool:
        """Symbols shrink (down to SYMBOL_MIN of their size) when rows get closer than the symbols are tall, so a
        zoomed-out column stays a column of symbols rather than a bar. Returns whether anything changed (the
        canvas calls this once the zoom has settled: it rebuilds the symbol data)."""
        f = symbol_factor(px_per_unit_y)
        if f == self.symbol_factor:
            return False
        self.symbol_factor = f
        self._set_nodes(ST.theme(self.theme_name), self._dim_nodes)
        self._arrows_lod()
        s = self.pixel_scale * f
        self.arrows.setSize(ARROW_BOX * s)
        if len(self.hl_arrows.data):
            self.hl_arrows.setSize(ARROW_BOX * s)
        if len(self.rings.data):
            self.rings.setSize(24 * self.pixel_scale * max(f, 0.6))
        return True

    def _set_nodes(self, th: dict, dim: set | None = None) -> None:
        sc = self.scene
        s = self.pixel_scale * self.symbol_factor
        border = pg.mkPen(th["node_border"], width=max(0.5, 0.8 * s))
        dim_border = QtGui.QColor(th["node_border"])
        dim_border.setAlphaF(0.25)
        dim_pen = pg.mkPen(dim_border, width=max(0.5, 0.8 * s))
        brushes, symbols, sizes, faint = {}, {}, {}, {}
        b_list, s_list, z_list = [], [], []
        dim = dim or set()
        for i, k in enumerate(sc.kinds):
            if k not in brushes:
                ks = ST.kind_style(k)
                brushes[k] = pg.mkBrush(ks.color)
                c = QtGui.QColor(ks.color)
                c.setAlphaF(0.28)
                faint[k] = pg.mkBrush(c)
                symbols[k] = symbol_path(ks)
                sizes[k] = ks.size * s
            b_list.append(faint[k] if i in dim else brushes[k])
            s_list.append(symbols[k])
            z_list.append(sizes[k])
        pens = [dim_pen if i in dim else border for i in range(len(sc.kinds))] if dim else border
        self.nodes.setData(x=sc.xs, y=sc.ys, symbol=s_list, size=z_list, brush=b_list, pen=pens)

    def _set_arrows(self, item, arrows: list[tuple[np.ndarray, str]], opacity: float = 1.0) -> None:
        xs, ys, sym, brushes = [], [], [], []
        for arr, color in arrows:
            if not len(arr):
                continue
            c = QtGui.QColor(color)
            c.setAlphaF(opacity)
            brush = pg.mkBrush(c)
            xs.extend(arr[:, 0].tolist())
            ys.extend(arr[:, 1].tolist())
            sym.extend(arrow_symbol(a) for a in arr[:, 2].tolist())
            brushes.extend([brush] * len(arr))
        if not xs:
            item.setData(x=np.zeros(0), y=np.zeros(0))
            return
        item.setData(x=np.array(xs), y=np.array(ys), symbol=sym, size=ARROW_BOX * self.pixel_scale * self.symbol_factor,
                     brush=brushes, pen=None)

    def items(self) -> list:
        return [self.bands, self.edges, self.arrows, self.highlight_curve, self.denied_curve, self.hl_arrows,
                self.rings, self.nodes, self.labels, self.titles]

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
        self.highlight_curve.casing_pen.setColor(QtGui.QColor(th["background"]))
        self.denied_curve.casing_pen.setColor(QtGui.QColor(th["background"]))
        self._dim_nodes = set()
        self._set_nodes(th)
        self.set_highlight(self.scene.highlight)

    def set_visible_denied(self, visible: bool) -> None:
        for key, curve in self.curves.items():
            if "denied" in key:
                curve.setVisible(visible)
        self._draw_arrows(bool(self.scene.highlight.edges))

    def _arrows_lod(self) -> None:
        """Far zoomed out with very many edges, arrowheads (too small to see) are not drawn: frames stay fast."""
        self.arrows.setVisible(not (self.symbol_factor <= SYMBOL_MIN + 0.05 and len(self.arrows.data) > ARROWS_LOD))

    def _draw_arrows(self, dim: bool) -> None:
        self._arrows_dim = dim
        sc = self.scene
        shown = [(sc.arrows.get(key, np.zeros((0, 3))), ST.EDGE_STYLES[key].color) for key in ST.EDGE_STYLE_ORDER
                 if key not in ST.HIGHLIGHT_KEYS and (key not in self.curves or self.curves[key].isVisible())]
        self._set_arrows(self.arrows, shown, ST.DIM_OPACITY if dim else 0.9)
        self._arrows_lod()

    def set_highlight(self, hl: SC.Highlight) -> None:
        sc = self.scene
        self.scene.highlight = hl
        th = ST.theme(self.theme_name)
        geo = sc.highlight_geometry(hl)
        seg, arr = geo[ST.HIGHLIGHT]
        dseg, darr = geo[ST.HIGHLIGHT_DENIED]
        for item, segments in ((self.highlight_curve, seg), (self.denied_curve, dseg)):
            item.polyline_k = sc.curve_segs if sc.edge_curves else 2
            item.set_segments(segments)
        self._set_arrows(self.hl_arrows, [(arr, ST.EDGE_STYLES[ST.HIGHLIGHT].color),
                                          (darr, ST.EDGE_STYLES[ST.HIGHLIGHT_DENIED].color)])
        sc.denied_marks = geo["marks"]
        self.labels.marks = list(geo["marks"])
        chain = bool(len(seg) or len(dseg))
        self.edges.set_dim(chain)
        if chain != self._arrows_dim:
            self._draw_arrows(chain)
        ring_nodes = [n for n in hl.nodes if n in sc.index]
        if hl.selected is not None and hl.selected in sc.index and hl.selected not in ring_nodes:
            ring_nodes.append(hl.selected)
        idx = [sc.index[n] for n in ring_nodes]
        dim = set(range(len(sc.ids))) - set(idx) if chain else set()
        if dim != self._dim_nodes:
            self._dim_nodes = dim
            self._set_nodes(th, dim)
        self.labels.set_strong(idx, chain)
        s = self.pixel_scale * max(self.symbol_factor, 0.6)
        if idx:
            self.rings.setData(x=sc.xs[idx], y=sc.ys[idx], symbol="o", size=24 * s, brush=None,
                               pen=pg.mkPen(th["selection"], width=2.5 * s))
        else:
            self.rings.setData(x=np.zeros(0), y=np.zeros(0))
