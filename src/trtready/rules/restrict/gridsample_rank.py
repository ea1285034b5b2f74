"""TRT506 restrict.gridsample-rank: GridSample on anything but a 4-D input."""

from __future__ import annotations

from ..base import Rule, Severity, describe, input_at

_HEADER = '<ir_version: 8, opset_import: ["" : 20]>'


class GridSampleRank(Rule):
    """A GridSample whose input is not 4-D (5-D volumetric sampling)."""

    id = "TRT506"
    name = "restrict.gridsample-rank"
    severity = Severity.ERROR
    why = "GridSample accepts only 4-D inputs, i.e. 2-D spatial sampling (onnx-tensorrt docs/operators.md, since 10.1)."
    fix = (
        "Use F.grid_sample on 4-D (N, C, H, W) tensors; sample a volume slice by slice (fold the depth "
        "into the batch) or use a plugin."
    )
    VALID = [
        f"""{_HEADER}
g (float[N,3,8,8] x, float[N,4,4,2] grid) => (float[N,3,4,4] y) {{
  y = GridSample(x, grid)
}}""",
    ]
    INVALID = [
        f"""{_HEADER}
g (float[N,3,4,8,8] x, float[N,2,4,4,3] grid) => (float[N,3,2,4,4] y) {{
  y = GridSample(x, grid)
}}""",
    ]

    ops = ("GridSample",)

    def check_node(self, ctx, path, node):
        shape = ctx.shape(input_at(node, 0))
        if shape is not None and len(shape) != 4:
            yield self.finding(f"{describe(node)} input is {len(shape)}-D; TensorRT takes 4-D only", node, path)
