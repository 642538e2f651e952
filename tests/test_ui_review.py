"""The review features of the window (explorer/ui/review.py) on the demo organization, offscreen: the findings
dock, compare mode, the CloudTrail overlay, the revocation preview and the collector dialog (against moto)."""
from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone

import pytest
from PySide6 import QtCore, QtWidgets

from conftest import DEMO_ORG, set_fake_aws_environment
from ui_fixtures import open_demo_window
from explorer.render import scene as SC
from explorer.ui import model as M

BOB = "arn:aws:iam::222222222222:user/people/bob.martin"
ALICE = "arn:aws:iam::222222222222:user/people/alice.nguyen"
INCIDENT = "arn:aws:iam::222222222222:role/IncidentResponder"
PROD_DEPLOY = "arn:aws:iam::666666666666:role/ProdDeploy"
SANDBOX_GH = "arn:aws:iam::888888888888:role/github-actions-sandbox"


@pytest.fixture()
def window(qtbot, tmp_path):
    return open_demo_window(qtbot, tmp_path, ready=lambda w: w.model.findings is not None)


def _settle(w):
    assert w.model.wait(60000)
    QtWidgets.QApplication.processEvents()


# ---- findings -------------------------------------------------------------------------------------------------

def test_findings_dock_lists_the_planted_problems_sorted_and_filtered(window):
    dock = window.review.findings
    rows = dock.visible_findings()
    pairs = {(f.rule, f.subject) for f in rows}
    # planted items of resources/demo-org/README.md
    assert ("trust-oidc-unrestricted-subject", "arn:aws:iam::777777777777:role/github-actions-dev") in pairs  # D14
    assert ("trust-oidc-unrestricted-subject", SANDBOX_GH) in pairs  # D15
    assert ("trust-external-no-externalid", "arn:aws:iam::444444444444:role/AcmeCostExplorerReadOnly") in pairs  # D11
    assert ("trust-dangling-unique-id", "arn:aws:iam::333333333333:role/LogArchiveAdmin") in pairs  # D23
    assert ("role-unused-cross-account", "arn:aws:iam::777777777777:role/ContractorAccess") in pairs  # D24
    assert ("cloudtrail-unexplained-assumption", "arn:aws:iam::333333333333:role/LogArchiveAdmin") in pairs  # C12
    assert len(rows) == len(window.model.findings.findings) == dock.tree.topLevelItemCount()
    order = ["critical", "high", "medium", "low", "info"]
    ranks = [order.index(f.severity) for f in rows]
    assert ranks == sorted(ranks) and rows[0].severity == "critical"
    # severity filter: high and above
    dock.severity_box.setCurrentIndex(dock.severity_box.findData("high"))
    assert {f.severity for f in dock.visible_findings()} <= {"critical", "high"}
    assert len(dock.visible_findings()) < len(rows)
    # text filter
    dock.severity_box.setCurrentIndex(0)
    dock.filter_edit.setText("github")
    shown = dock.visible_findings()
    assert shown and all("github" in (f.subject + f.title + f.message + f.rule).lower() for f in shown)
    dock.filter_edit.setText("")


def test_clicking_a_finding_selects_its_principal_and_shows_evidence_and_fix(window, qtbot):
    dock = window.review.findings
    f = next(x for x in dock.visible_findings() if x.rule == "trust-oidc-unrestricted-subject"
             and x.subject == SANDBOX_GH)
    item = next(dock.tree.topLevelItem(i) for i in range(dock.tree.topLevelItemCount())
                if dock.tree.topLevelItem(i).data(0, QtCore.Qt.ItemDataRole.UserRole + 1) is f)
    dock.tree.scrollToItem(item)
    rect = dock.tree.visualItemRect(item)
    qtbot.mouseClick(dock.tree.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: window.model.selection is not None, timeout=5000)
    assert window.model.selection.kind == M.NODE and window.model.selection.value == SANDBOX_GH
    # evidence: the trust statement and its JSON path; remediation: the corrected statement
    assert "$.Statement[0]" in dock.evidence_label.text()
    evidence = json.loads(dock.evidence_json.toPlainText())
    assert evidence["Action"] and "Principal" in evidence
    fixed = json.loads(dock.remediation_json.toPlainText())
    assert "token.actions.githubusercontent.com:sub" in json.dumps(fixed["Condition"])
    assert "sub" not in json.dumps(evidence.get("Condition", {})).replace("githubusercontent.com:aud", "")
    # double-click focuses the graph on it
    qtbot.mouseDClick(dock.tree.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=rect.center())
    _settle(window)
    assert window.model.view.mode == SC.FOCUS and window.model.view.focus == SANDBOX_GH
    qtbot.waitUntil(lambda: window.canvas.scene_data.view.focus == SANDBOX_GH, timeout=10000)


