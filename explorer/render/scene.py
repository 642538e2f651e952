"""The drawable: what to draw where, built from the trust graph (no Qt).

`build_scene(graph, estate, view, ...)` returns a `Scene` with node positions (numpy arrays), styles per node
kind, edge segments grouped by edge style (one polyline batch per style: the canvas draws each group with one
item, the SVG writer with one <g>), badges, account bands and the caption. The window (qt_canvas.py), the PNG
export (png.py) and the SVG export (svg.py) all draw a Scene, so the three pictures agree.

Views:
  full      every node, layered inside account bands
  overview  accounts as nodes (one per band), edges aggregated with counts
  account   one account's principals plus their direct callers and targets in other accounts
  focus     the neighbourhood of one node: k hops in and out
  path      the nodes of the given chains only
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Hashable, Iterable

import networkx as nx
import numpy as np

from explorer.graph import schema as S
from explorer.render import layout as L
from explorer.render import style as ST

FULL, OVERVIEW, ACCOUNT, FOCUS, PATH = "full", "overview", "account", "focus", "path"
LARGE_ESTATE = 3000  # principals above which the window opens on the overview

_STATE_RANK = {S.ALLOWED: 0, S.CONDITIONAL: 1, S.DENIED: 2}


@dataclass(frozen=True)
class View:
    mode: str = FULL
    account: str | None = None  # ACCOUNT: the band key
    focus: Hashable | None = None  # FOCUS: the node
    hops: int = 1
    path_nodes: tuple = ()  # PATH: nodes of the chains

    def describe(self, graph: nx.MultiDiGraph | None = None, estate: L.Estate | None = None) -> str:
        if self.mode == OVERVIEW:
            return "account overview"
        if self.mode == ACCOUNT:
            title = estate.band_title(self.account)[0] if estate else self.account
            return f"account {title}"
        if self.mode == FOCUS:
            label = graph.nodes[self.focus].get(S.LABEL) if graph is not None and self.focus in graph else self.focus
            return f"focus on {label} ({self.hops} hop{'s' if self.hops != 1 else ''} in and out)"
        if self.mode == PATH:
            return "selected path"
        return "whole estate"


@dataclass
class Highlight:
    nodes: frozenset = frozenset()
    edges: frozenset = frozenset()  # (u, v) pairs
    selected: Hashable | None = None


@dataclass
class Scene:
    view: View
    graph: nx.MultiDiGraph | None
    estate: L.Estate
    ids: list  # node ids (or band keys in the overview)
    kinds: list[str]
    labels: list[str]
    xs: np.ndarray
    ys: np.ndarray
    index: dict
    bands: list[L.Band]
    # per edge style key: list of (u, v) drawn; `edge_segments`: two straight segments per edge (rows 2i, 2i+1:
    # source -> the middle of the drawn curve -> target), a coarse outline for overlays; the drawn geometry is
    # `edge_curves` (`curve_segs` rows per edge, see `edge_polyline`)
    edge_pairs: dict[str, list[tuple]]
    edge_segments: dict[str, np.ndarray]
    arrows: dict[str, np.ndarray]  # per style: (m, 3) x, y of the target and arrival angle (degrees), one per target
    badges: list[tuple[float, float, str]]  # (x, y, text) near the target end of conditional edges
    width: float
    height: float
    show_denied: bool = False
    highlight: Highlight = field(default_factory=Highlight)
    overview_info: dict = field(default_factory=dict)  # band key -> {"count": n, "title":..., "subtitle":...}
    overview_edges: dict = field(default_factory=dict)  # (a, b) -> {"count", "allowed", "conditional", "denied"}
    caption: list[str] = field(default_factory=list)
    edge_curves: dict = field(default_factory=dict)  # per style: (n * curve_segs, 4) segments as drawn
    curve_segs: int = 2
    label_room: np.ndarray | None = None  # label width allowed per node (units at zoom 1)
    ports: np.ndarray | None = None  # per node: how far right of it its edges leave (the end of its label)
    badge_edges: list = field(default_factory=list)  # the (u, v) each badge belongs to
    layers: dict = field(default_factory=dict)  # node -> column (layer) of the layout
    denied_marks: list = field(default_factory=list)  # (x, y, text): the "denied" marker of each selected denied hop

    def denied_pair(self, u, v) -> bool:
        """Whether every edge u -> v is denied (trusted but not permitted): selected, it is no usable hop."""
        if self.graph is None or u not in self.graph or v not in self.graph:
            return False
        data = self.graph.get_edge_data(u, v) or {}
        return bool(data) and all(d.get(S.STATE) == S.DENIED for d in data.values())

    def split_highlight(self, pairs) -> tuple[list, list]:
        """The highlighted pairs drawn as a usable path, and those drawn in the denied style."""
        ok, denied = [], []
        for u, v in pairs:
            (denied if self.denied_pair(u, v) else ok).append((u, v))
        return ok, denied

    def highlight_geometry(self, hl: "Highlight") -> dict:
        """Per highlight style key (style.HIGHLIGHT_KEYS): (segments as drawn, arrowheads); and under "marks" the
        (x, y, text) markers of the denied hops (at the middle of their curve)."""
        ok, denied = self.split_highlight(hl.edges)
        out = {}
        marks = []
        for key, pairs in ((ST.HIGHLIGHT, ok), (ST.HIGHLIGHT_DENIED, denied)):
            seg, arr = self.pair_geometry(pairs)
            out[key] = (seg, arr)
            if key == ST.HIGHLIGHT_DENIED:
                marks = curve_middles(seg, self.curve_segs if self.edge_curves else 2)
        out["marks"] = [(x, y, ST.DENIED_MARK) for x, y in marks]
        return out

    def pair_geometry(self, pairs) -> tuple[np.ndarray, np.ndarray]:
        """(segments, arrows) of edges between drawn nodes, drawn like the scene's edges (the highlighted chain)."""
        pairs = [(u, v) for u, v in pairs if u in self.index and v in self.index and u != v]
        if not pairs:
            return np.zeros((0, 4)), np.zeros((0, 3))
        iu = np.array([self.index[u] for u, _v in pairs], dtype=int)
        iv = np.array([self.index[v] for _u, v in pairs], dtype=int)
        coords = np.stack([self.xs[iu], self.ys[iu], self.xs[iv], self.ys[iv]], axis=1)
        ports = self.ports[iu] if self.ports is not None and self.curve_segs > 2 else None
        arc = OVERVIEW_ARC if self.view.mode == OVERVIEW else 0.0
        skips = ([self.layers.get(v, 0) - self.layers.get(u, 0) != 1 for u, v in pairs] if self.layers else None)
        _coarse, fine, ang, _b = edge_geometry(coords, ports, self.curve_segs, arc=arc, skips=skips)
        return fine, _arrows(pairs, self.xs[iv], self.ys[iv], ang, self.index)

    def edge_polyline(self, key: str, i: int) -> np.ndarray:
        """The drawn segments (k, 4) of edge i of style `key`."""
        k = self.curve_segs
        seg = self.edge_curves.get(key)
        if seg is None or not len(seg):
            return self.edge_segments[key][2 * i:2 * i + 2]
        return seg[k * i:k * (i + 1)]

    # ---- counts and lookups ----
    @property
    def node_count(self) -> int:
        return len(self.ids)

    @property
    def edge_count(self) -> int:
        return sum(len(v) for k, v in self.edge_pairs.items() if k not in ST.HIGHLIGHT_KEYS)

    def kinds_present(self) -> set[str]:
        return set(self.kinds)

    def edge_keys_present(self) -> set[str]:
        keys = {k for k, v in self.edge_pairs.items() if v and k != ST.HIGHLIGHT_DENIED}
        return keys | ({ST.HIGHLIGHT_DENIED} if self.denied_marks else set())  # follows the canvas' selection

    def position(self, node) -> tuple[float, float] | None:
        i = self.index.get(node)
        return None if i is None else (float(self.xs[i]), float(self.ys[i]))

    def bounds(self) -> tuple[float, float, float, float]:
        return (0.0, 0.0, self.width, self.height)

    def node_tooltip(self, node) -> str:
        if self.view.mode == OVERVIEW:
            info = self.overview_info.get(node, {})
            return f"{info.get('title', node)}\n{info.get('subtitle', '')}\n{info.get('count', 0)} nodes".strip()
        return node_tooltip(self.graph, node, self.estate)

    def edge_tooltip(self, u, v) -> str:
        if self.view.mode == OVERVIEW:
            agg = self.overview_edges.get((u, v), {})
            ta = self.overview_info.get(u, {}).get("title", u)
            tb = self.overview_info.get(v, {}).get("title", v)
            parts = [f"{agg.get(s, 0)} {s}" for s in (S.ALLOWED, S.CONDITIONAL, S.DENIED) if agg.get(s)]
            return f"{ta} → {tb}\n{agg.get('count', 0)} edges ({', '.join(parts)})"
        return edge_tooltip(self.graph, u, v)

    def band_at(self, x: float, y: float) -> L.Band | None:
        for b in self.bands:
            if b.y0 <= y <= b.y1 and b.x0 <= x <= b.x1:
                return b
        return None


