"""Simplification: constant folding, shape inference, dead-node and identity removal.

Built from onnxscript's optimizer and onnx_ir's common passes. A step that
fails, or that turns a dynamic input/output dimension into a constant, is
rolled back (the model returns to its state before simplification) and
recorded; the caller re-verifies the simplified model and falls back to the raw
export when simplification changed the numbers.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import onnx_ir as ir
import onnx_ir.passes.common as common
import onnxscript.optimizer

from .errors import one_line
from .ir import count_nodes
from .result import PassRecord

__all__ = ["copy_model", "simplify"]


def _optimize(model: ir.Model) -> bool:
    before = count_nodes(model)
    onnxscript.optimizer.optimize_ir(model)
    return count_nodes(model) != before


def _as_step(pass_cls) -> Callable[[ir.Model], bool]:
    return lambda model: pass_cls()(model).modified


STEPS: list[tuple[str, Callable[[ir.Model], bool]]] = [
    ("onnxscript-optimize", _optimize),  # constant folding + shape-aware rewrites
    ("identity-elimination", _as_step(common.IdentityEliminationPass)),
    ("common-subexpressions", _as_step(common.CommonSubexpressionEliminationPass)),
    ("dead-nodes", _as_step(common.RemoveUnusedNodesPass)),
    ("unused-opsets", _as_step(common.RemoveUnusedOpsetsPass)),
    ("shape-inference", _as_step(common.ShapeInferencePass)),
    ("topological-sort", _as_step(common.TopologicalSortPass)),
]


def copy_model(model: ir.Model) -> ir.Model:
    return ir.from_proto(ir.to_proto(model))


def simplify(model: ir.Model) -> tuple[ir.Model, list[PassRecord]]:
    """Simplify a copy of ``model``; return it (or the original on rollback) and the pass records."""
    work = copy_model(model)
    signature = _io_dims(work)
    records = []
    for name, step in STEPS:
        record = _run_step(name, step, work)
        records.append(record)
        if record.message is None and _lost_dynamic_dim(signature, _io_dims(work)):
            record.message = "made a dynamic input/output dimension static"
        if record.message is not None:
            record.rolled_back = True
            return model, records
    return work, records


def _run_step(name: str, step, model: ir.Model) -> PassRecord:
    before = count_nodes(model)
    start = time.perf_counter()
    try:
        modified = bool(step(model))
        message = None
    except Exception as exc:  # noqa: BLE001 - a failing optimizer step is recorded, not fatal
        modified, message = False, one_line(exc)
    return PassRecord(
        name=name,
        modified=modified,
        seconds=time.perf_counter() - start,
        nodes_before=before,
        nodes_after=count_nodes(model),
        message=message,
    )


def _io_dims(model: ir.Model) -> list:
    """Which graph input/output dims are dynamic (by position)."""
    values = [*model.graph.inputs, *model.graph.outputs]
    return [
        None if v.shape is None else tuple(not isinstance(d, int) for d in v.shape) for v in values
    ]


def _lost_dynamic_dim(before: list, after: list) -> bool:
    for old, new in zip(before, after):
        if old is None or new is None or len(old) != len(new):
            continue
        if any(was and not now for was, now in zip(old, new)):
            return True
    return False
