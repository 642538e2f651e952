"""Where things go: a layered layout of the trust graph inside account bands (no Qt).

- Accounts are horizontal bands stacked top to bottom, grouped by their OU path (then name); accounts outside
  the snapshot share one band, services / providers without an account / "anyone" another.
- Principals are placed left to right by how they chain: longest-path layering over the edges that are not
  denied, after breaking cycles (back edges of a depth-first search are ignored). Callers that are not roles
  (users, services, providers, account roots, anyone) sit in the first column; roles start in the second.
- Every band is as tall as its fullest column (ROW_H per node, MAX_ROWS at most: a fuller column wraps into
  sub-columns). Each column is as wide as its longest label (LABEL_MAX_W at most: longer labels are cut at their
  end) plus room for the edges, so labels, drawn to the right of their node, never run into the next column.
- Inside a band and a column, nodes are ordered by the barycentre of their neighbours (a few sweeps down and up
  the columns, to reduce crossings) and placed on the row nearest that barycentre, so edges run as level as the
  rows allow.

Coordinates are abstract units with y growing downwards (the canvas inverts its y axis; SVG is y-down).
Layouts are pure functions of the graph and the estate: callers cache them (see `LayoutCache`).
"""
from __future__ import annotations

import math
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Hashable, Iterable

import networkx as nx

from explorer.graph import schema as S
from explorer.render.style import text_width

COL_W = 250.0  # nominal width of one column (view zoom steps); real columns are sized by their labels
ROW_H = 22.0  # one row: an 11-pixel label with room around it at the default zoom
BAND_PAD_TOP = 25.0  # room for the band's title line
BAND_PAD_BOTTOM = 5.0
BAND_GAP = 4.0
LEFT_MARGIN = 24.0
MAX_ROWS = 24
MAX_LAYERS = 14  # deeper chains are folded into the last column (rare; keeps the picture readable)
LABEL_PX = 11.0  # label size at zoom 1 (labels shrink with the zoom below 1, so they never run into the next column)
LABEL_MAX_W = 190.0  # a longer label is cut at its end (the tooltip has the full name): about 30 characters
LABEL_MIN_W = 40.0
NODE_W = 18.0  # the symbol and the gap before its label
COL_GAP = 48.0  # between a column's longest label and the next column: room for the edges to turn
SWEEPS = 3  # barycentre sweeps (down and up) ordering the nodes inside their column

FOREIGN_BAND = "~foreign"
EXTERNAL_BAND = "~external"

_KIND_ORDER = {k: i for i, k in enumerate((S.ANYONE, S.ACCOUNT, S.FOREIGN_ACCOUNT, S.SAML_PROVIDER,
                                            S.OIDC_PROVIDER, S.SERVICE, S.USER, S.ROLE, S.SERVICE_LINKED_ROLE))}
_CALLER_KINDS = {S.USER, S.SERVICE, S.SAML_PROVIDER, S.OIDC_PROVIDER, S.ACCOUNT, S.FOREIGN_ACCOUNT, S.ANYONE}


# ---- the estate: accounts, their names and OUs --------------------------------------------------------------

@dataclass(frozen=True)
class AccountInfo:
    id: str
    name: str
    alias: str = ""
    ou_path: tuple[str, ...] = ()  # OU names from the root down (root excluded)
    in_snapshot: bool = True
    in_org: bool = False

    @property
    def title(self) -> str:
        return f"{self.name} ({self.id})" if self.name and self.name != self.id else self.id


