"""What a user reads speaks of public sources: never of internal "seeds", numbered "guidance",
or internal paths. Scanned: every string of every catalog unit, every finding the rules'
INVALID examples produce, the SARIF and markdown reports of a check run over them, and
every string literal (docstrings included) of the package."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import onnx_ir as ir
import pytest

import trtready
from trtready.catalog import all_units
from trtready.checking import check
from trtready.report.markdown import findings_markdown
from trtready.report.sarif import to_sarif
from trtready.rules import all_rules, check_model
from trtready.rules.base import example_parts

# "seed"/"seeds" as a word (but not the ONNX attribute `seed` of RandomNormal), "guidance 3",
# and the internal reading folders.
INTERNAL = re.compile(r"(?<!`)\bseeds?\b(?!`)|\bguidance\s*#?\d|shared/|seeds/", re.IGNORECASE)
PACKAGE = Path(trtready.__file__).parent


def internal_words(text: str) -> list[str]:
    return [m.group() for m in INTERNAL.finditer(text)]


def test_the_pattern_catches_what_it_must():
    assert internal_words("(seed 000, Bool Indexing)") == ["seed"]
    assert internal_words("see seeds/000, shared/reference and guidance 3") == ["seeds", "shared/", "guidance 3"]
    assert internal_words("NVIDIA, TorchScript-based ONNX Export Guidance for TensorRT") == []
    assert internal_words("the `seed` attribute has no effect; seeded random weights") == []


@pytest.mark.parametrize("unit", all_units(), ids=lambda u: u.id)
def test_unit_strings(unit):
    assert [(text[:60], internal_words(text)) for text in unit.texts() if internal_words(text)] == []


def _invalid_examples():
    for rule in all_rules().values():
        for i, example in enumerate(rule.INVALID):
            yield pytest.param(rule, example, id=f"{rule.id}-{i}")


@pytest.mark.parametrize(("rule", "example"), _invalid_examples())
def test_findings_of_invalid_examples(rule, example):
    text, options = example_parts(example)
    findings = check_model(ir.from_onnx_text(text), **options)
    assert findings
    for finding in findings:
        assert internal_words(" ".join([finding.message, finding.fix or "", finding.name])) == []


def test_sarif_and_markdown_of_a_check_run(tmp_path):
    written = 0
    for rule in all_rules().values():
        for i, example in enumerate(rule.INVALID):
            text, options = example_parts(example)
            if options:  # release or file-size options are not what a file on disk carries
                continue
            path = tmp_path / f"{rule.id}_{i}.onnx"
            ir.save(ir.from_onnx_text(text), path)
            result = check(path)
            assert result.findings
            reports = json.dumps(to_sarif(result, root=tmp_path)) + findings_markdown(result)
            assert internal_words(reports) == [], path.name
            written += 1
    assert written > 30


def test_every_string_literal_of_the_package():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and internal_words(node.value):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {internal_words(node.value)}")
    assert found == []
