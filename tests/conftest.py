"""Test-wide setup: Qt runs offscreen; helpers to find the bundled data."""
import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
DEMO_ORG = ROOT / "resources" / "demo-org"
