"""The constant evaluator: partial values of small shape and condition expressions.

``Evaluator(model).partial(value)`` gives a :class:`Partial`: the value's
contents with a mask of which elements are known at build time. Shape dims
come from the declared value shapes, merged with ONNX shape inference (with
data propagation) run on a copy, and from Reshape targets whose entries are
known. Supported ops are the ones exporters use for shape arithmetic (Shape,
Size, Gather, Slice, Concat, (Un)Squeeze, Reshape, Cast, Identity, integer
arithmetic, comparisons, logic, Where); anything else is unknown. The walk is
memoised and depth-limited, so asking about any value is cheap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import onnx
import onnx_ir as ir

from .attributes import int_attr, ints_attr
from .constants import STANDARD_DOMAINS, constant_array

__all__ = ["Evaluator", "Partial"]

_MAX_ELEMENTS = 4096
_MAX_DEPTH = 64
_BINARY = {
    "Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Max": np.maximum, "Min": np.minimum,
    "Equal": np.equal, "Greater": np.greater, "Less": np.less, "GreaterOrEqual": np.greater_equal,
    "LessOrEqual": np.less_equal, "And": np.logical_and, "Or": np.logical_or, "Xor": np.logical_xor,
}  # fmt: skip
_UNARY = {"Neg": np.negative, "Abs": np.abs, "Not": np.logical_not, "Identity": lambda a: a}


@dataclass
class Partial:
    value: np.ndarray  # unknown elements hold an arbitrary placeholder (1)
    known: np.ndarray  # bool, same shape

    @property
    def full(self) -> bool:
        return bool(self.known.all())


def _full(array: np.ndarray) -> Partial:
    return Partial(array, np.ones(array.shape, dtype=bool))


class Evaluator:
    """Memoised partial values and dims of one model's main-graph values."""

    def __init__(self, model: ir.Model, *, infer: bool = True) -> None:
        self._cache: dict[ir.Value, Partial | None] = {}
        self._inferred = _inferred_dims(model) if infer else {}

    def constant(self, value: ir.Value | None) -> np.ndarray | None:
        """The value's contents when every element is known at build time."""
        partial = self.partial(value)
        return partial.value if partial is not None and partial.full else None

    def dims(self, value: ir.Value | None) -> list[int | None] | None:
        """The value's dims (None where unknown), or None when even the rank is unknown."""
        if value is None:
            return None
        dims = None if value.shape is None else [d if isinstance(d, int) else None for d in value.shape]
        inferred = self._inferred.get(value.name) if value.name else None
        if dims is None or (inferred is not None and len(inferred) == len(dims)):
            dims = inferred if dims is None else [d if d is not None else i for d, i in zip(dims, inferred)]
        node = value.producer()
        if node is not None and node.op_type == "Reshape" and None in (dims or [None]):
            target = self.partial(node.inputs[1])
            if target is not None and target.value.ndim == 1:
                dims = self._reshape_dims(node, target, dims)
        return dims

    def _reshape_dims(self, node: ir.Node, target: Partial, dims: list | None) -> list | None:
        source = self.dims(node.inputs[0]) if node.inputs[0] is not None else None
        result = []
        for i, (v, k) in enumerate(zip(target.value.tolist(), target.known.tolist())):
            if k and v == 0 and not int_attr(node, "allowzero", 0) and source is not None and i < len(source):
                result.append(source[i])
            else:
                result.append(int(v) if k and v > 0 else None)
        if dims is not None and len(dims) == len(result):
            result = [d if d is not None else r for d, r in zip(dims, result)]
        return result

    def partial(self, value: ir.Value | None, depth: int = 0) -> Partial | None:
        if value is None:
            return None
        if value in self._cache:
            return self._cache[value]
        result = None
        array = constant_array(value)
        if array is not None:
            result = _full(array) if array.size <= _MAX_ELEMENTS else None
        elif depth < _MAX_DEPTH and value.producer() is not None:
            try:
                result = self._evaluate(value.producer(), value.index() or 0, depth + 1)
            except Exception:  # noqa: BLE001 - malformed inputs: simply not foldable
                result = None
            if result is not None and result.value.size > _MAX_ELEMENTS:
                result = None
        self._cache[value] = result
        return result

    def _evaluate(self, node: ir.Node, index: int, depth: int) -> Partial | None:
        op = node.op_type if node.domain in STANDARD_DOMAINS else None
        if op in ("Shape", "Size") and index == 0:
            dims = self.dims(node.inputs[0])
            if dims is None:
                return None
            if op == "Size":
                return _full(np.array(int(np.prod(dims)), dtype=np.int64)) if None not in dims else None
            start, end = int_attr(node, "start", 0), int_attr(node, "end", len(dims))
            dims = dims[start:end]
            return Partial(np.array([1 if d is None else d for d in dims], dtype=np.int64),
                           np.array([d is not None for d in dims], dtype=bool))  # fmt: skip
        args = [self.partial(v, depth) if v is not None else None for v in node.inputs]
        if op is None or not node.inputs or args[0] is None or index != 0:
            return None
        a = args[0]
        if op in _UNARY:
            return Partial(np.asarray(_UNARY[op](a.value)), a.known)
        if op in _BINARY or op in ("Div", "Mod", "Where"):
            if any(p is None for p in args):
                return None
            return _elementwise(node, op, args)
        if op == "Cast":
            return Partial(a.value.astype(ir.DataType(int_attr(node, "to", 1)).numpy()), a.known)
        consts = [p.value if p is not None and p.full else None for p in args[1:]]
        if op == "Gather":
            if consts[0] is None:
                return None
            axis = int_attr(node, "axis", 0)
            return Partial(np.take(a.value, consts[0], axis=axis), np.take(a.known, consts[0], axis=axis))
        if op == "Concat":
            if any(p is None for p in args):
                return None
            axis = int_attr(node, "axis", 0)
            return Partial(np.concatenate([p.value for p in args], axis), np.concatenate([p.known for p in args], axis))
        if op == "Slice":
            if any(c is None for c, v in zip(consts, node.inputs[1:]) if v is not None):
                return None
            index_ = _slices(a.value.ndim, *consts)
            return Partial(a.value[index_], a.known[index_])
        if op in ("Unsqueeze", "Squeeze", "Reshape"):
            shape = _new_shape(op, a.value.shape, consts[0] if consts else None, node)
            return None if shape is None else Partial(a.value.reshape(shape), a.known.reshape(shape))
        return None


