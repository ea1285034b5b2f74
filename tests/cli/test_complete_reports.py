"""Reports never cut a fix: the terminal text at any width, and the markdown reports of export and fix,
which also carry the rewrites that fired, the fixes applied and a trtexec command per written file."""

from __future__ import annotations

import json
import re

import pytest

from trtready.checking import check
from trtready.report import console as console_module
from trtready.report.findings_table import findings_text

from . import onnx_files, report_models
from .runners import run_in, run_main

MODELS = report_models.__file__


def _squashed(text: str) -> str:
    """No whitespace at all: wrapping (at spaces or inside a long word) cannot hide a cut."""
    return "".join(text.split())


@pytest.fixture(scope="module")
def mask_onnx(tmp_path_factory):
    return onnx_files.mask_dynamo(tmp_path_factory.mktemp("complete"))


@pytest.mark.parametrize("width", [40, 80, 200])
def test_check_text_prints_every_fix_in_full_at_any_width(mask_onnx, width):
    result = check(mask_onnx)
    fixes = {f.fix for f in result.findings if f.fix}
    assert fixes
    text = findings_text(result, width=width)
    assert "…" not in text
    for fix in fixes:
        assert _squashed(fix) in _squashed(text), fix
    finding_column = _squashed(_last_column(text, "Finding"))
    for finding in result.findings:
        assert _squashed(finding.message) in finding_column  # wrapped in its cell, not cut


def _last_column(text: str, header: str) -> str:
    """The table's last column, read row by row from where its header starts."""
    lines = text.split("How to fix:")[0].splitlines()
    top = next(i for i, line in enumerate(lines) if line.rstrip().endswith(header))
    start = lines[top].index(header)
    return "\n".join(line[start:] for line in lines[top + 1 :])


def test_check_cli_on_a_narrow_terminal_cuts_nothing(capsys, mask_onnx, monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    monkeypatch.setattr(console_module, "_CONSOLE", None)  # a console made for this width
    done = run_main(capsys, "check", mask_onnx)
    findings = check(mask_onnx).findings
    assert "…" not in done.out
    assert all(_squashed(f.fix) in _squashed(done.out) for f in findings if f.fix)
    assert max(len(line) for line in done.out.splitlines()) <= 40


def test_check_markdown_has_every_fix_in_full(capsys, mask_onnx):
    text = run_main(capsys, "check", mask_onnx, "--format", "markdown").out
    fixes = [line for line in text.split("### How to fix", 1)[1].splitlines() if line.startswith("- `")]
    findings = check(mask_onnx).findings
    assert {(f.rule_id, " ".join(f.fix.split())) for f in findings if f.fix} == {
        (re.match(r"- `(\w+)`", line)[1], line.split(": ", 1)[1]) for line in fixes
    }


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("export_md")
    proc = run_in(folder, "export", f"{MODELS}:build_mask", "-o", "m.onnx", "--json", "m.json", "--report", "m.md")
    assert proc.returncode == 0, proc.stderr
    return folder, proc, json.loads((folder / "m.json").read_text()), (folder / "m.md").read_text()


def test_export_markdown_has_rewrites_fixes_and_full_fix_texts(exported):
    _, _, data, markdown = exported
    section = markdown.split("## Rewrites and fixes", 1)[1].split("\n## ", 1)[0]
    fired = [p for p in data["passes"] if p["name"].startswith("rewrite.")]
    assert any(p["name"] == "rewrite.bool-index-long" for p in fired)  # x[x > 0] rewritten (R006)
    for record in data["passes"]:
        if record["name"].startswith(("rewrite.", "fix.")):
            assert f"`{record['name']}`" in section
            assert " ".join((record["message"] or "").split()) in section
    line = report_models.marker_line("mask")
    assert f"report_models.py:{line}" in section  # the Python line the rewrite changed
    for finding in data["findings"]:
        assert f"- `{finding['rule_id']}` {finding['name']}: {' '.join(finding['fix'].split())}" in markdown
    assert data["trtexec"] in markdown


def test_fix_markdown_and_text_list_the_fixes_applied_and_a_trtexec_line(capsys, tmp_path):
    source = onnx_files.mask_torchscript(tmp_path)
    done = run_main(capsys, "fix", source, "-o", tmp_path / "fixed.onnx", "--json", tmp_path / "f.json",
                    "--report", tmp_path / "f.md")  # fmt: skip
    data = json.loads((tmp_path / "f.json").read_text())
    applied = [p["name"] for p in data["passes"] if p["modified"] and not p["rolled_back"]]
    assert applied  # NonZero on a non-float input gets its Cast (fix.cast-nonzero-input)
    markdown = (tmp_path / "f.md").read_text()
    assert markdown.startswith("# trtready fix: ")
    assert all(f"| `{name}` | applied |" in markdown for name in applied)
    command = data["files"][0]["trtexec"]
    assert command.startswith(f"trtexec --onnx={tmp_path / 'fixed.onnx'}") and "--maxShapes=x:8x5" in command
    assert command in done.out and command in markdown