# ---- text ------------------------------------------------------------------------------------------------

def requirements_text(requires) -> str:
    """Alternatives of requirements as words: 'a and b' or 'c'."""
    if not requires:
        return ""
    alts = []
    for alt in requires:
        items = alt if isinstance(alt, (tuple, list)) else (alt,)
        alts.append(" and ".join(str(r) for r in items))
    return " or ".join(f"({a})" if len(requires) > 1 and " and " in a else a for a in alts)


def node_tooltip(graph: nx.MultiDiGraph, node, estate: L.Estate | None = None) -> str:
    a = graph.nodes[node]
    kind = a.get(S.KIND, "")
    lines = [f"{a.get(S.LABEL) or node}", f"{ST.kind_style(kind).name}"]
    arn = a.get(S.ARN) or (node if isinstance(node, str) and node.startswith("arn:") else "")
    if arn:
        lines.append(arn)
    acct = a.get(S.ACCOUNT_ID)
    if acct:
        info = estate.accounts.get(acct) if estate else None
        lines.append(f"account {info.title if info else acct}")
    if kind in (S.ROLE, S.SERVICE_LINKED_ROLE) and a.get(S.MAX_SESSION):
        known = a.get(S.MAX_SESSION_KNOWN, True)
        lines.append(f"MaxSessionDuration {ST.format_seconds(a.get(S.MAX_SESSION))}"
                     + ("" if known else " (assumed: roles.json missing or unreadable)"))
    tags = a.get(S.TAGS) or {}
    if tags:
        lines.append("tags: " + ", ".join(f"{k}={v}" for k, v in list(tags.items())[:6])
                     + (" …" if len(tags) > 6 else ""))
    lines.append(reach_summary(graph, node))
    return "\n".join(lines)


