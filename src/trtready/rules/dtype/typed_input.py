"""Which tensor an op's "Supported Types" column talks about, and the doc's type names (not a rule).

The dtype rules read one table, :func:`dtype_table`, found in one pass over the nodes and shared
through ``Context.shared``: the node outputs, and every node's typed tensor, whose dtype some dtype
rule refuses somewhere or cannot be told, by dtype. Each rule then reads only the rows of its dtype
(no rule walks every node again).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

import onnx_ir as ir

from ...errors import InternalError
from ...result import Finding, Severity
from ..context import STANDARD_DOMAINS

__all__ = [
    "REFUSED_ANYWHERE",
    "REFUSED_BY_SOME_OPS",
    "DtypeTable",
    "doc_type",
    "dtype_findings",
    "dtype_table",
    "typed_value",
    "unknown_dtype_findings",
    "unknown_outputs_finding",
    "unlisted_type",
    "value_dtype",
]

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
        return _dtype(node.attributes["to"].value)
    if node.op_type == "Constant" and "value" in node.attributes:
        return node.attributes["value"].value.dtype
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


def unlisted_type(ctx, node: ir.Node, wanted: str) -> str | None:
    """The op's documented types when ``wanted`` is the node's type but not among them, else None."""
    value = typed_value(node)
    if value is None or doc_type(value_dtype(value)) != wanted:
        return None
    types = ctx.trt.types(node.op_type)
    if not types or wanted in types or not ctx.trt.supports(node.op_type):
        return None
    return ", ".join(types)


#: The dtypes :class:`DtypeTable` keeps rows of (with the unknown ones): what the dtype rules refuse.
#: A new dtype rule adds its dtype here. Values TensorRT refuses wherever they are (TRT401, TRT404):
REFUSED_ANYWHERE = frozenset({ir.DataType.DOUBLE, ir.DataType.UINT8})
#: Data some ops' documented types do not list (TRT402, TRT403):
REFUSED_BY_SOME_OPS = frozenset({ir.DataType.INT64, ir.DataType.BOOL})

Row = tuple[str, ir.Node, ir.Value]  # (graph path, node, value)


@dataclass(frozen=True)
class DtypeTable:
    """The values the dtype rules judge, by dtype (None: unknown), each list in graph order (subgraphs
    included). Other rows (FP32, FP16..., most of a model) are not kept."""

    #: node outputs by :func:`value_dtype`: :data:`REFUSED_ANYWHERE` and None
    outputs: dict[ir.DataType | None, list[Row]]
    #: every node's :func:`typed_value` by its dtype: :data:`REFUSED_BY_SOME_OPS` and None
    typed: dict[ir.DataType | None, list[Row]]


def dtype_table(ctx) -> DtypeTable:
    """The model's :class:`DtypeTable`, found once per check."""
    return ctx.shared(_dtype_table)


def _dtype_table(ctx) -> DtypeTable:
    outputs: dict[ir.DataType | None, list[Row]] = defaultdict(list)
    typed: dict[ir.DataType | None, list[Row]] = defaultdict(list)
    for path, node in ctx.nodes:
        for value in node.outputs:
            dtype = value.dtype  # declared (most are): value_dtype only for the others
            if dtype is None:
                dtype = value_dtype(value)
            if dtype is None or dtype in REFUSED_ANYWHERE:
                outputs[dtype].append((path, node, value))
        value = typed_value(node)
        if value is not None:
            dtype = value.dtype
            if dtype is None:
                dtype = value_dtype(value)
            if dtype is None or dtype in REFUSED_BY_SOME_OPS:
                typed[dtype].append((path, node, value))
    return DtypeTable(dict(outputs), dict(typed))


def dtype_findings(rule, ctx, wanted: str) -> Iterator[Finding]:
    """A rule refusing ``wanted`` (``"INT64"``, ``"BOOL"``) data where the op's documented types do not
    list it: one finding per such op, then the INFO notes of :func:`unknown_dtype_findings`."""
    table = dtype_table(ctx)
    listing: dict[str, tuple[str, ...] | None] = {}

    def refusing(op: str) -> tuple[str, ...] | None:
        if op not in listing:
            types = ctx.trt.types(op)
            listing[op] = types if types and wanted not in types and ctx.trt.supports(op) else None
        return listing[op]

    dtypes = sorted(d for d in REFUSED_BY_SOME_OPS if doc_type(d) == wanted)
    if not dtypes:
        raise InternalError(f"the dtype table keeps no {wanted} rows: add its dtype to REFUSED_BY_SOME_OPS")
    for dtype in dtypes:
        for path, node, _ in table.typed.get(dtype, ()):
            types = refusing(node.op_type)
            if types is not None:
                yield rule.finding(f"{_describe(node)} gets {wanted} data; TensorRT {ctx.trt.version} lists {', '.join(types)}", node, path)
    unknown = []
    for path, node, value in table.typed.get(None, ()):
        types = refusing(node.op_type)
        if types is not None and ctx.constant(value) is None:
            unknown.append((path, node, value, ", ".join(types)))
    yield from unknown_dtype_findings(rule, ctx, wanted, unknown)


#: Unknown-dtype notes a rule gives one by one; past this, one note counts the rest.
UNKNOWN_SHOWN = 3


def unknown_dtype_findings(rule, ctx, wanted: str, unknown: list[tuple[str, ir.Node, ir.Value, str]]) -> Iterator[Finding]:
    """A rule that judges dtypes says where it could not tell one (INFO), instead of passing silently:
    ``unknown`` holds ``(graph path, node, tensor, documented types)`` of ops that do not list ``wanted``."""
    for path, node, value, listed in unknown[:UNKNOWN_SHOWN]:
        yield rule.finding(
            f"could not tell the dtype of '{value.name}' fed to {_describe(node)}: if it is {wanted}, TensorRT "
            f"{ctx.trt.version} refuses it there (lists {listed})",
            node, path, severity=Severity.INFO,
        )  # fmt: skip
    if len(unknown) > UNKNOWN_SHOWN:
        ops = sorted({node.op_type for _, node, _, _ in unknown[UNKNOWN_SHOWN:]})
        yield rule.finding(
            f"could not tell the dtype of the data fed to {len(unknown) - UNKNOWN_SHOWN} more ops that do not "
            f"list {wanted} ({', '.join(ops[:8])}{', ...' if len(ops) > 8 else ''})",
            path="main", severity=Severity.INFO,
        )  # fmt: skip


def _describe(node: ir.Node) -> str:
    return f"{node.op_type} '{node.name}'" if node.name else node.op_type


def unknown_outputs_finding(rule, ctx, wanted: str) -> Iterator[Finding]:
    """A rule refusing values of one dtype anywhere (``wanted``: DOUBLE, UINT8) says, in one INFO, how
    many node outputs it could not tell the dtype of, instead of passing them silently."""
    unknown = [(path, node, value) for path, node, value in dtype_table(ctx).outputs.get(None, ()) if ctx.constant(value) is None]
    if not unknown:
        return
    path, node, _ = unknown[0]
    shown = ", ".join(f"'{value.name}' ({n.op_type})" for _, n, value in unknown[:UNKNOWN_SHOWN])
    more = f" and {len(unknown) - UNKNOWN_SHOWN} more" if len(unknown) > UNKNOWN_SHOWN else ""
    yield rule.finding(
        f"could not tell the dtype of {len(unknown)} value(s): {shown}{more}; if any is {wanted}, TensorRT "
        f"{ctx.trt.version} refuses it",
        node, path, severity=Severity.INFO,
    )  # fmt: skip
