"""Int64ToInt32Pass: run ops that TensorRT cannot run on INT64 in INT32, where provably exact.

From TensorRT 9.0 INT64 is native, but MatMul, Gemm, Conv, pooling, NonZero,
CumSum... list no INT64 (TRT402). The pass finds those nodes (the rule's own
logic, for the release given to the constructor) and converts their INT64
data inputs to INT32 only when nothing can overflow:

* every converted input has a known bound below 2**31: a constant (its values
  are range-checked and it is replaced by an INT32 ``Constant``), or a
  ``Cast`` to INT64 from a type of at most 32 bits (bool, int8/16/32, uint8/16);
* the op's result stays within INT32 too: NonZero, ArgMax/ArgMin and
  ReduceMax/ReduceMin only select or index; MatMul (and Gemm with alpha = beta =
  1, no transposes needed) is bounded by ``|a| * |b| * K`` with a static inner
  dim K (plus ``|c|``); CumSum by ``|x| * n`` with a static axis length n.

Other inputs get a stamped ``Cast(to=INT32)``; an INT32 result is cast back to
INT64 (stamped) so the rest of the graph is unchanged. Shape-like inputs
(Reshape shapes and the like) are never touched: ONNX requires INT64 there.
When any condition fails the node is left alone and not reported modified.
Exact whenever it applies; graph inputs of unknown range (the rule's INVALID
example) are never converted.
"""

from __future__ import annotations

import numpy as np
import onnx_ir as ir
import onnx_ir.passes

from ..graph.attributes import float_attr, int_attr
from ..graph.constants import constant_array
from ..graph.dtypes import unlisted_type, value_dtype
from ..graph.traversal import iter_nodes
from ..trt_ops import load_release
from ._graph import insert_constant, names_in, unique_name
from .base import FixPass, stamp

__all__ = ["UNFIXABLE_EXAMPLES", "Int64ToInt32Pass"]

_HEADER = '<ir_version: 8, opset_import: ["" : 17]>'
_I32_MAX = 2**31 - 1
_NARROW = {ir.DataType.BOOL: 1, ir.DataType.INT8: 128, ir.DataType.UINT8: 255, ir.DataType.INT16: 2**15,
           ir.DataType.UINT16: 2**16 - 1, ir.DataType.INT32: 2**31}  # fmt: skip
_SELECTING = frozenset({"NonZero", "ArgMax", "ArgMin", "ReduceMax", "ReduceMin"})
_DATA_INPUTS = {"MatMul": (0, 1), "Gemm": (0, 1, 2), "CumSum": (0,)}

UNFIXABLE_EXAMPLES: list[tuple[str, int, str]] = [
    ("TRT402", 0, "MatMul of two INT64 graph inputs: their range is unknown, INT32 could overflow"),
]


