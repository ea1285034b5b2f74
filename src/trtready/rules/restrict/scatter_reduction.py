"""TRT504 restrict.scatter-reduction: ScatterND/ScatterElements with a reduction TensorRT lacks."""

from __future__ import annotations

from ...graph.attributes import str_attr
from ..base import Rule, Severity, describe

_HEADER = '<ir_version: 8, opset_import: ["" : 18]>'


def _scatter(op: str, reduction: str) -> str:
    indices = "int64[N,1] idx" if op == "ScatterND" else "int64[N,4] idx"
    updates = "float[N,4] upd"
    return f"""{_HEADER}
g (float[N,4] x, {indices}, {updates}) => (float[N,4] y) {{
  y = {op} <reduction = "{reduction}"> (x, idx, upd)
}}"""


class ScatterReduction(Rule):
    """ScatterND with reduction other than 'none' (any release), ScatterElements with one before 10.0."""

    id = "TRT504"
    name = "restrict.scatter-reduction"
    severity = Severity.ERROR
    why = (
        "ScatterND accepts only reduction='none' (onnx-tensorrt docs/operators.md, 11.1). ScatterElements "
        "gained reductions (via a TensorRT plugin) in 10.0 EA; earlier parsers accept only 'none'."
    )
    fix = (
        "Avoid index_put_(..., accumulate=True) / scatter_add on the ScatterND path: use "
        "tensor.scatter_add_/scatter_reduce along one dim (ScatterElements, TensorRT >= 10.0), or "
        "one-hot + matmul to sum into bins."
    )
    VALID = [_scatter("ScatterND", "none"), _scatter("ScatterElements", "add")]
    INVALID = [_scatter("ScatterND", "add"), (_scatter("ScatterElements", "add"), {"trt": "9.3"})]

    ops = ("ScatterND", "ScatterElements")

    def check_node(self, ctx, path, node):
        reduction = str_attr(node, "reduction", "none")
        if reduction == "none":
            return
        if node.op_type == "ScatterND" or not ctx.trt.at_least("10.0"):
            yield self.finding(
                f"{describe(node)} has reduction='{reduction}', unsupported in TensorRT {ctx.trt.version}", node, path
            )
