"""TRT401 dtype.double: FP64 tensors, which TensorRT does not have."""

from __future__ import annotations

import onnx_ir as ir

from ..base import Rule, Severity, describe
from .typed_input import dtype_table, unknown_outputs_finding

_HEADER = '<ir_version: 8, opset_import: ["" : 17]>'


class DoubleTensor(Rule):
    """A graph input, node output or initializer of type DOUBLE."""

    id = "TRT401"
    name = "dtype.double"
    severity = Severity.ERROR
    why = (
        "TensorRT has no FP64 type: no op lists DOUBLE in onnx-tensorrt docs/operators.md, and the parser "
        "at best casts DOUBLE weights down to FLOAT, clamping to +-FLT_MAX. FP64 usually comes from numpy "
        "float64 constants or torch.float64 tensors in the model."
    )
    fix = (
        "Keep the model in float32 (or lower): model.float(), torch.tensor(v, dtype=torch.float32), "
        "np.float32 for numpy constants, and no .double() / dtype=torch.float64."
    )
    VALID = [
        f"""{_HEADER}
g (float[N,4] x) => (float[N,4] y) <float[4] w = {{1.0, 2.0, 3.0, 4.0}}> {{
  y = Mul(x, w)
}}""",
    ]
    INVALID = [
        f"""{_HEADER}
g (float[N,4] x) => (float[N,4] y) {{
  x64 = Cast <to = 11> (x)
  y64 = Exp(x64)
  y = Cast <to = 1> (y64)
}}""",
        f"""{_HEADER}
g (double[N,4] x) => (double[N,4] y) <double[4] w = {{1.0, 2.0, 3.0, 4.0}}> {{
  y = Mul(x, w)
}}""",
    ]

    def check(self, ctx):
        for value in ctx.graph.inputs:
            if value.dtype == ir.DataType.DOUBLE:
                yield self.finding(f"graph input '{value.name}' is DOUBLE (FP64)", path="main")
        for path, node, value in dtype_table(ctx).outputs.get(ir.DataType.DOUBLE, ()):
            yield self.finding(f"{describe(node)} produces DOUBLE (FP64) '{value.name}'", node, path)
        weights = [v.name for v in ctx.graph.initializers.values() if v.dtype == ir.DataType.DOUBLE]
        if weights:
            shown = ", ".join(weights[:5]) + (", ..." if len(weights) > 5 else "")
            yield self.finding(f"{len(weights)} initializer(s) are DOUBLE (FP64): {shown}", path="main")
        yield from unknown_outputs_finding(self, ctx, "DOUBLE (FP64)")
