"""TRT501 restrict.maxpool-indices: MaxPool's Indices output is used."""

from __future__ import annotations

from ..base import Rule, Severity, describe, output_at

_HEADER = '<ir_version: 8, opset_import: ["" : 17]>'


class MaxPoolIndices(Rule):
    """A MaxPool whose second output (Indices, from return_indices=True) is consumed."""

    id = "TRT501"
    name = "restrict.maxpool-indices"
    severity = Severity.ERROR
    why = "TensorRT's MaxPool importer produces only Y; the optional Indices output is unsupported (onnx-tensorrt docs/operators.md, MaxPool)."
    fix = (
        "Do not use return_indices=True / F.max_pool2d_with_indices; for unpooling use interpolation, or "
        "compute the argmax with a separate ArgMax over unfolded windows."
    )
    VALID = [
        f"""{_HEADER}
g (float[N,3,8,8] x) => (float[N,3,4,4] y) {{
  y = MaxPool <kernel_shape = [2, 2], strides = [2, 2]> (x)
}}""",
    ]
    INVALID = [
        f"""{_HEADER}
g (float[N,3,8,8] x) => (float[N,3,4,4] y, int64[N,3,4,4] idx) {{
  y, idx = MaxPool <kernel_shape = [2, 2], strides = [2, 2]> (x)
}}""",
    ]

    ops = ("MaxPool",)

    def check_node(self, ctx, path, node):
        if ctx.is_used(output_at(node, 1)):
            yield self.finding(f"{describe(node)} Indices output is used", node, path)
