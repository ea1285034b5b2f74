"""``trtready check --format markdown``: the verdict, one table per severity, and every fix in full.

Meant for pull-request comments and CI job summaries (``$GITHUB_STEP_SUMMARY``).
"""

from __future__ import annotations

from ..result import Finding, Result
from .groups import SEVERITY_TITLES, FindingGroup, group_findings

__all__ = ["findings_markdown", "fixes_markdown"]


def findings_markdown(result: Result) -> str:
    from ..verdict import verdict

    lines = [
        f"## trtready {result.command}: `{result.model}`",
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
    return "\n".join(lines + fixes_markdown(result.findings, "###"))


def fixes_markdown(findings: list[Finding], heading: str) -> list[str]:
    """``How to fix``: each distinct fix once, in full, after its code and name."""
    fixes: dict[tuple[str, str], Finding] = {}
    for finding in findings:
        if finding.fix:
            fixes.setdefault((finding.rule_id, " ".join(finding.fix.split())), finding)
    if not fixes:
        return []
    lines = [f"{heading} How to fix", ""]
    lines += [f"- `{rule_id}` {finding.name}: {fix}" for (rule_id, fix), finding in fixes.items()]
    return lines + [""]


def _row(group: FindingGroup) -> str:
    first = group.first
    where = f"`{_cell(group.where)}`" if group.where else ""
    nodes = _cell(group.nodes(limit=5))
    return f"| `{first.rule_id}` {first.name} | {where} | {nodes} | {_cell(first.message)} |"


def _cell(text: str) -> str:
    """Table-safe: no pipes or newlines."""
    return text.replace("|", "\\|").replace("\n", " ")