class Int64ToInt32Pass(FixPass):
    """Compute INT64 MatMul/Gemm/CumSum/NonZero/ArgMax... in INT32 when no value can overflow."""

    name = "fix.int64-to-int32"
    fixes = ("TRT402",)
    description = "Convert INT64 data of ops without INT64 support to INT32 where a range check proves it exact."
    EXAMPLES = [
        f"""{_HEADER}
g (int16[N,4] a) => (int64[N,3] y) <int64[4,3] w = {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}}> {{
  a64 = Cast <to = 7> (a)
  y = MatMul(a64, w)
}}""",
        f"""{_HEADER}
g (bool[N,4] mask) => (int64[2,M] y) {{
  m64 = Cast <to = 7> (mask)
  y = NonZero(m64)
}}""",
    ]

    def __init__(self, trt: str | None = None) -> None:
        super().__init__()
        self.trt = trt

    def call(self, model: ir.Model) -> onnx_ir.passes.PassResult:
        release = load_release(self.trt)
        if not release.native_int64:
            return onnx_ir.passes.PassResult(model, False)
        graph, taken, modified = model.graph, names_in(model.graph), False
        for path, node in list(iter_nodes(graph)):
            if path != "main" or not unlisted_type(release, node, "INT64"):
                continue
            indices = _DATA_INPUTS.get(node.op_type, (0,))
            bounds = [_bound(node.inputs[i]) if i < len(node.inputs) else 0 for i in indices]
            if None in bounds or not _result_fits(node, bounds):
                continue
            for i in indices:
                if i < len(node.inputs) and node.inputs[i] is not None:
                    node.replace_input_with(i, self._narrow(graph, node, node.inputs[i], taken))
            if node.op_type not in _SELECTING:
                self._widen_output(graph, node, taken)
            stamp(node, self.name)
            modified = True
        return onnx_ir.passes.PassResult(model, modified)

    def _narrow(self, graph: ir.Graph, node: ir.Node, value: ir.Value, taken: set[str]) -> ir.Value:
        array = constant_array(value)
        if array is not None:
            return insert_constant(graph, node, array.astype(np.int32), self.name, taken, f"{value.name or 'c'}_int32")
        cast = stamp(ir.node("Cast", [value], {"to": int(ir.DataType.INT32)}, name=unique_name(taken, "to_int32")), self.name)
        cast.outputs[0].name = cast.name
        cast.outputs[0].dtype, cast.outputs[0].shape = ir.DataType.INT32, value.shape
        graph.insert_before(node, cast)
        return cast.outputs[0]

    def _widen_output(self, graph: ir.Graph, node: ir.Node, taken: set[str]) -> None:
        out = node.outputs[0]
        cast = stamp(ir.node("Cast", [out], {"to": int(ir.DataType.INT64)}, name=unique_name(taken, "to_int64")), self.name)
        wide = cast.outputs[0]
        wide.dtype, wide.shape = ir.DataType.INT64, out.shape
        graph.insert_after(node, cast)
        if out.is_graph_output():
            wide.name, out.name = out.name, unique_name(taken, f"{out.name}_int32")
        else:
            wide.name = unique_name(taken, f"{out.name}_int64")
        for use in [u for u in out.uses() if u.node is not cast]:
            use.node.replace_input_with(use.idx, wide)
        graph.outputs[:] = [wide if v is out else v for v in graph.outputs]
        out.type = ir.TensorType(ir.DataType.INT32)  # a new type: a copy of the model may share this one


def _bound(value: ir.Value | None) -> int | None:
    """A bound on ``|value|`` known to be < 2**31, or None."""
    if value is None:
        return 0
    array = constant_array(value)
    if array is not None:
        top = int(np.abs(array.astype(np.int64)).max(initial=0))
        return top if top <= _I32_MAX and int(array.min(initial=0)) >= -_I32_MAX else None
    node = value.producer()
    if node is not None and node.op_type == "Cast" and node.inputs[0] is not None:
        return _NARROW.get(value_dtype(node.inputs[0]))
    return None


def _result_fits(node: ir.Node, bounds: list[int]) -> bool:
    op = node.op_type
    if op in _SELECTING:
        return True
    if op in ("MatMul", "Gemm"):
        a, b = node.inputs[0], node.inputs[1]
        if op == "Gemm" and any(float_attr(node, k, 1.0) != 1.0 for k in ("alpha", "beta")):
            return False
        if not isinstance(k_dim := _inner_dim(node, a, b), int):
            return False
        extra = bounds[2] if len(bounds) > 2 else 0
        return bounds[0] * bounds[1] * k_dim + extra <= _I32_MAX
    if op == "CumSum":
        axis = constant_array(node.inputs[1])
        shape = node.inputs[0].shape
        if axis is None or shape is None:
            return False
        length = shape[int(axis.reshape(-1)[0]) % len(shape)]
        return isinstance(length, int) and bounds[0] * length <= _I32_MAX
    return False


def _inner_dim(node: ir.Node, a: ir.Value, b: ir.Value) -> int | None:
    """The static reduction length K of a MatMul/Gemm, from either operand."""
    gemm = node.op_type == "Gemm"
    for value, index in ((a, 0 if gemm and int_attr(node, "transA", 0) else -1),
                         (b, 1 if gemm and int_attr(node, "transB", 0) else -2)):  # fmt: skip
        if value.shape is not None and len(value.shape) >= 2 and isinstance(value.shape[index], int):
            return value.shape[index]
    return None

