"""Test-wide setup: Qt runs offscreen; helpers to find the bundled data."""
import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
DEMO_ORG = ROOT / "resources" / "demo-org"


@pytest.fixture
def demo_copy(tmp_path) -> Path:
    """A copy of the demo organization that a test may break."""
    target = tmp_path / "demo-org"
    shutil.copytree(DEMO_ORG, target)
    return target


def set_fake_aws_environment(mp, folder: Path) -> None:
    """For the collector against moto: fake credentials in the environment only; no config files (they would be
    looked for in `folder`, where there are none); no instance metadata; no real backoff. `mp`: a MonkeyPatch."""
    from explorer.collect import aws as collect_aws
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION"):
        mp.delenv(key, raising=False)
    mp.setenv("AWS_ACCESS_KEY_ID", "testing")
    mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    mp.setenv("AWS_DEFAULT_REGION", "us-east-1")
    mp.setenv("AWS_CONFIG_FILE", str(folder / "no-config"))
    mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(folder / "no-credentials"))
    mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
    mp.setattr(collect_aws, "BACKOFF_BASE_SECONDS", 0.0)


def run_cli(capsys, *argv):
    """(exit code, stdout, stderr) of the command line with these arguments."""
    from explorer.cli import main
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def edit_json(path: Path, change) -> None:
    """Read a JSON file, let `change(document)` edit it in place, write it back."""
    import json
    doc = json.loads(path.read_text("utf-8"))
    change(doc)
    path.write_text(json.dumps(doc, indent=1), "utf-8")

