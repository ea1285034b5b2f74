"""The dtype rules' shared table and findings (not a rule); which tensor an op's "Supported Types"
column talks about and how a dtype is read are the graph layer's (:mod:`trtready.graph.dtypes`).

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
from ...graph.dtypes import doc_type, typed_value, value_dtype
from ...result import Finding, Severity

__all__ = [
    "REFUSED_ANYWHERE",
    "REFUSED_BY_SOME_OPS",
    "DtypeTable",
    "dtype_findings",
    "dtype_table",
    "unknown_dtype_findings",
    "unknown_outputs_finding",
]

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
