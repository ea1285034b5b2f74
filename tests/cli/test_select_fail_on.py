"""``--select`` / ``--ignore`` (codes, names, prefixes of every kind: TRT, DOC, VER, R0xx, fix.*)
and ``--fail-on error|warning`` on check, fix, export and doctor, on real files and models."""

from __future__ import annotations

import json

import pytest

from . import onnx_files, report_models
from .runners import run_main

MODELS = report_models.__file__


@pytest.fixture(scope="module")
def mask_onnx(tmp_path_factory):
    return onnx_files.mask_torchscript(tmp_path_factory.mktemp("select"))


def _codes(run) -> list[str]:
    """Codes of the JSON report printed by an in-process run or a subprocess."""
    return [f["rule_id"] for f in json.loads(getattr(run, "out", None) or run.stdout)["findings"]]


def test_check_select_and_ignore_filter_findings_and_exit_code(capsys, mask_onnx):
    every = _codes(run_main(capsys, "check", mask_onnx, "--format", "json"))
    assert {"TRT205", "TRT403"} <= set(every)  # an error (TRT403) and a warning (TRT205)
    assert set(_codes(run_main(capsys, "check", mask_onnx, "--format", "json", "--select", "TRT4"))) == {"TRT403"}
    by_name = run_main(capsys, "check", mask_onnx, "--format", "json", "--select", "shape.bool-mask")
    assert set(_codes(by_name)) == {"TRT205"} and by_name.code == 0  # the error is not selected: exit 0
    ignored = run_main(capsys, "check", mask_onnx, "--format", "json", "--ignore", "trt403,TRT205")
    assert set(_codes(ignored)) == set(every) - {"TRT403", "TRT205"}
    data = json.loads(ignored.out)
    assert data["options"]["ignore"] == ["trt403", "TRT205"] and data["counts"]["error"] == 0


def test_select_of_a_kind_check_never_reports_is_valid_and_empty(capsys, mask_onnx):
    done = run_main(capsys, "check", mask_onnx, "--select", "DOC1", "--select", "VER,R006,fix.unpin-batch")
    assert done.code == 0 and "should accept" in done.out


def test_fail_on_warning_fails_on_warnings_only_when_they_remain(capsys, mask_onnx):
    assert run_main(capsys, "check", mask_onnx, "--ignore", "TRT403", "-q").code == 0
    assert run_main(capsys, "check", mask_onnx, "--ignore", "TRT403", "--fail-on", "warning", "-q").code == 1
    assert run_main(capsys, "check", mask_onnx, "--select", "TRT403", "--fail-on", "error", "-q").code == 1


@pytest.mark.parametrize("selector, suggestion", [("TRT4O3", "TRT403"), ("DOC30x", "DOC30"), ("ver01", "VER001")])
def test_unknown_selector_is_one_line_with_a_suggestion(capsys, mask_onnx, selector, suggestion):
    done = run_main(capsys, "check", mask_onnx, "--ignore", selector)
    assert done.code == 2 and done.out == ""
    assert done.err.count("\n") == 1 and done.err.startswith(f"error: no code matches '{selector}'")
    assert "did you mean" in done.err and suggestion in done.err


def test_fix_filters_and_fails_on(capsys, mask_onnx, tmp_path):
    out = tmp_path / "fixed.onnx"
    kept = run_main(capsys, "fix", mask_onnx, "-o", out, "--format", "json", "--select", "TRT205")
    assert set(_codes(kept)) == {"TRT205"} and kept.code == 0
    assert run_main(capsys, "fix", mask_onnx, "-o", out, "--select", "TRT205", "--fail-on", "warning", "-q").code == 1
    assert run_main(capsys, "fix", mask_onnx, "-o", out, "--ignore", "nope.nothing").code == 2


def test_export_filters_and_fails_on(run_cli):
    spec = f"{MODELS}:build_mask"
    every = run_cli("export", spec, "-o", "m.onnx", "--format", "json")
    assert every.returncode == 0, every.stderr
    assert "TRT205" in _codes(every)  # NonZero stays after the R006 rewrite: a warning
    strict = run_cli("export", spec, "-o", "m.onnx", "--fail-on", "warning", "-q")
    assert strict.returncode == 1 and strict.stdout.startswith("result: verified")
    ignored = run_cli("export", spec, "-o", "m.onnx", "--fail-on", "warning", "--ignore", "TRT2", "--format", "json")
    assert ignored.returncode == 0 and not [c for c in _codes(ignored) if c.startswith("TRT2")]


def test_export_refuses_an_unknown_code_before_exporting(run_cli):
    done = run_cli("export", f"{MODELS}:build_mask", "-o", "m.onnx", "--select", "R0066")
    assert done.returncode == 2 and "did you mean R006" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_doctor_filters_by_kind_and_fails_on(run_cli):
    spec = f"{MODELS}:build_item"
    findings = json.loads(run_cli("doctor", spec, "--format", "json").stdout)["findings"]
    assert "DOC201" in {f["rule_id"] for f in findings}  # .item(): an error at the marked line
    warnings_only = run_cli("doctor", spec, "--format", "concise", "-q", "--ignore", "DOC201", "--fail-on", "error")
    lines = warnings_only.stdout.splitlines()
    expected = [f for f in findings if f["rule_id"] != "DOC201"]
    assert [text.split(" ")[1] for text in lines] == [f["rule_id"] for f in expected]
    assert all(f":{report_models.marker_line('item')}:" in text for text in lines)
    assert warnings_only.returncode == (1 if any(f["severity"] == "error" for f in expected) else 0)
    none = run_cli("doctor", spec, "-q", "--ignore", "DOC", "--fail-on", "warning")
    assert none.returncode == 0 and none.stdout.strip() == "No problems found for either exporter"
