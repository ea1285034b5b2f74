"""TRT402 dtype.int64-unsupported: INT64 data into an op whose TensorRT types lack INT64."""

from __future__ import annotations

from ..base import Rule, Severity
from .typed_input import dtype_findings

_HEADER = '<ir_version: 8, opset_import: ["" : 17]>'


class Int64Unsupported(Rule):
    """An op (MatMul, Gemm, Conv, pooling, NonZero, CumSum...) fed INT64 data where the release lists no INT64."""

    id = "TRT402"
    name = "dtype.int64-unsupported"
    severity = Severity.ERROR
    why = (
        "INT64 is a native TensorRT type since 9.0, but many ops do not take it: in 10.x/11.1 MatMul, Gemm, "
        "Conv, the pooling ops, NonZero and CumSum list no INT64 (onnx-tensorrt docs/operators.md, "
        "Supported Types). Parsers up to 8.6 cast every INT64 to INT32 with clamping, so this rule only "
        "applies from 9.0 on."
    )
    fix = (
        "Compute in float or int32: (a.float() @ b.float()), x.to(torch.int32) before the op, and keep "
        "long tensors for indices and shapes only."
    )
    VALID = [
        f"""{_HEADER}
g (int64[N,4] a, int64[N,4] b) => (int64[N,4] y) {{
  y = Add(a, b)
}}""",
        (
            f"""{_HEADER}
g (int64[N,4] a, int64[4,4] b) => (int64[N,4] y) {{
  y = MatMul(a, b)
}}""",
            {"trt": "8.6"},
        ),
    ]
    INVALID = [
        f"""{_HEADER}
g (int64[N,4] a, int64[4,4] b) => (int64[N,4] y) {{
  y = MatMul(a, b)
}}""",
    ]

    def check(self, ctx):
        if not ctx.trt.native_int64:
            return
        yield from dtype_findings(self, ctx, "INT64")
