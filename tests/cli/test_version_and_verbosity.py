"""``python -m trtready``, ``--version`` (every library, read without importing torch, also in the
JSON report), and ``-q`` / ``-v`` on every command."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata

import pytest

from trtready.cli.main import COMMANDS, build_parser

from . import onnx_files, report_models
from .runners import SRC, run_in, run_main

LIBRARIES = ("trtready", "torch", "onnx", "onnxruntime", "onnxscript", "onnx_ir")


def test_python_dash_m_trtready_prints_every_version(tmp_path):
    done = run_in(tmp_path, "--version")
    assert done.returncode == 0, done.stderr
    shown = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    assert list(shown)[: len(LIBRARIES)] == list(LIBRARIES)
    assert shown["torch"] == metadata.version("torch") and shown["onnx_ir"] == metadata.version("onnx-ir")
    assert shown["onnxruntime"] == metadata.version("onnxruntime")


PROBE = (
    "import sys\nfrom trtready.cli.main import main\n"
    "try:\n    code = main(sys.argv[1:])\nexcept SystemExit as exc:\n    code = exc.code\n"
    "print('HEAVY', [m for m in ('torch', 'onnxruntime') if m in sys.modules], code)"
)


def _heavy_modules_after(*args) -> str:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *map(str, args)], check=False, capture_output=True, text=True, timeout=120,
        env={"PYTHONPATH": str(SRC), "PATH": ""},
    )  # fmt: skip
    return done.stdout.strip().splitlines()[-1]


def test_version_does_not_import_torch():
    assert _heavy_modules_after("--version") == "HEAVY [] 0"


def test_check_with_every_kind_of_selector_and_line_format_stays_light(tmp_path):
    path = onnx_files.mask_torchscript(tmp_path)
    for fmt in ("concise", "github"):
        args = ("check", path, "--format", fmt, "--select", "TRT,DOC1,VER", "--ignore", "R006,fix.", "--fail-on", "warning")
        assert _heavy_modules_after(*args) == "HEAVY [] 1"


def test_python_dash_m_runs_a_command(tmp_path):
    path = onnx_files.clean(tmp_path)
    done = run_in(tmp_path, "check", path.name, "-q")
    assert done.returncode == 0 and done.stdout.strip() == "TensorRT 11.1 should accept this model"


def test_json_report_carries_the_versions(capsys, tmp_path):
    data = json.loads(run_main(capsys, "check", onnx_files.clean(tmp_path), "--format", "json").out)
    assert data["schema"] == "trtready.result/1"
    assert {name: data["versions"][name] for name in LIBRARIES if name != "trtready"} == {
        name: metadata.version("onnx-ir" if name == "onnx_ir" else name) for name in LIBRARIES if name != "trtready"
    }


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("flag", ["-q", "--quiet", "-v", "--verbose"])
def test_every_command_takes_quiet_and_verbose(command, flag):
    required = {"export": ["m.py:f"], "check": ["m.onnx"], "fix": ["m.onnx", "-o", "o.onnx"],
                "explain": ["TRT101"], "doctor": ["m.py:f"]}.get(command, [])  # fmt: skip
    parser = build_parser()
    after = parser.parse_args([command, *required, flag])
    before = parser.parse_args([flag, command, *required])
    assert after.verbosity == before.verbosity == (-1 if flag.startswith(("-q", "--q")) else 1)


def test_quiet_and_verbose_together_are_refused(capsys):
    assert run_main(capsys, "check", "m.onnx", "-q", "-v").code == 2


def test_check_quiet_prints_only_the_verdict_and_verbose_every_node(capsys, tmp_path):
    path = onnx_files.export_dynamo(
        report_models.FourMasks(), (report_models.torch.randn(2, 5),), tmp_path / "four.onnx"
    )
    quiet = run_main(capsys, "check", path, "-q")
    assert quiet.code == 1 and quiet.out.splitlines() == [quiet.out.strip()] and "will refuse" in quiet.out
    findings = json.loads(run_main(capsys, "check", path, "--format", "json").out)["findings"]
    nonzero = [f["node"] for f in findings if f["rule_id"] == "TRT403"]
    assert len(nonzero) == 4  # one line, four nodes: one row
    normal = _squashed(run_main(capsys, "check", path).out)
    verbose = _squashed(run_main(capsys, "check", path, "-v").out)
    assert "4nodes:" in normal and "+1more" in normal and "+1more" not in verbose
    assert all(_squashed(node) in verbose for node in nonzero)


def _squashed(text: str) -> str:
    return "".join(text.split())


def test_export_verbose_shows_every_pass_and_quiet_only_the_verdict(tmp_path):
    spec = f"{report_models.__file__}:build_mask"
    verbose = run_in(tmp_path, "export", spec, "-o", "m.onnx", "-v", "--json", "m.json")
    assert verbose.returncode == 0, verbose.stderr
    passes = [p["name"] for p in json.loads((tmp_path / "m.json").read_text())["passes"]]
    assert any(not name.startswith(("fix.", "rewrite.")) for name in passes)  # simplification steps too
    assert all(name in verbose.stdout for name in passes)
    quiet = run_in(tmp_path, "export", spec, "-o", "m.onnx", "-q")
    assert quiet.returncode == 0 and len(quiet.stdout.splitlines()) == 1
    assert quiet.stdout.startswith("result: verified; 0 error(s)")
    assert quiet.stderr == ""  # no progress lines either