def test_findings_export_json_and_sarif_and_recompute_after_what_if(window, tmp_path):
    from explorer.ui.findings_dock import write_findings
    j = json.loads(open(write_findings(window.model, str(tmp_path / "f.json")), encoding="utf-8").read())
    assert j["summary"]["total"] == len(window.model.findings.findings) and j["snapshot"] == "demo-org"
    sarif = json.loads(open(write_findings(window.model, str(tmp_path / "f.sarif")), encoding="utf-8").read())
    assert sarif["version"] == "2.1.0" and len(sarif["runs"][0]["results"]) == j["summary"]["total"]
    assert window.review.act_export_sarif.isEnabled()
    before = window.model.findings
    window.whatif.mfa.setCurrentText("true")  # a what-if change: the checks run again on the new graph
    _settle(window)
    assert window.model.findings is not None and window.model.findings is not before


# ---- compare --------------------------------------------------------------------------------------------------

def _modified_copy(tmp_path):
    """The demo with one trust changed: IncidentResponder trusts alice.nguyen instead of bob.martin."""
    copy = tmp_path / "demo-modified"
    shutil.copytree(DEMO_ORG, copy)
    for name in ("authorization-details.json", "roles.json"):
        path = copy / "accounts" / "222222222222" / name
        data = json.loads(path.read_text(encoding="utf-8"))
        for r in data.get("RoleDetailList", data.get("Roles", [])):
            if r["RoleName"] == "IncidentResponder":
                r["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"][0] = ALICE
        path.write_text(json.dumps(data), encoding="utf-8")
    return copy


def test_compare_mode_shows_exactly_the_change_and_marks_it(window, tmp_path, qtbot):
    copy = _modified_copy(tmp_path)
    rv = window.review
    # the opened demo is the older one: the copy brings alice -> IncidentResponder and loses bob's edge
    rv.start_compare(copy, current_is_newer=False)
    _settle(window)
    qtbot.waitUntil(lambda: rv.compare.diff is not None, timeout=30000)
    d = rv.compare.diff
    assert [(e.source, e.target) for e in d.edges_added] == [(ALICE, INCIDENT)]
    assert [(e.source, e.target) for e in d.edges_removed] == [(BOB, INCIDENT)]
    assert not d.edges_changed and not d.principals_added and not d.principals_removed
    rows = rv.compare_dock.rows()
    assert any("alice.nguyen → IncidentResponder" in r for r in rows)
    assert any("bob.martin → IncidentResponder" in r for r in rows)
    assert len([r for r in rows if r.startswith(("+ ", "− ", "~ "))]) == len(rows)
    marks = window.model.edge_marks()
    assert marks[(ALICE, INCIDENT)].kind == M.MARK_ADDED and marks[(BOB, INCIDENT)].kind == M.MARK_REMOVED
    layer = rv.marks
    assert layer.ghost_count == 1 and layer.drawn_count == 1  # alice's edge is not in the opened graph: a ghost
    assert rv.compare_dockw.isVisible()
    # a what-if change re-evaluates both graphs under the new context: still exactly the one trust change
    window.whatif.mfa.setCurrentText("true")
    _settle(window)
    qtbot.waitUntil(lambda: not rv.compare.busy, timeout=30000)
    assert rv.compare.other_tg.context == window.model.context
    assert [(e.source, e.target) for e in rv.compare.diff.edges_added] == [(ALICE, INCIDENT)]
    assert [(e.source, e.target) for e in rv.compare.diff.edges_removed] == [(BOB, INCIDENT)]
    # swapped: the demo is the newer one
    rv.compare.swap()
    _settle(window)
    qtbot.waitUntil(lambda: not rv.compare.busy, timeout=30000)
    assert [(e.source, e.target) for e in rv.compare.diff.edges_added] == [(BOB, INCIDENT)]
    assert window.model.edge_marks()[(BOB, INCIDENT)].kind == M.MARK_ADDED
    # leaving compare mode removes the marks
    rv.act_leave_compare.trigger()
    assert not window.model.edge_marks() and not rv.compare.active and rv.marks.lines == []


