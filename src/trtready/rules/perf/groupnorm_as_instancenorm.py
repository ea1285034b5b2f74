"""TRT601 perf.groupnorm-as-instancenorm: GroupNorm exported as Reshape -> InstanceNormalization -> Reshape -> Mul -> Add."""

from __future__ import annotations

import onnx_ir as ir

from ...catalog import references as refs
from ..base import Rule, Severity, describe

_HEADER = '<ir_version: 8, opset_import: ["" : 17]>'
_GROUPNORM = f"""{_HEADER}
g (float[N,8,4,4] x, float[8,1,1] gamma, float[8,1,1] beta) => (float[N,8,4,4] y)
  <int64[3] grouped = {{0, 2, -1}}, float[2] ones = {{1.0, 1.0}}, float[2] zeros = {{0.0, 0.0}}> {{
  xg = Reshape(x, grouped)
  normed = InstanceNormalization <epsilon = 0.00001> (xg, ones, zeros)
  shape = Shape(x)
  back = Reshape(normed, shape)
  scaled = Mul(back, gamma)
  y = Add(scaled, beta)
}}"""


class GroupNormAsInstanceNorm(Rule):
    """GroupNorm spread over five nodes that one GroupNormalization node can replace."""

    id = "TRT601"
    name = "perf.groupnorm-as-instancenorm"
    severity = Severity.INFO
    references = (refs.NVIDIA_PACKNET_POST, refs.ONNX_TRT_OPERATORS)
    why = (
        "Older exporters write nn.GroupNorm as Reshape -> InstanceNormalization -> Reshape -> Mul -> Add "
        "(NVIDIA's PackNet post on the NVIDIA Technical Blog). Collapsing the subgraph into one GroupNormalization layer runs "
        "it as a single kernel with fewer memory transfers; TensorRT imports GroupNormalization natively "
        "since 8.6."
    )
    fix = (
        "Both torch exporters decompose nn.GroupNorm this way (seen with torch 2.14, opset 20), so collapse "
        "the pattern after export with a graph rewrite (trtready fix, an onnxscript rewrite rule, or "
        "onnx-graphsurgeon as in that post) into GroupNormalization with per-channel scale and bias."
    )
    VALID = [
        f"""{_HEADER}
g (float[N,8,4,4] x, float[8] gamma, float[8] beta) => (float[N,8,4,4] y) {{
  y = InstanceNormalization(x, gamma, beta)
}}""",
    ]
    INVALID = [_GROUPNORM]

    ops = ("InstanceNormalization",)

    def check_node(self, ctx, path, node):
        source = node.inputs[0].producer() if node.inputs and node.inputs[0] is not None else None
        if source is None or source.op_type != "Reshape":
            return
        chain = _follow(node, ("Reshape", "Mul", "Add"))
        if chain is not None:
            yield self.finding(
                f"{describe(node)} with Reshape/Mul/Add around it is a GroupNorm; use one GroupNormalization",
                node,
                path,
            )


def _follow(node: ir.Node, op_types: tuple[str, ...]) -> list[ir.Node] | None:
    """The single-consumer chain of ``op_types`` after ``node``, or None."""
    chain = []
    for op_type in op_types:
        uses = node.outputs[0].uses()
        if len(uses) != 1 or uses[0].node.op_type != op_type:
            return None
        node = uses[0].node
        chain.append(node)
    return chain
