"""The export (and fix) report as markdown (``--report PATH.md``, ``--format markdown``): attempts,
the rewrites that fired and the fixes applied, verification, findings with every fix in full,
and the files written with a trtexec command each."""

from __future__ import annotations

from ..result import Result, Severity
from ..verdict import verdict
from .markdown import fixes_markdown
from .text import attempt_nodes, timings_line

__all__ = ["export_markdown"]


def export_markdown(result: Result) -> str:
    lines = [f"# trtready {result.command}: {result.model}", "", f"**{verdict(result)}**", ""]
    lines += _attempts(result) + _passes(result) + _verification(result) + _findings(result) + _files(result)
    return "\n".join(lines) + "\n"


def _attempts(result: Result) -> list[str]:
    if not result.attempts:
        return [f"- note: {note}" for note in result.notes] + ([""] if result.notes else [])
    lines = ["## Exporter attempts", "", "| exporter | exported | seconds | nodes | dynamic batch | verified | TRT errors | error / first warning |", "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for a in result.attempts:
        note = a.error or (a.warnings[0] if a.warnings else "")
        lines.append(
            f"| {a.label}{' (chosen)' if a.label == result.chosen else ''} | {_yn(a.ok)} | {sum(a.steps.values()) or a.seconds:.1f} "
            f"| {attempt_nodes(a)} | {_yn(a.batch_symbolic)} | {_yn(a.verified)} | {a.error_findings} | {_cell(note)} |"
        )
    for file in result.files:
        lines += ["", f"Chosen for `{file.path}`: {file.choice_reason}. Nodes: {file.nodes_exported} exported, "
                  f"{file.nodes_final} after simplification. Verified at batches {file.verified_batches or 'none'}."]  # fmt: skip
    lines += [f"- note: {note}" for note in result.notes]
    if result.steps:
        lines += [f"- {timings_line(result)}"]
    return lines + [""]


def _passes(result: Result) -> list[str]:
    """Every rewrite that fired and every fix that ran on the written model, with its full message."""
    records = [p for p in result.passes if p.name.startswith(("rewrite.", "fix.")) or p.rolled_back]
    if not records:
        return []
    lines = ["## Rewrites and fixes", "", "| pass | status | nodes | findings removed | detail |", "|---|---|---|---|---|"]
    for p in records:
        status = "rolled back" if p.rolled_back else "applied" if p.modified else "nothing to do"
        nodes = f"{p.nodes_before} -> {p.nodes_after}" if p.nodes_before is not None else "-"
        lines.append(f"| `{p.name}` | {status} | {nodes} | {p.findings_removed} | {_cell(p.message or '', limit=None)} |")
    return lines + [""]


def _verification(result: Result) -> list[str]:
    if not result.verification:
        return []
    lines = ["## Verification (ONNX Runtime vs PyTorch)", "", "| batch | inputs | output | status | max abs err | rel err | shape | note |", "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in result.verification:
        shape = "x".join(map(str, r.shape)) if r.shape is not None else "-"
        lines.append(f"| {r.batch} | {_cell(r.case or '-')} | {r.output} | {r.status} | {_num(r.max_abs)} | {_num(r.rel_err)} | {shape} | {_cell(r.message or '', limit=None)} |")
    return lines + [""]


def _findings(result: Result) -> list[str]:
    if not result.findings:
        return []
    lines = ["## Findings", ""]
    for severity in Severity.ORDER:
        for f in (f for f in result.findings if f.severity == severity):
            where = f" ({f.location()})" if f.location() else ""
            lines.append(f"- **{severity}** `{f.rule_id}` {f.name}{where}: {f.message}")
    return lines + [""] + fixes_markdown(result.findings, "##")


def _files(result: Result) -> list[str]:
    lines = ["## Files", ""] + [f"- `{a.path}` ({a.kind})" for a in result.artifacts]
    commands = [f for f in result.files if f.trtexec]
    if commands:
        lines += ["", "Build with TensorRT:", "", "```"]
        for file in commands:
            lines += ([f"# {file.path}"] if len(commands) > 1 else []) + [file.trtexec]
        lines.append("```")
    return lines


def _yn(value) -> str:
    return "-" if value is None else ("yes" if value else "no")


def _num(value) -> str:
    return "-" if value is None else f"{value:.2e}"


def _cell(text: str, limit: int | None = 200) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if limit is None else text[:limit]
