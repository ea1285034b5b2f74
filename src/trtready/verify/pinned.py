"""Explain a verification failure at another batch size: which constant pinned the batch.

When the file passes at the export batch but fails at another one, the usual
cause is a shape constant that captured the export batch: ``view(int(x.size(0)), -1)``
or ``torch.zeros(x.shape[0], ...)`` traced into a Reshape/Expand/Tile/
ConstantOfShape literal. We name the node ONNX Runtime complained about and the
nodes whose shape constant holds the export batch at the batch axis, with the
Python line when node metadata (or a tracer warning) has it.
"""

from __future__ import annotations

import re

import numpy as np
import onnx_ir as ir

from ..catalog.declared import BATCH_PINNED
from ..ir import iter_nodes, source_of
from ..result import Finding, Severity, SourceLocation, VerifyRow

RULE_ID, RULE_NAME, FIX = BATCH_PINNED.id, BATCH_PINNED.name, BATCH_PINNED.fix  # VER001, in the catalog
_SHAPE_INPUT = {"Reshape": 1, "Expand": 1, "Tile": 1, "ConstantOfShape": 0, "Range": 1}
_ORT_NODE = re.compile(r"Name:'([^']+)'")
_TRACER_INT = re.compile(r'^(?P<file>.+?):(?P<line>\d+): TracerWarning: (?P<msg>Converting a tensor to a Python (integer|index).*)')


def diagnose_batch_failure(
    model: ir.Model, rows: list[VerifyRow], export_batch: int, batch_dim: int, warnings: list[str]
) -> list[Finding]:
    """Findings for rows that fail at a batch other than the export batch (none if none fail)."""
    failed = [
        r for r in rows
        if r.batch != export_batch and r.status in ("fail", "error") and not (r.message or "").startswith("PyTorch")
    ]  # fmt: skip
    if not failed or any(r.batch == export_batch and r.status in ("fail", "error") for r in rows):
        return []
    nodes = _suspects(model, export_batch, batch_dim, failed)
    hint = _tracer_hint(warnings)
    findings = [_finding(node, why, failed[0], export_batch, hint) for node, why in nodes]
    if not findings:
        findings.append(_unlocated(failed[0], export_batch, hint))
    return findings


def _suspects(model: ir.Model, export_batch: int, batch_dim: int, failed: list[VerifyRow]):
    named = {m for r in failed for m in _ORT_NODE.findall(r.message or "")}
    found = []
    for _, node in iter_nodes(model.graph):
        if node.name in named:
            found.append((node, "ONNX Runtime failed in this node"))
        elif _holds_batch(node, export_batch, batch_dim):
            found.append((node, f"its shape constant holds the export batch {export_batch} at axis {batch_dim}"))
    return found


def _holds_batch(node: ir.Node, export_batch: int, batch_dim: int) -> bool:
    index = _SHAPE_INPUT.get(node.op_type)
    if index is None or len(node.inputs) <= index or node.inputs[index] is None:
        return False
    tensor = ir.convenience.get_const_tensor(node.inputs[index])
    if tensor is None:
        return False
    values = np.asarray(tensor.numpy()).reshape(-1)
    return values.size > batch_dim and int(values[batch_dim]) == export_batch and export_batch > 1


def _tracer_hint(warnings: list[str]) -> SourceLocation | None:
    for line in warnings:
        m = _TRACER_INT.match(line)
        if m:
            return SourceLocation(file=m["file"], line=int(m["line"]), code=None)
    return None


def _finding(node, why, row, export_batch, hint) -> Finding:
    source = source_of(node)
    if hint and (source is None or source.line is None):
        source = SourceLocation(file=hint.file, line=hint.line, module=source.module if source else None)
    return Finding(
        rule_id=RULE_ID,
        name=RULE_NAME,
        severity=Severity.ERROR,
        message=(
            f"the batch is pinned to {export_batch}: output '{row.output}' fails at batch {row.batch} "
            f"({row.message}); {node.op_type} '{node.name}': {why}"
        ),
        node=node.name,
        op_type=node.op_type,
        graph_path="main",
        source=source,
        fix=FIX,
        stage="verify",
    )


def _unlocated(row, export_batch, hint) -> Finding:
    return Finding(
        rule_id=RULE_ID,
        name=RULE_NAME,
        severity=Severity.ERROR,
        message=f"output '{row.output}' is right at batch {export_batch} but not at batch {row.batch}: {row.message}",
        source=hint,
        fix=FIX,
        stage="verify",
    )
