"""Interrupted runs leave nothing behind: SIGTERM cleans up like Ctrl-C, SIGKILL debris goes on the next run."""

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from trtready.workspace import sibling_temp, sweep_stale, work_dir

ROOT = Path(__file__).resolve().parents[2]


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_stale_entries_of_dead_processes_are_swept(tmp_path):
    dead, alive = _dead_pid(), os.getpid()
    (tmp_path / f"trtready-{dead}-abc").mkdir()
    (tmp_path / f"trtready-{dead}-abc" / "raw.onnx").write_bytes(b"x" * 10)
    (tmp_path / f"trtready-{alive}-def").mkdir()
    (tmp_path / f".m.onnx.{dead}-xyz.tmp").write_bytes(b"")
    (tmp_path / f".m.onnx.{dead}-xyz.tmp.data").write_bytes(b"")
    (tmp_path / "trtready-notes").mkdir()  # not ours: no pid
    sweep_stale(tmp_path, "trtready-")
    sweep_stale(tmp_path, ".m.onnx.")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([f"trtready-{alive}-def", "trtready-notes"])


def test_work_dir_and_sibling_temp_carry_the_pid(tmp_path):
    with work_dir() as path:
        assert path.name.startswith(f"trtready-{os.getpid()}-") and path.is_dir()
    assert not path.exists()
    temp = sibling_temp(tmp_path / "model.onnx")
    assert temp.parent == tmp_path and temp.name.startswith(f".model.onnx.{os.getpid()}-")


def test_sigterm_mid_export_exits_130_and_leaves_nothing(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), TMPDIR=str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    (tmp_path / "out").mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "trtready.cli.main", "export", "torchvision:resnet18", "-o", "out/r.onnx"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not any((tmp_path / "tmp").glob("trtready-*")) and time.monotonic() < deadline:
        time.sleep(0.2)  # wait until the run has a work folder
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "interrupted"  # after the progress lines
    assert list((tmp_path / "out").iterdir()) == []
    # trtready's own temporary names (other libraries may leave caches of their own in TMPDIR)
    leftovers = [p.name for p in (tmp_path / "tmp").iterdir() if p.name.startswith(("trtready", ".r.onnx"))]
    assert leftovers == [], "temporary files left behind"
    assert tempfile.gettempdir() != str(tmp_path / "tmp")  # the test itself did not redirect this process
