"""`python main.py [SNAPSHOT]`: the desktop explorer, on the bundled demo organization when no snapshot is
given. The snapshot loads off the GUI thread; a snapshot with problems opens anyway (load report one click away).
"""
from __future__ import annotations

import sys
from pathlib import Path


def run_app(snapshot_path: str | None = None) -> int:
    from PySide6 import QtWidgets

    from explorer.errors import InputError
    from explorer.ui.main_window import DEMO_ORG, MainWindow

    path = Path(snapshot_path) if snapshot_path else DEMO_ORG
    if not path.exists():
        raise InputError("no such file or folder", file=str(path))
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    app.setApplicationName("IAM Trust Explorer")
    app.setOrganizationName("iam-trust-explorer")
    window = MainWindow()
    window.show()
    window.open_path(path)
    return int(app.exec())
