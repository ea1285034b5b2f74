"""Simplification: constant folding, shape inference, pattern eliminations, dead-node and identity removal.

Built from the field's libraries, in turn: onnxslim, onnxscript's optimizer, onnxsim (when it is
installed: it is optional), trtready's fusions and onnx_ir's common passes; past 2 GB of weights the
libraries that work on a protobuf see the model with its large weights held out. A library step
that makes the model invalid, adds nodes or grows the weights (a Tile or Expand folded into a large
constant) is skipped; a step that fails, or turns a dynamic input/output dimension into a constant, rolls the
whole simplification back (the model returns to its state before it). Every step is recorded;
the caller re-verifies the simplified model and falls back to the raw export when
simplification changed the numbers.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable

import onnx
import onnx_ir as ir
import onnxscript.optimizer
from onnx_ir.passes import common

from . import ir as trt_ir
from .errors import one_line
from .fusions import fuse
from .ir import attribute as ir_attribute
from .ir import count_nodes, hold_out_initializers, iter_nodes, tensor_bytes_past, tensor_nbytes, weightless_proto
from .result import PassRecord

__all__ = ["copy_model", "simplify", "weight_bytes"]


def _optimize(model: ir.Model) -> bool:
    before = count_nodes(model)
    onnxscript.optimizer.optimize_ir(model)
    common.TopologicalSortPass()(model)  # the optimizer can leave a node before its inputs' producers
    return count_nodes(model) != before


def _through_proto(name: str, transform: Callable[[onnx.ModelProto], onnx.ModelProto | None]):
    """A step run by a library that works on ``onnx.ModelProto``: the model goes out and back in
    place. Past 2 GB of weights (a proto that size cannot be serialised) the large weights are held
    out: the library sees each as a graph input of its name, type and shape (a value it cannot fold),
    and gets it back as the same initializer, its bytes never copied. Skipped, for an optional
    library, when it is not installed."""

    def step(model: ir.Model) -> bool:
        before = count_nodes(model)
        provenance = _provenance(model)
        work = _without_inner_shapes(model.clone())
        held = hold_out_initializers(work.graph, _large_weight) if tensor_bytes_past(model, trt_ir.EXTERNAL_DATA_BYTES) else {}
        result = transform(ir.to_proto(ir.external_data.load_to_model(work)))  # read now: a test lowers the limit
        if result is None:
            raise StepSkipped(f"{name} returned no model")
        new = ir.from_proto(result)
        _put_back_weights(new, held)
        _replace_graph(model, new)
        _restore_provenance(model, provenance)
        return count_nodes(model) != before

    return step


HELD_OUT_BYTES = 1 << 20  # past 2 GB, weights this large are held out of the proto a library sees


def _large_weight(value: ir.Value) -> bool:
    """An initializer held out of the proto a library sees past 2 GB (not one that is also an input)."""
    return not value.is_graph_input() and tensor_nbytes(value.const_value) >= HELD_OUT_BYTES


def _put_back_weights(model: ir.Model, held: dict[str, ir.TensorProtocol]) -> None:
    """Make the held-out inputs initializers again, with their tensors (a library may have dropped some)."""
    for value in [v for v in model.graph.inputs if v.name in held]:
        model.graph.inputs.remove(value)
        value.const_value = held[value.name]
        model.graph.register_initializer(value)


def _without_inner_shapes(model: ir.Model) -> ir.Model:
    """``model`` with the shapes of its inner values forgotten (dtypes kept): a shape an exporter or
    an earlier step wrote with the export batch as a number (TorchScript writes some) would let a
    library fold ``Shape(x)[0]`` into that number. The libraries infer shapes from the inputs again."""
    io = {id(v) for v in (*model.graph.inputs, *model.graph.outputs)}
    for _, node in iter_nodes(model.graph):
        for value in node.outputs:
            if id(value) not in io:
                value.shape = None
    return model


def _provenance(model: ir.Model) -> dict[str, tuple[str | None, dict[str, str]]]:
    """Each named node's doc string and metadata: where it came from in the PyTorch source."""
    return {n.name: (n.doc_string, dict(n.metadata_props)) for _, n in iter_nodes(model.graph) if n.name}


def _restore_provenance(model: ir.Model, provenance: dict) -> None:
    """Put back the source lines a library dropped (onnxslim keeps no node metadata) on the nodes
    it kept, by name, so findings still point at the PyTorch line."""
    for _, node in iter_nodes(model.graph):
        doc, metadata = provenance.get(node.name, (None, {}))
        node.doc_string = node.doc_string or doc
        for key, value in metadata.items():
            node.metadata_props.setdefault(key, value)


def _onnxslim(proto: onnx.ModelProto) -> onnx.ModelProto | None:
    import onnxslim

    return onnxslim.slim(proto)


def _onnxsim(proto: onnx.ModelProto) -> onnx.ModelProto | None:
    try:
        import onnxsim
    except ImportError:
        raise StepSkipped("onnxsim is not installed (optional: pip install onnxsim)") from None
    simplified, _checked = onnxsim.simplify(proto, check_n=0)
    return simplified


def _replace_graph(model: ir.Model, new: ir.Model) -> None:
    """Give ``model`` the graph (with its opsets) and functions of ``new`` (the caller keeps its object)."""
    model.graph = new.graph
    model.functions.clear()
    model.functions.update(new.functions)
    model.ir_version = max(model.ir_version, new.ir_version)


