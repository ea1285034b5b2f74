"""Findings grouped for display: by severity, then one group per (rule, source line).

A PyTorch line such as ``x[x > 0]`` often becomes several ONNX nodes that one
rule flags alike; a report shows them as one row naming the nodes. Findings with
no source line stay one row each.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..result import Finding, Severity

__all__ = ["FindingGroup", "display_path", "group_findings", "SEVERITY_TITLES"]

SEVERITY_TITLES = {Severity.ERROR: "Errors", Severity.WARNING: "Warnings", Severity.INFO: "Notes"}


@dataclass
class FindingGroup:
    """Findings of one rule at one place in the user's code."""

    findings: list[Finding] = field(default_factory=list)

    @property
    def first(self) -> Finding:
        return self.findings[0]

    @property
    def where(self) -> str:
        """``model.py:12 (backbone.conv)``, a module, an ONNX subgraph path, or ""."""
        source = self.first.source
        if source is None or not str(source):
            path = self.first.graph_path
            return path if path and path != "main" else ""
        if source.file and source.line:
            where = f"{display_path(source.file)}:{source.line}"
            return f"{where} ({source.module})" if source.module else where
        return str(source)

    def nodes(self, limit: int | None = 3) -> str:
        """``/rpn/NonZero, /rpn/NonZero_1 +2 more`` ("" for model-level findings; ``limit=None``: all)."""
        names = [f.node or f.op_type for f in self.findings if f.node or f.op_type]
        if limit is None or len(names) <= limit:
            return ", ".join(names)
        return ", ".join(names[:limit]) + f" +{len(names) - limit} more"


def group_findings(findings: Iterable[Finding]) -> dict[str, list[FindingGroup]]:
    """Severity (most severe first, only those present) -> groups in first-seen order."""
    groups: dict[tuple, FindingGroup] = {}
    for index, finding in enumerate(findings):
        source = finding.source
        line_key = (source.file, source.line) if source and source.file and source.line else index
        groups.setdefault((finding.severity, finding.rule_id, line_key), FindingGroup()).findings.append(finding)
    by_severity: dict[str, list[FindingGroup]] = {}
    for severity in Severity.ORDER:
        chosen = [group for key, group in groups.items() if key[0] == severity]
        if chosen:
            by_severity[severity] = chosen
    return by_severity


def display_path(file: str) -> str:
    """``file`` relative to the working directory when it lies below it."""
    try:
        return str(Path(file).resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return file
