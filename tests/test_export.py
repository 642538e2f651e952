"""Picture export: PNG (Qt scene rendered into a QImage) and SVG (written from the scene), from the shared scene
code, and the `export` command."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from PySide6 import QtGui

from conftest import DEMO_ORG
from explorer.cli import main
from explorer.render import scene as SC
from explorer.render.png import render_image, write_png
from explorer.render.svg import scene_to_svg
from ui_fixtures import DEV, MGMT, arn, small_estate, small_graph

SVG = "{http://www.w3.org/2000/svg}"
ALICE = "arn:aws:iam::222222222222:user/people/alice.nguyen"
SECURITY_ADMIN = "arn:aws:iam::222222222222:role/SecurityAdmin"


def _colours(img: QtGui.QImage, step: int = 5) -> set:
    return {img.pixel(x, y) for x in range(0, img.width(), step) for y in range(0, img.height(), step)}


def test_svg_groups_accounts_and_carries_tooltips():
    sc = SC.build_scene(small_graph(), small_estate())
    root = ET.fromstring(scene_to_svg(sc, 1920))
    groups = {g.get("id") for g in root.iter(f"{SVG}g")}
    assert {f"account-{MGMT}", f"account-{DEV}", "caption", "legend"} <= groups
    titles = [t.text for t in root.iter(f"{SVG}title")]
    assert any(t and "OrgAdmin" in t and "MaxSessionDuration" in t for t in titles)
    assert any(t and "requires aws:MultiFactorAuthPresent" in t for t in titles)
    text = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "management (111111111111)" in text and "Legend" in text and "fixture-org" in text
    # conditional edges are dashed
    dashed = [g for g in root.iter(f"{SVG}g") if (g.get("id") or "").endswith("conditional")]
    assert dashed and all(g.get("stroke-dasharray") for g in dashed)
    assert float(root.get("width")) == 1920


def test_png_is_not_blank_and_has_the_requested_width(qapp, tmp_path):
    sc = SC.build_scene(small_graph(), small_estate(),
                        highlight=SC.path_highlight([[arn(MGMT, "user", "alice"), arn(MGMT, "role", "OrgAdmin")]]))
    img = render_image(sc, 1920)
    assert img.width() == 1920 and img.height() > 500
    assert len(_colours(img)) > 100
    out = tmp_path / "big.png"
    write_png(sc, out, 4000)
    big = QtGui.QImage(str(out))
    assert big.width() == 4000
    # magenta of the highlighted path is there
    assert any(QtGui.QColor(p).red() > 200 and QtGui.QColor(p).green() < 60 and QtGui.QColor(p).blue() > 110
               for p in _colours(big, 3))


def test_png_and_svg_share_the_frame(qapp):
    sc = SC.build_scene(small_graph(), small_estate())
    fr = SC.frame_for(sc, 1920)
    img = render_image(sc, 1920)
    root = ET.fromstring(scene_to_svg(sc, 1920))
    assert img.height() == int(fr.height) == int(float(root.get("height")))


def test_export_command_png_svg_focus_path(tmp_path, capsys):
    png = tmp_path / "demo.png"
    assert main(["export", str(DEMO_ORG), "--out", str(png)]) == 0
    assert len(_colours(QtGui.QImage(str(png)))) > 50
    svg = tmp_path / "focus.svg"
    assert main(["export", str(DEMO_ORG), "--out", str(svg), "--focus", SECURITY_ADMIN, "--hops", "1"]) == 0
    text = svg.read_text()
    ET.fromstring(text)
    assert "SecurityAdmin" in text and "focus on SecurityAdmin" in text
    path_svg = tmp_path / "path.svg"
    assert main(["export", str(DEMO_ORG), "--out", str(path_svg), "--path", ALICE, SECURITY_ADMIN,
                 "--context", "aws:MultiFactorAuthPresent=true", "--width", "4000"]) == 0
    root = ET.parse(path_svg).getroot()
    assert root.get("width") == "4000"
    t = ET.tostring(root, encoding="unicode")
    assert "aws:MultiFactorAuthPresent=true" in t and "edges-highlight" in t
    assert main(["export", str(DEMO_ORG), "--out", str(tmp_path / "ov.svg"), "--overview"]) == 0
    assert "account overview" in (tmp_path / "ov.svg").read_text()


def test_export_command_graph_formats(tmp_path):
    out = tmp_path / "g.graphml"
    assert main(["export", str(DEMO_ORG), "--out", str(out)]) == 0
    assert out.exists() and out.stat().st_size > 1000


@pytest.mark.parametrize("args, message", [
    (["--out", "x.txt"], "--out must end in"),
    (["--out", "x.png", "--focus", "nobody-at-all"], "is not a principal"),
    (["--out", "x.png", "--width", "5"], "--width"),
    (["--out", "x.png", "--path", ALICE], "at least two"),
    (["--out", "no/such/dir/x.png"], "does not exist"),
])
def test_export_command_bad_input_exits_2(tmp_path, capsys, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    assert main(["export", str(DEMO_ORG), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_export_command_missing_snapshot_exits_2(tmp_path, capsys):
    assert main(["export", str(tmp_path / "nope"), "--out", str(tmp_path / "x.png")]) == 2
    assert "no such file" in capsys.readouterr().err
