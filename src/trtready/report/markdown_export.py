"""The export report as markdown (``--report PATH.md``)."""

from __future__ import annotations

from ..result import Result, Severity
from .text import verdict

__all__ = ["export_markdown"]


def export_markdown(result: Result) -> str:
    lines = [f"# trtready export: {result.model}", "", f"**{verdict(result).plain}**", ""]
    lines += _attempts(result) + _verification(result) + _findings(result) + _files(result)
    return "\n".join(lines) + "\n"


def _attempts(result: Result) -> list[str]:
    lines = ["## Exporter attempts", "", "| exporter | exported | seconds | nodes | dynamic batch | verified | TRT errors | error / first warning |", "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for a in result.attempts:
        note = a.error or (a.warnings[0] if a.warnings else "")
        lines.append(
            f"| {a.label}{' (chosen)' if a.label == result.chosen else ''} | {_yn(a.ok)} | {a.seconds:.1f} "
            f"| {a.node_count or '-'} | {_yn(a.batch_symbolic)} | {_yn(a.verified)} | {a.error_findings} | {_cell(note)} |"
        )
    for file in result.files:
        lines += ["", f"Chosen for `{file.path}`: {file.choice_reason}. Nodes: {file.nodes_exported} exported, "
                  f"{file.nodes_final} after simplification. Verified at batches {file.verified_batches or 'none'}."]  # fmt: skip
    lines += [f"- note: {note}" for note in result.notes]
    return lines + [""]


def _verification(result: Result) -> list[str]:
    if not result.verification:
        return []
    lines = ["## Verification (ONNX Runtime vs PyTorch)", "", "| batch | inputs | output | status | max abs err | rel err | shape | note |", "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in result.verification:
        shape = "x".join(map(str, r.shape)) if r.shape is not None else "-"
        lines.append(f"| {r.batch} | {_cell(r.case or '-')} | {r.output} | {r.status} | {_num(r.max_abs)} | {_num(r.rel_err)} | {shape} | {_cell(r.message or '')} |")
    return lines + [""]


def _findings(result: Result) -> list[str]:
    if not result.findings:
        return []
    lines = ["## Findings", ""]
    for severity in Severity.ORDER:
        for f in (f for f in result.findings if f.severity == severity):
            where = f" ({f.location()})" if f.location() else ""
            lines.append(f"- **{severity}** `{f.rule_id}` {f.name}{where}: {f.message}" + (f"  \n  fix: {f.fix}" if f.fix else ""))
    return lines + [""]


def _files(result: Result) -> list[str]:
    lines = ["## Files", ""] + [f"- `{a.path}` ({a.kind})" for a in result.artifacts]
    if result.trtexec:
        lines += ["", "Build with TensorRT:", "", "```", result.trtexec, "```"]
    return lines


def _yn(value) -> str:
    return "-" if value is None else ("yes" if value else "no")


def _num(value) -> str:
    return "-" if value is None else f"{value:.2e}"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")[:200]
