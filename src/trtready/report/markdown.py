"""``trtready check --format markdown``: the verdict and one table per severity.

Meant for pull-request comments and CI job summaries (``$GITHUB_STEP_SUMMARY``).
"""

from __future__ import annotations

from ..checking import verdict
from ..result import Result
from .groups import SEVERITY_TITLES, FindingGroup, group_findings

__all__ = ["findings_markdown"]


def findings_markdown(result: Result) -> str:
    lines = [
        f"## trtready check: `{result.model}`",
        "",
        f"**{verdict(result)}**",
        "",
    ]
    if not result.findings:
        lines += ["No findings.", ""]
    for severity, groups in group_findings(result.findings).items():
        lines += [f"### {SEVERITY_TITLES[severity]} ({result.count(severity)})", ""]
        lines += ["| Rule | Where | Nodes | Finding |", "|------|-------|-------|---------|"]
        lines += [_row(group) for group in groups]
        lines.append("")
    return "\n".join(lines)


def _row(group: FindingGroup) -> str:
    first = group.first
    where = f"`{_cell(group.where)}`" if group.where else ""
    nodes = _cell(group.nodes(limit=5))
    return f"| `{first.rule_id}` {first.name} | {where} | {nodes} | {_cell(first.message)} |"


def _cell(text: str) -> str:
    """Table-safe: no pipes or newlines."""
    return text.replace("|", "\\|").replace("\n", " ")
