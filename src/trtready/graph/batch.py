"""Batch provenance: whether a value's dim 0 is the (dynamic) batch, and where a shape's entries
come from. TRT207 (``check``) and ``fix.unpin-batch`` ask the same :class:`CarriesBatch`.

:class:`CarriesBatch` follows where dim 0 comes from: the symbolic dim that shape inference or the
exporter gives it (``batch``, ``2*batch``: yes; ``height``, ``floor(width/2) + 1``, a number: not the
batch, by :class:`BatchSymbols`), else its producer (an op that keeps dim 0: :func:`dim0_source`, or a
Reshape/Expand/Tile/ConstantOfShape whose target's first entry is read from a batched tensor's
``Shape``: :func:`element_origin`). A ``1`` in front of an anchor grid or a position table
(``arange(h)``, ``pos[:n].view(1, n, d)``) is not a batch. :func:`shape_head` reads the constant
leading entries of a shape input, as exporters write a pinned batch.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import onnx_ir as ir

from .attributes import int_attr, ints_attr
from .constants import STANDARD_DOMAINS, constant_array
from .forward import ForwardAnalysis

__all__ = [
    "BATCH_PRESERVING_OPS",
    "BatchSymbols",
    "CarriesBatch",
    "Origin",
    "batch_analysis",
    "dim0_source",
    "element_origin",
    "merged_shape",
    "shape_head",
]

#: Ops whose output dim 0 is their (broadcast) inputs' dim 0.
BATCH_PRESERVING_OPS = frozenset(
    {
        "Abs", "Add", "AveragePool", "BatchNormalization", "Cast", "Ceil", "Clip", "Conv", "ConvTranspose", "Cos",
        "Div", "Dropout", "Elu", "Erf", "Exp", "Floor", "Gelu", "GlobalAveragePool", "GlobalMaxPool",
        "GroupNormalization", "HardSigmoid", "HardSwish", "Identity", "InstanceNormalization", "LayerNormalization",
        "LeakyRelu", "Log", "LogSoftmax", "LpNormalization", "MaxPool", "Max", "Min", "Mish", "Mod", "Mul", "Neg",
        "Not", "Pow", "PRelu", "Reciprocal", "Relu", "Resize", "Round", "Selu", "Sigmoid", "Sign", "Sin", "Softmax",
        "Softplus", "Softsign", "Sqrt", "Sub", "Tanh", "ThresholdedRelu", "Where",
    }
)  # fmt: skip


ShapeOf = Callable[[ir.Value], "ir.Shape | None"]
_SHAPED_OPS = frozenset({"Reshape", "Expand", "Tile", "ConstantOfShape"})
_SYMBOL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?![A-Za-z0-9_]*\s*\()")  # a name, not a function (floor, Max...)


class BatchSymbols:
    """Which symbolic dim names stand for the batch.

    The names at dim 0 of the graph inputs are the batch (unless a name is also another axis of
    an input: a square ``[n, n]`` input's ``n`` is no batch); every other input dim name (``height``,
    ``seq``) is a known size that is not the batch. A dim written as an expression (``2*batch``,
    ``floor(width/2) + 1``, as torch.export and onnxslim write them) is the batch's when it names
    the batch, and not when it names only other input sizes.
    """

    def __init__(self, input_shapes: Iterable[ir.Shape | None] = ()) -> None:
        first: set[str] = set()
        other: set[str] = set()
        for shape in input_shapes:
            for axis, dim in enumerate(shape or ()):
                name = _dim_name(dim)
                if name:
                    (other if axis else first).add(name)
        self.batch = frozenset(first - other)
        self.other = frozenset(other)
        self._verdicts: dict[str, bool | None] = {}

    def is_batch(self, dim: object) -> bool | None:
        """True: the batch or a size computed from it; False: another input's size; None: cannot tell
        (a number, which a pinned shape upstream may have made static, or a name of unknown origin)."""
        name = _dim_name(dim)
        if not name:
            return None
        if name not in self._verdicts:
            self._verdicts[name] = self._read(name)
        return self._verdicts[name]

    def _read(self, name: str) -> bool | None:
        if name in self.batch or name in self.other:
            return name in self.batch
        tokens = set(_SYMBOL.findall(name))
        if tokens & self.batch:
            return True
        return False if tokens and tokens <= self.other else None


class CarriesBatch(ForwardAnalysis[bool]):
    """``carries_batch(value) -> bool``: its dim 0 is the batch, or flows from it (see the module doc).

    A symbolic dim 0 that :class:`BatchSymbols` can place decides. Otherwise the producer does: an
    op that keeps dim 0 (elementwise ops, a Linear's Gemm/MatMul, a ReduceMean over the spatial
    axes, a Transpose keeping axis 0 first...: :func:`dim0_source`) passes its input's answer on;
    a Reshape/Expand/Tile/ConstantOfShape answers from the first entry of its target shape
    (:func:`element_origin`): ``0`` copies the input's dim 0, ``Shape(x)[0]`` is ``x``'s dim 0, an
    entry read from another axis is that axis, and a literal other than 1 on a batched input keeps
    the batch (a pinned batch: what the code meant), while ``1`` moves the batch elsewhere.
    """

    cycle_fact = False

    def __init__(self, shape_of: ShapeOf | None = None, symbols: BatchSymbols | None = None) -> None:
        super().__init__()
        self._shape_of = shape_of or (lambda value: value.shape)
        self._symbols = symbols or BatchSymbols()
        self._origins: dict[ir.Node, Origin] = {}

    def leaf(self, value: ir.Value, node: ir.Node | None) -> bool | None:
        shape = self._shape_of(value)
        if shape is not None and len(shape) == 0:
            return False
        verdict = self._symbols.is_batch(shape[0]) if shape is not None else None
        if verdict is not None:
            return verdict
        if node is None or value.const_value is not None or node.domain not in STANDARD_DOMAINS:
            return False
        op = node.op_type
        if op not in _SHAPED_OPS and op not in BATCH_PRESERVING_OPS and dim0_source(node) is None:
            return False
        return None

    def dependencies(self, node: ir.Node) -> list[ir.Value]:
        if node.op_type not in _SHAPED_OPS:
            return super().dependencies(node)
        data = [node.inputs[0]] if _has_data(node) else []
        return data + [v for v, axis in self._origin(node).dims if axis == 0]

    def combine(self, node: ir.Node, facts: list[bool]) -> bool:
        if node.op_type in _SHAPED_OPS:
            return self._shaped(node, facts)
        if node.op_type in BATCH_PRESERVING_OPS or node.op_type == "Concat":  # Concat: every input shares dim 0
            return any(facts)
        return bool(facts) and facts[0]  # dim0_source: input 0

    def _shaped(self, node: ir.Node, facts: list[bool]) -> bool:
        op, origin = node.op_type, self._origin(node)
        has_data = _has_data(node)
        data = has_data and facts[0]
        if origin.literal is not None:
            if op == "ConstantOfShape":
                return False
            if op == "Reshape":
                keeps = origin.literal != 1 and not (origin.literal == 0 and int_attr(node, "allowzero", 0))
                return data and keeps
            return data  # Expand/Tile: the data's dim 0, broadcast or repeated (or pinned)
        read = iter(facts[1:] if has_data else facts)
        from_target = False
        for value, axis in origin.dims:
            from_target |= next(read) if axis == 0 else self._axis_is_batch(value, axis)
        return from_target or (op in ("Expand", "Tile") and data)

    def _axis_is_batch(self, value: ir.Value, axis: int) -> bool:
        shape = self._shape_of(value)
        return shape is not None and axis < len(shape) and self._symbols.is_batch(shape[axis]) is True

    def _origin(self, node: ir.Node) -> Origin:
        origin = self._origins.get(node)
        if origin is None:
            index = 0 if node.op_type == "ConstantOfShape" else 1
            target = node.inputs[index] if len(node.inputs) > index else None
            origin = self._origins[node] = element_origin(target, 0, self._shape_of)
        return origin


def _has_data(node: ir.Node) -> bool:
    """A Reshape/Expand/Tile with its data input (ConstantOfShape has none)."""
    return node.op_type != "ConstantOfShape" and bool(node.inputs) and node.inputs[0] is not None


@dataclass(frozen=True)
class Origin:
    """Where one element of a shape tensor comes from: a ``literal``, or the ``dims`` (value, axis) it
    is computed from (``Shape(x)[0]`` is ``((x, 0),)``; ``b * n`` names both); neither: unknown."""

    literal: int | None = None
    dims: tuple[tuple[ir.Value, int], ...] = ()


_PASS_ELEMENTS = frozenset({"Unsqueeze", "Squeeze", "Cast", "Identity", "Reshape", "Flatten"})
_SCALAR_ARITHMETIC = frozenset({"Add", "Sub", "Mul", "Div", "Max", "Min", "Mod"})
_MAX_DEPTH = 32


def element_origin(value: ir.Value | None, index: int, shape_of: ShapeOf, depth: int = 0) -> Origin:
    """Where element ``index`` of a 1-D (or 0-D) integer shape tensor comes from (see :class:`Origin`),
    through the ops exporters assemble shapes with: Shape, Gather, Slice, Concat, (Un)Squeeze, Cast,
    and integer arithmetic."""
    if value is None or depth > _MAX_DEPTH:
        return Origin()
    array = constant_array(value)
    if array is not None:
        flat = array.reshape(-1)
        ok = index < flat.size and np.issubdtype(flat.dtype, np.integer)
        return Origin(literal=int(flat[index])) if ok else Origin()
    node = value.producer()
    if node is None or node.domain not in STANDARD_DOMAINS or not node.inputs or node.inputs[0] is None:
        return Origin()
    op, source = node.op_type, node.inputs[0]
    if op == "Shape":
        return _shape_element(node, index, shape_of)
    if op in _PASS_ELEMENTS:
        return element_origin(source, index, shape_of, depth + 1)
    if op == "Concat":
        return _concat_element(node, index, shape_of, depth)
    if op in ("Gather", "Slice"):
        position = _picked(node, index)
        return Origin() if position is None else element_origin(source, position, shape_of, depth + 1)
    if op in _SCALAR_ARITHMETIC:
        parts = [element_origin(v, index if _length(v, shape_of) != 1 else 0, shape_of, depth + 1) for v in node.inputs]
        return Origin(dims=tuple(d for part in parts for d in part.dims))
    return Origin()


def _shape_element(node: ir.Node, index: int, shape_of: ShapeOf) -> Origin:
    start = int_attr(node, "start", 0)
    if start < 0:
        shape = shape_of(node.inputs[0])
        if shape is None:
            return Origin()
        start += len(shape)
    return Origin(dims=((node.inputs[0], start + index),))


def _concat_element(node: ir.Node, index: int, shape_of: ShapeOf, depth: int) -> Origin:
    if int_attr(node, "axis", 0) not in (0, -1):
        return Origin()
    for piece in node.inputs:
        length = _length(piece, shape_of)
        if length is None:  # the element is in this piece only if it comes first
            return element_origin(piece, index, shape_of, depth + 1) if index == 0 else Origin()
        if index < length:
            return element_origin(piece, index, shape_of, depth + 1)
        index -= length
    return Origin()


def _picked(node: ir.Node, index: int) -> int | None:
    """The element of input 0 that element ``index`` of a 1-D Gather/Slice output reads, when constant."""
    if node.op_type == "Gather":
        indices = constant_array(node.inputs[1]) if len(node.inputs) > 1 else None
        if indices is None or int_attr(node, "axis", 0) != 0 or index >= indices.size:
            return None
        picked = int(indices.reshape(-1)[index])
        return picked if picked >= 0 else None
    starts, steps = (constant_array(node.inputs[i]) if len(node.inputs) > i else None for i in (1, 4))
    axes = _axes(node)
    if starts is None or starts.size != 1 or (axes is not None and axes != [0]) or int(starts[0]) < 0:
        return None
    step = 1 if steps is None else int(steps.reshape(-1)[0])
    return int(starts[0]) + index * step if step > 0 else None


def _length(value: ir.Value | None, shape_of: ShapeOf) -> int | None:
    """The number of elements of a small 1-D (or 0-D) shape tensor, when static."""
    if value is None:
        return None
    array = constant_array(value)
    if array is not None:
        return int(array.size)
    shape = shape_of(value)
    if shape is None or len(shape) > 1:
        return None
    return 1 if len(shape) == 0 else (shape[0] if isinstance(shape[0], int) else None)


def _dim_name(dim: object) -> str | None:
    if isinstance(dim, int) or dim is None:
        return None
    value = getattr(dim, "value", dim)
    return value if isinstance(value, str) and value else None


#: Ops whose output dim 0 is input 0's dim 0 when ``_keeps_axis0`` says axis 0 is left alone.
_AXIS_OPS = frozenset(
    {
        "ArgMax", "ArgMin", "Concat", "Flatten", "Gather", "MatMul", "ReduceL1", "ReduceL2", "ReduceLogSum",
        "ReduceLogSumExp", "ReduceMax", "ReduceMean", "ReduceMin", "ReduceProd", "ReduceSum", "ReduceSumSquare",
        "Slice", "Split", "Squeeze", "Transpose", "Unsqueeze",
    }
)  # fmt: skip


def dim0_source(node: ir.Node) -> int | None:
    """The input whose dim 0 becomes the output's dim 0 (0, or None when the op may move or change it)."""
    if node.domain not in STANDARD_DOMAINS or not node.inputs or node.inputs[0] is None:
        return None
    if node.op_type == "Gemm":
        return None if int_attr(node, "transA", 0) else 0
    if node.op_type in _AXIS_OPS and _keeps_axis0(node):
        return 0
    return None


