"""``--format concise`` (``file:line:col: CODE message``) and ``--format github`` (workflow
annotations) on real exports: every finding one line, at its Python line when the file
knows it, never wrapped, escaped as GitHub requires."""

from __future__ import annotations

import json
import re

import pytest

from trtready.report.github import escape_data, escape_property

from . import onnx_files, report_models
from .runners import run_main

CONCISE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]+\d+) (?P<message>.+)$")
GITHUB = re.compile(r"^::(?P<level>error|warning|notice) (?P<props>[^:]*)::(?P<data>.*)$")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lines")
    onnx_files.mask_dynamo(folder)
    onnx_files.mask_torchscript(folder)
    return folder


def _findings(capsys, path):
    return json.loads(run_main(capsys, "check", path, "--format", "json").out)["findings"]


def test_concise_points_at_the_python_line_and_is_never_wrapped(capsys, folder, monkeypatch):
    monkeypatch.setenv("COLUMNS", "30")  # a narrow terminal must not wrap a single line
    monkeypatch.chdir(folder)
    findings = _findings(capsys, "mask_dynamo.onnx")
    done = run_main(capsys, "check", "mask_dynamo.onnx", "--format", "concise")
    lines = done.out.splitlines()
    assert len(lines) == len(findings) + 1 and findings  # one line per finding, then the verdict
    assert lines[-1].startswith("TensorRT ") and done.code == 1
    line = report_models.marker_line("mask")
    column = 1 + len(report_models.MASK_LINE) - len(report_models.MASK_LINE.lstrip())
    for text, finding in zip(lines, findings):
        match = CONCISE.match(text)
        assert match, text
        assert match["code"] == finding["rule_id"]
        assert match["message"] == " ".join(finding["message"].split())
        assert _same_file(folder / match["path"], report_models.__file__)  # clickable from the working directory
        assert (int(match["line"]), int(match["col"])) == (line, column)


def test_concise_without_source_lines_points_at_the_onnx_file(capsys, folder, monkeypatch):
    monkeypatch.chdir(folder)
    findings = _findings(capsys, "mask_ts.onnx")
    lines = run_main(capsys, "check", "mask_ts.onnx", "--format", "concise", "-q").out.splitlines()
    assert len(lines) == len(findings)  # -q: no verdict line
    assert all(line.startswith("mask_ts.onnx:1:1: ") for line in lines)
    assert [CONCISE.match(line)["code"] for line in lines] == [f["rule_id"] for f in findings]


def test_github_annotations_carry_level_place_code_message_and_fix(capsys, folder, monkeypatch):
    monkeypatch.chdir(folder)
    findings = _findings(capsys, "mask_dynamo.onnx")
    lines = run_main(capsys, "check", "mask_dynamo.onnx", "--format", "github", "-q").out.splitlines()
    assert len(lines) == len(findings)
    levels = {"error": "error", "warning": "warning", "info": "notice"}
    for text, finding in zip(lines, findings):
        match = GITHUB.match(text)
        assert match, text
        props = dict(p.split("=", 1) for p in match["props"].split(","))
        assert match["level"] == levels[finding["severity"]]
        assert set(props) == {"file", "line", "col", "title"}
        assert _same_file(folder / _unescape(props["file"]), report_models.__file__)
        assert (props["line"], props["title"]) == (str(report_models.marker_line("mask")), finding["rule_id"])
        assert "\n" not in match["data"]  # one workflow command per line
        assert _unescape(match["data"]) == f"{finding['message']}\nfix: {finding['fix']}"


def test_github_escapes_commas_and_colons_in_the_file_property(capsys, folder, tmp_path, monkeypatch):
    odd = tmp_path / "run,1:a"
    odd.mkdir()
    (odd / "m.onnx").write_bytes((folder / "mask_ts.onnx").read_bytes())
    monkeypatch.chdir(tmp_path)
    lines = run_main(capsys, "check", odd / "m.onnx", "--format", "github", "-q").out.splitlines()
    assert lines and all(line.split(" ", 1)[1].startswith("file=run%2C1%3Aa/m.onnx,title=") for line in lines)
    assert all(",line=" not in line for line in lines)  # no source line: the annotation is on the file


def test_escaping_follows_githubs_rules():
    assert escape_data("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext: a,b"
    assert escape_property("dir,1:x%\n") == "dir%2C1%3Ax%25%0A"


def _same_file(a, b) -> bool:
    from pathlib import Path

    return Path(a).resolve() == Path(b).resolve()


def _unescape(text: str) -> str:
    for escaped, plain in (("%0A", "\n"), ("%0D", "\r"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(escaped, plain)
    return text


def test_fix_reports_in_github_format_on_the_fixed_file(capsys, folder, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run_main(capsys, "fix", folder / "mask_ts.onnx", "-o", "fixed.onnx", "--json", "f.json")
    findings = json.loads((tmp_path / "f.json").read_text())["findings"]
    lines = run_main(
        capsys, "fix", folder / "mask_ts.onnx", "-o", "fixed.onnx", "--format", "github", "-q"
    ).out.splitlines()
    assert [GITHUB.match(line)["props"] for line in lines] == [
        f"file=fixed.onnx,title={f['rule_id']}" for f in findings
    ]


def test_export_reports_concise_lines_at_the_python_line(tmp_path):
    from .runners import run_in

    done = run_in(
        tmp_path,
        "export",
        f"{report_models.__file__}:build_mask",
        "-o",
        "m.onnx",
        "--format",
        "concise",
        "--json",
        "m.json",
    )
    assert done.returncode == 0, done.stderr
    findings = json.loads((tmp_path / "m.json").read_text())["findings"]
    lines = done.stdout.splitlines()
    assert len(lines) == len(findings) + 1 and lines[-1].startswith("result: verified")
    for text, finding in zip(lines, findings):
        match = CONCISE.match(text)
        assert match["code"] == finding["rule_id"]
        if finding["source"] and finding["source"]["line"]:
            assert _same_file(tmp_path / match["path"], finding["source"]["file"])
            assert int(match["line"]) == finding["source"]["line"]
        else:
            assert match["path"] == "m.onnx"
    assert any(CONCISE.match(t)["line"] == str(report_models.marker_line("mask")) for t in lines[:-1])
