"""The Load report dock: loader issues and policy-document problems in one table, counted once each (warnings and
errors only), readable at its initial size."""
from __future__ import annotations

import json
import shutil

import pytest

from conftest import DEMO_ORG
from explorer.graph import build_trust_graph
from explorer.graph.policy_report import cached_policy_issues
from explorer.snapshot import load_snapshot
from explorer.ui.load_report import LoadReportWidget
from ui_fixtures import open_demo_window

SECURITY = "accounts/222222222222/authorization-details.json"


@pytest.fixture(scope="module")
def demo_graph():
    snap = load_snapshot(DEMO_ORG)
    return snap, build_trust_graph(snap)


def test_clean_demo_counts_exactly_its_two_warnings(qtbot, demo_graph):
    snap, tg = demo_graph
    widget = LoadReportWidget()
    qtbot.addWidget(widget)
    counts = []
    widget.countChanged.connect(counts.append)
    widget.set_snapshot(snap, tg)  # policy problems not computed yet: a background job
    assert widget.wait_policy()
    assert cached_policy_issues(tg) is not None
    # demo README: no errors and exactly two warnings (D31 no roles.json, D32 the manifest gap), the gap once
    assert widget.problem_count() == 2 and counts[-1] == 2
    rows = widget.rows()
    assert sum(1 for r in rows if "gaps[0]" in r[3]) == 1
    assert any(r[0] == "info" and r[2] == "README.md" for r in rows)  # listed, not counted
    assert any(r[1] == "policy" for r in rows)  # the deleted-role unique-id note of the trust policy
    assert "Policy documents: 0 problems" in widget.summary.text()


def test_policy_problems_are_listed_and_counted(qtbot, tmp_path):
    root = tmp_path / "demo-org"
    shutil.copytree(DEMO_ORG, root)
    path = root / SECURITY
    doc = json.loads(path.read_text(encoding="utf-8"))
    role = next(r for r in doc["RoleDetailList"] if r["RoleName"] == "SecurityAdmin")
    role["RolePolicyList"][0]["PolicyDocument"]["Statement"][0]["Effect"] = "allow"
    path.write_text(json.dumps(doc), encoding="utf-8")
    snap = load_snapshot(root)
    tg = build_trust_graph(snap)
    widget = LoadReportWidget()
    qtbot.addWidget(widget)
    widget.set_snapshot(snap, tg)
    assert widget.wait_policy()
    (row,) = [r for r in widget.rows() if r[1] == "policy" and r[0] == "warning"]
    assert row[2] == SECURITY and row[3].endswith(".PolicyDocument.Statement[0].Effect")
    assert "AssumeOnward" in row[4] and "SecurityAdmin" in row[4]
    assert widget.problem_count() == 3
    assert "Policy documents: 1 problem" in widget.summary.text()
    # the selected row is shown whole under the table
    widget.table.setCurrentCell(next(i for i in range(widget.table.rowCount())
                                     if widget.table.item(i, 1).text() == "policy"
                                     and widget.table.item(i, 0).text() == "warning"), 0)
    assert SECURITY in widget.details.toPlainText() and "AssumeOnward" in widget.details.toPlainText()


def test_window_status_and_dock_width(qtbot, tmp_path):
    window = open_demo_window(qtbot, tmp_path, ready=lambda w: w.load_report.problem_count() == 2
                              and cached_policy_issues(w.model.base_tg) is not None)
    assert window.report_button.text() == "⚠ 2 load issues"
    window.report_button.click()
    qtbot.waitUntil(lambda: window.report_dock.isVisible(), timeout=5000)
    qtbot.wait(50)
    # wide enough for file, place and message: most of the width under the graph, not a sliver
    assert window.report_dock.width() >= 0.6 * window.centralWidget().width()
    table = window.load_report.table
    assert table.columnWidth(4) >= 300  # the message column
