"""TRT403 dtype.bool-unsupported: BOOL data into an op whose TensorRT types lack BOOL."""

from __future__ import annotations

from ...catalog import references as refs
from ..base import Rule, Severity
from .typed_input import dtype_findings

_HEADER = '<ir_version: 8, opset_import: ["" : 17]>'


class BoolUnsupported(Rule):
    """Arithmetic, comparison, reduction, Pad, Scatter*, TopK or NonZero applied to a bool tensor."""

    id = "TRT403"
    name = "dtype.bool-unsupported"
    severity = Severity.ERROR
    references = (refs.ONNX_TRT_OPERATORS, refs.guidance("Bitwise Ops", "bitwise-ops"), refs.TORCHPIPE_ONNX)
    why = (
        "Only logical ops (And/Or/Xor/Not), Cast, data movement (Concat, Gather, Reshape, Slice, Where...) "
        "and If/Loop list BOOL in onnx-tensorrt docs/operators.md; arithmetic, Equal/Greater/Less, Max/Min, "
        "Reduce*, Pad, Scatter*, NonZero and TopK do not. NVIDIA's ONNX export guidance for TensorRT replaces bool "
        "arithmetic with int casts ('Bitwise Ops'); torchpipe's export notes turn bool masks into float."
    )
    fix = (
        "Cast masks first: mask.int() / mask.float() before sums, comparisons or nonzero, e.g. "
        "mask.int().sum(), (a.int() * b.int()).bool() for a & b, torch.nonzero(mask.int())."
    )
    VALID = [
        f"""{_HEADER}
g (bool[N] a, bool[N] b) => (bool[N] y) {{
  y = And(a, b)
}}""",
    ]
    INVALID = [
        f"""{_HEADER}
g (bool[N] mask) => (bool y) {{
  y = ReduceMax <keepdims = 0> (mask)
}}""",
        f"""{_HEADER}
g (bool[N] a, bool[N] b) => (bool[N] y) {{
  y = Equal(a, b)
}}""",
    ]

    def check(self, ctx):
        yield from dtype_findings(self, ctx, "BOOL")