@dataclass
class Estate:
    """What the picture needs to know about the accounts besides the graph."""
    accounts: dict[str, AccountInfo] = field(default_factory=dict)
    name: str = ""
    collected_at: str = ""  # ISO text or ""

    @classmethod
    def from_snapshot(cls, snapshot) -> "Estate":
        accounts: dict[str, AccountInfo] = {}
        org = snapshot.organization
        for acct_id, acct in snapshot.accounts.items():
            ou = tuple(n for n in org.ou_path_names(acct_id)[1:]) if org and org.contains(acct_id) else ()
            accounts[acct_id] = AccountInfo(acct_id, snapshot.account_name(acct_id), acct.alias, ou, True,
                                            bool(org and org.contains(acct_id)))
        collected = ""
        manifest = getattr(snapshot, "manifest", None)
        if manifest is not None and manifest.collected_at is not None:
            collected = manifest.collected_at.isoformat().replace("+00:00", "Z")
        return cls(accounts, snapshot.name, collected)

    def band_of(self, attrs: dict) -> str:
        kind = attrs.get(S.KIND)
        acct = attrs.get(S.ACCOUNT_ID)
        if kind in (S.SERVICE, S.ANYONE) or not acct:
            return EXTERNAL_BAND
        if kind == S.FOREIGN_ACCOUNT or acct not in self.accounts:
            return FOREIGN_BAND
        return acct

    def band_title(self, key: str) -> tuple[str, str]:
        """(title, subtitle) of a band."""
        if key == FOREIGN_BAND:
            return "Outside the snapshot", "foreign accounts and their principals"
        if key == EXTERNAL_BAND:
            return "AWS services and public", "service principals, providers without an account, anyone"
        info = self.accounts.get(key)
        if info is None:
            return key, ""
        sub = " / ".join(info.ou_path) if info.ou_path else ("organization root" if info.in_org else
                                                              "not in the organization")
        if info.alias and info.alias != info.name:
            sub = f"alias {info.alias} · {sub}"
        return info.title, sub

    def band_order(self, keys: Iterable[str]) -> list[str]:
        def sort_key(k: str):
            if k == FOREIGN_BAND:
                return (2, (), "")
            if k == EXTERNAL_BAND:
                return (3, (), "")
            info = self.accounts.get(k)
            if info is None:
                return (1, (), k)
            return (0, info.ou_path, info.name.lower() or k)
        return sorted(set(keys), key=sort_key)

    def group_of(self, key: str) -> str:
        """Group (OU path text) of a band for the overview."""
        if key in (FOREIGN_BAND, EXTERNAL_BAND):
            return "outside"
        info = self.accounts.get(key)
        if info is None:
            return "outside"
        return " / ".join(info.ou_path) if info.ou_path else ("root" if info.in_org else "no organization")


# ---- layering -------------------------------------------------------------------------------------------

def break_cycles(succ: dict[Hashable, list[Hashable]], order: list[Hashable]) -> set[tuple[Hashable, Hashable]]:
    """Back edges of an iterative depth-first search (visiting roots in `order`): removing them leaves a DAG."""
    WHITE, GREY, BLACK = 0, 1, 2
    color = {n: WHITE for n in order}
    back: set[tuple[Hashable, Hashable]] = set()
    for root in order:
        if color[root] != WHITE:
            continue
        color[root] = GREY
        stack = [(root, iter(succ.get(root, ())))]
        while stack:
            node, it = stack[-1]
            advanced = False
            for nxt in it:
                c = color.get(nxt)
                if c is None:
                    continue
                if c == GREY:
                    back.add((node, nxt))
                elif c == WHITE:
                    color[nxt] = GREY
                    stack.append((nxt, iter(succ.get(nxt, ()))))
                    advanced = True
                    break
            if not advanced:
                color[node] = BLACK
                stack.pop()
    return back


def longest_path_layers(nodes: list[Hashable], edges: Iterable[tuple[Hashable, Hashable]],
                        min_layer: dict[Hashable, int] | None = None) -> dict[Hashable, int]:
    """Layer of each node: the longest chain of (cycle-broken) edges that reaches it, at least min_layer."""
    node_set = set(nodes)
    succ: dict[Hashable, list[Hashable]] = defaultdict(list)
    for u, v in edges:
        if u in node_set and v in node_set and u != v:
            succ[u].append(v)
    back = break_cycles(succ, list(nodes))
    indeg = {n: 0 for n in nodes}
    dag: dict[Hashable, list[Hashable]] = {}
    for u, vs in succ.items():
        kept = [v for v in dict.fromkeys(vs) if (u, v) not in back]
        dag[u] = kept
        for v in kept:
            indeg[v] += 1
    layer = {n: (min_layer or {}).get(n, 0) for n in nodes}
    ready = [n for n in nodes if indeg[n] == 0]
    while ready:
        u = ready.pop()
        lu = layer[u] + 1
        for v in dag.get(u, ()):
            if layer[v] < lu:
                layer[v] = lu
            indeg[v] -= 1
            if indeg[v] == 0:
                ready.append(v)
    return layer


# ---- the layout ---------------------------------------------------------------------------------------------

@dataclass
class Band:
    key: str
    title: str
    subtitle: str
    x0: float
    y0: float
    x1: float
    y1: float
    index: int = 0
    count: int = 0  # nodes drawn in it


TITLE_PX = 13.0  # band title size at zoom 1 (bold); the OU path after it is smaller
SUBTITLE_PX = 11.5


