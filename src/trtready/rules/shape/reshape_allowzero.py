"""TRT206 shape.reshape-allowzero: Reshape of a possibly-empty tensor whose 0s would be read as "copy"."""

from __future__ import annotations

from ...catalog import references as refs
from ...graph.attributes import int_attr
from ..base import Rule, Severity, describe, input_at

_HEADER = '<ir_version: 8, opset_import: ["" : 17]>'


class ReshapeAllowzero(Rule):
    """Reshape with allowzero=0 on a tensor that may be empty, with a target shape that may hold a 0."""

    id = "TRT206"
    name = "shape.reshape-allowzero"
    severity = Severity.INFO
    references = (refs.TRT_SHUFFLE, refs.guidance("Support empty tensor reshape in TensorRT", "support-empty-tensor-reshape-in-tensorrt"),
                  refs.ONNX_OPERATORS)
    why = (
        "With allowzero=0 (the default) a 0 in Reshape's target shape copies the input dim "
        "(IShuffleLayer zeroIsPlaceholder). When a tensor can be empty (downstream of NonZero/boolean "
        "indexing), a shape computed from it contains real 0s that TensorRT misreads, and a -1 next to a "
        "0 cannot be solved (TensorRT Shuffle operator doc). NVIDIA's ONNX export guidance for TensorRT ('Empty Tensors') sets allowzero=1 on Reshape."
    )
    fix = (
        "Set allowzero=1 on Reshapes whose shape holds real sizes (shapes taken from x.shape), e.g. with "
        "onnx-graphsurgeon as that guide does, or avoid empty tensors by keeping "
        "fixed-size masks; keep allowzero=0 where a 0 is meant as 'copy this dim'."
    )
    VALID = [
        f"""{_HEADER}
g (float[N] score) => (int64[M,1] y) {{
  idx = NonZero(score)
  shape = Shape(idx)
  y = Reshape <allowzero = 1> (idx, shape)
}}""",
    ]
    INVALID = [
        f"""{_HEADER}
g (float[N] score) => (int64[M] y) {{
  idx = NonZero(score)
  shape = Shape <start = 1> (idx)
  y = Reshape(idx, shape)
}}""",
    ]

    def check(self, ctx):
        for path, node in ctx.nodes_of("Reshape"):
            data, shape = input_at(node, 0), input_at(node, 1)
            if data is None or shape is None or int_attr(node, "allowzero", 0):
                continue
            if ctx.possibly_empty(data) and _may_hold_zero(ctx, shape):
                yield self.finding(
                    f"{describe(node)} reshapes a tensor that may be empty with allowzero=0; "
                    "a 0 in its shape would copy an input dim",
                    node,
                    path,
                )


def _may_hold_zero(ctx, shape) -> bool:
    constant = ctx.constant(shape)
    return constant is None or bool((constant == 0).any())
