"""TRT507 restrict.layernorm-outputs: LayerNormalization's Mean or InvStdDev output is used."""

from __future__ import annotations

from ..base import Rule, Severity, describe, output_at

_HEADER = '<ir_version: 8, opset_import: ["" : 17]>'


class LayerNormOutputs(Rule):
    """A LayerNormalization whose optional Mean/InvStdDev outputs are consumed."""

    id = "TRT507"
    name = "restrict.layernorm-outputs"
    severity = Severity.ERROR
    why = "TensorRT's LayerNormalization produces Y only; the optional Mean and InvStdDev outputs are unsupported (onnx-tensorrt docs/operators.md)."
    fix = (
        "Use only the normalised output (nn.LayerNorm / F.layer_norm); if the statistics are needed, "
        "compute them explicitly with x.mean(-1) and torch.rsqrt(x.var(-1, unbiased=False) + eps)."
    )
    VALID = [
        f"""{_HEADER}
g (float[N,8] x, float[8] scale, float[8] bias) => (float[N,8] y) {{
  y = LayerNormalization(x, scale, bias)
}}""",
    ]
    INVALID = [
        f"""{_HEADER}
g (float[N,8] x, float[8] scale, float[8] bias) => (float[N,8] y, float[N,1] mean) {{
  y, mean = LayerNormalization(x, scale, bias)
}}""",
    ]

    ops = ("LayerNormalization",)

    def check_node(self, ctx, path, node):
        for index, label in ((1, "Mean"), (2, "InvStdDev")):
            if ctx.is_used(output_at(node, index)):
                yield self.finding(f"{describe(node)} {label} output is used", node, path)