def _as_step(pass_cls) -> Callable[[ir.Model], bool]:
    return lambda model: pass_cls()(model).modified


class StepSkipped(Exception):
    """A step that did not apply to this model (recorded as such, no rollback)."""


STEPS: list[tuple[str, Callable[[ir.Model], bool]]] = [
    # onnxslim first: on a raw TorchScript export it does most of the work, faster than the optimizer
    ("onnxslim", _through_proto("onnxslim", _onnxslim)),  # folding, pattern eliminations (reshape, slice...)
    ("onnxscript-optimize", _optimize),  # constant folding + shape-aware rewrites
    ("onnxsim", _through_proto("onnxsim", _onnxsim)),  # shape-chain folding with ONNX Runtime
    ("fusions", fuse),  # hand-written layer norms -> LayerNormalization (trtready.fusions)
    ("identity-elimination", _as_step(common.IdentityEliminationPass)),
    ("common-subexpressions", _as_step(common.CommonSubexpressionEliminationPass)),
    ("dead-nodes", _as_step(common.RemoveUnusedNodesPass)),
    ("unused-opsets", _as_step(common.RemoveUnusedOpsetsPass)),
    ("shape-inference", _as_step(common.ShapeInferencePass)),
    ("topological-sort", _as_step(common.TopologicalSortPass)),
]


# Library steps: their output is checked (onnx.checker; no more nodes; no more weight bytes) and the
# step skipped when it fails the check (onnxscript's optimizer can lose outer-scope values used inside
# If branches; a simplifier can fold a broadcast into a constant larger than its inputs).
_CHECKED_STEPS = {"onnxscript-optimize", "onnxslim", "onnxsim", "fusions"}
_GROWTH_BYTES = 2**20  # weights may grow by this much (small folded shapes), not more


def invalid_reason(model: ir.Model) -> str | None:
    """Why onnx.checker refuses the model, or None. It is checked without its weights
    (:func:`~trtready.ir.weightless_proto`), so a model of any size, or with external data, is checked
    without a copy of them."""
    try:
        onnx.checker.check_model(weightless_proto(model), full_check=False)
    except Exception as exc:  # noqa: BLE001 - ValidationError and C++ errors alike
        return one_line(exc)
    return None


def _no_gain(before: ir.Model, after: ir.Model) -> str | None:
    """Why a valid library step's output is not kept: more nodes, or larger weights."""
    if count_nodes(after) > count_nodes(before):
        return f"it added nodes ({count_nodes(before)} -> {count_nodes(after)})"
    grown = weight_bytes(after) - weight_bytes(before)
    if grown > _GROWTH_BYTES:
        return f"it grew the weights by {grown / 2**20:.1f} MiB (a broadcast folded into a constant)"
    return None


def weight_bytes(model: ir.Model) -> int:
    """Bytes of the initializers and of the Constant nodes' values (main graph)."""
    constants = (ir_attribute(n, "value") for n in model.graph if n.op_type == "Constant" and n.domain in ("", "ai.onnx"))
    return sum(tensor_nbytes(v.const_value) for v in model.graph.initializers.values()) + sum(
        tensor_nbytes(a.value) for a in constants if a is not None and a.type == ir.AttributeType.TENSOR
    )


def copy_model(model: ir.Model) -> ir.Model:
    """A copy whose graph, types and shapes can be changed freely; the weight tensors are shared,
    not copied (``ir.Model.clone`` shares the values' type and shape objects too: they are
    copied here, so that ``value.dtype = ...`` on the copy leaves the original as it was)."""
    clone = model.clone()
    for value in _all_values(clone):
        if value.type is not None:
            value.type = copy.deepcopy(value.type)
        if value.shape is not None:
            value.shape = value.shape.copy()
    return clone


def _all_values(model: ir.Model):
    graphs = [model.graph, *model.functions.values()]
    for graph in graphs:
        yield from graph.inputs
        yield from graph.initializers.values()
    for _, node in iter_nodes(model.graph):
        yield from node.outputs
        for attr in node.attributes.values():
            if attr.type == ir.AttributeType.GRAPH:
                yield from attr.value.inputs
            elif attr.type == ir.AttributeType.GRAPHS:
                yield from (value for graph in attr.value for value in graph.inputs)
    for function in model.functions.values():
        for node in function:
            yield from node.outputs


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
        if record.message is not None and record.message.startswith(_SKIPPED):
            continue
        if snapshot is not None:  # a library step: skipped when it failed, did harm or gained nothing
            invalid = None if record.message else invalid_reason(work)
            problem = record.message or (f"made the model invalid: {invalid}" if invalid else None)
            no_gain = None if problem else _no_gain(snapshot, work)
            if problem or no_gain:
                record.message = f"{problem}; step skipped" if problem else f"not kept: {no_gain}"
                record.rolled_back, record.modified = bool(problem), False
                record.nodes_after = record.nodes_before
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


_SKIPPED = "skipped: "


def _run_step(name: str, step, model: ir.Model) -> PassRecord:
    before = count_nodes(model)
    start = time.perf_counter()
    try:
        modified = bool(step(model))
        message = None
    except StepSkipped as skipped:
        modified, message = False, _SKIPPED + str(skipped)
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