def title_rect(band: Band) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) of a band's title line with its plate, in scene units at zoom 1 (the size the exports draw
    it): the strip above the band's first row, as wide as the title and the OU path after it (bold text is about
    10 % wider than the estimate)."""
    w = text_width(band.title, TITLE_PX) * 1.1
    if band.subtitle:
        w += 8 + text_width("  " + band.subtitle, SUBTITLE_PX)
    return (band.x0 + 4.0, band.y0, band.x0 + 8.0 + w + 6.0, band.y0 + BAND_PAD_TOP)


@dataclass
class Layout:
    pos: dict[Hashable, tuple[float, float]]
    bands: list[Band]
    layers: dict[Hashable, int]
    band_of: dict[Hashable, str]
    width: float
    height: float
    label_room: dict[Hashable, float] = field(default_factory=dict)  # label width allowed (units at zoom 1)

    def bounds(self) -> tuple[float, float, float, float]:
        return (0.0, 0.0, self.width, self.height)


def _layer_edges(graph: nx.MultiDiGraph, nodes: set, include_denied: bool) -> list[tuple[Hashable, Hashable]]:
    out = []
    for u, v, data in graph.edges(data=True):
        if u in nodes and v in nodes and (include_denied or data.get(S.STATE) != S.DENIED):
            out.append((u, v))
    return out


def label_width(label: str) -> float:
    """Width of a node's label at zoom 1, capped (longer labels are cut at the end when drawn)."""
    return max(LABEL_MIN_W, min(LABEL_MAX_W, text_width(label, LABEL_PX)))


def _place_slots(desired: list[float], rows: int) -> list[int]:
    """Distinct rows in 0..rows-1 for nodes in this order, each as near its desired row as the order allows."""
    out: list[int] = []
    prev = -1
    for d in desired:
        s = max(int(round(d)), prev + 1)
        out.append(s)
        prev = s
    nxt = rows
    for i in range(len(out) - 1, -1, -1):
        s = min(out[i], nxt - 1)
        out[i] = s
        nxt = s
    return out


def layered_layout(graph: nx.MultiDiGraph, estate: Estate, nodes: Iterable[Hashable] | None = None, *,
                   include_denied: bool = False, max_rows: int = MAX_ROWS, first_band: str | None = None) -> Layout:
    """Positions of `nodes` (default: all) in account bands, layered left to right by how they chain.
    `first_band` (an expanded account, the focused node's account) goes on top."""
    node_list = list(graph.nodes if nodes is None else dict.fromkeys(n for n in nodes if n in graph))
    node_set = set(node_list)
    attrs = graph.nodes
    band_of = {n: estate.band_of(attrs[n]) for n in node_list}
    min_layer = {n: (0 if attrs[n].get(S.KIND) in _CALLER_KINDS else 1) for n in node_list}
    edges = _layer_edges(graph, node_set, include_denied)
    layers = longest_path_layers(node_list, edges, min_layer)
    layers = {n: min(layer, MAX_LAYERS - 1) for n, layer in layers.items()}

    preds: dict[Hashable, list[Hashable]] = defaultdict(list)
    succs: dict[Hashable, list[Hashable]] = defaultdict(list)
    for u, v in dict.fromkeys(edges):
        if u != v:
            preds[v].append(u)
            succs[u].append(v)

    cells: dict[tuple[str, int], list[Hashable]] = defaultdict(list)
    for n in node_list:
        cells[(band_of[n], layers[n])].append(n)
    band_keys = estate.band_order(band_of.values())
    if first_band in band_keys:
        band_keys.remove(first_band)
        band_keys.insert(0, first_band)
    n_layers = (max(layers.values()) + 1) if layers else 1
    band_rows = {b: 1 for b in band_keys}
    for (b, _layer), members in cells.items():
        band_rows[b] = max(band_rows[b], min(max_rows, len(members)))
    subcols = [1] * n_layers
    for (b, layer), members in cells.items():
        subcols[layer] = max(subcols[layer], math.ceil(len(members) / band_rows[b]))

    # columns as wide as their longest label
    labels = {n: str(attrs[n].get(S.LABEL) or n) for n in node_list}
    own_w = {n: label_width(labels[n]) for n in node_list}
    room = [LABEL_MIN_W] * n_layers
    for n in node_list:
        if own_w[n] > room[layers[n]]:
            room[layers[n]] = own_w[n]
    col_w = [NODE_W + room[layer] + COL_GAP for layer in range(n_layers)]
    col_x = []
    x = LEFT_MARGIN
    for layer in range(n_layers):
        col_x.append(x)
        x += subcols[layer] * col_w[layer]
    width = x - COL_GAP + 16.0
    bands: list[Band] = []
    band_y0: dict[str, float] = {}
    y = 0.0
    for i, b in enumerate(band_keys):
        h = BAND_PAD_TOP + band_rows[b] * ROW_H + BAND_PAD_BOTTOM
        title, sub = estate.band_title(b)
        bands.append(Band(b, title, sub, 0.0, y, width, y + h, i))
        band_y0[b] = y
        y += h + BAND_GAP
    height = max(y - BAND_GAP, 1.0)

    kind_rank = {n: _KIND_ORDER.get(attrs[n].get(S.KIND), 99) for n in node_list}
    pos: dict[Hashable, tuple[float, float]] = {}

    def place(b: str, layer: int, members: list) -> None:
        rows = band_rows[b]
        top = band_y0[b] + BAND_PAD_TOP
        x0 = col_x[layer] + NODE_W / 2
        if len(members) > rows:  # wraps into sub-columns, column by column
            for i, n in enumerate(members):
                col, row = divmod(i, rows)
                pos[n] = (x0 + col * col_w[layer], top + (row + 0.5) * ROW_H)
            return
        desired = []
        for i, n in enumerate(members):
            yy = bary.get(n)
            desired.append(i if yy is None else (yy - top) / ROW_H - 0.5)
        for n, slot in zip(members, _place_slots(desired, rows)):
            pos[n] = (x0, top + (slot + 0.5) * ROW_H)

    # start: by kind and name, packed from the top
    by_layer: dict[int, list[tuple[str, list]]] = defaultdict(list)
    for (b, layer), members in sorted(cells.items(), key=lambda kv: (kv[0][1], band_keys.index(kv[0][0]))):
        members.sort(key=lambda n: (kind_rank[n], labels[n], str(n)))
        by_layer[layer].append((b, members))
    bary: dict[Hashable, float] = {}
    for layer in range(n_layers):
        for b, members in by_layer.get(layer, ()):
            place(b, layer, members)

    def sweep(layer_order, neighbours) -> None:
        for layer in layer_order:
            for b, members in by_layer.get(layer, ()):
                bary.clear()
                for n in members:
                    ys = [pos[m][1] for m in neighbours.get(n, ()) if m in pos]
                    if ys:
                        bary[n] = sum(ys) / len(ys)
                cur = {n: pos[n][1] for n in members}
                members.sort(key=lambda n: (bary.get(n, cur[n]), cur[n], kind_rank[n], labels[n], str(n)))
                place(b, layer, members)
        bary.clear()

    sweeps = SWEEPS if len(node_list) <= 4000 else 1
    for _ in range(sweeps):
        sweep(range(1, n_layers), preds)
        sweep(range(n_layers - 2, -1, -1), succs)
    sweep(range(1, n_layers), preds)

    band_count: dict[str, int] = defaultdict(int)
    for n in node_list:
        band_count[band_of[n]] += 1
    for band in bands:
        band.count = band_count.get(band.key, 0)
    label_room = {n: room[layers[n]] for n in node_list}
    return Layout(pos, bands, layers, band_of, width, height, label_room)


