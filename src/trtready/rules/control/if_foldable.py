"""TRT303 control.if-foldable: an If whose condition is a constant or depends only on shapes."""

from __future__ import annotations

from ...catalog import references as refs
from ..analysis import Kind
from ..base import Rule, Severity, describe
from .examples import CONSTANT_CONDITION, DATA_CONDITION, SHAPE_CONDITION, same_rank_if, squeeze_if


class IfFoldable(Rule):
    """An If that need not be control flow: its condition is constant or computed only from shapes."""

    id = "TRT303"
    name = "control.if-foldable"
    severity = Severity.INFO
    references = (refs.guidance("torch.Tensor.squeeze", "torchtensorsqueeze"), refs.ONNX_TRT_OPERATORS)
    why = (
        "The TorchScript exporter emits If(size(dim) == 1) for x.squeeze(dim) (NVIDIA's ONNX export guidance for TensorRT, 'torch.Tensor.squeeze'). When the "
        "condition is a constant the parser imports only the chosen branch; when it only depends on "
        "static dims, constant folding removes the If; when it depends on dynamic dims the branch is "
        "decided per input shape and is better expressed without control flow."
    )
    fix = (
        "Run trtready fix / constant folding to inline the branch; in PyTorch use x[:, 0] or "
        "x.reshape(...) instead of x.squeeze(dim), and x[:, None] instead of x.unsqueeze(1)."
    )
    VALID = [same_rank_if(DATA_CONDITION)]
    INVALID = [squeeze_if(SHAPE_CONDITION), squeeze_if(CONSTANT_CONDITION), squeeze_if(SHAPE_CONDITION, "float[N,1]")]

    ops = ("If",)

    def check_node(self, ctx, path, node):
        cond = node.inputs[0] if node.inputs else None
        if cond is None:
            return
        kind = ctx.kind(cond)
        if kind == Kind.CONST:
            yield self.finding(f"{describe(node)} condition is a build-time constant; fold the If", node, path)
        elif kind == Kind.SHAPE:
            yield self.finding(f"{describe(node)} condition depends only on (dynamic) tensor shapes", node, path)
