"""TRT001 model.opset-range: the model's ONNX opset is outside what the TensorRT release documents."""

from __future__ import annotations

from ...catalog import references as refs
from ..base import Rule, Severity


def _relu_model(opset: int) -> str:
    return f"""
<ir_version: 8, opset_import: ["" : {opset}]>
g (float[N,8] x) => (float[N,8] y) {{
  y = Relu(x)
}}
"""


class OpsetRange(Rule):
    """The default-domain opset is outside the release's documented range."""

    id = "TRT001"
    name = "model.opset-range"
    severity = Severity.ERROR
    references = (refs.ONNX_TRT_OPERATORS, refs.TRT_OPSET_GUIDE)
    why = (
        "Each TensorRT ONNX parser documents the opsets it imports: 8.6 up to 17, 9.x up to 19, "
        "10.0/10.1 9-20, 11.1 9-24 (onnx-tensorrt docs/operators.md). Ops from a newer opset may have "
        "semantics or inputs the parser does not know. Below 9 the parser only warns (it refuses "
        "nothing below 7 either), so an old opset is reported as a warning."
    )
    fix = (
        "Export with an opset inside the range, e.g. torch.onnx.export(..., opset_version=17); "
        "opset <= 20 keeps the model loadable by TensorRT 10.0/10.1 too."
    )
    VALID = [_relu_model(17), (_relu_model(20), {"trt": "10.1"})]
    INVALID = [_relu_model(25), (_relu_model(21), {"trt": "10.1"}), _relu_model(8)]

    def check(self, ctx):
        opset = ctx.opset
        if opset is None:
            return
        low, high = ctx.trt.opset_range
        release = f"TensorRT {ctx.trt.version} documents opsets {low}-{high}"
        if opset > high:
            yield self.finding(f"model uses opset {opset}; {release}")
        elif opset < low:
            yield self.finding(f"model uses opset {opset}, older than {low}; {release}", severity=Severity.WARNING)