def grid_layout(groups: dict[str, list[Hashable]], group_titles: dict[str, tuple[str, str]] | None = None, *,
                per_row: int = 4, cell_w: float = 420.0, cell_h: float = 110.0) -> Layout:
    """Overview layout: one band per group (OU), its members in a grid."""
    pos: dict[Hashable, tuple[float, float]] = {}
    bands: list[Band] = []
    band_of: dict[Hashable, str] = {}
    widest = max((min(per_row, len(m)) for m in groups.values()), default=1)
    width = LEFT_MARGIN + widest * cell_w + cell_w * 0.44
    y = 0.0
    for i, (g, members) in enumerate(groups.items()):
        rows = max(1, math.ceil(len(members) / per_row))
        h = BAND_PAD_TOP + rows * cell_h
        title, sub = (group_titles or {}).get(g, (g, ""))
        bands.append(Band(g, title, sub, 0.0, y, width, y + h, i, len(members)))
        stagger = (i % 3) * cell_w * 0.22  # no straight line from one group to the next runs through a third
        for j, n in enumerate(members):
            r, c = divmod(j, per_row)
            pos[n] = (LEFT_MARGIN + c * cell_w + 30.0 + stagger, y + BAND_PAD_TOP + (r + 0.45) * cell_h)
            band_of[n] = g
        y += h + BAND_GAP
    return Layout(pos, bands, {n: 0 for n in pos}, band_of, width, max(y - BAND_GAP, 1.0))


class LayoutCache:
    """Layouts by key (view + graph generation); thread-safe, bounded."""

    def __init__(self, size: int = 16):
        self._size = size
        self._items: dict[Hashable, Layout] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Layout | None:
        with self._lock:
            return self._items.get(key)

    def put(self, key: Hashable, layout: Layout) -> None:
        with self._lock:
            self._items.pop(key, None)
            self._items[key] = layout
            while len(self._items) > self._size:
                self._items.pop(next(iter(self._items)))

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