def _keeps_axis0(node: ir.Node) -> bool:
    op = node.op_type
    if op == "MatMul":  # x @ W, q @ k^T: the left operand's leading dim
        return True
    if op == "Transpose":
        perm = ints_attr(node, "perm")
        return perm is not None and perm[:1] == [0]
    if op == "Flatten":
        return int_attr(node, "axis", 1) == 1
    if op in ("ArgMax", "ArgMin", "Concat", "Gather", "Split"):
        return int_attr(node, "axis", 0) != 0
    axes = _axes(node)
    if axes is None:  # Reduce* without axes reduces everything; Squeeze without axes may drop dim 0
        return False
    rank = len(node.inputs[0].shape) if node.inputs[0].shape is not None else None
    return all(a != 0 and (rank is None or a % rank != 0) for a in axes)  # -1 on rank 1 is dim 0


def _axes(node: ir.Node) -> list[int] | None:
    """Constant axes from the attribute or (opset 13/18+) the ``axes`` input (Slice: input 3)."""
    axes = ints_attr(node, "axes")
    if axes is not None:
        return axes
    index = 3 if node.op_type == "Slice" else 1
    array = constant_array(node.inputs[index]) if len(node.inputs) > index else None
    return None if array is None else [int(a) for a in array.reshape(-1)]


