"""Reading dtypes as the TensorRT op tables mean them: a value's dtype where the file declares none
(:func:`value_dtype`), the tensor an op's "Supported Types" column is about (:func:`typed_value`), the
doc's type names (:func:`doc_type`) and whether a release lists a node's type (:func:`unlisted_type`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import onnx_ir as ir

from .attributes import attribute, int_attr
from .constants import STANDARD_DOMAINS

if TYPE_CHECKING:
    from ..trt_ops import TrtRelease

__all__ = ["doc_type", "typed_value", "unlisted_type", "value_dtype"]

_DOC_NAMES = {
    ir.DataType.FLOAT: "FP32",
    ir.DataType.FLOAT16: "FP16",
    ir.DataType.BFLOAT16: "BF16",
    ir.DataType.DOUBLE: "DOUBLE",
    ir.DataType.INT32: "INT32",
    ir.DataType.INT64: "INT64",
    ir.DataType.INT8: "INT8",
    ir.DataType.UINT8: "UINT8",
    ir.DataType.INT4: "INT4",
    ir.DataType.BOOL: "BOOL",
    ir.DataType.FLOAT8E4M3FN: "FP8",
    ir.DataType.FLOAT8E5M2: "FP8",
    ir.DataType.FLOAT4E2M1: "FP4",
}
#: The column describes this input rather than input 0.
_DATA_INPUT = {"Where": 1, "OneHot": 2}
#: The column describes the output (the inputs are shapes or there are none).
_OUTPUT_TYPED = frozenset({"ConstantOfShape", "Constant", "EyeLike", "RandomNormal", "RandomUniform"})
#: Type-converting ops, control flow and Q/DQ: their column is not about one data tensor.
_SKIP = frozenset({"Cast", "CastLike", "If", "Loop", "Scan", "QuantizeLinear", "DequantizeLinear"})
_BOOL_RESULT = frozenset(
    {"Equal", "Greater", "GreaterOrEqual", "Less", "LessOrEqual", "Not", "And", "Or", "Xor", "IsNaN", "IsInf"}
)
_INT64_RESULT = frozenset({"Shape", "Size", "NonZero", "ArgMax", "ArgMin"})


# ops whose output 0 has the dtype of their input 0 (they move or pick elements)
_SAME_DTYPE = {
    "Transpose", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Slice", "Identity", "Expand", "Tile",
    "Gather", "GatherElements", "GatherND", "Concat", "Split", "Pad", "DepthToSpace", "SpaceToDepth",
}  # fmt: skip


def _dtype(code) -> ir.DataType | None:
    """An ONNX dtype code as DataType; None for a code no release knows (a corrupt file)."""
    try:
        return ir.DataType(code)
    except (ValueError, TypeError):
        return None


def value_dtype(value: ir.Value | None) -> ir.DataType | None:
    """The declared dtype, or the one the producer fixes (Cast, Constant, comparisons, Shape...)
    or passes on (layout and gather ops keep their data input's dtype)."""
    while value is not None and value.dtype is None:
        node = value.producer()
        if node is None or node.op_type not in _SAME_DTYPE or node.domain not in STANDARD_DOMAINS or not node.inputs:
            break
        value = node.inputs[0]
    if value is None:
        return None
    if value.dtype is not None:
        return value.dtype
    node = value.producer()
    if node is None or node.domain not in STANDARD_DOMAINS:
        return None
    if node.op_type == "Cast":
        return _dtype(int_attr(node, "to", None))
    constant = attribute(node, "value") if node.op_type == "Constant" else None
    if constant is not None:
        return constant.value.dtype
    if node.op_type == "QuantizeLinear":
        zero_point = node.inputs[2] if len(node.inputs) > 2 else None
        return value_dtype(zero_point) if zero_point is not None else ir.DataType.UINT8
    if node.op_type in _BOOL_RESULT and value.index() == 0:
        return ir.DataType.BOOL
    if node.op_type in _INT64_RESULT:
        return ir.DataType.INT64
    return None


def typed_value(node: ir.Node) -> ir.Value | None:
    """The tensor whose dtype the TensorRT op table's type column constrains."""
    op = node.op_type  # read once: onnx_ir properties cost a call each
    if op in _SKIP or node.domain not in STANDARD_DOMAINS:
        return None
    if op in _OUTPUT_TYPED:
        outputs = node.outputs
        return outputs[0] if outputs else None
    index, inputs = _DATA_INPUT.get(op, 0), node.inputs
    return inputs[index] if index < len(inputs) else None


def doc_type(dtype: ir.DataType | None) -> str | None:
    """``ir.DataType.FLOAT`` -> ``"FP32"`` (names as the parser docs write them)."""
    return _DOC_NAMES.get(dtype) if dtype is not None else None


def unlisted_type(trt: TrtRelease, node: ir.Node, wanted: str) -> str | None:
    """Release ``trt``'s documented types of the op when ``wanted`` is the node's type but not among
    them, else None."""
    value = typed_value(node)
    if value is None or doc_type(value_dtype(value)) != wanted:
        return None
    types = trt.types(node.op_type)
    if not types or wanted in types or not trt.supports(node.op_type):
        return None
    return ", ".join(types)
