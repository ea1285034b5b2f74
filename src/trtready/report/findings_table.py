"""The terminal report of ``trtready check``: a findings table in severity sections, every fix
in full below it, then the verdict.

Colour only when the console is a terminal; ``findings_text`` renders the same
report as plain text (for ``-o FILE`` and for tests). Nothing is cut: table cells
wrap (long words such as addresses fold), and the fixes, which are sentences with
code in them, are printed below the table at the full console width.
"""

from __future__ import annotations

import io

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from ..result import Finding, Result, Severity
from .groups import FindingGroup, group_findings
from .tone import verdict_text

__all__ = ["findings_renderable", "findings_table", "findings_text", "fixes_renderable", "print_findings", "shorten"]

STYLES = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
PLAIN_WIDTH = 120


def print_findings(result: Result, console: Console | None = None, *, verbose: bool = False) -> None:
    """Print the report to ``console`` (default: stdout, coloured when it is a terminal)."""
    console = console or Console()
    console.print(findings_renderable(result, verbose=verbose))


def findings_text(result: Result, width: int = PLAIN_WIDTH, *, verbose: bool = False) -> str:
    """The report as plain text, without colour codes."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False)
    print_findings(result, console, verbose=verbose)
    return buffer.getvalue()


def findings_renderable(result: Result, *, verbose: bool = False) -> RenderableType:
    parts: list[RenderableType] = [Text(f"Checked {result.model} against TensorRT {result.options.get('trt', '?')}")]
    groups = group_findings(result.findings)
    if groups:
        parts += [findings_table(groups, verbose=verbose), fixes_renderable(result.findings)]
    parts.append(verdict_text(result))
    if groups:
        first = next(iter(groups.values()))[0].first.rule_id
        parts.append(Text(f"`trtready explain {first}` tells why a rule fires and how to fix it.", style="dim"))
    return Group(*parts)


def findings_table(groups: dict[str, list[FindingGroup]], *, verbose: bool = False) -> Table:
    """One section per severity, one row per rule and source line (fixes: :func:`fixes_renderable`)."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("Severity", no_wrap=True)
    table.add_column("Rule", overflow="fold")
    table.add_column("Where", overflow="fold", max_width=40)
    table.add_column("Finding", ratio=1, overflow="fold")
    for severity, rows in groups.items():
        for group in rows:
            rule = Text(group.first.rule_id, style=STYLES[severity]).append(f"\n{group.first.name}", style="dim")
            table.add_row(Text(severity, style=STYLES[severity]), rule, group.where or "-", _finding_cell(group, verbose))
        table.add_section()
    return table


def fixes_renderable(findings: list[Finding]) -> RenderableType:
    """``How to fix:`` and each distinct fix once, in full (wrapped at the console width, never cut)."""
    fixes: dict[tuple[str, str], Finding] = {}
    for finding in sorted(findings, key=lambda f: Severity.rank(f.severity)):
        if finding.fix:
            fixes.setdefault((finding.rule_id, " ".join(finding.fix.split())), finding)
    if not fixes:
        return Group()
    lines = [Text("How to fix:", style="bold")]
    for (rule_id, fix), finding in fixes.items():
        lines.append(Text(f"  {rule_id} ", style=STYLES.get(finding.severity, "")).append(f"{finding.name}: ", style="dim").append(fix))
    return Group(*lines)


def _finding_cell(group: FindingGroup, verbose: bool) -> Text:
    cell = Text(group.first.message)
    if len(group.findings) > 1:
        cell.append(f"\n{len(group.findings)} nodes: {group.nodes(limit=None if verbose else 3)}", style="dim")
    return cell


def shorten(text: str, limit: int) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis (for names, never for fixes)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