def test_compare_with_a_bad_folder_reports_without_crashing(window, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(QtWidgets.QMessageBox, "warning", lambda *a, **k: shown.append(a[2]))
    (tmp_path / "empty").mkdir()
    window.review.start_compare(tmp_path / "empty")
    _settle(window)
    assert shown and not window.review.compare.active


# ---- CloudTrail ----------------------------------------------------------------------------------------------

def test_edge_use_overlay_marks_used_edges_and_lists_unexplained(window, qtbot):
    rv = window.review
    rv.act_edge_use.trigger()
    _settle(window)
    qtbot.waitUntil(lambda: rv.trail.overlay is not None, timeout=20000)
    ov = rv.trail.overlay
    marks = window.model.edge_marks()
    used_pairs = {(u, v) for u, v, _k in ov.edge_use}
    assert used_pairs and set(marks) == used_pairs
    sec_admin = ("arn:aws:iam::222222222222:role/SecurityAdmin", "arn:aws:iam::444444444444:role/InfraAdmin")
    assert marks[sec_admin].kind == M.MARK_USED and marks[sec_admin].label == "1×"  # C02
    rows = rv.trail_dock.unexplained_rows()
    assert len(rows) == 2
    assert any("LogArchiveAdmin" in r and "debug" in r and "2026-11-19" in r for r in rows)  # C12
    assert any("terraform-state-legacy" in r and "jenkins-nightly" in r for r in rows)  # C13
    assert rv.trail_dockw.isVisible() and rv.trail_dock.show_check.isChecked()
    # only used edges: the scene draws exactly the used pairs
    rv.act_only_used.trigger()
    _settle(window)
    sc = window.canvas.scene_data
    drawn = {p for k, pairs in sc.edge_pairs.items() if k != "highlight" for p in pairs}
    assert drawn and drawn <= used_pairs
    assert sc.node_count == window.model.tg.graph.number_of_nodes()  # the nodes stay
    rv.act_only_used.trigger()
    rv.act_edge_use.trigger()
    _settle(window)
    assert window.model.edge_filter is None and not window.model.edge_marks()


# ---- revocation ----------------------------------------------------------------------------------------------

def test_revoke_dialog_previews_prod_deploy(window, qtbot):
    rv = window.review
    window.model.select_node(PROD_DEPLOY)
    assert rv.act_revoke.isEnabled()
    menu = window.build_context_menu(PROD_DEPLOY)
    assert "Revoke sessions…" in [a.text() for a in menu.actions()]
    graph_before = window.model.tg.graph.copy()
    dlg = rv.revoke_sessions(when=datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc))
    qtbot.waitUntil(lambda: dlg.preview is not None, timeout=20000)
    policy = json.loads(dlg.policy_view.toPlainText())
    assert policy["Statement"][0]["Condition"]["DateLessThan"]["aws:TokenIssueTime"] == "2026-11-20T09:00:00Z"
    assert policy["Statement"][0]["Effect"] == "Deny"
    assert dlg.preview.edges_lost and dlg.lost.topLevelItemCount() == len(dlg.preview.edges_lost)
    assert any("ArtifactReader" in r for r in dlg.lost_rows())
    marks = window.model.edge_marks()
    lost = dlg.preview.edges_lost[0]
    assert marks[(PROD_DEPLOY, lost.target)].kind == M.MARK_LOST
    # a new time: the preview and the policy follow
    dlg.when_edit.setDateTime(QtCore.QDateTime(QtCore.QDate(2026, 12, 1), QtCore.QTime(0, 0), QtCore.QTimeZone.utc()))
    qtbot.waitUntil(lambda: dlg.preview.revoke_before.month == 12, timeout=20000)
    assert "2026-12-01T00:00:00Z" in dlg.policy_view.toPlainText()
    # a what-if change: the preview is computed again under the new context
    first = dlg.preview
    window.whatif.mfa.setCurrentText("true")
    qtbot.waitUntil(lambda: dlg.preview is not first, timeout=20000)
    assert dlg.preview.old_graph.context.is_known("aws:MultiFactorAuthPresent")
    dlg.copy_policy()
    assert "AWSRevokeOlderSessions" not in QtWidgets.QApplication.clipboard().text()  # the document only
    assert "aws:TokenIssueTime" in QtWidgets.QApplication.clipboard().text()
    # nothing in the snapshot or the graph changed; closing removes the marks
    assert sorted(window.model.tg.graph.edges(keys=True)) == sorted(graph_before.edges(keys=True))
    dlg.close()
    QtWidgets.QApplication.processEvents()
    assert "revoke" not in window.model.mark_sets


