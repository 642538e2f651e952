"""SVG export, written from the Scene (plain XML, no Qt): real vector shapes, one <g> per account band holding its
band, title, nodes and labels, one <g> per edge style, tooltips as <title>, the caption on top and the legend
below. Same frame (sizes and places) as the PNG export (`scene.frame_for`)."""
from __future__ import annotations

import io
import re
from xml.sax.saxutils import escape

from explorer.render import layout as L
from explorer.render import scene as SC
from explorer.render import style as ST

NODE_SCALE = 1.0  # node symbol size in scene units per style pixel
LABEL_SIZE = 11.0  # scene units
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"


def _id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", str(text))


def _num(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".")


def _symbol(out: io.StringIO, kind_style: ST.KindStyle, x: float, y: float, size: float, extra: str,
            stroke: str) -> None:
    if kind_style.symbol == ST.CIRCLE:
        out.write(f'<circle cx="{_num(x)}" cy="{_num(y)}" r="{_num(size / 2)}" fill="{kind_style.color}" '
                  f'stroke="{stroke}" stroke-width="1"{extra}')
    else:
        pts = " ".join(f"{_num(x + px * size)},{_num(y + py * size)}" for px, py in kind_style.symbol)
        out.write(f'<polygon points="{pts}" fill="{kind_style.color}" stroke="{stroke}" stroke-width="1"{extra}')


ARROW_TIP = 8.0  # as the window's arrowheads (qt_canvas.ARROW_TIP)


def _polyline(seg) -> str:
    if not len(seg):
        return ""
    pts = [f"M{_num(seg[0][0])} {_num(seg[0][1])}"] + [f"L{_num(r[2])} {_num(r[3])}" for r in seg]
    return "".join(pts)


def _dash(es: ST.EdgeStyle, scale: float = 1.0) -> str:
    if not es.dash:
        return ""
    return ' stroke-dasharray="' + " ".join(_num(d * es.width * scale) for d in es.dash) + '"'


