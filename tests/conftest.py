import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def run_cli(tmp_path):
    """Run ``trtready ARGS`` in a subprocess, in tmp_path; returns CompletedProcess."""

    def run(*args, timeout=600):
        env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), COLUMNS="120")
        return subprocess.run(
            [sys.executable, "-m", "trtready.cli.main", *map(str, args)],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip

    return run
