"""IAM Trust Explorer: who can become what in an AWS estate.

Layers, dependencies pointing one way:
    snapshot (model, loading) -> iam (policy engine) -> graph (trust graph) -> analysis
    -> render / ui (Qt) and cli.
Nothing below `ui`/`render` imports Qt; nothing below `graph` imports networkx.
"""
__version__ = "0.1.0"
