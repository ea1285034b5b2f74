"""TRT305 control.loop-carried-shape: a Loop/Scan state tensor changes shape between iterations."""

from __future__ import annotations

import onnx_ir as ir

from ...graph.attributes import int_attr
from ..base import Rule, Severity, describe

_HEADER = '<ir_version: 8, opset_import: ["" : 17]>'


def _loop(step: str, state_out: str) -> str:
    return f"""{_HEADER}
g (float[N,8] x) => (float[N,M] y) {{
  steps = Constant <value = int64 {{4}}> ()
  cond = Constant <value = bool {{1}}> ()
  y = Loop (steps, cond, x) <
    body = body_g (int64 i, bool c_in, float[N,8] acc) => (bool c_out, {state_out} acc_out) {{
      c_out = Identity(c_in)
      {step}
    }}
  >
}}"""


class LoopCarriedShape(Rule):
    """A loop-carried (or Scan state) tensor whose shape at the end of the body differs from its start."""

    id = "TRT305"
    name = "control.loop-carried-shape"
    severity = Severity.ERROR
    why = (
        "Every loop-carried state tensor must keep one fixed shape across iterations (onnx-tensorrt "
        "docs/operators.md, Loop, since 10.1). Growing a tensor inside the loop, such as concatenating "
        "generated tokens, cannot be imported."
    )
    fix = (
        "Preallocate the full-size buffer before the loop and write into it by index "
        "(buf[:, i] = step) instead of torch.cat-ing onto it, or unroll a fixed-count loop by tracing."
    )
    VALID = [_loop("acc_out = Relu(acc)", "float[N,8]")]
    INVALID = [_loop("acc_out = Concat <axis = 1> (acc, acc)", "float[N,16]"), _loop("acc_out = Concat <axis = 1> (acc, acc)", "float")]

    ops = ("Loop", "Scan")

    def check_node(self, ctx, path, node):
        body = node.attributes["body"].value
        for start, end in _state_pairs(node, body):
            problem = _shape_change(start, end)
            if problem:
                yield self.finding(f"{describe(node)} state '{start.name}' {problem}", node, path)


def _state_pairs(node: ir.Node, body: ir.Graph) -> list[tuple[ir.Value, ir.Value]]:
    """(body input, body output) of each carried state tensor."""
    if node.op_type == "Loop":
        count = len(node.inputs) - 2
        return list(zip(body.inputs[2 : 2 + count], body.outputs[1 : 1 + count]))
    count = len(node.inputs) - int_attr(node, "num_scan_inputs", 0)
    return list(zip(body.inputs[:count], body.outputs[:count]))


def _shape_change(start: ir.Value, end: ir.Value) -> str | None:
    producer = end.producer()
    if producer is not None and producer.op_type == "Concat" and start in producer.inputs:
        return "grows: the body concatenates onto it"
    if start.shape is None or end.shape is None:
        return None
    if len(start.shape) != len(end.shape):
        return f"changes rank from {len(start.shape)} to {len(end.shape)}"
    for axis, (a, b) in enumerate(zip(start.shape, end.shape)):
        if isinstance(a, int) and isinstance(b, int) and a != b:
            return f"changes dim {axis} from {a} to {b}"
    return None