def _elementwise(node: ir.Node, op: str, args: list[Partial]) -> Partial:
    known = np.logical_and.reduce(np.broadcast_arrays(*[p.known for p in args]))
    values = [np.where(p.known, p.value, 1).astype(p.value.dtype) for p in args]
    if op == "Where":
        return Partial(np.where(*values), known)
    a, b = values
    if op in _BINARY:
        return Partial(np.asarray(_BINARY[op](a, b)), known)
    if op == "Div":
        if np.issubdtype(a.dtype, np.integer):  # ONNX integer Div truncates toward zero
            return Partial((np.sign(a) * np.sign(b) * (np.abs(a) // np.abs(b))).astype(a.dtype), known)
        return Partial(np.asarray(a / b).astype(a.dtype), known)
    if int_attr(node, "fmod", 0):
        return Partial(np.fmod(a, b), known)
    return Partial(np.mod(a, b), known)


def _slices(rank: int, starts, ends, axes=None, steps=None) -> tuple:
    index = [slice(None)] * rank
    axes = range(len(starts)) if axes is None else axes
    steps = [1] * len(starts) if steps is None else steps
    for start, end, axis, step in zip(starts, ends, axes, steps):
        index[int(axis) % rank] = slice(_clip(start), _clip(end), int(step))
    return tuple(index)


def _clip(v) -> int | None:
    v = int(v)
    return None if abs(v) >= 2**62 else v  # INT64_MAX / INT64_MIN mean "to the end"


def _new_shape(op: str, shape: tuple, axes, node: ir.Node) -> tuple | None:
    rank = len(shape)
    if op == "Reshape":
        if axes is None or int_attr(node, "allowzero", 0):
            return tuple(int(d) for d in axes) if axes is not None and 0 not in axes else None
        return tuple(shape[i] if d == 0 else int(d) for i, d in enumerate(axes))
    if axes is None:  # opset < 13 attribute form
        axes = ints_attr(node, "axes")
    if op == "Squeeze":
        drop = range(rank) if axes is None else {int(a) % rank for a in axes}
        return tuple(d for i, d in enumerate(shape) if not (i in drop and d == 1))
    if axes is None:
        return None
    out_rank = rank + len(axes)
    new = list(shape)
    for axis in sorted(int(a) % out_rank for a in axes):
        new.insert(axis, 1)
    return tuple(new)


def _inferred_dims(model: ir.Model) -> dict[str, list[int | None]]:
    """Main-graph value dims from ONNX shape inference with data propagation, on a copy."""
    try:
        proto = ir.to_proto(model)
        big = [t for t in proto.graph.initializer if np.prod(t.dims, dtype=np.int64) > 1024]
        if big:  # weights do not matter for shapes: declare them as inputs instead
            keep = [t for t in proto.graph.initializer if np.prod(t.dims, dtype=np.int64) <= 1024]
            proto.graph.ClearField("initializer")
            proto.graph.initializer.extend(keep)
            proto.graph.input.extend(onnx.helper.make_tensor_value_info(t.name, t.data_type, t.dims) for t in big)
        inferred = onnx.shape_inference.infer_shapes(proto, data_prop=True)
    except Exception:  # noqa: BLE001 - inference is an optional help
        return {}
    dims = {}
    for info in [*inferred.graph.value_info, *inferred.graph.output]:
        if info.type.HasField("tensor_type") and info.type.tensor_type.HasField("shape"):
            dims[info.name] = [
                d.dim_value if d.HasField("dim_value") else None for d in info.type.tensor_type.shape.dim
            ]
    return dims
