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

import onnx
import onnx_ir as ir
import onnx_ir.passes.common as common
import onnxscript.optimizer

from .errors import one_line
from .ir import count_nodes, tensor_nbytes
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


# Steps whose output is checked with onnx.checker (and skipped when invalid):
# onnxscript's optimizer can lose outer-scope values used inside If branches.
_CHECKED_STEPS = {"onnxscript-optimize"}
_CHECKABLE_BYTES = 2**30


def invalid_reason(model: ir.Model) -> str | None:
    """Why onnx.checker refuses the model, or None (also None when too big to check in memory)."""
    size = sum(tensor_nbytes(v.const_value) for v in model.graph.initializers.values())
    if size > _CHECKABLE_BYTES:
        return None
    try:
        onnx.checker.check_model(ir.to_proto(model), full_check=False)
    except Exception as exc:  # noqa: BLE001 - ValidationError and C++ errors alike
        return one_line(exc)
    return None


def copy_model(model: ir.Model) -> ir.Model:
    return ir.from_proto(ir.to_proto(model))


def simplify(model: ir.Model) -> tuple[ir.Model, list[PassRecord]]:
    """Simplify a copy of ``model``; return it (or the original on rollback) and the pass records."""
    work = copy_model(model)
    signature = _io_dims(work)
    declared = _forget_exporter_dim_names(work)
    records = []
    for name, step in STEPS:
        snapshot = copy_model(work) if name in _CHECKED_STEPS else None
        record = _run_step(name, step, work)
        records.append(record)
        if snapshot is not None and record.message is None and (problem := invalid_reason(work)):
            record.message, record.rolled_back = f"made the model invalid, step skipped: {problem}", True
            work = snapshot
            continue
        if record.message is None and _lost_dynamic_dim(signature, _io_dims(work, strict=False)):
            record.message = "made a dynamic input/output dimension static"
        if record.message is not None:
            record.rolled_back = True
            return model, records
    _restore_unknown_dims(work, declared)
    return work, records


def _forget_exporter_dim_names(model: ir.Model) -> dict:
    """Clear output shapes that carry exporter-made dim names (``Resizeout_dim_1``).

    The TorchScript exporter names every dim it could not infer; shape inference
    often can, once the names are out of the way. Returns the old shapes.
    """
    declared = {}
    for value in model.graph.outputs:
        if value.shape is not None and any(_is_named_dim(d) for d in value.shape):
            declared[value.name] = value.shape
            value.shape = None
    return declared


def _restore_unknown_dims(model: ir.Model, declared: dict) -> None:
    for value in model.graph.outputs:
        old = declared.get(value.name)
        if old is None:
            continue
        new = value.shape
        if new is None or len(new) != len(old):
            value.shape = old
            continue
        value.shape = ir.Shape([n if isinstance(n, int) else o for n, o in zip(new, old)])


def _is_named_dim(dim) -> bool:
    return not isinstance(dim, int) and dim.value not in (None, "batch")


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


def _io_dims(model: ir.Model, strict: bool = True) -> list:
    """Which input dims, and which output dims named like an input dim, are dynamic (by position).

    Other symbolic output dims are the exporter's "could not infer" names, which
    shape inference may legitimately resolve to constants. ``strict=False``
    counts every symbolic dim as dynamic (for the state after a step, where
    inference may have renamed a dim).
    """
    inputs = model.graph.inputs
    symbols = {d.value for v in inputs if v.shape is not None for d in v.shape if not isinstance(d, int)}
    flags = [None if v.shape is None else tuple(not isinstance(d, int) for d in v.shape) for v in inputs]
    for v in model.graph.outputs:
        flags.append(None if v.shape is None else tuple(
            not isinstance(d, int) and (not strict or d.value is None or d.value in symbols) for d in v.shape))  # fmt: skip
    return flags


def _lost_dynamic_dim(before: list, after: list) -> bool:
    for old, new in zip(before, after):
        if old is None or new is None or len(old) != len(new):
            continue
        if any(was and not now for was, now in zip(old, new)):
            return True
    return False
