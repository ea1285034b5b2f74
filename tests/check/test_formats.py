"""The four report formats of ``trtready check``: text, json, sarif, markdown."""

from __future__ import annotations

import json
from pathlib import Path

import check_models

from trtready.checking import check, verdict
from trtready.report.findings_table import findings_text
from trtready.report.groups import group_findings
from trtready.report.markdown import findings_markdown
from trtready.report.sarif import to_sarif
from trtready.rules import all_rules

MODELS_FILE = Path(check_models.__file__).resolve()


def test_json_has_the_schema_and_findings(mask_onnx):
    data = json.loads(check(mask_onnx).to_json())
    assert data["schema"] == "trtready.result/1"
    assert data["command"] == "check" and data["exit_code"] == 1
    assert data["counts"] == {"error": 1, "warning": 1, "info": 0}
    assert {f["rule_id"] for f in data["findings"]} == {"TRT205", "TRT403"}


def test_sarif_is_structurally_valid_and_points_at_python_lines(dynamo_mask_onnx):
    log = to_sarif(check(dynamo_mask_onnx), root=MODELS_FILE.parent)
    assert log["version"] == "2.1.0" and "$schema" in log
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(all_rules())
    assert all(r["shortDescription"]["text"] and r["fullDescription"]["text"] and r["help"]["text"] for r in rules)
    assert run["results"]
    line = check_models.line_of(check_models.BoolMask, "x[x > 0]")
    for entry in run["results"]:
        assert rules[entry["ruleIndex"]]["id"] == entry["ruleId"]
        assert entry["level"] in ("error", "warning", "note")
        physical = entry["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"] == {"uri": MODELS_FILE.name, "uriBaseId": "%SRCROOT%"}
        assert physical["region"]["startLine"] == line
    assert json.loads(json.dumps(log)) == log


def test_sarif_without_source_lines_uses_logical_locations(mask_onnx):
    run = to_sarif(check(mask_onnx), root=mask_onnx.parent)["runs"][0]
    for entry in run["results"]:
        location = entry["locations"][0]
        assert location["physicalLocation"]["artifactLocation"]["uri"] == mask_onnx.name
        assert location["logicalLocations"][0]["fullyQualifiedName"].startswith("main/")


def test_markdown_has_verdict_and_tables(dynamo_mask_onnx):
    result = check(dynamo_mask_onnx)
    text = findings_markdown(result)
    assert f"**{verdict(result)}**" in text
    assert "### Errors (1)" in text and "### Warnings (1)" in text
    assert f"check_models.py:{check_models.line_of(check_models.BoolMask, 'x[x > 0]')}" in text


def test_text_report_is_plain_without_a_terminal(squeeze_onnx):
    result = check(squeeze_onnx)
    text = findings_text(result)
    assert "\x1b[" not in text
    assert verdict(result) in text
    assert "TRT301" in text and "control.if-rank-mismatch" in text


def test_findings_from_one_source_line_share_a_row(dynamo_two_masks_onnx):
    result = check(dynamo_two_masks_onnx)
    groups = [g for rows in group_findings(result.findings).values() for g in rows]
    nonzero = [g for g in groups if g.first.rule_id == "TRT403"]
    assert len(nonzero) == 1 and len(nonzero[0].findings) == 2
    assert "2 nodes:" in findings_text(result)


def test_clean_model_reports(clean_onnx):
    result = check(clean_onnx)
    assert "No findings." in findings_markdown(result)
    assert to_sarif(result)["runs"][0]["results"] == []
    assert "should accept" in findings_text(result)
