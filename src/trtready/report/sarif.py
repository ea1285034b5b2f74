"""``trtready check --format sarif``: SARIF 2.1.0 for code scanning and review tools.

Each finding that knows its PyTorch source line has a physical location on that
Python file and line, so GitHub code scanning (and other SARIF viewers) annotate
the line to edit. Otherwise the physical location is the .onnx file itself. The
ONNX node (graph path + node name) is always given as a logical location.
Paths below ``root`` (default: the working directory) are written relative to
the ``%SRCROOT%`` base, others as absolute ``file://`` URIs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import __version__
from ..result import Finding, Result, Severity
from ..rules import all_rules

__all__ = ["SARIF_SCHEMA", "SARIF_VERSION", "to_sarif"]

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
ROOT_ID = "%SRCROOT%"


def to_sarif(result: Result, root: str | Path | None = None) -> dict[str, Any]:
    """The SARIF log (a JSON-ready dict) of ``result``'s findings."""
    root = Path(root or Path.cwd()).resolve()
    rules = list(all_rules().values())
    index = {rule.id: i for i, rule in enumerate(rules)}
    run = {
        "tool": {"driver": _driver(rules)},
        "originalUriBaseIds": {ROOT_ID: {"uri": root.as_uri() + "/"}},
        "results": [_result(f, index, result.model, root) for f in result.findings],
        "properties": {"trt": result.options.get("trt"), "model": result.model},
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def _driver(rules: list) -> dict[str, Any]:
    return {
        "name": "trtready",
        "version": __version__,
        "rules": [_rule(rule) for rule in rules],
    }


def _rule(rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.summary()},
        "fullDescription": {"text": rule.why},
        "help": {"text": rule.fix, "markdown": rule.fix},
        "defaultConfiguration": {"level": LEVELS.get(rule.severity, "warning")},
        "properties": {"tags": [rule.category(), "tensorrt"]},
    }


def _result(finding: Finding, index: dict[str, int], model: str | None, root: Path) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "level": LEVELS.get(finding.severity, "warning"),
        "message": {"text": finding.message},
        "locations": [_location(finding, model, root)],
    }
    if finding.rule_id in index:
        entry["ruleIndex"] = index[finding.rule_id]
    return entry


def _location(finding: Finding, model: str | None, root: Path) -> dict[str, Any]:
    location: dict[str, Any] = {}
    source = finding.source
    if source and source.file and source.line:
        region = {"startLine": source.line} | ({"snippet": {"text": source.code}} if source.code else {})
        location["physicalLocation"] = {"artifactLocation": _artifact(source.file, root), "region": region}
    elif model and Path(model).is_file():
        location["physicalLocation"] = {"artifactLocation": _artifact(model, root)}
    if finding.node or finding.graph_path:
        location["logicalLocations"] = [_logical(finding)]
    return location


def _artifact(file: str, root: Path) -> dict[str, str]:
    path = Path(file).resolve()
    try:
        return {"uri": path.relative_to(root).as_posix(), "uriBaseId": ROOT_ID}
    except ValueError:
        return {"uri": path.as_uri()}


def _logical(finding: Finding) -> dict[str, Any]:
    graph = finding.graph_path or "main"
    name = finding.node or finding.op_type or graph
    logical: dict[str, Any] = {"name": name, "fullyQualifiedName": f"{graph}/{name}"}
    if finding.source and finding.source.module:
        logical["properties"] = {"pytorchModule": finding.source.module}
    return logical
