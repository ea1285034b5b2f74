"""Differential re-tracing: un-pin the batch of a TorchScript export by comparing two traces.

The TorchScript exporter records Python ints as constants: after
``x.view(int(x.size(0)), -1)``, ``torch.zeros(int(b), 4)``, ``cls.expand(int(b), -1, -1)``
or ``torch.split(z, [b, b])`` the graph inputs keep a symbolic batch but the
file only runs at the batch it was traced at. Instead of guessing which
constants hold the batch from their values, :func:`unpin_by_retrace` compares
two exports of the same model traced at different batch sizes (three, to
prove linearity): a constant that changes between them depends on the batch,
and how it changes is its law. Each one is replaced by nodes computing that
law from the runtime batch ``B = Shape(input)[batch_dim]``:

* integer constants of the same shape: element-wise ``a * B + c``
  (``[2, -1, 1, 1]`` / ``[3, -1, 1, 1]`` -> ``[B, -1, 1, 1]``);
* constants whose size along one axis is linear in the batch: ``Expand`` of
  one slice when all slices are equal (folded ``torch.zeros(b, n, 1)``), a
  ``Range`` for an arithmetic progression (folded ``torch.arange(b) * n``);
* anything else (float values like ``1 / int(b)``, non-linear sizes, a
  different graph because a Python loop over the batch was unrolled) is left
  unresolved, with the Python line when the export kept it (``verbose=True``
  makes the TorchScript exporter write each node's trace into its doc string).

Constants equal in both traces are never touched, so a channel count that
happens to equal the export batch stays a constant.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import onnx_ir as ir
import onnx_ir.passes.common as common

from ..catalog.declared import RETRACE_BATCH
from ..ir import source_of
from ..passes._graph import remove_dead
from ..result import SourceLocation
from ..simplify import _io_dims, _lost_dynamic_dim, copy_model
from ._retrace_build import LawBuilder
from ._retrace_laws import AxisLaw, ValueLaw, fit_law
from ._retrace_match import (
    ConstantUse,
    attribute_changes,
    constant_chain,
    constant_uses,
    divergence,
    significant_nodes,
)

__all__ = ["PASS_NAME", "Replacement", "RetraceResult", "Unresolved", "unpin_by_retrace"]

PASS_NAME = RETRACE_BATCH.id  # "fix.retrace-batch", in the catalog
_LOOP_FIX = (
    "vectorize it over the batch (one batched op, tensor indexing or torch.gather instead of per-sample "
    "code), or move that part into a function compiled with torch.jit.script so it exports as an ONNX Loop"
)
_SIZE_FIX = (
    "keep the size a tensor: x.size(0) / x.shape[0] without int(), -1 in view/reshape, torch.zeros_like or "
    "x.new_zeros((x.shape[0], ...)), torch.arange(x.shape[0]), expand_as"
)
_FLOAT_FIX = "keep the batch a tensor in the arithmetic: x.mean(0) instead of x.sum(0) / int(x.size(0)), x.shape[0]"


@dataclass(frozen=True)
class Replacement:
    """One constant input rebuilt from the runtime batch."""

    node: str  # the node reading it
    op_type: str
    input_index: int
    constant: str  # the constant's name in the export
    law: str  # e.g. "[B, -1, 1, 1]" or "B equal slices along axis 0"
    source: SourceLocation | None = None

    def __str__(self) -> str:
        where = f" ({self.source})" if self.source else ""
        return f"{self.op_type} '{self.node}' input {self.input_index} '{self.constant}' := {self.law}{where}"


@dataclass(frozen=True)
class Unresolved:
    """Why (part of) the batch could not be un-pinned, and what to change in PyTorch."""

    message: str
    node: str | None = None
    source: SourceLocation | None = None

    def __str__(self) -> str:
        return f"{self.source}: {self.message}" if self.source else self.message


@dataclass(frozen=True)
class RetraceResult:
    """``model`` is the un-pinned copy, or None when nothing changes with the batch or something is unresolved."""

    model: ir.Model | None
    replaced: list[Replacement] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)


def unpin_by_retrace(
    model: ir.Model,
    other: ir.Model,
    batch: int,
    other_batch: int,
    batch_dim: int = 0,
    *,
    third: tuple[ir.Model, int] | None = None,
) -> RetraceResult:
    """Replace the constants of ``model`` (traced at ``batch``) that change in ``other`` (traced at ``other_batch``).

    Both are TorchScript exports of the same model with the same dynamic axes;
    ``third`` is an optional ``(export, batch)`` that every law must also
    reproduce. ``model`` and ``other`` are not modified. The result's ``model``
    is None when no constant changes with the batch, or when anything stays
    unresolved (a partly un-pinned file still only runs at the export batch);
    ``replaced`` then still lists what could be rebuilt.
    """
    traces = [(model, batch), (other, other_batch)] + ([third] if third is not None else [])
    batches = [b for _, b in traces]
    if len(set(batches)) != len(batches):
        raise ValueError(f"the traces must be at different batch sizes, got {batches}")
    work = copy_model(model)
    rows, diverged = _pair(work, traces)
    if diverged is not None:
        return RetraceResult(None, unresolved=[diverged])
    source = _batch_source(work, batch_dim)
    uses = constant_uses(rows)
    unresolved = [_attribute_problem(node, name, values, batches) for node, name, values in attribute_changes(rows)]
    if source is None and uses:
        unresolved.append(Unresolved(f"no graph input has a symbolic dim {batch_dim}: export with dynamic_axes on it"))
    if unresolved or not uses:
        return RetraceResult(None, unresolved=unresolved)
    builder = LawBuilder(work.graph, source, batch_dim, PASS_NAME)
    replaced, unresolved = _replace(uses, batches, builder)
    if unresolved:
        return RetraceResult(None, replaced, unresolved)
    builder.insert()
    _refresh_shapes(work, [m for m, _ in traces[1:]], rows, batches, source.shape[batch_dim])
    return RetraceResult(_infer_shapes(work), replaced)


def _pair(work: ir.Model, traces: list[tuple[ir.Model, int]]) -> tuple[list[tuple[ir.Node, ...]], Unresolved | None]:
    """Rows of paired nodes (``work``'s first), or where the traces stop having the same graph."""
    first = significant_nodes(work.graph)
    columns = [first]
    for other, other_batch in traces[1:]:
        if [len(other.graph.inputs), len(other.graph.outputs)] != [len(work.graph.inputs), len(work.graph.outputs)]:
            return [], Unresolved(f"the export at batch {other_batch} has other graph inputs or outputs")
        nodes = significant_nodes(other.graph)
        where = divergence(first, nodes)
        if where is not None:
            return [], _diverged(first, nodes, where, traces[0][1], other_batch)
        columns.append(nodes)
    return list(zip(*columns)), None


def _diverged(
    first: list[ir.Node], second: list[ir.Node], where: tuple[int, int], batch: int, other: int
) -> Unresolved:
    """The unresolved entry for traces whose graphs differ from ``where`` (positions in each) on."""
    i, j = where
    a, b = (first[i] if i < len(first) else None), (second[j] if j < len(second) else None)
    # The node present in the longer trace only is where the per-sample code is.
    extra = (b if len(second) >= len(first) else a) or a or b
    source = source_of(extra) if extra is not None else None
    code = f": `{source.code}`" if source is not None and source.code else ""
    message = (
        f"the traced graph itself depends on the batch: the exports at batch {batch} and {other} have "
        f"{len(first)} and {len(second)} nodes (constants aside) and first differ at node {min(i, j)} "
        f"({_describe(a, batch)} vs "
        f"{_describe(b, other)}){code}. A Python loop or branch over the batch (for i in range(x.shape[0]), "
        f"if x.size(0) > ...) was unrolled by the tracer, so no constant can make it follow the batch. "
        f"Rewrite it in PyTorch: {_LOOP_FIX}."
    )
    return Unresolved(message, node=extra.name if extra is not None else None, source=source)


def _describe(node: ir.Node | None, batch: int) -> str:
    return f"{node.op_type} '{node.name}' at batch {batch}" if node is not None else f"the graph's end at batch {batch}"


def _batch_source(model: ir.Model, batch_dim: int) -> ir.Value | None:
    """The first graph input whose ``batch_dim`` is symbolic."""
    for value in model.graph.inputs:
        shape = value.shape
        if shape is not None and len(shape) > batch_dim and not isinstance(shape[batch_dim], int):
            return value
    return None


def _replace(uses: list[ConstantUse], batches: list[int], builder: LawBuilder) -> tuple[list, list[Unresolved]]:
    """Fit every use and, when all have a law, wire in the rebuilt values; the records and what stays unresolved."""
    laws = [(use, _law(use, batches)) for use in uses]
    unresolved = [_law_problem(use, law) for use, law in laws if isinstance(law, str)]
    planned = [(use, law) for use, law in laws if not isinstance(law, str)]
    records = [_record(use, law) for use, law in planned]
    if unresolved:
        return records, unresolved
    built: dict[tuple, ir.Value] = {}
    for use, law in planned:  # one rebuilt value per constant and law, shared by its readers
        key = (id(use.value), *(str(s.shape).encode() + s.tobytes() for s in use.samples[1:]))
        if key not in built:
            built[key] = builder.build(law, _base_name(use))
        use.node.replace_input_with(use.index, built[key])
        _remove_unused(use.value)
    return records, []


def _law(use: ConstantUse, batches: list[int]) -> ValueLaw | AxisLaw | str:
    if any(s is None for s in use.samples):
        computed = [b for b, s in zip(batches, use.samples) if s is None]
        return f"it is a constant in some traces but computed at batch {', '.join(map(str, computed))}"
    return fit_law(list(zip(batches, use.samples)))


def _law_problem(use: ConstantUse, reason: str) -> Unresolved:
    node, first = use.node, use.samples[0]
    fix = _FLOAT_FIX if first is not None and first.dtype.kind == "f" and first.ndim == 0 else _SIZE_FIX
    what = f"{node.op_type} '{node.name}' input {use.index} ('{use.value.name}')"
    message = f"{what} changes with the batch but {reason}; {fix}"
    return Unresolved(message, node=node.name, source=source_of(node))


def _attribute_problem(node: ir.Node, name: str, values: list, batches: list[int]) -> Unresolved:
    shown = ", ".join(f"{v} at batch {b}" for v, b in zip(values, batches))
    message = (
        f"attribute '{name}' of {node.op_type} '{node.name}' changes with the batch ({shown}); attributes cannot "
        f"follow a dynamic batch: {_SIZE_FIX}"
    )
    return Unresolved(message, node=node.name, source=source_of(node))


def _record(use: ConstantUse, law: ValueLaw | AxisLaw) -> Replacement:
    node = use.node
    name = node.name or node.op_type
    return Replacement(name, node.op_type, use.index, use.value.name or "", str(law), source_of(node))


def _base_name(use: ConstantUse) -> str:
    name = (use.node.name or use.node.op_type).strip("/").replace("/", "_")
    return f"{name}_in{use.index}_batch"


def _remove_unused(value: ir.Value) -> None:
    """Drop the constant behind ``value`` (Constant node, Identity copies, initializer) once nothing reads it."""
    chain = constant_chain(value)
    for link in chain:
        producer = link.producer()
        if producer is not None and producer.graph is not None:
            remove_dead(producer.graph, [link])
    root = chain[-1]
    graph = root.graph
    if root.is_initializer() and graph is not None and not root.uses() and not root.is_graph_output():
        graph.initializers.pop(root.name)


def _refresh_shapes(work: ir.Model, others: list[ir.Model], rows, batches: list[int], symbol) -> None:
    """Declared dims that differ between the traces become symbolic (the batch's own symbol where they equal it)."""
    groups = list(zip(work.graph.outputs, *(m.graph.outputs for m in others)))
    groups += [outs for nodes in rows for outs in zip(*(n.outputs for n in nodes))]
    for values in groups:
        shapes = [v.shape for v in values]
        if any(s is None or len(s) != len(shapes[0]) for s in shapes):
            continue
        dims = [_dim(column, batches, symbol) for column in zip(*shapes)]
        if dims != list(shapes[0]):
            values[0].shape = ir.Shape(dims)


def _dim(column: tuple, batches: list[int], symbol):
    if not all(isinstance(d, int) for d in column) or len(set(column)) == 1:
        return column[0]
    return symbol if list(column) == batches else ir.SymbolicDim(None)


def _infer_shapes(model: ir.Model) -> ir.Model:
    """``model`` after ONNX shape inference, or as it was when inference fails or makes an I/O dim static."""
    inferred = copy_model(model)
    try:
        inferred = common.ShapeInferencePass()(inferred).model
    except Exception:  # noqa: BLE001 - inference is a nicety; the rewrite stands without it
        return model
    return model if _lost_dynamic_dim(_io_dims(model), _io_dims(inferred, strict=False)) else inferred