def batch_analysis(model: ir.Model) -> CarriesBatch:
    """``check``'s batch analysis for a model outside a check (the unpin pass), after shape inference."""
    from ..ir import infer_types_and_shapes  # the I/O helpers import this layer's traversal

    inferred = infer_types_and_shapes(model)

    def shape_of(value: ir.Value) -> ir.Shape | None:
        return merged_shape(value.shape, inferred.get(value.name or ""))

    return CarriesBatch(shape_of, BatchSymbols(shape_of(v) for v in model.graph.inputs))


def merged_shape(declared: ir.Shape | None, inferred: ir.Shape | None) -> ir.Shape | None:
    """``declared``, its unnamed symbolic dims taken from ``inferred`` (of the same rank)."""
    if declared is None or inferred is None or len(declared) != len(inferred):
        return declared if declared is not None else inferred
    if all(isinstance(d, int) or d.value for d in declared):
        return declared
    return ir.Shape([d if isinstance(d, int) or d.value else i for d, i in zip(declared, inferred)])


def shape_head(value: ir.Value | None) -> tuple[np.ndarray, list[ir.Value]] | None:
    """A 1-D shape input as ``(constant leading entries, computed pieces after them)``, or None.

    A constant gives ``(literal, [])``. The TorchScript exporter writes
    ``x.view(int(b), c)`` with ``c`` read from ``x.shape`` as
    ``Concat(Constant([2]), Unsqueeze(Gather(Shape(x), 1)))``: that gives ``([2], [Unsqueeze output])``.
    """
    literal, rest = constant_array(value), []
    node = value.producer() if value is not None and literal is None else None
    if node is not None and node.op_type == "Concat" and node.domain in STANDARD_DOMAINS and _axis0_pieces(node):
        literal, rest = constant_array(node.inputs[0]), list(node.inputs[1:])
    if literal is None or literal.ndim != 1 or literal.size == 0 or not np.issubdtype(literal.dtype, np.integer):
        return None
    return literal.astype(np.int64), rest


def _axis0_pieces(concat: ir.Node) -> bool:
    """A Concat along axis 0 with every input given."""
    return bool(concat.inputs) and int_attr(concat, "axis", None) == 0 and None not in concat.inputs
