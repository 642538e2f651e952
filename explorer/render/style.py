"""Colours, symbols and line styles of the trust-graph picture, shared by the window, the PNG and the SVG
export (no Qt here: plain values that both the Qt items and the SVG writer read).

Symbols are polygons in a unit box (centre 0,0, radius 0.5; y grows downwards), or "circle", so the canvas
(QPainterPath symbols) and the SVG (<polygon>) draw the same shapes.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from explorer.graph import schema as S

# ---- node kinds -----------------------------------------------------------------------------------------


def _regular(n: int, rotate_deg: float = -90.0, r: float = 0.5) -> tuple[tuple[float, float], ...]:
    out = []
    for i in range(n):
        a = math.radians(rotate_deg + 360.0 * i / n)
        out.append((round(r * math.cos(a), 4), round(r * math.sin(a), 4)))
    return tuple(out)


def _star(points: int = 5, r_out: float = 0.5, r_in: float = 0.22) -> tuple[tuple[float, float], ...]:
    out = []
    for i in range(points * 2):
        r = r_out if i % 2 == 0 else r_in
        a = math.radians(-90.0 + 180.0 * i / points)
        out.append((round(r * math.cos(a), 4), round(r * math.sin(a), 4)))
    return tuple(out)


CIRCLE = "circle"
SQUARE = ((-0.42, -0.42), (0.42, -0.42), (0.42, 0.42), (-0.42, 0.42))
DIAMOND = ((0.0, -0.5), (0.5, 0.0), (0.0, 0.5), (-0.5, 0.0))
TRIANGLE_UP = ((0.0, -0.5), (0.5, 0.4), (-0.5, 0.4))
TRIANGLE_DOWN = ((-0.5, -0.4), (0.5, -0.4), (0.0, 0.5))
HEXAGON = _regular(6, rotate_deg=0.0)
PENTAGON = _regular(5)
STAR = _star()
# a rounded-looking octagon for "account" (root) nodes
OCTAGON = _regular(8, rotate_deg=22.5)


@dataclass(frozen=True)
class KindStyle:
    kind: str
    name: str  # legend text
    color: str  # fill, "#rrggbb"
    symbol: object  # CIRCLE or a polygon
    size: float  # pixels (canvas) / user units (SVG)


KIND_STYLES: dict[str, KindStyle] = {
    S.USER: KindStyle(S.USER, "IAM user", "#3b82f6", CIRCLE, 13),
    S.ROLE: KindStyle(S.ROLE, "IAM role", "#16a34a", SQUARE, 13),
    S.SERVICE_LINKED_ROLE: KindStyle(S.SERVICE_LINKED_ROLE, "service-linked role", "#94a3b8", TRIANGLE_DOWN, 12),
    S.SERVICE: KindStyle(S.SERVICE, "AWS service", "#f59e0b", PENTAGON, 14),
    S.SAML_PROVIDER: KindStyle(S.SAML_PROVIDER, "SAML provider", "#8b5cf6", DIAMOND, 14),
    S.OIDC_PROVIDER: KindStyle(S.OIDC_PROVIDER, "OIDC provider", "#d946ef", TRIANGLE_UP, 14),
    S.ACCOUNT: KindStyle(S.ACCOUNT, "account (root)", "#0ea5e9", OCTAGON, 15),
    S.FOREIGN_ACCOUNT: KindStyle(S.FOREIGN_ACCOUNT, "foreign account", "#ef4444", HEXAGON, 15),
    S.ANYONE: KindStyle(S.ANYONE, "anyone (Principal: *)", "#dc2626", STAR, 18),
}
UNKNOWN_KIND = KindStyle("unknown", "other", "#6b7280", CIRCLE, 11)
OVERVIEW_ACCOUNT = KindStyle("overview_account", "account", "#0ea5e9", OCTAGON, 26)
OVERVIEW_FOREIGN = KindStyle("overview_foreign", "accounts outside the snapshot", "#ef4444", HEXAGON, 26)
OVERVIEW_EXTERNAL = KindStyle("overview_external", "services, providers, public", "#f59e0b", PENTAGON, 26)


def kind_style(kind: str) -> KindStyle:
    return KIND_STYLES.get(kind) or {
        OVERVIEW_ACCOUNT.kind: OVERVIEW_ACCOUNT, OVERVIEW_FOREIGN.kind: OVERVIEW_FOREIGN,
        OVERVIEW_EXTERNAL.kind: OVERVIEW_EXTERNAL}.get(kind, UNKNOWN_KIND)


# ---- edges -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class EdgeStyle:
    key: str
    name: str  # legend text
    color: str
    width: float  # pixels
    dash: tuple[float, ...] = ()  # dash pattern in multiples of the width; () = solid
    opacity: float = 1.0  # same-account edges are lighter: the cross-account ones stand out


SAME = "same"
CROSS = "cross"
HIGHLIGHT = "highlight"
# a selected hop that is trusted but not permitted (a denied edge, or a chain's denied hop): never drawn like a
# usable path, but dashed red with a "denied" marker at its middle
HIGHLIGHT_DENIED = "highlight-denied"
HIGHLIGHT_KEYS = (HIGHLIGHT, HIGHLIGHT_DENIED)
DENIED_MARK = "denied"  # the marker's text
DENIED_MARK_BG = "#dc2626"
DENIED_MARK_TEXT = "#ffffff"


def edge_style_key(cross_account: bool, state: str) -> str:
    return f"{CROSS if cross_account else SAME}-{state}"


EDGE_STYLES: dict[str, EdgeStyle] = {
    edge_style_key(False, S.ALLOWED): EdgeStyle(edge_style_key(False, S.ALLOWED), "same account", "#8592a6", 1.0,
                                                (), 0.7),
    edge_style_key(True, S.ALLOWED): EdgeStyle(edge_style_key(True, S.ALLOWED), "cross-account", "#e8590c", 1.8,
                                               (), 0.9),
    edge_style_key(False, S.CONDITIONAL): EdgeStyle(edge_style_key(False, S.CONDITIONAL),
                                                    "same account, conditional", "#2a9d8f", 1.1, (4, 3), 0.8),
    edge_style_key(True, S.CONDITIONAL): EdgeStyle(edge_style_key(True, S.CONDITIONAL),
                                                   "cross-account, conditional", "#b45309", 1.8, (4, 3), 0.9),
    edge_style_key(False, S.DENIED): EdgeStyle(edge_style_key(False, S.DENIED),
                                               "trusted, not permitted", "#dc2626", 1.1, (1, 2.5)),
    edge_style_key(True, S.DENIED): EdgeStyle(edge_style_key(True, S.DENIED),
                                              "not permitted (cross-account)", "#dc2626", 1.6, (1, 2.5)),
    HIGHLIGHT: EdgeStyle(HIGHLIGHT, "selected path", "#e11d8f", 4.0),
    HIGHLIGHT_DENIED: EdgeStyle(HIGHLIGHT_DENIED, "selected, denied (not permitted)", "#dc2626", 3.0, (2, 1.5)),
}
# drawing order: first is drawn first (lowest)
EDGE_STYLE_ORDER = [edge_style_key(False, S.DENIED), edge_style_key(True, S.DENIED),
                    edge_style_key(False, S.ALLOWED), edge_style_key(False, S.CONDITIONAL),
                    edge_style_key(True, S.ALLOWED), edge_style_key(True, S.CONDITIONAL), HIGHLIGHT,
                    HIGHLIGHT_DENIED]

# ---- themes ------------------------------------------------------------------------------------------------

THEMES = {
    "light": {
        "background": "#ffffff", "text": "#1f2933", "muted": "#52606d", "band_a": "#f1f5f9", "band_b": "#e7eef6",
        "band_border": "#cbd5e1", "band_title": "#334155", "ou_title": "#64748b", "node_border": "#1f2933",
        "selection": "#e11d8f", "badge_bg": "#fff7d6", "badge_text": "#7a4b00", "caption_bg": "#f8fafc",
        "dim": "#c5ccd6", "label_bg": "#ffffff",
    },
    "dark": {
        "background": "#15191f", "text": "#e5e9f0", "muted": "#9aa5b1", "band_a": "#1e252e", "band_b": "#242c37",
        "band_border": "#3b4654", "band_title": "#d6dde6", "ou_title": "#8a97a8", "node_border": "#0b0e12",
        "selection": "#ff4fb8", "badge_bg": "#4a3a10", "badge_text": "#ffe08a", "caption_bg": "#1b2027",
        "dim": "#3a4350", "label_bg": "#15191f",
    },
}


DIM_OPACITY = 0.16  # edges and nodes off the selected chain, while a chain is selected


def theme(name: str) -> dict[str, str]:
    return THEMES.get(name, THEMES["light"])


BADGE_NAMES = {
    "MFA": "needs MFA", "ExternalId": "needs an ExternalId", "IP": "needs a source IP or VPC",
    "Org": "needs an organization", "Tag": "needs tags", "Time": "needs a time window",
    "Session": "depends on the session (issue time, name)", "SourceIdentity": "needs a source identity",
    "Claim": "needs SAML/OIDC claims", "Source": "needs a source account or ARN",
    "Principal": "depends on the calling principal", "Service": "depends on the calling service",
    "TLS": "needs TLS", "Foreign": "depends on policies outside the snapshot", "Other": "other condition",
    "VPC": "needs a VPC/endpoint",
}


def legend_entries(*, show_denied: bool = True, kinds: set[str] | None = None,
                   edge_keys: set[str] | None = None) -> tuple[list[KindStyle], list[EdgeStyle]]:
    """The legend: node kinds (those present when `kinds` is given) and edge styles."""
    ks = [s for k, s in KIND_STYLES.items() if kinds is None or k in kinds]
    if kinds:
        ks += [s for s in (OVERVIEW_ACCOUNT, OVERVIEW_FOREIGN, OVERVIEW_EXTERNAL) if s.kind in kinds]
    es = [EDGE_STYLES[k] for k in EDGE_STYLE_ORDER
          if (show_denied or S.DENIED not in k or k == HIGHLIGHT_DENIED)  # a selected denied hop is always drawn
          and (edge_keys is None or k in edge_keys)]
    return ks, es


def format_seconds(seconds: int | float | None) -> str:
    if seconds is None:
        return "?"
    seconds = int(seconds)
    h, rem = divmod(seconds, 3600)
    m = rem // 60
    if h and m:
        return f"{h} h {m} min"
    if h:
        return f"{h} h"
    return f"{m} min"


# ---- text widths without Qt (the layout sizes columns by their labels) ------------------------------------------

# advance widths of DejaVu Sans (the default sans-serif of most Linux desktops, and one of the widest: an estimate
# that is safe elsewhere) for ASCII 32..126, in hundredths of the pixel size
_ADVANCE = (32, 40, 46, 84, 64, 95, 78, 27, 39, 39, 50, 84, 32, 36, 32, 34, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
            34, 34, 84, 84, 84, 53, 100, 68, 69, 70, 77, 63, 58, 77, 75, 29, 29, 66, 56, 86, 75, 79, 60, 79, 69, 63,
            61, 73, 68, 99, 68, 61, 68, 39, 34, 39, 84, 50, 50, 61, 63, 55, 63, 62, 35, 63, 63, 28, 28, 58, 28, 97,
            63, 61, 63, 63, 41, 52, 39, 63, 59, 82, 59, 59, 52, 64, 34, 64, 84)
_WIDTH_CACHE: dict[str, float] = {}


def text_width(text: str, px: float = 11.0) -> float:
    """Estimated width in pixels of `text` drawn at `px` pixels (no Qt needed)."""
    w = _WIDTH_CACHE.get(text)
    if w is None:
        w = 0.0
        for ch in text:
            o = ord(ch)
            w += _ADVANCE[o - 32] if 32 <= o < 127 else 80
        w /= 100.0
        if len(_WIDTH_CACHE) < 200_000:
            _WIDTH_CACHE[text] = w
    return w * px


def elide_end(text: str, max_width: float, px: float = 11.0) -> str:
    """`text` cut at the end with an ellipsis to fit `max_width` pixels at `px` (estimated widths)."""
    if text_width(text, px) <= max_width:
        return text
    out = text
    while out and text_width(out + "…", px) > max_width:
        out = out[:-1]
    return out.rstrip(" ./:-_") + "…"


# ---- arrowheads: drawn at the target, pointing along the edge's arrival direction -----------------------------

ARROW_ANGLE_STEP = 15  # degrees: arrowheads are symbols pre-rotated in steps of this


def arrow_polygon(angle_deg: float, *, tip: float, length: float = 9.0, half_width: float = 4.0,
                  box: float) -> tuple[tuple[float, float], ...]:
    """An arrowhead pointing at `angle_deg` (0 = to the right, y down) whose tip is `tip` pixels before the centre
    (the node's border), in a symbol box `box` pixels wide (coordinates divided by the box: unit box)."""
    a = math.radians(angle_deg)
    ux, uy = math.cos(a), math.sin(a)
    tx, ty = -ux * tip, -uy * tip
    bx, by = tx - ux * length, ty - uy * length
    px, py = -uy * half_width, ux * half_width
    pts = ((tx, ty), (bx + px, by + py), (bx - ux * length * -0.25, by - uy * length * -0.25), (bx - px, by - py))
    return tuple((round(x / box, 4), round(y / box, 4)) for x, y in pts)