def scene_to_svg(scene: SC.Scene, width: float = 1920.0, *, theme: str = "light") -> str:
    th = ST.theme(theme)
    fr = SC.frame_for(scene, width)
    out = io.StringIO()
    w = out.write
    w('<?xml version="1.0" encoding="UTF-8"?>\n')
    w(f'<svg xmlns="http://www.w3.org/2000/svg" width="{_num(fr.width)}" height="{_num(fr.height)}" '
      f'viewBox="0 0 {_num(fr.width)} {_num(fr.height)}" font-family="{FONT}">\n')
    w(f"<title>{escape(scene.caption[0] if scene.caption else 'IAM trust graph')}</title>\n")
    w(f'<rect x="0" y="0" width="{_num(fr.width)}" height="{_num(fr.height)}" fill="{th["background"]}"/>\n')
    # caption
    w('<g id="caption">\n')
    for i, (text, y) in enumerate(zip(scene.caption, fr.caption_y)):
        size, weight = (20, "bold") if i == 0 else (15, "normal")
        color = th["text"] if i == 0 else th["muted"]
        w(f'<text x="{_num(SC.MARGIN)}" y="{_num(y)}" font-size="{size}" font-weight="{weight}" '
          f'fill="{color}">{escape(text)}</text>\n')
    w("</g>\n")
    # graph
    w(f'<g id="graph" transform="translate({_num(fr.graph_x)},{_num(fr.graph_y)}) scale({fr.scale:.6g})">\n')
    nodes_by_band: dict[str, list[int]] = {}
    band_keys = [b.key for b in scene.bands]
    for i, node in enumerate(scene.ids):
        key = _band_key_of(scene, i)
        nodes_by_band.setdefault(key if key in band_keys else "", []).append(i)
    for band in scene.bands:
        fill = th["band_a"] if band.index % 2 == 0 else th["band_b"]
        w(f'<g id="account-{_id(band.key)}" class="account">\n<title>{escape(band.title)}'
          f'{(" — " + escape(band.subtitle)) if band.subtitle else ""}</title>\n')
        w(f'<rect x="{_num(band.x0)}" y="{_num(band.y0)}" width="{_num(band.x1 - band.x0)}" '
          f'height="{_num(band.y1 - band.y0)}" fill="{fill}" stroke="{th["band_border"]}" '
          f'vector-effect="non-scaling-stroke"/>\n')
        ty = band.y0 + L.BAND_PAD_TOP * 0.5 + 4.5
        w(f'<text x="{_num(band.x0 + 8)}" y="{_num(ty)}" font-size="13" font-weight="bold" '
          f'fill="{th["band_title"]}">{escape(band.title)}</text>\n')
        if band.subtitle:  # after the title (bold text is about 10 % wider than the estimate)
            sx = band.x0 + 8 + ST.text_width(band.title, 13.0) * 1.1 + 8
            w(f'<text x="{_num(sx)}" y="{_num(ty)}" font-size="11.5" fill="{th["ou_title"]}">'
              f'{escape(band.subtitle)}</text>\n')
        w("</g>\n")
    # edges under nodes: the drawn curves, dimmed while a chain is selected; arrowheads at the targets
    hl = scene.highlight
    chain = any(scene.edge_pairs.get(key) for key in ST.HIGHLIGHT_KEYS)
    k = scene.curve_segs if scene.edge_curves else 2
    for key in ST.EDGE_STYLE_ORDER:
        pairs = scene.edge_pairs.get(key) or []
        if not pairs:
            continue
        es = ST.EDGE_STYLES[key]
        seg = (scene.edge_curves or scene.edge_segments)[key]
        opacity = 1.0 if key in ST.HIGHLIGHT_KEYS else es.opacity * (ST.DIM_OPACITY if chain else 1.0)
        if key in ST.HIGHLIGHT_KEYS:
            w(f'<g id="edges-{key}-casing" stroke="{th["background"]}" stroke-width="{_num(es.width + 4)}" '
              f'fill="none" stroke-linecap="round" stroke-linejoin="round">\n')
            for i in range(len(pairs)):
                w(f'<path d="{_polyline(seg[k * i:k * (i + 1)])}"/>\n')
            w("</g>\n")
        w(f'<g id="edges-{key}" class="edges" stroke="{es.color}" stroke-width="{_num(es.width)}" fill="none" '
          f'stroke-opacity="{_num(opacity)}" stroke-linecap="{"butt" if es.dash else "round"}" '
          f'stroke-linejoin="round"{_dash(es)}>\n')
        for i, (u, v) in enumerate(pairs):
            tip = ("selected path" if key == ST.HIGHLIGHT else
                   "selected, denied (not permitted): " + scene.edge_tooltip(u, v) if key == ST.HIGHLIGHT_DENIED
                   else scene.edge_tooltip(u, v))
            w(f'<path d="{_polyline(seg[k * i:k * (i + 1)])}"><title>{escape(tip)}</title></path>\n')
        w("</g>\n")
        arr = scene.arrows.get(key)
        if arr is not None and len(arr):
            w(f'<g id="{key}-arrowheads" fill="{es.color}" fill-opacity="{_num(min(1.0, opacity + 0.1))}">\n')
            for x, y, a in arr.tolist():
                pts = ST.arrow_polygon(a, tip=ARROW_TIP, box=1.0)
                w('<polygon points="' + " ".join(f"{_num(x + px)},{_num(y + py)}" for px, py in pts) + '"/>')
            w("\n</g>\n")
    if scene.badges:
        w(f'<g id="badges" font-size="9" font-weight="bold" fill="{th["badge_text"]}">\n')
        for i, (x, y, text) in enumerate(scene.badges):
            bw = ST.text_width(text, 9.0) * 1.08 + 6
            faded = chain and not (i < len(scene.badge_edges) and scene.badge_edges[i] in hl.edges)
            w('<g opacity="0.45">' if faded else "<g>")
            w(f'<rect x="{_num(x - bw / 2)}" y="{_num(y - 6.5)}" width="{_num(bw)}" height="13" rx="3" '
              f'fill="{th["badge_bg"]}" stroke="{th["band_border"]}" stroke-width="0.5"/>'
              f'<text x="{_num(x)}" y="{_num(y + 3)}" text-anchor="middle">{escape(text)}</text></g>\n')
        w("</g>\n")
    strong = set(hl.nodes) | ({hl.selected} if hl.selected is not None else set())
    if chain:  # rings around the chain (under the nodes and labels)
        w(f'<g id="chain-rings" fill="none" stroke="{th["selection"]}" stroke-width="2.5">\n')
        for n in strong:
            if n in scene.index:
                x, y = scene.position(n)
                w(f'<circle cx="{_num(x)}" cy="{_num(y)}" r="12"/>')
        w("\n</g>\n")
    # nodes, grouped by account; labels to the right on a halo, cut at the end to their column's room
    overview = scene.view.mode == SC.OVERVIEW
    label_size = 13.0 if overview else LABEL_SIZE
    for band in scene.bands:
        idx = nodes_by_band.get(band.key, [])
        if not idx:
            continue
        w(f'<g id="nodes-{_id(band.key)}" class="account-nodes">\n')
        for i in idx:
            ks = ST.kind_style(scene.kinds[i])
            x, y = float(scene.xs[i]), float(scene.ys[i])
            size = ks.size * NODE_SCALE
            node = scene.ids[i]
            on_chain = node in strong
            dimmed = chain and not on_chain
            stroke = th["selection"] if on_chain else th["node_border"]
            w("<g>")
            _symbol(out, ks, x, y, size, ' opacity="0.3"/>' if dimmed else "/>", stroke)
            room = float(scene.label_room[i]) if scene.label_room is not None else L.LABEL_MAX_W
            text = escape(ST.elide_end(scene.labels[i], room * 1.1, label_size))
            weight = ' font-weight="bold"' if on_chain else ""
            at = f'x="{_num(x + size / 2 + 4)}" y="{_num(y + label_size * 0.36)}" font-size="{_num(label_size)}"{weight}'
            # a halo under the text (drawn as its own text: not every SVG viewer knows paint-order)
            w(f'<text {at} fill="none" stroke="{th["label_bg"]}" stroke-width="3" stroke-opacity="0.85" '
              f'stroke-linejoin="round">{text}</text>')
            w(f'<text {at} fill="{th["muted"] if dimmed else th["text"]}">{text}</text>')
            w(f"<title>{escape(scene.node_tooltip(node))}</title></g>\n")
        w("</g>\n")
    if scene.denied_marks:  # a selected denied hop says so where it is drawn
        w(f'<g id="denied-marks" class="denied-marks" font-size="10" font-weight="bold" '
          f'fill="{ST.DENIED_MARK_TEXT}">\n')
        for x, y, text in scene.denied_marks:
            bw = ST.text_width(text, 10.0) * 1.08 + 10
            w(f'<g><rect x="{_num(x - bw / 2)}" y="{_num(y - 8)}" width="{_num(bw)}" height="16" rx="4" '
              f'fill="{ST.DENIED_MARK_BG}" stroke="{th["background"]}" stroke-width="1"/>'
              f'<text x="{_num(x)}" y="{_num(y + 3.5)}" text-anchor="middle">{escape(text)}</text></g>\n')
        w("</g>\n")
    w("</g>\n")
    # legend
    w(f'<g id="legend" font-size="13" fill="{th["text"]}">\n')
    w(f'<text x="{_num(SC.MARGIN)}" y="{_num(fr.legend_y + 18)}" font-size="14" font-weight="bold">Legend</text>\n')
    for x, y, ks in fr.legend_nodes:
        _symbol(out, ks, x + 8, y, 13, "/>", th["node_border"])
        w(f'<text x="{_num(x + 22)}" y="{_num(y + 4)}">{escape(ks.name)}</text>\n')
    for x, y, es in fr.legend_edges:
        w(f'<line x1="{_num(x)}" y1="{_num(y)}" x2="{_num(x + 36)}" y2="{_num(y)}" stroke="{es.color}" '
          f'stroke-width="{_num(es.width)}"{_dash(es)}/>')
        w(f'<text x="{_num(x + 44)}" y="{_num(y + 4)}">{escape(es.name)}</text>\n')
    if fr.legend_badges:
        x, y, text = fr.legend_badges
        w(f'<text x="{_num(x)}" y="{_num(y + 4)}" fill="{th["muted"]}">{escape(text)}</text>\n')
    w("</g>\n</svg>\n")
    return out.getvalue()


def _band_key_of(scene: SC.Scene, i: int) -> str:
    if scene.view.mode == SC.OVERVIEW:
        y = float(scene.ys[i])
        for b in scene.bands:
            if b.y0 <= y <= b.y1:
                return b.key
        return ""
    node = scene.ids[i]
    if scene.graph is not None and node in scene.graph:
        return scene.estate.band_of(scene.graph.nodes[node])
    return ""


def write_svg(scene: SC.Scene, path, width: float = 1920.0, *, theme: str = "light") -> None:
    text = scene_to_svg(scene, width, theme=theme)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
