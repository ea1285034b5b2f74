"""The doctor's report: the findings table and every fix at the user's line (text), or
check's markdown report under the doctor's heading and verdict (markdown).

JSON, SARIF and the one-line formats are the same for every command (``cli/reporting``).
"""

from __future__ import annotations

import io

from rich.console import Console

from ..result import Finding, Result
from ..verdict import verdict
from .findings_table import PLAIN_WIDTH, findings_table
from .groups import group_findings
from .markdown import findings_markdown

__all__ = ["doctor_markdown", "doctor_text", "where"]


def doctor_text(result: Result, *, verbose: bool = False) -> str:
    """Plain text: heading, findings table, one fix line per finding, notes, verdict. ``verbose``:
    every place of a grouped row, and how long each step took."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=PLAIN_WIDTH, color_system=None, force_terminal=False)
    console.print(f"Doctor's report for {result.model} (both exporters; {result.seconds:.1f}s)")
    groups = group_findings(result.findings)
    if groups:
        console.print(findings_table(groups, verbose=verbose))
        console.print("Fixes:")
        for finding in result.findings:
            console.print(f"  {finding.rule_id} {where(finding)}: {finding.fix}", soft_wrap=True, markup=False)
    for error in result.errors:
        console.print(f"note: {error}", markup=False)
    if verbose and result.steps:
        steps = "; ".join(f"{name} {seconds:.1f}s" for name, seconds in result.steps.items())
        console.print(f"Steps: {steps} (the TorchScript and torch.export probes run at once)", soft_wrap=True, markup=False)
    console.print(verdict(result))
    return buffer.getvalue()


def doctor_markdown(result: Result) -> str:
    """Markdown: check's report (tables, every fix in full), headed and worded for the doctor."""
    return findings_markdown(result)


def where(finding: Finding) -> str:
    """``file:line``, else the module path, else ``model``."""
    source = finding.source
    if source and source.file and source.line:
        return f"{source.file}:{source.line}"
    return source.module if source and source.module else "model"
