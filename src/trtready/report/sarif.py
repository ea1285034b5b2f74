"""SARIF 2.1.0 for code scanning and review tools: one builder for every command.

The driver declares, from the catalog (:mod:`trtready.catalog`), every rule the
command can report (check: the checker's rules; doctor: the doctor's checks;
export and fix: rules, checks and verification findings) plus any other code a
result carries, so every result's ``ruleId`` names a declared rule and its
``ruleIndex`` points at it.

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
from ..catalog import Kind, Unit, unit_of, units_of_kind
from ..result import Finding, Result, Severity

__all__ = ["SARIF_SCHEMA", "SARIF_VERSION", "declared_units", "to_sarif"]

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
ROOT_ID = "%SRCROOT%"
#: the kinds of units each command can report
KINDS_BY_COMMAND = {"check": (Kind.RULE,), "doctor": (Kind.DOCTOR,)}


def to_sarif(result: Result, root: str | Path | None = None) -> dict[str, Any]:
    """The SARIF log (a JSON-ready dict) of ``result``'s findings."""
    root = Path(root or Path.cwd()).resolve()
    units = declared_units(result)
    index = {unit.id: i for i, unit in enumerate(units)}
    run = {
        "tool": {"driver": {"name": "trtready", "version": __version__, "rules": [_rule(u) for u in units]}},
        "originalUriBaseIds": {ROOT_ID: {"uri": root.as_uri() + "/"}},
        "results": [_result(f, index, result.model, root) for f in result.findings],
        "properties": {"command": result.command, "trt": result.options.get("trt"), "model": result.model},
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def declared_units(result: Result) -> list[Unit]:
    """The command's units, then a unit for every other code among the findings."""
    units = list(units_of_kind(*KINDS_BY_COMMAND.get(result.command, Kind.FINDINGS)))
    known = {unit.id for unit in units}
    for finding in result.findings:
        if finding.rule_id not in known:
            units.append(unit_of(finding.rule_id) or _unlisted(finding))
            known.add(finding.rule_id)
    return units


def _unlisted(finding: Finding) -> Unit:
    """A code missing from the catalog (a bug the catalog tests guard against) still gets a rule."""
    return Unit(id=finding.rule_id, name=finding.name, kind="unknown", severity=finding.severity,
                summary=finding.name, why="", fix=finding.fix or "")  # fmt: skip


def _rule(unit: Unit) -> dict[str, Any]:
    references = "".join(f"\n- {ref.name}: {ref.url}" for ref in unit.references)
    links = "".join(f"\n- [{ref.name}]({ref.url})" for ref in unit.references)
    rule: dict[str, Any] = {
        "id": unit.id,
        "name": unit.name,
        "shortDescription": {"text": unit.summary},
        "fullDescription": {"text": unit.why or unit.summary},
        "help": {
            "text": unit.fix + (f"\n\nReferences:{references}" if references else ""),
            "markdown": unit.fix + (f"\n\n**References**{links}" if links else ""),
        },
        "defaultConfiguration": {"level": LEVELS.get(unit.severity, "warning")},
        "properties": {"tags": [unit.kind, unit.name.split(".", 1)[0], "tensorrt"]},
    }
    if unit.references:
        rule["helpUri"] = unit.references[0].url
    return rule


def _result(finding: Finding, index: dict[str, int], model: str | None, root: Path) -> dict[str, Any]:
    return {
        "ruleId": finding.rule_id,
        "ruleIndex": index[finding.rule_id],
        "level": LEVELS.get(finding.severity, "warning"),
        "message": {"text": finding.message},
        "locations": [_location(finding, model, root)],
    }


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
