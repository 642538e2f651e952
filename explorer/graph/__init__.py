"""The trust graph: who can obtain a session of which role (networkx, no Qt). See docs/trust-graph.md.

    from explorer.graph import build_trust_graph, TrustGraph
    tg = build_trust_graph(snapshot, context=None, settings=None, progress=None)
    tg.graph            networkx.MultiDiGraph following explorer/graph/schema.py; read-only (a graph made by
                        with_context shares its unchanged parts: copy it to change it)
    tg.snapshot, tg.context, tg.settings
    tg.with_context(context) -> TrustGraph   re-decides the candidate edges from the built indexes
    tg.node_for(arn_or_name) -> node id | None
"""
from explorer.graph.builder import TrustGraph, build_trust_graph

__all__ = ["TrustGraph", "build_trust_graph"]
