"""``trtready doctor`` through the real entry point, in every format."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sarif_declared import assert_every_result_declared

ROOT = Path(__file__).resolve().parents[2]
SPEC = f"{Path(__file__).with_name('spec_models.py')}:combined"


def doctor(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    return subprocess.run([sys.executable, "-m", "trtready.cli.main", "doctor", *args],
                          capture_output=True, text=True, cwd=cwd, env=env, timeout=600)  # fmt: skip


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    out = tmp_path_factory.mktemp("doctor")
    runs = {}
    for fmt in ("text", "json", "sarif", "markdown"):
        path = out / f"report.{fmt}"
        runs[fmt] = (doctor(SPEC, "--format", fmt, "-o", str(path)), path)
    return runs


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "markdown"])
def test_formats(reports, fmt):
    proc, path = reports[fmt]
    assert proc.returncode == 1, proc.stderr  # error findings
    assert "report written to" in proc.stdout
    text = path.read_text()
    assert "DOC101" in text and "DOC301" in text
    if fmt == "json":
        data = json.loads(text)
        assert data["command"] == "doctor"
        assert {f["rule_id"] for f in data["findings"]} >= {"DOC101", "DOC201", "DOC301", "DOC401"}
        assert all(f["source"]["line"] for f in data["findings"])
    if fmt == "sarif":
        log = json.loads(text)
        assert assert_every_result_declared(log) >= 4
        run = log["runs"][0]
        assert any(r["id"] == "DOC301" for r in run["tool"]["driver"]["rules"])
        located = [r for r in run["results"] if r["ruleId"] == "DOC301"]
        assert located[0]["locations"][0]["physicalLocation"]["region"]["startLine"] > 0
    if fmt == "markdown":
        assert text.startswith("## trtready doctor:") and "### How to fix" in text and "finding" in text.splitlines()[2]
    if fmt == "text":
        assert "Fixes:" in text and "models.py" in text


def test_stdout_text():
    proc = doctor(SPEC)
    assert proc.returncode == 1 and "DOC401" in proc.stdout


def test_unknown_spec_is_one_line_exit_2():
    proc = doctor("no_such_module_xyz:build")
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and proc.stderr.startswith("error:")


def test_long_steps_show_progress_timed_from_the_command_start(reports):
    """Off a terminal, each step that runs over a second is one ``[time] step`` line on stderr."""
    proc, _ = reports["text"]
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert any(line.startswith("[") and "s] diagnosing" in line for line in lines), proc.stderr
    times = [float(line[1 : line.index("s]")]) for line in lines if line.startswith("[")]
    assert times == sorted(times) and times[-1] > 0