# ---- collection (moto) ---------------------------------------------------------------------------------------

def test_collect_dialog_validates_and_collects_a_snapshot_that_opens(window, tmp_path, monkeypatch, qtbot):
    pytest.importorskip("moto")
    import boto3
    from moto import mock_aws

    set_fake_aws_environment(monkeypatch, tmp_path)

    dlg = window.review.collect_from_aws()
    # the organization needs the audit role name: a message, nothing started
    dlg.org.setChecked(True)
    dlg.out_dir.setText(str(tmp_path / "snap"))
    assert dlg.run() is False and "role-name" in dlg.error and not dlg.is_running()
    dlg.org.setChecked(False)
    dlg.mfa_serial.setText("arn:aws:iam::123456789012:mfa/analyst")
    dlg.mfa_token.setText("123456")
    assert dlg.run() is False  # MFA is for the audit role: needs the role name
    dlg.mfa_serial.clear()
    dlg.mfa_token.clear()
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                                 "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}]})
    with mock_aws():
        iam = boto3.client("iam")
        iam.create_role(RoleName="Deployer", AssumeRolePolicyDocument=trust)
        iam.create_user(UserName="ci")
        dlg.regions.setText("us-east-1")
        dlg.external_id.setText("")
        assert dlg.run() is True
        assert dlg.wait(120000)
    assert dlg.result is not None and not dlg.result.cancelled, dlg.error
    assert dlg.result.accounts_collected == ["123456789012"]
    assert any(ev.kind == "done" for ev in dlg.events)
    assert "account 123456789012" in dlg.log.toPlainText()
    # the snapshot opens in the window
    _settle(window)
    qtbot.waitUntil(lambda: window.model.snapshot is not None and "123456789012" in window.model.snapshot.accounts,
                    timeout=30000)
    assert window.model.tg.node_for("arn:aws:iam::123456789012:role/Deployer")
    # secrets are never remembered
    window.settings.sync()
    stored = {k: window.settings.value(k) for k in window.settings.allKeys()}
    assert stored.get("collect/regions") == "us-east-1"
    assert not any("mfa" in k.lower() or "external" in k.lower() for k in stored)
    assert "123456" not in json.dumps({k: str(v) for k, v in stored.items()})


def test_collect_dialog_cancel_uses_the_collectors_cancel(window, tmp_path, monkeypatch):
    import threading

    seen = {}
    started = threading.Event()

    def fake_collect(options, progress=None, cancel=None):
        from explorer.collect.progress import ProgressEvent
        progress(ProgressEvent("start", 0, 3, 0, None, "in us-east-1"))
        started.set()
        for _ in range(400):
            if cancel():
                seen["cancelled"] = True
                break
            threading.Event().wait(0.01)
        from explorer.collect import CollectResult
        return CollectResult(out_dir=options.out_dir, cancelled=bool(seen))
    monkeypatch.setattr("explorer.collect.collect_snapshot", fake_collect)
    dlg = window.review.collect_from_aws()
    dlg.org.setChecked(False)
    dlg.out_dir.setText(str(tmp_path / "snap"))
    assert dlg.run()
    assert started.wait(10)
    button = dlg.progress_dialog.findChild(QtWidgets.QPushButton)
    assert button is not None and button.text() == "Cancel"
    button.click()  # the progress dialog's Cancel button
    assert dlg.wait(20000)
    assert seen.get("cancelled") and "Cancelled" in dlg.message.text()
    assert dlg.result is None and dlg.progress_dialog is None and dlg.run_button.isEnabled()
