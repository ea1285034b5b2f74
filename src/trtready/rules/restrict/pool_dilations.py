"""TRT502 restrict.pool-dilations: pooling with dilations other than 1."""

from __future__ import annotations

from ...graph.attributes import ints_attr
from ..base import Rule, Severity, describe

_HEADER = '<ir_version: 8, opset_import: ["" : 17]>'


class PoolDilations(Rule):
    """MaxPool/AveragePool/LpPool with a `dilations` attribute that is not all 1."""

    id = "TRT502"
    name = "restrict.pool-dilations"
    severity = Severity.ERROR
    why = "MaxPool, AveragePool and LpPool must have `dilations` absent or all 1 (onnx-tensorrt docs/operators.md, 11.1)."
    fix = (
        "Use nn.MaxPool2d(..., dilation=1); emulate a dilated pool with strided slicing "
        "(x[..., ::d, ::d]) followed by an undilated pool, or a plugin."
    )
    VALID = [
        f"""{_HEADER}
g (float[N,3,8,8] x) => (float[N,3,7,7] y) {{
  y = MaxPool <kernel_shape = [2, 2], dilations = [1, 1]> (x)
}}""",
    ]
    INVALID = [
        f"""{_HEADER}
g (float[N,3,8,8] x) => (float[N,3,6,6] y) {{
  y = MaxPool <kernel_shape = [2, 2], dilations = [2, 2]> (x)
}}""",
    ]

    ops = ("MaxPool", "AveragePool", "LpPool")

    def check_node(self, ctx, path, node):
        dilations = ints_attr(node, "dilations")
        if dilations and any(d != 1 for d in dilations):
            yield self.finding(f"{describe(node)} has dilations={dilations}", node, path)