def neighbour_counts(graph: nx.MultiDiGraph, node) -> tuple[int, int, int, int]:
    """(callers, denied callers, targets, denied targets) of `node`, one hop: distinct neighbours over allowed and
    conditional edges, and apart those linked only by denied (trusted but not permitted) edges. Several actions
    between the same two principals count once."""
    def split(pairs):
        ok, denied = set(), set()
        for other, d in pairs:
            (denied if d.get(S.STATE) == S.DENIED else ok).add(other)
        return len(ok), len(denied - ok)
    cin, din = split((u, d) for u, _v, d in graph.in_edges(node, data=True))
    cout, dout = split((v, d) for _u, v, d in graph.out_edges(node, data=True))
    return cin, din, cout, dout


def reach_summary(graph: nx.MultiDiGraph, node) -> str:
    """"N can become it (+D denied) · it can become M (+E denied)" (see `neighbour_counts`)."""
    cin, din, cout, dout = neighbour_counts(graph, node)
    return (f"{cin} can become it" + (f" (+{din} denied)" if din else "")
            + f" · it can become {cout}" + (f" (+{dout} denied)" if dout else ""))


def edge_tooltip(graph: nx.MultiDiGraph, u, v) -> str:
    lu = graph.nodes[u].get(S.LABEL) or u
    lv = graph.nodes[v].get(S.LABEL) or v
    lines = [f"{lu} → {lv}"]
    for key, d in (graph.get_edge_data(u, v) or {}).items():
        state = d.get(S.STATE, "")
        line = f"{d.get(S.ACTION, key)}: {state}"
        if d.get(S.CROSS_ACCOUNT):
            line += ", cross-account"
        lines.append(line)
        if d.get(S.REQUIRES):
            lines.append("  requires " + requirements_text(d.get(S.REQUIRES)))
        if d.get(S.REASON):
            lines.append("  " + str(d.get(S.REASON)))
    return "\n".join(lines)


# ---- node sets of the views ---------------------------------------------------------------------------------

def _drawn(data: dict, show_denied: bool) -> bool:
    return show_denied or data.get(S.STATE) != S.DENIED


def neighbourhood(graph: nx.MultiDiGraph, node, hops: int = 1, *, show_denied: bool = False) -> list:
    """Nodes within `hops` edges of `node`, following edges forwards and backwards."""
    if node not in graph:
        return []
    seen = {node: 0}
    frontier = [node]
    for depth in range(1, max(0, hops) + 1):
        nxt = []
        for n in frontier:
            for _, m, d in graph.out_edges(n, data=True):
                if m not in seen and _drawn(d, show_denied):
                    seen[m] = depth
                    nxt.append(m)
            for m, _, d in graph.in_edges(n, data=True):
                if m not in seen and _drawn(d, show_denied):
                    seen[m] = depth
                    nxt.append(m)
        frontier = nxt
    return list(seen)


def view_nodes(graph: nx.MultiDiGraph, estate: L.Estate, view: View, *, show_denied: bool = False) -> list | None:
    """The nodes a view draws (None: all)."""
    if view.mode == FULL:
        return None
    if view.mode == FOCUS:
        return neighbourhood(graph, view.focus, view.hops, show_denied=show_denied)
    if view.mode == PATH:
        return [n for n in view.path_nodes if n in graph]
    if view.mode == ACCOUNT:
        own = [n for n, a in graph.nodes(data=True) if estate.band_of(a) == view.account]
        out = dict.fromkeys(own)
        for n in own:
            for _, m, d in graph.out_edges(n, data=True):
                if _drawn(d, show_denied):
                    out.setdefault(m)
            for m, _, d in graph.in_edges(n, data=True):
                if _drawn(d, show_denied):
                    out.setdefault(m)
        return list(out)
    raise ValueError(f"no node set for view {view.mode}")


def layout_for(graph: nx.MultiDiGraph, estate: L.Estate, view: View, *, show_denied: bool = False,
               cache: L.LayoutCache | None = None, generation: Hashable = 0) -> L.Layout:
    """The (cached) layout of a view. Layouts depend on the graph's structure: pass a `generation` that changes
    when the structure does (what-if re-evaluation keeps positions: the caller keeps the generation)."""
    key = (generation, view, show_denied)
    if cache is not None:
        hit = cache.get(key)
        if hit is not None:
            return hit
    if view.mode == OVERVIEW:
        lay = _overview_layout(graph, estate)
    else:
        nodes = view_nodes(graph, estate, view, show_denied=show_denied)
        first = view.account if view.mode == ACCOUNT else (
            estate.band_of(graph.nodes[view.focus]) if view.mode == FOCUS and view.focus in graph else None)
        lay = L.layered_layout(graph, estate, nodes, first_band=first)
    if cache is not None:
        cache.put(key, lay)
    return lay


def _overview_layout(graph: nx.MultiDiGraph, estate: L.Estate) -> L.Layout:
    keys = {estate.band_of(a) for _, a in graph.nodes(data=True)} | set(estate.accounts)
    groups: dict[str, list] = defaultdict(list)
    for k in estate.band_order(keys):
        groups[estate.group_of(k)].append(k)
    titles = {g: ((g if g not in ("outside", "root") else {"outside": "Outside the organization's accounts",
                                                             "root": "Organization root"}[g]), "")
              for g in groups}
    return L.grid_layout(dict(groups), titles)


# ---- geometry ---------------------------------------------------------------------------------------------

CURVE_SEGMENTS = 20  # segments per drawn edge (a stub under the label, then a curve) when there are few edges
PORT_PAD = 6.0  # edges leave a node at the end of its label
OVERVIEW_ARC = 0.1  # overview edges bow by this share of their length
OVERVIEW_ARC_SEGMENTS = 10


