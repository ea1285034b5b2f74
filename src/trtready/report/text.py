"""The export (and fix) summary: attempts, choice, nodes, rewrites and fixes, verification
table, findings with every fix in full, output files and a trtexec command per written
file, as rich renderables. Nothing is cut: long messages wrap. ``verbose`` adds every
pass (also of the attempts not chosen), every exporter warning and every node.

``render_plain(result)`` gives the same summary as plain text (``trtready.summary(result)``).
"""

from __future__ import annotations

import io

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from ..result import Result
from .findings_table import findings_table, fixes_renderable
from .groups import group_findings
from .tone import verdict_text

__all__ = ["attempt_nodes", "export_summary", "print_summary", "render_plain", "timings_line", "verdict_text"]

_STATUS_STYLE = {
    "pass": "green", "fail": "red", "error": "red", "unproved": "red", "degenerate": "yellow", "nondeterministic": "yellow",
}  # fmt: skip
MAX_WARNINGS = 5


def render_plain(result: Result, width: int = 110, *, verbose: bool = False) -> str:
    buffer = io.StringIO()
    print_summary(Console(file=buffer, width=width, no_color=True, highlight=False, emoji=False), result, verbose=verbose)
    return buffer.getvalue()


def print_summary(console: Console, result: Result, *, verbose: bool = False) -> None:
    """The summary, then a trtexec command per written file, unwrapped (so it can be copied), then the verdict."""
    console.print(export_summary(result, verbose=verbose))
    commands = [(f.path, f.trtexec) for f in result.files if f.trtexec]
    if commands:
        console.print("build with TensorRT:")
    for path, command in commands:
        if len(commands) > 1:
            console.print(f"  # {path}", soft_wrap=True, markup=False)
        console.print("  " + command, soft_wrap=True, markup=False)
    console.print(verdict_text(result))


def export_summary(result: Result, *, verbose: bool = False) -> Group:
    parts = [Text(f"trtready {result.command}: {result.model}", style="bold")]
    if result.attempts:
        parts.append(_attempts_table(result, verbose))
    for file in result.files:
        where = f" ({file.path})" if len(result.files) > 1 else ""
        if file.choice_reason:
            parts.append(Text(f"chosen{where}: {file.choice_reason}"))
        if file.nodes_exported is not None:
            parts.append(Text(f"nodes: {file.nodes_exported} exported -> {file.nodes_final} after simplification and fixes"))
    parts += [Text(f"note: {note}") for note in result.notes]
    if result.steps and result.command == "export":
        parts.append(Text(timings_line(result)))
    parts += _passes_parts(result, verbose)
    if result.verification:
        parts.append(_verification_table(result))
    if result.findings:
        parts.append(_findings_table(result, verbose))
    for error in result.errors:
        parts.append(Text(f"error: {error}", style="red"))
    for artifact in result.artifacts:
        batch = f" (batch {artifact.batch})" if artifact.batch else ""
        parts.append(Text(f"wrote {artifact.path}{batch}"))
    return Group(*parts)



def _passes_parts(result: Result, verbose: bool) -> list[Group]:
    """The rewrites and fixes of the file written; ``verbose``: every pass, also of the attempts not chosen."""
    if not verbose:
        fixes = [p for p in result.passes if p.name.startswith(("fix.", "rewrite.")) or p.rolled_back]
        return [_passes_table(fixes, "rewrites and fixes (each verified)")] if fixes else []
    parts = [_passes_table(result.passes, "every pass of the file written")] if result.passes else []
    chosen = {file.exporter for file in result.files}
    others = [a for a in result.attempts if a.passes and a.label not in chosen]
    return parts + [_passes_table(a.passes, f"passes of the {a.label} attempt (not chosen)") for a in others]


def _attempts_table(result: Result, verbose: bool = False) -> Group:
    table = Table(title="exporter attempts", title_justify="left")
    for col in ("exporter", "status", "sec", "nodes", "dyn batch", "verified", "TRT err"):
        table.add_column(col, no_wrap=True)
    notes = []
    for a in result.attempts:
        status = Text("exported", "green") if a.ok else Text("failed", "red")
        table.add_row(
            a.label + (" *" if a.label == result.chosen else ""), status, f"{sum(a.steps.values()) or a.seconds:.1f}",
            attempt_nodes(a), _yes_no(a.batch_symbolic), _yes_no(a.verified), str(a.error_findings) if a.ok else "-",
        )  # fmt: skip
        if a.error:
            notes.append(Text(f"  {a.label}: {a.error}", style="red"))
        shown = a.warnings if verbose else a.warnings[:MAX_WARNINGS]
        notes += [Text(f"  {a.exporter} warned: {w}", style="yellow") for w in shown]
        if len(a.warnings) > len(shown):
            notes.append(Text(f"  {a.exporter}: ... {len(a.warnings) - MAX_WARNINGS} more warnings in --json or with -v"))
    return Group(table, *notes)


def timings_line(result: Result) -> str:
    """``time: 12.3 s: plan 1.1 s; torchscript 3.5 s (export 0.7, simplify 2.4, ...); write 0.0 s``."""
    groups: dict[str, dict[str, float]] = {}
    for key, seconds in result.steps.items():
        head, _, stage = key.partition(": ")
        groups.setdefault(head, {})[stage] = seconds
    parts = []
    for head, stages in groups.items():
        total = sum(stages.values())
        detail = ", ".join(f"{stage} {seconds:.1f}" for stage, seconds in stages.items() if stage)
        parts.append(f"{head} {total:.1f} s" + (f" ({detail})" if detail else ""))
    return f"time: {result.seconds:.1f} s: " + "; ".join(parts)


def attempt_nodes(attempt) -> str:
    """``340 -> 93``: the exporter's nodes and those of the model the attempt ended with."""
    if attempt.nodes_final is None or attempt.nodes_final == attempt.node_count:
        return _opt(attempt.node_count)
    return f"{attempt.node_count} -> {attempt.nodes_final}"


def _passes_table(records, title: str) -> Group:
    table = Table(title=title, title_justify="left")
    for col in ("pass", "status", "nodes", "findings removed"):
        table.add_column(col, no_wrap=True)
    notes = []
    for p in records:
        status = Text("rolled back", "red") if p.rolled_back else Text("applied", "green") if p.modified else Text("nothing to do")
        nodes = f"{p.nodes_before} -> {p.nodes_after}" if p.nodes_before is not None else "-"
        table.add_row(p.name, status, nodes, str(p.findings_removed))
        if p.message:
            notes.append(Text(f"  {p.name}: {p.message}", "yellow" if p.rolled_back else ""))
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
            notes.append(Text(f"  batch {r.batch}, {r.output}: {r.message}", _STATUS_STYLE.get(r.status, "")))
    return Group(table, *notes)


def _findings_table(result: Result, verbose: bool) -> Group:
    table = findings_table(group_findings(result.findings), verbose=verbose)
    return Group(Text("findings", style="italic"), table, fixes_renderable(result.findings))


def _yes_no(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "NO")


def _opt(value) -> str:
    return "-" if value is None else str(value)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.2e}"
