"""The package's dependencies point one way (docs/architecture.md):
snapshot -> iam -> graph -> analysis -> render / ui / cli. Checked statically on every module's imports, so a
wrong-way import fails here even when no test happens to execute it."""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "explorer"

# package -> project packages it may import (besides itself and explorer.errors)
ALLOWED = {
    "snapshot": set(),
    "iam": set(),
    "collect": {"snapshot", "iam"},
    "graph": {"snapshot", "iam"},
    "analysis": {"snapshot", "iam", "graph"},
    "render": {"snapshot", "iam", "graph", "analysis"},
    "ui": {"snapshot", "iam", "graph", "analysis", "render", "collect"},
    "cli": {"snapshot", "iam", "graph", "analysis", "render", "collect", "ui"},
}
QT = ("PySide6", "pyqtgraph", "shiboken6")
NO_QT = {"snapshot", "iam", "collect", "graph", "analysis"}
NO_NETWORKX = {"snapshot", "iam", "collect"}
# render keeps its Qt in these modules; the layout and the SVG writer are plain Python
RENDER_QT_MODULES = {"qt_canvas.py", "png.py"}


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def _modules():
    for pkg in ALLOWED:
        for path in sorted((PACKAGE / pkg).rglob("*.py")):
            yield pkg, path


@pytest.mark.parametrize("pkg,path", list(_modules()), ids=lambda x: str(x).split("explorer/")[-1])
def test_imports_point_one_way(pkg, path):
    for name in _imports(path):
        top = name.split(".")[0]
        if top == "explorer":
            parts = name.split(".")
            if len(parts) < 2 or parts[1] in (pkg, "errors", "__init__"):
                continue
            assert parts[1] in ALLOWED[pkg], f"{path.name} ({pkg}) imports {name}"
        if pkg in NO_QT or (pkg == "render" and path.name not in RENDER_QT_MODULES):
            assert top not in QT, f"{path.name} ({pkg}) imports Qt: {name}"
        if pkg in NO_NETWORKX:
            assert top != "networkx", f"{path.name} ({pkg}) imports networkx"


def test_every_package_is_checked():
    found = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert found == set(ALLOWED)
