"""Run ``trtready`` as a user does: in this process (``trtready.cli.main.main([...])``, output
captured) or in a subprocess in a given folder (for exports, whose children fork)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"


@dataclass
class Run:
    code: int
    out: str
    err: str


def run_main(capsys, *args) -> Run:
    from trtready.cli.main import main

    capsys.readouterr()
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:  # argparse errors and --version
        code = exc.code if isinstance(exc.code, int) else 2
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)


def run_in(folder: Path, *args, module: str = "trtready", timeout: int = 600) -> subprocess.CompletedProcess:
    """``python -m trtready ARGS`` in ``folder``."""
    env = dict(os.environ, PYTHONPATH=str(SRC), COLUMNS="120")
    return subprocess.run([sys.executable, "-m", module, *map(str, args)], cwd=folder, env=env, check=False,
                          capture_output=True, text=True, timeout=timeout)  # fmt: skip
