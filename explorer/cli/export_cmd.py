"""`export SNAPSHOT --out FILE.png|FILE.svg|FILE.graphml|FILE.gexf [--focus ARN | --path ARN ARN...]`: the trust
graph picture for a review, drawn without a window by the same scene code as the desktop explorer."""
from __future__ import annotations

from pathlib import Path

from explorer.cli.common import add_graph_arguments, build_graph, resolve
from explorer.errors import InputError

IMAGE_FORMATS = (".png", ".svg")
GRAPH_FORMATS = (".graphml", ".gexf")


def register(subparsers) -> None:
    p = subparsers.add_parser("export", help="write the trust graph as a picture (PNG, SVG) or a graph file "
                                             "(GraphML, GEXF) without opening a window")
    p.add_argument("snapshot", help="snapshot folder or file")
    p.add_argument("--out", required=True, metavar="FILE", help="FILE.png, FILE.svg, FILE.graphml or FILE.gexf")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--focus", metavar="ARN", help="draw the neighbourhood of one principal")
    what.add_argument("--path", nargs="+", metavar="ARN", help="draw and highlight the chain through these "
                                                               "principals (two or more)")
    p.add_argument("--hops", type=int, default=1, help="with --focus: how many hops in and out (default 1)")
    p.add_argument("--overview", action="store_true", help="draw accounts as nodes (edges aggregated)")
    p.add_argument("--show-denied", action="store_true", help="also draw trusted-but-not-permitted edges")
    p.add_argument("--width", type=int, default=1920, help="picture width in pixels (default 1920; 4000 for print)")
    p.add_argument("--theme", choices=("light", "dark"), default="light")
    add_graph_arguments(p)
    p.set_defaults(func=run)


def run(args) -> int:
    out = Path(args.out)
    suffix = out.suffix.lower()
    if suffix not in IMAGE_FORMATS + GRAPH_FORMATS:
        raise InputError(f"--out must end in {', '.join(IMAGE_FORMATS + GRAPH_FORMATS)}, not "
                         f"{suffix or 'no extension'}", file=str(out))
    if not 200 <= args.width <= 20000:
        raise InputError(f"--width {args.width}: expected 200 to 20000 pixels")
    if args.hops < 0:
        raise InputError(f"--hops {args.hops}: expected 0 or more")
    if args.path is not None and len(args.path) < 2:
        raise InputError("--path needs at least two principals (a caller and a role)")
    if not out.parent.exists():
        raise InputError("the folder to write into does not exist", file=str(out))
    tg = build_graph(args)
    if suffix in GRAPH_FORMATS:
        from explorer.graph.export import write_graph_file
        write_graph_file(tg, out)
        print(f"wrote {out}")
        return 0
    from explorer.render import scene as SC
    highlight = None
    if args.focus:
        focus = resolve(tg, args.focus, "--focus")
        view = SC.View(SC.FOCUS, focus=focus, hops=args.hops)
        highlight = SC.Highlight(selected=focus)
    elif args.path:
        from explorer.analysis.paths import path_from_nodes
        nodes = [resolve(tg, a, "--path element") for a in args.path]
        path = path_from_nodes(tg, nodes, include_denied=True)
        view = SC.View(SC.PATH, path_nodes=tuple(path.nodes))
        highlight = SC.path_highlight([path.nodes])
    elif args.overview:
        view = SC.View(SC.OVERVIEW)
    else:
        view = SC.View(SC.FULL)
    scene = SC.scene_for_graph(tg, view, highlight=highlight, show_denied=args.show_denied)
    try:
        if suffix == ".svg":
            from explorer.render.svg import write_svg
            write_svg(scene, out, args.width, theme=args.theme)
        else:
            from explorer.render.png import write_png
            write_png(scene, out, args.width, theme=args.theme)
    except OSError as exc:
        raise InputError(f"cannot write the picture: {exc.strerror or exc}", file=str(out)) from None
    print(f"wrote {out} ({scene.node_count} nodes, {scene.edge_count} edges)")
    return 0
