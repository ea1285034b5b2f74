"""``trtready check / rules / explain`` as a user runs them (``run_cli``: tests/conftest.py): exit codes, streams, one-line errors."""

from __future__ import annotations

import json

import bad_files
import pytest


def test_check_exit_codes(run_cli, mask_onnx, clean_onnx):
    refused = run_cli("check", mask_onnx)
    assert refused.returncode == 1, refused.stderr
    assert "will refuse this model" in refused.stdout and refused.stderr == ""
    assert run_cli("check", clean_onnx).returncode == 0
    assert run_cli("check", mask_onnx, "--ignore", "TRT403").returncode == 0


@pytest.mark.parametrize("fmt", ["json", "sarif", "markdown", "text"])
def test_check_formats_to_stdout(run_cli, mask_onnx, fmt):
    done = run_cli("check", mask_onnx, "--format", fmt, "--trt", "10.1")
    assert done.returncode == 1, done.stderr
    if fmt == "json":
        assert json.loads(done.stdout)["options"]["trt"] == "10.1"
    elif fmt == "sarif":
        assert json.loads(done.stdout)["version"] == "2.1.0"
    else:
        assert "TensorRT 10.1 will refuse this model" in done.stdout


def test_check_writes_report_file(run_cli, mask_onnx, tmp_path):
    out = tmp_path / "report.sarif"
    done = run_cli("check", mask_onnx, "--format", "sarif", "-o", out)
    assert done.returncode == 1
    assert json.loads(out.read_text())["runs"][0]["results"]
    assert str(out) in done.stdout
    assert [p.name for p in tmp_path.iterdir()] == ["report.sarif"]  # no temporary file left


def test_plugin_option(run_cli, unique_onnx):
    assert run_cli("check", unique_onnx).returncode == 1
    assert run_cli("check", unique_onnx, "--plugin", "Unique").returncode == 0


def test_rules_lists_every_rule(run_cli):
    done = run_cli("rules", "--trt", "9.3")
    assert done.returncode == 0
    assert "TRT001" in done.stdout and "TRT601" in done.stdout and "9.3" in done.stdout


def test_explain_shows_why_fix_and_examples(run_cli):
    done = run_cli("explain", "shape.nonzero")
    assert done.returncode == 0
    assert "TRT204" in done.stdout and "Why" in done.stdout and "Fix" in done.stdout and "NonZero(" in done.stdout


def bad_inputs(tmp_path, source):
    return {
        "text-file": ["check", bad_files.text_file(tmp_path)],
        "truncated": ["check", bad_files.truncated(tmp_path, source)],
        "missing-external-data": ["check", bad_files.missing_external_data(tmp_path)],
        "checker": ["check", bad_files.checker_failure(tmp_path)],
        "unknown-trt": ["check", source, "--trt", "seven"],
        "unknown-rule-selector": ["check", source, "--select", "NOPE"],
        "overwrite-model": ["check", source, "-o", source],
        "unknown-explain-id": ["explain", "TRT999"],
        "unknown-rules-trt": ["rules", "--trt", "1.x"],
    }


BAD = ["text-file", "truncated", "missing-external-data", "checker", "unknown-trt", "unknown-rule-selector", "overwrite-model", "unknown-explain-id", "unknown-rules-trt"]


@pytest.mark.parametrize("case", BAD)
def test_bad_input_is_one_line_on_stderr_and_exit_2(run_cli, tmp_path, mask_onnx, case):
    done = run_cli(*bad_inputs(tmp_path, mask_onnx)[case])
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith("error: ")
    assert done.stdout == ""


def test_unknown_explain_id_suggests_close_matches(run_cli):
    done = run_cli("explain", "TRT20")
    assert done.returncode == 2
    assert "did you mean" in done.stderr and "TRT20" in done.stderr
