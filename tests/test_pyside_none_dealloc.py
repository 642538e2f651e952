"""PySide6 6.12 aborts on Python 3.11 ("none_dealloc") after many calls that return None: the project pins
PySide6-Essentials <6.12. This test makes about a million such calls to prove the installed version is fine."""
from __future__ import annotations

import PySide6
from PySide6 import QtCore


def test_pinned_pyside_version():
    major, minor = (int(x) for x in PySide6.__version__.split(".")[:2])
    assert (major, minor) < (6, 12), "PySide6 6.12 aborts on Python 3.11 (none_dealloc); keep <6.12"


def test_a_million_none_returning_calls():
    p = QtCore.QPointF()
    obj = QtCore.QObject()
    n = 0
    for i in range(500_000):
        p.setX(i)  # returns None
        obj.blockSignals(False)  # returns a bool; with setY below: two calls per round
        p.setY(i)
        n += 2
    assert n == 1_000_000
    assert p.x() == 499_999.0
