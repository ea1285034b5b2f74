"""TRT509 restrict.lstm-layout: LSTM with layout=1 or input_forget=1."""

from __future__ import annotations

from ...graph.attributes import int_attr
from ..base import Rule, Severity, describe

_HEADER = '<ir_version: 8, opset_import: ["" : 17]>'


def _lstm(attrs: str) -> str:
    return f"""{_HEADER}
g (float[5,N,4] x, float[1,32,4] w, float[1,32,8] r) => (float[5,1,N,8] y) {{
  y = LSTM <hidden_size = 8{attrs}> (x, w, r)
}}"""


class LstmLayout(Rule):
    """An LSTM exported with layout=1 (batch_first) or input_forget=1."""

    id = "TRT509"
    name = "restrict.lstm-layout"
    severity = Severity.ERROR
    why = "TensorRT's LSTM importer needs attributes `layout` and `input_forget` to be 0 (onnx-tensorrt docs/operators.md, 11.1)."
    fix = (
        "PyTorch's exporters emit layout=0 even for nn.LSTM(batch_first=True) (they insert Transposes); "
        "if another tool produced layout=1, transpose the input to (seq, batch, feature) instead."
    )
    VALID = [_lstm("")]
    INVALID = [_lstm(", layout = 1"), _lstm(", input_forget = 1")]

    ops = ("LSTM",)

    def check_node(self, ctx, path, node):
        for name in ("layout", "input_forget"):
            if int_attr(node, name, 0):
                yield self.finding(f"{describe(node)} has {name}=1", node, path)
