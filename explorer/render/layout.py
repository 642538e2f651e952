"""Where things go: a layered layout of the trust graph inside account bands (no Qt).

- Accounts are horizontal bands stacked top to bottom, grouped by their OU path (then name); accounts outside
  the snapshot share one band, services / providers without an account / "anyone" another.
- Principals are placed left to right by how they chain: longest-path layering over the edges that are not
  denied, after breaking cycles (back edges of a depth-first search are ignored). Callers that are not roles
  (users, services, providers, account roots, anyone) sit in the first column; roles start in the second.
- Inside a band and a layer, nodes are ordered by the barycentre of their callers (one sweep), and a column
  with more than MAX_ROWS nodes wraps into sub-columns.

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

COL_W = 250.0  # width of one (sub-)column: room for the node and its label
ROW_H = 30.0
BAND_PAD_TOP = 44.0  # room for the band's title
BAND_PAD_BOTTOM = 12.0
BAND_GAP = 10.0
LEFT_MARGIN = 40.0
MAX_ROWS = 24
MAX_LAYERS = 14  # deeper chains are folded into the last column (rare; keeps the picture readable)

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


@dataclass
class Layout:
    pos: dict[Hashable, tuple[float, float]]
    bands: list[Band]
    layers: dict[Hashable, int]
    band_of: dict[Hashable, str]
    width: float
    height: float

    def bounds(self) -> tuple[float, float, float, float]:
        return (0.0, 0.0, self.width, self.height)


def _layer_edges(graph: nx.MultiDiGraph, nodes: set, include_denied: bool) -> list[tuple[Hashable, Hashable]]:
    out = []
    for u, v, data in graph.edges(data=True):
        if u in nodes and v in nodes and (include_denied or data.get(S.STATE) != S.DENIED):
            out.append((u, v))
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
    layers = longest_path_layers(node_list, _layer_edges(graph, node_set, include_denied), min_layer)
    layers = {n: min(layer, MAX_LAYERS - 1) for n, layer in layers.items()}

    preds: dict[Hashable, list[Hashable]] = defaultdict(list)
    for u, v, data in graph.edges(data=True):
        if u in node_set and v in node_set and u != v and data.get(S.STATE) != S.DENIED:
            preds[v].append(u)

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
    col_x = []
    x = LEFT_MARGIN
    for layer in range(n_layers):
        col_x.append(x)
        x += subcols[layer] * COL_W
    width = x
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

    # order inside each cell: barycentre of already placed callers (one left-to-right sweep)
    pos: dict[Hashable, tuple[float, float]] = {}
    band_count: dict[str, int] = defaultdict(int)
    by_layer: dict[int, list[tuple[str, list]]] = defaultdict(list)
    for (b, layer), members in cells.items():
        by_layer[layer].append((b, members))
    for layer in range(n_layers):
        for b, members in by_layer.get(layer, ()):
            def key(n):
                ys = [pos[p][1] for p in preds.get(n, ()) if p in pos]
                bary = sum(ys) / len(ys) if ys else math.inf
                return (bary, _KIND_ORDER.get(attrs[n].get(S.KIND), 99), str(attrs[n].get(S.LABEL) or n))
            members.sort(key=key)
            rows = band_rows[b]
            for i, n in enumerate(members):
                col, row = divmod(i, rows)
                pos[n] = (col_x[layer] + col * COL_W + 14.0, band_y0[b] + BAND_PAD_TOP + (row + 0.5) * ROW_H)
            band_count[b] += len(members)
    for band in bands:
        band.count = band_count.get(band.key, 0)
    return Layout(pos, bands, layers, band_of, width, height)


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
