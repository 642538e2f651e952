"""A real-window smoke test under Xvfb: `python main.py` starts, shows its window on the demo organization and
keeps running (skipped when there is no Xvfb binary)."""
from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
import time

import pytest

from conftest import ROOT

pytestmark = pytest.mark.xvfb


@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="Xvfb is not installed")
def test_main_opens_a_real_window(tmp_path):
    # -displayfd: Xvfb picks a free display itself and writes its number when it is ready
    read_fd, write_fd = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, pass_fds=(write_fd,))
    os.close(write_fd)
    app = None
    try:
        ready, _, _ = select.select([read_fd], [], [], 20)
        number = os.read(read_fd, 64).decode().strip() if ready else ""
        if not number.isdigit():
            pytest.skip("Xvfb did not start")
        display = int(number)
        env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
        env.update(DISPLAY=f":{display}", QT_QPA_PLATFORM="xcb", HOME=str(tmp_path),
                   XDG_CONFIG_HOME=str(tmp_path / "config"))
        probe = subprocess.run([sys.executable, "-c", "from PySide6 import QtWidgets; QtWidgets.QApplication([])"],
                               env=env, capture_output=True, text=True, timeout=60)
        if probe.returncode != 0:
            pytest.skip(f"Qt cannot use the xcb platform here: {probe.stderr.strip().splitlines()[-1:]}")
        app = subprocess.Popen([sys.executable, "main.py"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
        time.sleep(6)
        assert app.poll() is None, f"the app exited: {app.stderr.read()}"
        if shutil.which("xwininfo"):
            tree = subprocess.run(["xwininfo", "-root", "-tree"], env=env, capture_output=True, text=True).stdout
            assert "IAM Trust Explorer" in tree
    finally:
        if app is not None and app.poll() is None:
            app.terminate()
            try:
                app.wait(10)
            except subprocess.TimeoutExpired:
                app.kill()
        os.close(read_fd)
        xvfb.terminate()
        xvfb.wait(10)
