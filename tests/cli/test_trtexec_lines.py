"""A ``trtexec`` command for every file written: each static-batch file of ``export``, and ``fix``'s output."""

from __future__ import annotations

import json

from . import onnx_files, report_models
from .runners import run_in, run_main


def test_static_batches_print_a_trtexec_line_per_file(tmp_path):
    done = run_in(tmp_path, "export", f"{report_models.__file__}:build_clean", "-o", "c.onnx",
                  "--static-batches", "1,3", "--json", "c.json", "--report", "c.md")  # fmt: skip
    assert done.returncode == 0, done.stderr
    data = json.loads((tmp_path / "c.json").read_text())
    assert [f["path"] for f in data["files"]] == ["c_b1.onnx", "c_b3.onnx"]
    commands = [f["trtexec"] for f in data["files"]]
    assert [c.split()[1] for c in commands] == ["--onnx=c_b1.onnx", "--onnx=c_b3.onnx"]
    printed = [line.strip() for line in done.stdout.splitlines() if line.strip().startswith("trtexec ")]
    assert printed == commands  # every file, in order, each on one unwrapped line
    markdown = (tmp_path / "c.md").read_text()
    assert all(command in markdown for command in commands)


def test_fix_prints_a_trtexec_line_for_the_fixed_file(capsys, tmp_path):
    source = onnx_files.clean(tmp_path)
    out = tmp_path / "fixed.onnx"
    done = run_main(capsys, "fix", source, "-o", out, "--json", tmp_path / "f.json")
    assert done.code == 0, done.err
    record = json.loads((tmp_path / "f.json").read_text())["files"][0]
    assert record["path"] == str(out)
    assert record["trtexec"] == (f"trtexec --onnx={out} --saveEngine={tmp_path / 'fixed.engine'} "
                                 "--minShapes=x:1x3x8x8 --optShapes=x:1x3x8x8 --maxShapes=x:8x3x8x8")  # fmt: skip
    assert record["trtexec"] in done.out
