"""The what-if dock refuses a value its key cannot hold: the message shows under the field, nothing is applied."""
from __future__ import annotations

import pytest
from PySide6 import QtCore, QtWidgets

from explorer.ui.whatif_panel import WhatIfPanel
from ui_fixtures import open_demo_window


class FakeModel(QtCore.QObject):
    """The two signals and the one call the panel uses; records what it is asked to apply."""
    snapshotLoaded = QtCore.Signal()
    graphChanged = QtCore.Signal()

    def __init__(self):
        super().__init__()
        self.applied = []
        self.context = None

    def set_context(self, context):
        self.applied.append(context)


@pytest.fixture()
def panel(qtbot):
    model = FakeModel()
    w = WhatIfPanel(model)
    qtbot.addWidget(w)
    w.show()
    return w


def test_bad_source_ip_is_refused_next_to_the_field(panel):
    panel.source_ip.setText("not-an-ip")
    panel.apply()
    assert panel.model.applied == []
    assert "aws:SourceIp='not-an-ip'" in panel.error_text("source_ip")
    assert "IPv4 or IPv6" in panel.error_text("source_ip")
    assert panel.errors["source_ip"].isVisibleTo(panel)
    assert panel.status.text().startswith("Not applied")
    assert "Fixed" not in panel.status.text()
    # the other fields show nothing
    assert panel.error_text("time") == "" and not panel.errors["time"].isVisibleTo(panel)


def test_bad_time_is_refused(panel):
    panel.time.setText("yesterday")
    panel.apply()
    assert panel.model.applied == []
    assert "aws:CurrentTime='yesterday'" in panel.error_text("time") and "ISO 8601" in panel.error_text("time")


def test_bad_other_line_names_the_line_and_key(panel):
    panel.extra.setPlainText("sts:ExternalId=abc\naws:MultiFactorAuthPresent=yes")
    panel.apply()
    assert panel.model.applied == []
    text = panel.error_text("extra")
    assert text.startswith("line 2: aws:MultiFactorAuthPresent='yes'") and '"true" or "false"' in text


def test_every_bad_field_is_shown_at_once_and_values_raises(panel):
    from explorer.errors import InputError
    panel.source_ip.setText("1.2.3")
    panel.time.setText("soon")
    panel.apply()
    assert panel.error_text("source_ip") and panel.error_text("time")
    with pytest.raises(InputError, match="aws:SourceIp"):
        panel.values()


def test_fixing_the_value_clears_the_message_and_applies(panel):
    panel.source_ip.setText("not-an-ip")
    panel.apply()
    panel.source_ip.setText("203.0.113.7")
    assert panel.error_text("source_ip") == ""  # editing clears the old message
    panel.time.setText("2026-01-15T10:00:00Z")
    panel.extra.setPlainText("aws:TokenIssueTime=<absent>\naws:SourceIp=10.0.0.0/8")
    panel.apply()
    assert len(panel.model.applied) == 1
    ctx = panel.model.applied[0]
    assert ctx.get("aws:SourceIp") == ("10.0.0.0/8",)  # "Other" overrides the field, as before
    assert ctx.get("aws:CurrentTime") == ("2026-01-15T10:00:00Z",)
    assert ctx.get("aws:TokenIssueTime") is None and ctx.is_known("aws:TokenIssueTime")
    assert all(panel.error_text(n) == "" for n in panel.errors)


def test_absent_marker_in_a_field_fixes_the_key_as_absent(panel):
    panel.source_ip.setText("<absent>")
    panel.apply()
    ctx = panel.model.applied[-1]
    assert ctx.is_known("aws:SourceIp") and ctx.get("aws:SourceIp") is None


def test_demo_window_keeps_its_context_on_bad_input(qtbot, tmp_path):
    window = open_demo_window(qtbot, tmp_path)
    w = window.whatif
    w.source_ip.setText("203.0.113.7")
    w.apply()
    window.model.wait(60000)
    QtWidgets.QApplication.processEvents()
    before = window.model.tg.context
    assert before.get("aws:SourceIp") == ("203.0.113.7",)
    w.source_ip.setText("not-an-ip")
    w.apply()
    window.model.wait(60000)
    QtWidgets.QApplication.processEvents()
    assert window.model.tg.context == before
    assert "not-an-ip" in w.error_text("source_ip")
    assert "Fixed: aws:SourceIp=not-an-ip" not in w.status.text()


# ---------------------------------------------------------------- the absent marker in the tag and ExternalId fields
def test_absent_principal_tag_fixes_the_tag_key_as_absent(panel):
    panel.tags.setText("team=<absent>, env=prod")
    panel.apply()
    ctx = panel.model.applied[-1]
    assert ctx.is_known("aws:PrincipalTag/team") and ctx.get("aws:PrincipalTag/team") is None
    assert ctx.get("aws:PrincipalTag/env") == ("prod",)


def test_principal_tag_absent_and_valued_is_refused(panel):
    panel.tags.setText("team=<absent>, Team=platform")
    panel.apply()
    assert panel.model.applied == []
    assert "<absent>" in panel.error_text("tags") and "team" in panel.error_text("tags")


def test_external_id_absent_mixed_with_values_is_refused(panel):
    panel.external_id.setText("<absent>, abc")
    panel.apply()
    assert panel.model.applied == []
    assert "sts:ExternalId" in panel.error_text("external_id") and "<absent>" in panel.error_text("external_id")
    panel.external_id.setText("<absent>")
    panel.apply()
    ctx = panel.model.applied[-1]
    assert ctx.is_known("sts:ExternalId") and ctx.get("sts:ExternalId") is None


def test_other_line_absent_and_value_is_refused(panel):
    panel.extra.setPlainText("aws:SourceIp=10.0.0.1\naws:SourceIp=<absent>")
    panel.apply()
    assert panel.model.applied == []
    assert panel.error_text("extra").startswith("line 2: aws:SourceIp is given both as <absent>")


def test_status_line_tells_absent_keys_from_values(panel):
    import networkx as nx

    from explorer.iam.context import Context

    class FakeTrustGraph:
        graph = nx.DiGraph()

    panel.model.tg = FakeTrustGraph()
    panel.model.context = Context({"aws:PrincipalTag/team": None, "aws:PrincipalTag/env": "<absent>",
                                   "sts:ExternalId": ["a", "b"]}, closed=False)
    panel.model.graphChanged.emit()
    text = panel.status.text()
    assert "aws:PrincipalTag/team absent" in text
    assert "aws:PrincipalTag/team=" not in text
    assert "aws:PrincipalTag/env=<absent>" in text  # a literal string value is still shown as a value
    assert "sts:ExternalId=[a, b]" in text
