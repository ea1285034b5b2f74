"""The export summary: attempts, choice, nodes, verification table, findings,
output files and the trtexec command, as rich renderables.

``render_plain(result)`` gives the same summary as plain text (``Result.summary()``).
"""

from __future__ import annotations

import io

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from ..result import Result, Severity
from .findings_table import findings_table, shorten
from .groups import group_findings

__all__ = ["export_summary", "print_summary", "render_plain", "verdict"]

_STATUS_STYLE = {
    "pass": "green", "fail": "red", "error": "red", "unproved": "red", "degenerate": "yellow", "nondeterministic": "yellow",
}  # fmt: skip
MAX_WARNINGS = 5


def render_plain(result: Result, width: int = 110) -> str:
    buffer = io.StringIO()
    print_summary(Console(file=buffer, width=width, no_color=True, highlight=False, emoji=False), result)
    return buffer.getvalue()


def print_summary(console: Console, result: Result) -> None:
    """The summary, then the trtexec command unwrapped (so it can be copied), then the verdict."""
    console.print(export_summary(result))
    if result.trtexec:
        console.print("build with TensorRT:")
        console.print("  " + result.trtexec, soft_wrap=True, markup=False)
    console.print(verdict(result))


def export_summary(result: Result) -> Group:
    parts = [Text(f"trtready {result.command}: {result.model}", style="bold")]
    if result.attempts:
        parts.append(_attempts_table(result))
    for file in result.files:
        where = f" ({file.path})" if len(result.files) > 1 else ""
        parts.append(Text(f"chosen{where}: {file.choice_reason}"))
        parts.append(Text(f"nodes: {file.nodes_exported} exported -> {file.nodes_final} after simplification and fixes"))
    parts += [Text(f"note: {note}") for note in result.notes]
    fixes = [p for p in result.passes if p.name.startswith(("fix.", "rewrite.")) or p.rolled_back]
    if fixes:
        parts.append(_passes_table(fixes))
    if result.verification:
        parts.append(_verification_table(result))
    if result.findings:
        parts.append(_findings_table(result))
    for error in result.errors:
        parts.append(Text(f"error: {error}", style="red"))
    for artifact in result.artifacts:
        batch = f" (batch {artifact.batch})" if artifact.batch else ""
        parts.append(Text(f"wrote {artifact.path}{batch}"))
    return Group(*parts)


def verdict(result: Result) -> Text:
    errors, warnings = result.count(Severity.ERROR), result.count(Severity.WARNING)
    if result.command == "fix" and result.written:
        label, style = "fixed file written", "bold green" if not errors else "bold yellow"
    elif bool(result):
        label = "verified" + (f", {errors} TensorRT error(s) remain" if errors else "")
        style = "bold green" if not errors else "bold yellow"
    elif result.written:
        label, style = "written but NOT verified", "bold red"
    else:
        label, style = "no file written", "bold red"
    return Text(f"result: {label}; {errors} error(s), {warnings} warning(s) found", style=style)


def _attempts_table(result: Result) -> Group:
    table = Table(title="exporter attempts", title_justify="left")
    for col in ("exporter", "status", "sec", "nodes", "dyn batch", "verified", "TRT err"):
        table.add_column(col, no_wrap=True)
    notes = []
    for a in result.attempts:
        status = Text("exported", "green") if a.ok else Text("failed", "red")
        table.add_row(
            a.label + (" *" if a.label == result.chosen else ""), status, f"{a.seconds:.1f}",
            _opt(a.node_count), _yes_no(a.batch_symbolic), _yes_no(a.verified), str(a.error_findings) if a.ok else "-",
        )  # fmt: skip
        if a.error:
            notes.append(Text(f"  {a.label}: {a.error}", style="red"))
        notes += [Text(f"  {a.exporter} warned: {w}", style="yellow") for w in a.warnings[:MAX_WARNINGS]]
        if len(a.warnings) > MAX_WARNINGS:
            notes.append(Text(f"  {a.exporter}: ... {len(a.warnings) - MAX_WARNINGS} more warnings in --json"))
    return Group(table, *notes)


def _passes_table(records) -> Group:
    table = Table(title="rewrites and fixes (each verified)", title_justify="left")
    for col in ("pass", "status", "nodes", "findings removed"):
        table.add_column(col, no_wrap=True)
    notes = []
    for p in records:
        status = Text("rolled back", "red") if p.rolled_back else Text("applied", "green") if p.modified else Text("nothing to do")
        nodes = f"{p.nodes_before} -> {p.nodes_after}" if p.nodes_before is not None else "-"
        table.add_row(p.name, status, nodes, str(p.findings_removed))
        if p.message:
            notes.append(Text(f"  {p.name}: {shorten(p.message, 300)}", "yellow" if p.rolled_back else ""))
    return Group(table, *notes)


def _verification_table(result: Result) -> Group:
    table = Table(title="verification: ONNX Runtime vs PyTorch", title_justify="left")
    for col in ("batch", "inputs", "output", "status", "max abs err", "rel err", "shape"):
        table.add_column(col, no_wrap=col != "inputs")
    notes = []
    for r in result.verification:
        shape = "x".join(map(str, r.shape)) if r.shape is not None else "-"
        status = Text(r.status, _STATUS_STYLE.get(r.status, ""))
        table.add_row(str(r.batch), r.case or "-", r.output, status, _num(r.max_abs), _num(r.rel_err), shape)
        if r.message:
            notes.append(Text(f"  batch {r.batch}, {r.output}: {shorten(r.message, 300)}", _STATUS_STYLE.get(r.status, "")))
    return Group(table, *notes)


def _findings_table(result: Result) -> Group:
    return Group(Text("findings", style="italic"), findings_table(group_findings(result.findings)))


def _yes_no(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "NO")


def _opt(value) -> str:
    return "-" if value is None else str(value)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.2e}"
