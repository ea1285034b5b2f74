"""TRT201 shape.runtime-constant-input: an input TensorRT needs at build time is computed at run time."""

from __future__ import annotations

from ...catalog import references as refs
from ...graph.slots import BUILD_TIME_INPUTS
from ..analysis import Kind
from ..base import Rule, Severity, describe, input_at

_HEADER = '<ir_version: 8, opset_import: ["" : 18]>'


class RuntimeConstantInput(Rule):
    """Reduce*/Squeeze/Unsqueeze axes, CumSum axis, OneHot depth or Dropout training_mode computed from tensors at run time."""

    id = "TRT201"
    name = "shape.runtime-constant-input"
    severity = Severity.ERROR
    references = (refs.ONNX_TRT_OPERATORS, refs.ONNX_TRT_FAQ)
    why = (
        "TensorRT reads these inputs when it builds the engine: Reduce* `axes` must be an initializer, "
        "Squeeze/Unsqueeze `axes`, CumSum `axis` and OneHot `depth` must resolve to constants, and Dropout "
        "`training_mode` must be a constant false (onnx-tensorrt docs/operators.md, 11.1). A value that "
        "depends on tensor contents or on dynamic dims is only known at run time, and the parser fails "
        "with '<input> must be an initializer'."
    )
    fix = (
        "Pass Python ints, not tensors: x.sum(dim=1), x.squeeze(1), torch.cumsum(x, dim=1), "
        "F.one_hot(t, num_classes=10); avoid dims computed from tensor values (.item(), len(t) of a "
        "dynamic tensor); export in eval mode (model.eval()) so Dropout's training_mode is false."
    )
    VALID = [
        f"""{_HEADER}
g (float[N,8] x) => (float[N] y) <int64[1] axes = {{1}}> {{
  y = ReduceSum <keepdims = 0> (x, axes)
}}""",
        f"""{_HEADER}
g (float[N,1,8] x) => (float[N,8] y) {{
  axes = Constant <value_ints = [1]> ()
  y = Squeeze(x, axes)
}}""",
    ]
    INVALID = [
        f"""{_HEADER}
g (float[N,8] x, int64[1] axes) => (float[N] y) {{
  y = ReduceSum <keepdims = 0> (x, axes)
}}""",
        f"""{_HEADER}
g (float[N,1,8] x) => (float[N,8] y) {{
  shape = Shape(x)
  one = Constant <value_ints = [1]> ()
  axis = Slice(shape, one, one)
  y = Unsqueeze(x, axis)
}}""",
        f"""{_HEADER}
g (float[N,8] x) => (float[N,8] y) {{
  ratio = Constant <value_float = 0.5> ()
  training = Constant <value = bool {{1}}> ()
  y = Dropout(x, ratio, training)
}}""",
    ]

    def check(self, ctx):
        for path, node in ctx.nodes_of(*BUILD_TIME_INPUTS):
            for slot in BUILD_TIME_INPUTS[node.op_type]:
                value = input_at(node, slot.index)
                if value is None:
                    continue
                message = self._problem(ctx, node, slot.label, value)
                if message:
                    yield self.finding(message, node, path)

    @staticmethod
    def _problem(ctx, node, label, value) -> str | None:
        kind = ctx.kind(value)
        if kind == Kind.DATA:
            return f"{describe(node)} input `{label}` depends on tensor values, known only at run time"
        if kind == Kind.SHAPE:
            return f"{describe(node)} input `{label}` is computed from dynamic dims at run time"
        if label == "training_mode":
            constant = ctx.constant(value)
            if constant is not None and bool(constant.any()):
                return f"{describe(node)} has training_mode=true; TensorRT runs Dropout in inference mode only"
        return None
