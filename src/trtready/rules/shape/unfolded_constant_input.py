"""TRT202 shape.unfolded-constant-input: a build-time input is foldable but not yet folded into weights."""

from __future__ import annotations

from ...catalog import references as refs
from ...graph.slots import BUILD_TIME_INPUTS
from ..base import Rule, Severity, describe, input_at

_HEADER = '<ir_version: 8, opset_import: ["" : 18]>'


class UnfoldedConstantInput(Rule):
    """Reduce* axes (or another must-be-initializer input) is computed from constants instead of stored as one."""

    id = "TRT202"
    name = "shape.unfolded-constant-input"
    severity = Severity.WARNING
    references = (refs.ONNX_TRT_OPERATORS, refs.ONNX_TRT_FAQ, refs.POLYGRAPHY)
    why = (
        "Some inputs must be initializers (weights), not merely constant-valued: Reduce* `axes`, Dropout "
        "`training_mode`, STFT `frame_step`/`window`, and CumSum `axis` before 10.14 (onnx-tensorrt "
        "docs/operators.md; FAQ: '<X> must be an initializer'). Here the value only depends on constants "
        "and static shapes, so constant folding turns it into an initializer."
    )
    fix = (
        "Fold constants after export: trtready fix, onnxscript's optimizer, or "
        "`polygraphy surgeon sanitize model.onnx --fold-constants`; in PyTorch pass plain ints as dims."
    )
    VALID = [
        f"""{_HEADER}
g (float[N,8] x) => (float[N] y) <int64[1] axes = {{1}}> {{
  y = ReduceMean <keepdims = 0> (x, axes)
}}""",
    ]
    INVALID = [
        f"""{_HEADER}
g (float[N,8] x) => (float[N] y) {{
  width = Shape <start = 1> (x)
  seven = Constant <value_ints = [7]> ()
  axes = Sub(width, seven)
  y = ReduceMean <keepdims = 0> (x, axes)
}}""",
    ]

    def check(self, ctx):
        for path, node in ctx.nodes_of(*BUILD_TIME_INPUTS):
            for slot in BUILD_TIME_INPUTS[node.op_type]:
                value = input_at(node, slot.index)
                if value is None or not slot.needs_initializer(ctx.trt):
                    continue
                if ctx.is_build_time_constant(value) and ctx.constant(value) is None:
                    yield self.finding(
                        f"{describe(node)} input `{slot.label}` is a foldable expression, not an initializer",
                        node,
                        path,
                    )
