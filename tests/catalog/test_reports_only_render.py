"""Reports only render: one ``verdict()`` for every command, and the result records import
nothing from the renderers."""

from __future__ import annotations

import ast
from pathlib import Path

import trtready
from trtready.result import Finding, Result, Severity
from trtready.verdict import Tone, tone, verdict

PACKAGE = Path(trtready.__file__).parent


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    return found + [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]


def test_result_imports_nothing_from_report():
    assert [m for m in _imports(PACKAGE / "result.py") if "report" in m] == []


def test_one_verdict_function():
    defined = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef) and node.name == "verdict"
    ]
    assert defined == ["verdict.py"]


def _finding(severity: str) -> Finding:
    return Finding(rule_id="DOC301", name="doctor.batch-constant", severity=severity, message="m", stage="doctor")


def test_verdict_is_worded_by_command():
    doctor = Result(command="doctor", model="net", findings=[_finding(Severity.ERROR), _finding(Severity.WARNING)])
    assert verdict(doctor) == "2 findings for net: 1 error, 1 warning" and tone(doctor) == Tone.BAD
    assert verdict(Result(command="doctor", model="net")) == "No problems found for either exporter"
    check = Result(command="check", model="m.onnx", options={"trt": "10.1"}, findings=[_finding(Severity.WARNING)])
    assert verdict(check) == "TensorRT 10.1 should accept this model (1 warning)" and tone(check) == Tone.GOOD
    export = Result(command="export", model="net", findings=[_finding(Severity.INFO)])
    assert verdict(export) == "result: no file written; 0 error(s), 0 warning(s) found" and tone(export) == Tone.BAD
