"""TRT508 restrict.qdq-zero-point: QuantizeLinear/DequantizeLinear with a non-zero or run-time zero point."""

from __future__ import annotations

from ..base import Rule, Severity, describe, input_at

_HEADER = '<ir_version: 8, opset_import: ["" : 17]>'


def _qdq(zero_point: int) -> str:
    return f"""{_HEADER}
g (float[N,4] x) => (float[N,4] y) {{
  scale = Constant <value = float {{0.1}}> ()
  zero = Constant <value = int8 {{{zero_point}}}> ()
  q = QuantizeLinear(x, scale, zero)
  y = DequantizeLinear(q, scale, zero)
}}"""


class QdqZeroPoint(Rule):
    """Asymmetric quantization: a Q/DQ zero point that is not a constant 0."""

    id = "TRT508"
    name = "restrict.qdq-zero-point"
    severity = Severity.ERROR
    why = (
        "TensorRT supports symmetric quantization only: QuantizeLinear `y_zero_point` and "
        "DequantizeLinear `x_zero_point` have to be 0 (onnx-tensorrt docs/operators.md, 11.1)."
    )
    fix = (
        "Quantize symmetrically (pytorch-quantization / ModelOpt defaults, "
        "torch.ao qscheme=torch.per_tensor_symmetric / per_channel_symmetric) so every zero point is 0."
    )
    VALID = [_qdq(0)]
    INVALID = [_qdq(3)]

    ops = ("QuantizeLinear", "DequantizeLinear")

    def check_node(self, ctx, path, node):
        zero_point = input_at(node, 2)
        if zero_point is None:
            return
        values = ctx.constant(zero_point)
        if values is None:
            yield self.finding(f"{describe(node)} zero point is not a constant", node, path)
        elif values.any():
            yield self.finding(f"{describe(node)} has a non-zero zero point", node, path)
