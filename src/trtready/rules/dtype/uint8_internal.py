"""TRT404 dtype.uint8-internal: a UINT8 tensor inside the network (not a graph input or output)."""

from __future__ import annotations

import onnx_ir as ir

from ..base import Rule, Severity, describe
from .typed_input import dtype_table, unknown_outputs_finding

_HEADER = '<ir_version: 8, opset_import: ["" : 17]>'


class Uint8Internal(Rule):
    """UINT8 produced or stored inside the graph; TensorRT accepts UINT8 only at network inputs and outputs."""

    id = "TRT404"
    name = "dtype.uint8-internal"
    severity = Severity.ERROR
    why = (
        "UINT8 is allowed only for network input/output tensors (onnx-tensorrt docs/operators.md, type "
        "notes); quantized types go through symmetric INT8/FP8/INT4 Q/DQ. Asymmetric UINT8 quantization "
        "(QuantizeLinear to uint8) or uint8 arithmetic inside the model is not importable."
    )
    fix = (
        "Cast a uint8 image input to float right away (x.float() / 255); quantize with signed INT8 "
        "symmetric Q/DQ (zero point 0), e.g. ModelOpt or pytorch-quantization defaults."
    )
    VALID = [
        f"""{_HEADER}
g (uint8[N,3,8,8] image) => (float[N,3,8,8] y) {{
  y = Cast <to = 1> (image)
}}""",
    ]
    INVALID = [
        f"""{_HEADER}
g (float[N,4] x) => (float[N,4] y) {{
  scale = Constant <value = float {{0.1}}> ()
  zero = Constant <value = uint8 {{128}}> ()
  q = QuantizeLinear(x, scale, zero)
  y = DequantizeLinear(q, scale, zero)
}}""",
    ]

    def check(self, ctx):
        for path, node, value in dtype_table(ctx).outputs.get(ir.DataType.UINT8, ()):
            if node.op_type != "Constant" and not value.is_graph_output():
                yield self.finding(f"{describe(node)} produces UINT8 '{value.name}' inside the network", node, path)
        for value in ctx.graph.initializers.values():
            if value.dtype == ir.DataType.UINT8 and value.uses():
                yield self.finding(f"initializer '{value.name}' is UINT8", path="main")
        yield from unknown_outputs_finding(self, ctx, "UINT8")
