"""The terminal report of ``trtready check``: a findings table in severity sections, then the verdict.

Colour only when the console is a terminal; ``findings_text`` renders the same
report as plain text (for ``-o FILE`` and for tests).
"""

from __future__ import annotations

import io

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from ..checking import verdict
from ..result import Result, Severity
from .groups import FindingGroup, group_findings

__all__ = ["findings_renderable", "findings_table", "findings_text", "print_findings", "shorten"]

STYLES = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
PLAIN_WIDTH = 120
FIX_CHARS = 240  # the full fix text is in JSON/markdown and `trtready explain`


def print_findings(result: Result, console: Console | None = None) -> None:
    """Print the report to ``console`` (default: stdout, coloured when it is a terminal)."""
    console = console or Console()
    console.print(findings_renderable(result))


def findings_text(result: Result, width: int = PLAIN_WIDTH) -> str:
    """The report as plain text, without colour codes."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False)
    print_findings(result, console)
    return buffer.getvalue()


def findings_renderable(result: Result) -> RenderableType:
    parts: list[RenderableType] = [Text(f"Checked {result.model} against TensorRT {result.options.get('trt', '?')}")]
    groups = group_findings(result.findings)
    if groups:
        parts.append(findings_table(groups))
    parts.append(_verdict_line(result))
    if groups:
        first = next(iter(groups.values()))[0].first.rule_id
        parts.append(Text(f"`trtready explain {first}` tells why a rule fires and how to fix it.", style="dim"))
    return Group(*parts)


def findings_table(groups: dict[str, list[FindingGroup]]) -> Table:
    """One section per severity, one row per rule and source line."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("Severity", no_wrap=True)
    table.add_column("Rule", no_wrap=True)
    table.add_column("Where", overflow="fold", max_width=40)
    table.add_column("Finding", ratio=1)
    for severity, rows in groups.items():
        for group in rows:
            rule = Text(group.first.rule_id, style=STYLES[severity]).append(f"\n{group.first.name}", style="dim")
            table.add_row(Text(severity, style=STYLES[severity]), rule, group.where or "-", _finding_cell(group))
        table.add_section()
    return table


def _finding_cell(group: FindingGroup) -> Text:
    cell = Text(group.first.message)
    if len(group.findings) > 1:
        cell.append(f"\n{len(group.findings)} nodes: {group.nodes()}", style="dim")
    if group.first.fix:
        cell.append(f"\nfix: {shorten(group.first.fix, FIX_CHARS)}", style="green")
    return cell


def shorten(text: str, limit: int) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _verdict_line(result: Result) -> Text:
    style = "bold red" if result.count(Severity.ERROR) else "bold green"
    return Text(verdict(result), style=style)