def curve_segments_for(n_edges: int) -> int:
    """Segments per edge: smooth curves for small pictures, coarser ones (2: straight) for very many edges."""
    return CURVE_SEGMENTS if n_edges <= 800 else 12 if n_edges <= 2000 else 6 if n_edges <= 6000 else 2


def edge_geometry(coords, ports=None, k: int = CURVE_SEGMENTS, arc: float = 0.0, skips=None) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                                         np.ndarray]:
    """Drawn edges. coords: (n, 4) x0, y0, x1, y1; ports: (n,) how far right of the source the edge leaves (the
    end of its label). Returns (coarse (2n, 4): source -> middle -> target, fine (k*n, 4) segments as drawn,
    arrival angles (n,) in degrees, badge points (n, 2)).

    With k > 2 an edge runs straight from the node to the end of its label, then as a cubic curve that leaves
    and arrives level: parallel edges between columns bundle into smooth fans instead of a hairball. Edges to a
    column on the left (or the same column) loop around; long level edges bow below the row so they do not run
    through the nodes of the columns they skip (`skips`: per edge, whether it spans more than one column;
    default: long edges). With `arc` (and no ports: the overview) edges are arcs bowing
    `arc` times their length to the left."""
    c = np.asarray(coords, dtype=float).reshape(-1, 4)
    n = len(c)
    if not n:
        z = np.zeros((0, 4))
        return z, z.copy(), np.zeros(0), np.zeros((0, 2))
    x0, y0, x1, y1 = c[:, 0], c[:, 1], c[:, 2], c[:, 3]
    if arc and k > 2:  # gentle arcs bowing to the left of the direction: a -> b and b -> a stay apart
        dx, dy = x1 - x0, y1 - y0
        ln = np.hypot(dx, dy)
        ln[ln == 0] = 1.0
        cx = (x0 + x1) / 2 - dy / ln * ln * arc
        cy = (y0 + y1) / 2 + dx / ln * ln * arc
        t = np.linspace(0.0, 1.0, k + 1)[None, :]
        bxs = (1 - t) ** 2 * x0[:, None] + 2 * (1 - t) * t * cx[:, None] + t ** 2 * x1[:, None]
        bys = (1 - t) ** 2 * y0[:, None] + 2 * (1 - t) * t * cy[:, None] + t ** 2 * y1[:, None]
        fine = np.stack([bxs[:, :-1], bys[:, :-1], bxs[:, 1:], bys[:, 1:]], axis=2).reshape(n * k, 4)
        mid = k // 2
        coarse = np.empty((2 * n, 4))
        coarse[0::2] = np.stack([x0, y0, bxs[:, mid], bys[:, mid]], axis=1)
        coarse[1::2] = np.stack([bxs[:, mid], bys[:, mid], x1, y1], axis=1)
        ang = np.degrees(np.arctan2(y1 - bys[:, -2], x1 - bxs[:, -2]))
        return coarse, fine, ang, np.stack([bxs[:, mid], bys[:, mid]], axis=1)
    if k <= 2 or ports is None:
        mx, my = (x0 + x1) / 2, (y0 + y1) / 2
        coarse = np.empty((2 * n, 4))
        coarse[0::2] = np.stack([x0, y0, mx, my], axis=1)
        coarse[1::2] = np.stack([mx, my, x1, y1], axis=1)
        ang = np.degrees(np.arctan2(y1 - y0, x1 - x0))
        bx, by = x0 + (x1 - x0) * 0.5, y0 + (y1 - y0) * 0.5
        return coarse, coarse.copy(), ang, np.stack([bx, by], axis=1)
    px = x0 + np.asarray(ports, dtype=float)
    dxp = x1 - px
    dy = y1 - y0
    fwd = dxp >= 24.0
    h = np.where(fwd, dxp * 0.5, 60.0 + 0.2 * np.abs(dxp))
    level = np.abs(dy) < L.ROW_H * 0.5
    skip = (dxp > 300.0) if skips is None else np.asarray(skips, dtype=bool)  # passes other columns' nodes
    v = np.where(fwd & level & skip, L.ROW_H * 0.67, np.where(~fwd & level, L.ROW_H * 1.4, 0.0))
    c1x, c1y = px + h, y0 + v
    c2x, c2y = x1 - h, y1 + v
    t = np.linspace(0.0, 1.0, k)[None, :]  # k points: k - 1 curve segments, plus the stub
    a, b_ = (1 - t) ** 3, 3 * (1 - t) ** 2 * t
    cc, d = 3 * (1 - t) * t ** 2, t ** 3
    bxs = a * px[:, None] + b_ * c1x[:, None] + cc * c2x[:, None] + d * x1[:, None]
    bys = a * y0[:, None] + b_ * c1y[:, None] + cc * c2y[:, None] + d * y1[:, None]
    fine = np.empty((n, k, 4))
    fine[:, 0] = np.stack([x0, y0, px, y0], axis=1)
    fine[:, 1:, 0], fine[:, 1:, 1] = bxs[:, :-1], bys[:, :-1]
    fine[:, 1:, 2], fine[:, 1:, 3] = bxs[:, 1:], bys[:, 1:]
    mid = k // 2
    coarse = np.empty((2 * n, 4))
    coarse[0::2] = np.stack([x0, y0, bxs[:, mid], bys[:, mid]], axis=1)
    coarse[1::2] = np.stack([bxs[:, mid], bys[:, mid], x1, y1], axis=1)
    ang = np.degrees(np.arctan2(y1 - bys[:, -2], x1 - bxs[:, -2]))
    # badges near the target (one per target and condition: it reads "entering here needs ..."), in the middle
    # of short edges so they keep clear of the target's symbol
    tb = np.where(np.hypot(x1 - px, dy) > 200.0, int(round((k - 1) * 0.78)), (k - 1) // 2)
    rows = np.arange(n)
    return coarse, fine.reshape(n * k, 4), ang, np.stack([bxs[rows, tb], bys[rows, tb]], axis=1)


BADGE_PX = 9.0  # badge text size at zoom 1 (window and exports), in scene units
OVERVIEW_BADGE_PX = 10.5  # the overview's "×n" badges (its labels are larger)


def badge_rect(x: float, y: float, text: str, px: float = BADGE_PX) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) of a badge centred on (x, y) at zoom 1, with its plate (a little generous)."""
    w = ST.text_width(text, px) * 1.1 + 8.0
    h = px + 6.0
    return (x - w / 2, y - h / 2, x + w / 2, y + h / 2)


def _overlaps(r, others) -> bool:
    return any(r[0] < o[2] and o[0] < r[2] and r[1] < o[3] and o[1] < r[3] for o in others)


def _curve_points(fine: np.ndarray, k: int, i: int) -> list[tuple[float, float]]:
    rows = fine[k * i:k * (i + 1)]
    return [(float(r[0]), float(r[1])) for r in rows] + ([(float(rows[-1][2]), float(rows[-1][3]))] if len(rows) else [])


def badge_spot(points, first: int, text: str, px: float, hard, soft=()) -> tuple[float, float]:
    """Where on a drawn edge (its `points`) a badge goes: the point `first` unless its badge would cover a band
    title (`hard` rectangles: never) or a node, a label or another badge (`soft`: avoided when possible); then
    the nearest point along the edge that is clear, away from both ends."""
    n = len(points)
    if not n:
        return (0.0, 0.0)
    first = max(0, min(n - 1, first))
    lo, hi = (1, n - 2) if n > 3 else (0, n - 1)
    order = [first] + [j for d in range(1, n) for j in (first - d, first + d) if lo <= j <= hi]
    fallback = None
    for j in order:
        r = badge_rect(*points[j], text, px)
        if _overlaps(r, hard):
            continue
        if not _overlaps(r, soft):
            return points[j]
        if fallback is None:
            fallback = points[j]
    return fallback if fallback is not None else points[first]


def _band_of_point(bands, y: float):
    for b in bands:
        if b.y0 <= y <= b.y1:
            return b
    return None


def curve_middles(fine: np.ndarray, k: int) -> list[tuple[float, float]]:
    """The middle point of each drawn edge (`k` segments each, as in Scene.edge_curves): of its curve, after the
    straight stub under the source's label when there is one."""
    fine = np.asarray(fine, dtype=float).reshape(-1, 4)
    out = []
    for i in range(len(fine) // max(k, 1)):
        rows = fine[k * i:k * (i + 1)]
        if k > 2 and len(rows) > 2 and rows[0][1] == rows[0][3]:
            rows = rows[1:]
        ln = np.hypot(rows[:, 2] - rows[:, 0], rows[:, 3] - rows[:, 1])
        half = ln.sum() / 2
        acc = np.cumsum(ln)
        j = int(min(np.searchsorted(acc, half), len(rows) - 1))
        before = acc[j] - ln[j]
        t = (half - before) / ln[j] if ln[j] else 0.0
        r = rows[j]
        out.append((float(r[0] + (r[2] - r[0]) * t), float(r[1] + (r[3] - r[1]) * t)))
    return out


def _arrows(pairs, xs_t, ys_t, ang, index) -> np.ndarray:
    """One arrowhead per target and arrival direction (steps of ARROW_ANGLE_STEP)."""
    seen = {}
    step = ST.ARROW_ANGLE_STEP
    for (u, v), x, y, a in zip(pairs, xs_t, ys_t, ang):
        q = int(round(a / step)) % (360 // step)
        seen.setdefault((v, q), (x, y, q * step))
    return np.array(list(seen.values()), dtype=float).reshape(-1, 3)


# ---- building ------------------------------------------------------------------------------------------------

def build_scene(graph: nx.MultiDiGraph, estate: L.Estate, view: View = View(), *, show_denied: bool = False,
                highlight: Highlight | None = None, cache: L.LayoutCache | None = None, generation: Hashable = 0,
                layout: L.Layout | None = None, caption: list[str] | None = None) -> Scene:
    """The drawable of `view`. `graph` carries the current (what-if) edge states; the layout comes from
    `layout`, or the cache under `generation`, or is computed here."""
    highlight = highlight or Highlight()
    lay = layout or layout_for(graph, estate, view, show_denied=show_denied, cache=cache, generation=generation)
    if view.mode == OVERVIEW:
        return _build_overview(graph, estate, view, lay, show_denied, highlight, caption)
    ids = list(lay.pos)
    index = {n: i for i, n in enumerate(ids)}
    attrs = graph.nodes
    kinds = [attrs[n].get(S.KIND, "") if n in graph else "" for n in ids]
    labels = [str(attrs[n].get(S.LABEL) or n) if n in graph else str(n) for n in ids]
    xs = np.fromiter((lay.pos[n][0] for n in ids), float, len(ids))
    ys = np.fromiter((lay.pos[n][1] for n in ids), float, len(ids))

    # one drawn line per (u, v): the best state among its actions
    best: dict[tuple, tuple[int, bool]] = {}
    for u, v, d in graph.edges(data=True):
        if u not in index or v not in index or u == v:
            continue
        state = d.get(S.STATE, S.ALLOWED)
        if state == S.DENIED and not show_denied:
            continue
        r = _STATE_RANK.get(state, 0)
        prev = best.get((u, v))
        cross = bool(d.get(S.CROSS_ACCOUNT))
        if prev is None or r < prev[0]:
            best[(u, v)] = (r, cross, tuple(d.get(S.BADGES) or ()) if state == S.CONDITIONAL else ())
        elif r == prev[0] and state == S.CONDITIONAL:
            best[(u, v)] = (r, prev[1] or cross, tuple(dict.fromkeys(prev[2] + tuple(d.get(S.BADGES) or ()))))
    states = {v: k for k, v in _STATE_RANK.items()}
    groups: dict[str, list[tuple]] = defaultdict(list)
    for (u, v), (r, cross, _b) in best.items():
        groups[ST.edge_style_key(cross, states[r])].append((u, v))
    for (u, v) in highlight.edges:
        if u in index and v in index and u != v:
            denied = all(d.get(S.STATE) == S.DENIED for d in (graph.get_edge_data(u, v) or {0: {}}).values())
            groups[ST.HIGHLIGHT_DENIED if denied else ST.HIGHLIGHT].append((u, v))
    room = np.fromiter((lay.label_room.get(n, L.LABEL_MAX_W) for n in ids), float, len(ids))
    own = np.fromiter((L.label_width(t) for t in labels), float, len(ids))
    port = np.minimum(own, room) + ST.KIND_STYLES.get(S.ROLE).size / 2 + PORT_PAD
    k = curve_segments_for(sum(len(v) for v in groups.values()))
    edge_pairs, edge_segments, arrows, curves = {}, {}, {}, {}
    badges: list[tuple[float, float, str]] = []
    badge_seen: set = set()
    badge_edges: list = []
    denied_marks: list = []
    title_rects = [L.title_rect(b) for b in lay.bands]
    for key in ST.EDGE_STYLE_ORDER:
        pairs = groups.get(key, [])
        iu = np.fromiter((index[u] for u, _v in pairs), int, len(pairs))
        iv = np.fromiter((index[v] for _u, v in pairs), int, len(pairs))
        coords = np.stack([xs[iu], ys[iu], xs[iv], ys[iv]], axis=1) if pairs else np.zeros((0, 4))
        skips = ([lay.layers.get(v, 0) - lay.layers.get(u, 0) != 1 for u, v in pairs] if lay.layers else None)
        coarse, fine, ang, bpts = edge_geometry(coords, port[iu] if pairs else None, k, skips=skips)
        edge_pairs[key], edge_segments[key], curves[key] = pairs, coarse, fine
        arrows[key] = _arrows(pairs, xs[iv], ys[iv], ang, index) if pairs else np.zeros((0, 3))
        if key == ST.HIGHLIGHT_DENIED:
            denied_marks = [(x, y, ST.DENIED_MARK) for x, y in curve_middles(fine, k)]
        if key not in ST.HIGHLIGHT_KEYS:
            for i, ((u, v), (bx, by)) in enumerate(zip(pairs, bpts.tolist())):
                b = best[(u, v)][2]
                if b and (v, b) not in badge_seen:  # one badge per target and condition
                    badge_seen.add((v, b))
                    text = " ".join(b)
                    band = _band_of_point(lay.bands, by)
                    if band is not None and _overlaps(badge_rect(bx, by, text), [L.title_rect(band)]):
                        pts = _curve_points(fine, k, i)
                        first = min(range(len(pts)), key=lambda j: (pts[j][0] - bx) ** 2 + (pts[j][1] - by) ** 2)
                        bx, by = badge_spot(pts, first, text, BADGE_PX, title_rects)
                    badges.append((bx, by, text))
                    badge_edges.append((u, v))
    sc = Scene(view, graph, estate, ids, kinds, labels, xs, ys, index, lay.bands, edge_pairs, edge_segments,
               arrows, badges, lay.width, lay.height, show_denied, highlight)
    sc.edge_curves, sc.curve_segs, sc.label_room, sc.ports = curves, k, room, port
    sc.badge_edges, sc.layers, sc.denied_marks = badge_edges, lay.layers, denied_marks
    sc.caption = caption if caption is not None else default_caption(estate, view, graph)
    return sc


def _build_overview(graph, estate, view, lay, show_denied, highlight, caption) -> Scene:
    band_nodes: dict[str, int] = defaultdict(int)
    node_band = {}
    for n, a in graph.nodes(data=True):
        b = estate.band_of(a)
        node_band[n] = b
        if a.get(S.KIND) not in (S.ACCOUNT,):
            band_nodes[b] += 1
    agg: dict[tuple, dict] = {}
    for u, v, d in graph.edges(data=True):
        a, b = node_band.get(u), node_band.get(v)
        if a is None or b is None or a == b:
            continue
        state = d.get(S.STATE, S.ALLOWED)
        if state == S.DENIED and not show_denied:
            continue
        e = agg.setdefault((a, b), {"count": 0, S.ALLOWED: 0, S.CONDITIONAL: 0, S.DENIED: 0})
        e["count"] += 1
        e[state] = e.get(state, 0) + 1
    ids = [k for k in lay.pos]
    index = {n: i for i, n in enumerate(ids)}
    kinds = [ST.OVERVIEW_FOREIGN.kind if k == L.FOREIGN_BAND else ST.OVERVIEW_EXTERNAL.kind
             if k == L.EXTERNAL_BAND else ST.OVERVIEW_ACCOUNT.kind for k in ids]
    info = {}
    labels = []
    for k in ids:
        title, sub = estate.band_title(k)
        info[k] = {"title": title, "subtitle": sub, "count": band_nodes.get(k, 0)}
        info_acct = estate.accounts.get(k)
        short = info_acct.name if info_acct is not None and info_acct.name else title
        labels.append(f"{short} · {band_nodes.get(k, 0)}")
    xs = np.fromiter((lay.pos[n][0] for n in ids), float, len(ids))
    ys = np.fromiter((lay.pos[n][1] for n in ids), float, len(ids))
    groups: dict[str, list] = defaultdict(list)
    for (a, b), e in agg.items():
        if a not in index or b not in index:
            continue
        state = S.ALLOWED if e[S.ALLOWED] else S.CONDITIONAL if e[S.CONDITIONAL] else S.DENIED
        groups[ST.edge_style_key(True, state)].append((a, b))
    edge_pairs, edge_segments, arrows, badges, curves, badge_edges = {}, {}, {}, [], {}, []
    # "×n" badges keep off the band titles, and where they can off the accounts' symbols, labels and each other
    titles = [L.title_rect(b) for b in lay.bands]
    half = ST.OVERVIEW_ACCOUNT.size / 2 + 3
    obstacles = [r for x, y, label in zip(xs.tolist(), ys.tolist(), labels)
                 for r in ((x - half, y - half, x + half, y + half),
                           (x + half, y - 10, x + half + 4 + ST.text_width(label, 13.0) * 1.05, y + 10))]
    taken: list = []
    for key in ST.EDGE_STYLE_ORDER:
        pairs = groups.get(key, [])
        coords = [(xs[index[u]], ys[index[u]], xs[index[v]], ys[index[v]]) for u, v in pairs]
        seg, fine, ang, mids = edge_geometry(coords, None, OVERVIEW_ARC_SEGMENTS, arc=OVERVIEW_ARC)
        edge_pairs[key], edge_segments[key], curves[key] = pairs, seg, fine
        arrows[key] = (_arrows(pairs, [c[2] for c in coords], [c[3] for c in coords], ang, index) if pairs
                       else np.zeros((0, 3)))
        for i, (u, v) in enumerate(pairs):
            text = f"×{agg[(u, v)]['count']}"
            mx, my = badge_spot(_curve_points(fine, OVERVIEW_ARC_SEGMENTS, i), OVERVIEW_ARC_SEGMENTS // 2, text,
                                OVERVIEW_BADGE_PX, titles, obstacles + taken)
            badges.append((mx, my, text))
            taken.append(badge_rect(mx, my, text, OVERVIEW_BADGE_PX))
            badge_edges.append((u, v))
    sc = Scene(view, graph, estate, ids, kinds, labels, xs, ys, index, lay.bands, edge_pairs, edge_segments,
               arrows, badges, lay.width, lay.height, show_denied, highlight, info, agg)
    sc.edge_curves, sc.curve_segs, sc.badge_edges = curves, OVERVIEW_ARC_SEGMENTS, badge_edges
    sc.label_room = np.full(len(ids), 360.0)
    sc.caption = caption if caption is not None else default_caption(estate, view, graph)
    return sc


def context_text(context) -> str:
    """The assumed context in words, for captions."""
    if context is None:
        return "context: open (unknown keys keep edges conditional)"
    items = context.to_json() if hasattr(context, "to_json") else dict(context)
    if not items:
        return "context: open (unknown keys keep edges conditional)"
    return "context: " + ", ".join(f"{k}={v}" for k, v in items.items())


def default_caption(estate: L.Estate, view: View, graph: nx.MultiDiGraph | None = None, context=None) -> list[str]:
    title = estate.name or "snapshot"
    line1 = f"{title}" + (f" — collected {estate.collected_at}" if estate.collected_at else "")
    return [line1, f"{view.describe(graph, estate)} · {context_text(context)}"]


def path_highlight(paths: Iterable) -> Highlight:
    """Highlight of chains (RolePath objects with .hops, or node sequences)."""
    nodes, edges = [], set()
    for p in paths:
        hops = getattr(p, "hops", None)
        if hops is not None:
            seq = [hops[0].source] + [h.target for h in hops] if hops else []
        else:
            seq = list(p)
        nodes.extend(seq)
        edges.update(zip(seq, seq[1:]))
    return Highlight(frozenset(nodes), frozenset(edges))


# ---- the export frame: caption on top, graph, legend below (shared by png.py and svg.py) ---------------------

CAPTION_LINE_H = 26.0
MARGIN = 24.0
LEGEND_ROW_H = 24.0
LEGEND_COL_W = 300.0
MAX_FRAME_SCALE = 1.4  # a small focus or path is not blown up beyond this


@dataclass
class Frame:
    width: float
    height: float
    scale: float  # scene units -> output pixels
    graph_x: float
    graph_y: float
    graph_w: float
    graph_h: float
    caption_y: list[float]
    legend_y: float
    legend_nodes: list[tuple[float, float, object]]  # (x, y, KindStyle)
    legend_edges: list[tuple[float, float, object]]  # (x, y, EdgeStyle)
    legend_badges: tuple[float, float, str] | None = None  # (x, y, text): what the badges on edges mean


def frame_for(scene: Scene, width: float = 1920.0, *, max_aspect: float = 1.6) -> Frame:
    """Where the caption, the graph and the legend go in an exported picture `width` pixels wide. A very tall
    graph is scaled down to keep the picture at most `max_aspect` times taller than wide."""
    kinds, edges = ST.legend_entries(show_denied=scene.show_denied, kinds=scene.kinds_present(),
                                     edge_keys=scene.edge_keys_present())
    inner_w = max(100.0, width - 2 * MARGIN)
    per_row = max(1, int(inner_w // LEGEND_COL_W))
    n_rows = math.ceil(len(kinds) / per_row) + math.ceil(len(edges) / per_row)
    badge_text = badge_legend(scene)
    n_rows += 1 if badge_text else 0
    caption_h = MARGIN + CAPTION_LINE_H * len(scene.caption) + 8
    legend_h = 30 + n_rows * LEGEND_ROW_H + MARGIN
    scale = min(MAX_FRAME_SCALE, inner_w / max(scene.width, 1.0))
    graph_h = scene.height * scale
    max_graph_h = width * max_aspect - caption_h - legend_h
    if graph_h > max_graph_h > 0:
        scale = max_graph_h / max(scene.height, 1.0)
        graph_h = max_graph_h
    graph_w = scene.width * scale
    graph_x = MARGIN + (inner_w - graph_w) / 2
    graph_y = caption_h
    legend_y = graph_y + graph_h + 16
    items_n, items_e = [], []
    y = legend_y + 30
    for i, k in enumerate(kinds):
        r, c = divmod(i, per_row)
        items_n.append((MARGIN + c * LEGEND_COL_W, y + r * LEGEND_ROW_H, k))
    y += math.ceil(len(kinds) / per_row) * LEGEND_ROW_H
    for i, e in enumerate(edges):
        r, c = divmod(i, per_row)
        items_e.append((MARGIN + c * LEGEND_COL_W, y + r * LEGEND_ROW_H, e))
    y += math.ceil(len(edges) / per_row) * LEGEND_ROW_H
    badges = (MARGIN, y, badge_text) if badge_text else None
    height = legend_y + legend_h
    cap_y = [MARGIN + CAPTION_LINE_H * (i + 0.7) for i in range(len(scene.caption))]
    return Frame(width, math.ceil(height), scale, graph_x, graph_y, graph_w, graph_h, cap_y, legend_y,
                 items_n, items_e, badges)


def badge_legend(scene: Scene) -> str:
    """What the condition badges drawn on this scene's edges mean, in words ("" when there are none)."""
    seen: list[str] = []
    for *_xy, text in scene.badges:
        for word in text.split():
            if word in ST.BADGE_NAMES and word not in seen:
                seen.append(word)
    return ("badges on conditional edges: " + ", ".join(f"{b} {ST.BADGE_NAMES[b]}" for b in seen)) if seen else ""


def estate_of(tg) -> L.Estate:
    """The Estate of a TrustGraph's snapshot (cached on the snapshot object: the model is never mutated)."""
    snap = tg.snapshot
    est = snap.__dict__.get("_render_estate")
    if est is None:
        est = L.Estate.from_snapshot(snap)
        snap.__dict__["_render_estate"] = est
    return est


def scene_for_graph(tg, view: View = View(), *, highlight: Highlight | None = None, show_denied: bool = False,
                    cache: L.LayoutCache | None = None, generation: Hashable = 0) -> Scene:
    """A Scene of a TrustGraph with the standard caption (snapshot, collection time, view, assumed context)."""
    est = estate_of(tg)
    caption = default_caption(est, view, tg.graph, getattr(tg, "context", None))
    return build_scene(tg.graph, est, view, show_denied=show_denied, highlight=highlight, cache=cache,
                       generation=generation, caption=caption)


def preview_scene(snapshot) -> Scene:
    """The account overview of a snapshot before its trust graph exists: accounts grouped by OU with their
    principal counts, no edges yet (drawn while the graph is being built)."""
    est = L.Estate.from_snapshot(snapshot)
    groups: dict[str, list] = defaultdict(list)
    for k in est.band_order(est.accounts):
        groups[est.group_of(k)].append(k)
    titles = {g: (g if g != "root" else "Organization root", "") for g in groups}
    lay = L.grid_layout(dict(groups), titles)
    ids = list(lay.pos)
    info, labels = {}, []
    for k in ids:
        acct = snapshot.accounts[k]
        count = len(acct.users) + len(acct.roles)
        title, sub = est.band_title(k)
        info[k] = {"title": title, "subtitle": sub, "count": count}
        labels.append(f"{est.accounts[k].name or k} · {count}")
    xs = np.fromiter((lay.pos[n][0] for n in ids), float, len(ids))
    ys = np.fromiter((lay.pos[n][1] for n in ids), float, len(ids))
    empty = {key: [] for key in ST.EDGE_STYLE_ORDER}
    zeros = {key: np.zeros((0, 4)) for key in ST.EDGE_STYLE_ORDER}
    sc = Scene(View(OVERVIEW), None, est, ids, [ST.OVERVIEW_ACCOUNT.kind] * len(ids), labels, xs, ys,
               {n: i for i, n in enumerate(ids)}, lay.bands, empty, zeros,
               {key: np.zeros((0, 3)) for key in ST.EDGE_STYLE_ORDER}, [], lay.width, lay.height,
               overview_info=info, edge_curves=dict(zeros), label_room=np.full(len(ids), 360.0))
    sc.caption = [est.name, "account overview · building the trust graph…"]
    return sc
