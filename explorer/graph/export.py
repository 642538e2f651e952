"""Writing the trust graph to GraphML or GEXF for Gephi, yEd or Neo4j (`write_graph_file`).

Attributes are flattened to strings, numbers and booleans: requirements become their text, lists
comma-joined or JSON text, dicts JSON text, decisions (when already computed) "Result: reason"; None becomes an
empty string (neither format has null).
"""
from __future__ import annotations

import json
from pathlib import Path

import networkx as nx

from explorer.errors import InputError
from explorer.graph import schema as S
from explorer.graph.edges import requirement_text
from explorer.iam.decision import Decision

FORMATS = (".graphml", ".gexf")


def _flat(value):
    if value is None:
        return ""
    if isinstance(value, bool) or isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        return value
    if isinstance(value, Decision):
        return f"{value.result.value}: {value.reason}"
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, default=str)
    if isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)
        if all(isinstance(x, str) for x in items):
            return ", ".join(items)
        return json.dumps(items, default=str)
    return str(value)


def flat_graph(tg) -> nx.MultiDiGraph:
    """A copy of tg.graph whose attributes are all strings/numbers/booleans."""
    out = nx.MultiDiGraph()
    for node, data in tg.graph.nodes(data=True):
        out.add_node(node, **{k: _flat(v) for k, v in data.items()})
    for u, v, key, data in tg.graph.edges(keys=True, data=True):
        attrs = {}
        for k in (S.ACTION, S.STATE, S.CROSS_ACCOUNT, S.REASON, S.BADGES, S.VIA, S.NOTES):
            if dict.__contains__(data, k):
                attrs[k] = _flat(dict.__getitem__(data, k))
        attrs[S.REQUIRES] = requirement_text(data.get(S.REQUIRES) or ())
        # the decisions are written only when already computed: computing three engine decisions for every edge
        # of a large graph would take minutes; REASON carries the hop decision's reason
        for k in (S.DECISION, S.TRUST_DECISION, S.IDENTITY_DECISION):
            if dict.__contains__(data, k):
                attrs[k] = _flat(dict.__getitem__(data, k))
        out.add_edge(u, v, key=key, **attrs)
    out.graph.update({k: _flat(v) for k, v in tg.graph.graph.items()})
    return out


def write_graph_file(tg, path) -> Path:
    """Write the graph to `path` (.graphml or .gexf). Raises InputError for another extension or a path that
    cannot be written."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        what = suffix or "a file without an extension"
        raise InputError(f"graph export writes {' or '.join(FORMATS)} files, not {what}", file=str(path))
    g = flat_graph(tg)
    try:
        if suffix == ".graphml":
            nx.write_graphml(g, path)
        else:
            nx.write_gexf(g, path)
    except OSError as exc:
        raise InputError(f"cannot write the graph: {exc.strerror or exc}", file=str(path)) from None
    return path
