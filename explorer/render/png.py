"""PNG export: the Scene drawn by the same pyqtgraph items as the window (qt_canvas.SceneItems), rendered from
the Qt scene into a QImage (QGraphicsScene.render with a QPainter), with the caption and the legend around it.
Sizes follow `scene.frame_for`, like the SVG export. pyqtgraph's own ImageExporter is not used (slow with many
markers: it draws every symbol one by one)."""
from __future__ import annotations

import os
import sys

from explorer.render import scene as SC
from explorer.render import style as ST

MIN_SYMBOL_SCALE = 0.3  # symbols never shrink below 30 % of their window size, however large the estate


def ensure_app():
    """A QApplication for drawing (offscreen when there is no display)."""
    from PySide6 import QtWidgets
    app = QtWidgets.QApplication.instance()
    if app is None:
        if not os.environ.get("QT_QPA_PLATFORM") and not (os.environ.get("DISPLAY")
                                                         or os.environ.get("WAYLAND_DISPLAY")) \
                and sys.platform.startswith("linux"):
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
        app = QtWidgets.QApplication(sys.argv[:1])
    return app


def render_image(scene: SC.Scene, width: int = 1920, *, theme: str = "light", dpi: int = 144):
    """The picture as a QImage `width` pixels wide."""
    ensure_app()
    import pyqtgraph as pg
    from PySide6 import QtCore, QtGui

    from explorer.render.qt_canvas import SceneItems

    th = ST.theme(theme)
    fr = SC.frame_for(scene, width)
    img = QtGui.QImage(int(fr.width), int(fr.height), QtGui.QImage.Format.Format_RGB32)
    img.fill(QtGui.QColor(th["background"]))
    dpm = int(dpi / 0.0254)
    img.setDotsPerMeterX(dpm)
    img.setDotsPerMeterY(dpm)

    # the graph: an offscreen view of exactly the graph's pixel size, rendered 1:1 into the image
    gw, gh = max(1, int(round(fr.graph_w))), max(1, int(round(fr.graph_h)))
    view = pg.GraphicsView()
    view.setAntialiasing(True)
    view.setBackground(th["background"])
    vb = pg.ViewBox(invertY=True, enableMenu=False, defaultPadding=0.0)
    vb.setAspectLocked(False)
    view.setCentralItem(vb)
    view.resize(gw, gh)
    vb.setGeometry(QtCore.QRectF(0, 0, gw, gh))
    symbol_scale = max(fr.scale, MIN_SYMBOL_SCALE)
    items = SceneItems(scene, theme, pixel_scale=symbol_scale, antialias=True, lod=True)
    items.add_to(vb)
    vb.setRange(QtCore.QRectF(0, 0, scene.width, scene.height), padding=0.0, update=True)
    view.scene().setSceneRect(QtCore.QRectF(0, 0, gw, gh))

    p = QtGui.QPainter(img)
    p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
    p.setRenderHint(QtGui.QPainter.RenderHint.TextAntialiasing, True)
    view.scene().render(p, QtCore.QRectF(fr.graph_x, fr.graph_y, gw, gh), QtCore.QRectF(0, 0, gw, gh))
    _paint_frame(p, scene, fr, th)
    p.end()
    items.remove_from(vb)
    view.deleteLater()
    return img


def _paint_frame(p, scene: SC.Scene, fr: SC.Frame, th: dict) -> None:
    from PySide6 import QtCore, QtGui

    from explorer.render.qt_canvas import draw_kind_symbol, make_pen

    p.resetTransform()
    for i, (text, y) in enumerate(zip(scene.caption, fr.caption_y)):
        f = QtGui.QFont()
        f.setPixelSize(20 if i == 0 else 15)
        f.setBold(i == 0)
        p.setFont(f)
        p.setPen(QtGui.QColor(th["text"] if i == 0 else th["muted"]))
        p.drawText(QtCore.QPointF(SC.MARGIN, y), text)
    f = QtGui.QFont()
    f.setPixelSize(14)
    f.setBold(True)
    p.setFont(f)
    p.setPen(QtGui.QColor(th["text"]))
    p.drawText(QtCore.QPointF(SC.MARGIN, fr.legend_y + 18), "Legend")
    f.setBold(False)
    f.setPixelSize(13)
    p.setFont(f)
    for x, y, ks in fr.legend_nodes:
        draw_kind_symbol(p, ks, x + 8, y, 13, th["node_border"])
        p.setPen(QtGui.QColor(th["text"]))
        p.drawText(QtCore.QPointF(x + 22, y + 5), ks.name)
    for x, y, es in fr.legend_edges:
        p.setPen(make_pen(es, opacity=1.0))
        p.drawLine(QtCore.QPointF(x, y), QtCore.QPointF(x + 36, y))
        p.setPen(QtGui.QColor(th["text"]))
        p.drawText(QtCore.QPointF(x + 44, y + 5), es.name)
    if fr.legend_badges:
        x, y, text = fr.legend_badges
        p.setPen(QtGui.QColor(th["muted"]))
        p.drawText(QtCore.QPointF(x, y + 5), text)


def write_png(scene: SC.Scene, path, width: int = 1920, *, theme: str = "light") -> None:
    img = render_image(scene, width, theme=theme)
    if not img.save(str(path), "PNG", 85):  # light compression: big pictures save in about a second
        from explorer.errors import InputError
        raise InputError(f"cannot write the PNG file {path}")
