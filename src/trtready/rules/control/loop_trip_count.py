"""TRT304 control.loop-trip-count: a Loop whose number of iterations depends on data."""

from __future__ import annotations

import onnx_ir as ir

from ...catalog import references as refs
from ..analysis import Kind
from ..base import Rule, Severity, describe, input_at

_HEADER = '<ir_version: 8, opset_import: ["" : 17]>'


def _loop(trip_count: str, body_exit: str = "c_out = Identity(c_in)", inputs: str = "float[N,8] x") -> str:
    return f"""{_HEADER}
g ({inputs}) => (float[N,8] y) {{
{trip_count}
  cond = Constant <value = bool {{1}}> ()
  y = Loop (steps, cond, x) <
    body = body_g (int64 i, bool c_in, float[N,8] acc) => (bool c_out, float[N,8] acc_out) {{
      acc_out = Relu(acc)
      {body_exit}
    }}
  >
}}"""


class LoopTripCount(Rule):
    """A Loop with no trip count, a trip count computed from data, or an exit condition computed in the body."""

    id = "TRT304"
    name = "control.loop-trip-count"
    severity = Severity.WARNING
    references = (refs.ONNX_TRT_OPERATORS, refs.guidance("For Loop", "for-loop"),
                  refs.guidance("Parallelizable For Loops", "parallelizable-for-loops"))
    why = (
        "TensorRT runs a Loop as an ILoop; without a trip count (or with INT_MAX) it becomes a "
        "condition-driven while-loop whose scan outputs get a dummy length and must not be used "
        "(onnx-tensorrt Loop importer). A data-dependent trip count serialises the model and blocks "
        "optimisation; NVIDIA's ONNX export guidance for TensorRT avoids loops whose count depends on inputs "
        "('For Loop')."
    )
    fix = (
        "Unroll loops with a fixed count (trace them), vectorise iterations that do not depend on each "
        "other (the same guide, 'Parallelizable For Loops'), or keep a truly dynamic loop in a @torch.jit.script "
        "function and check it with trtexec."
    )
    VALID = [_loop("  steps = Constant <value = int64 {4}> ()")]
    INVALID = [
        _loop("", inputs="float[N,8] x, int64 steps"),
        _loop(
            "  steps = Constant <value = int64 {100}> ()",
            body_exit=(
                "total = ReduceSum <keepdims = 0> (acc_out)\n"
                "      limit = Constant <value = float {10}> ()\n"
                "      c_out = Less(total, limit)"
            ),
        ),
    ]

    ops = ("Loop",)

    def check_node(self, ctx, path, node):
        trip_count = input_at(node, 0)
        if trip_count is None:
            yield self.finding(f"{describe(node)} has no trip count: a while-loop", node, path)
        elif ctx.kind(trip_count) == Kind.DATA:
            yield self.finding(f"{describe(node)} trip count depends on tensor values", node, path)
        if _exit_condition_computed(node.attributes["body"].value):
            yield self.finding(f"{describe(node)} exit condition is computed inside the body", node, path)


def _exit_condition_computed(body: ir.Graph) -> bool:
    """The body's condition output is not just its condition input (or a constant)."""
    if len(body.inputs) < 2 or not body.outputs:  # not a valid Loop body (an in-memory model: files are checked on reading)
        return False
    cond_in, cond_out = body.inputs[1], body.outputs[0]
    while cond_out is not cond_in:
        producer = cond_out.producer()
        if producer is None or producer.op_type == "Constant":
            return False
        if producer.op_type != "Identity":
            return True
        cond_out = producer.inputs[0]
    return False
