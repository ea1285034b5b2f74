"""TRT301 control.if-rank-mismatch: If branches return outputs of different ranks."""

from __future__ import annotations

from ...catalog import references as refs
from ..base import Rule, Severity, describe
from .examples import CONSTANT_CONDITION, DATA_CONDITION, SHAPE_CONDITION, same_rank_if, squeeze_if


class IfRankMismatch(Rule):
    """An If whose then/else outputs differ in rank and whose condition is not a constant."""

    id = "TRT301"
    name = "control.if-rank-mismatch"
    severity = Severity.ERROR
    references = (refs.ONNX_TRT_OPERATORS, refs.guidance("torch.Tensor.squeeze", "torchtensorsqueeze"), refs.TRT_CONDITIONALS)
    why = (
        "TensorRT builds a run-time If as IIfConditional, whose matching outputs must have the same rank "
        "(onnx-tensorrt docs/operators.md since 10.1; before, broadcastable shapes). The TorchScript "
        "exporter turns x.squeeze(dim) into If(size(dim) == 1, Squeeze, Identity), which fails with "
        "'IIfConditionalOutputLayer inputs must have the same shape' (NVIDIA's ONNX export guidance for TensorRT, 'torch.Tensor.squeeze'). "
        "Only a constant condition is resolved by the parser, which then imports one branch."
    )
    fix = (
        "Replace x.squeeze(d) with explicit indexing or reshape: x[:, 0], x.reshape(b, c, h, w) (trtready export does it, rewrite R003); "
        "make both branches return the same rank; or let trtready fix fold the If when the dim is static."
    )
    VALID = [same_rank_if(DATA_CONDITION), squeeze_if(CONSTANT_CONDITION)]
    INVALID = [squeeze_if(SHAPE_CONDITION), squeeze_if(DATA_CONDITION)]

    ops = ("If",)

    def check_node(self, ctx, path, node):
        cond = node.inputs[0] if node.inputs else None
        if cond is None or ctx.constant(cond) is not None:
            return
        then_outputs = node.attributes["then_branch"].value.outputs
        else_outputs = node.attributes["else_branch"].value.outputs
        for index, (then_out, else_out) in enumerate(zip(then_outputs, else_outputs)):
            ranks = _rank(ctx, then_out), _rank(ctx, else_out)
            if None not in ranks and ranks[0] != ranks[1]:
                yield self.finding(
                    f"{describe(node)} output {index} has rank {ranks[0]} in then_branch and {ranks[1]} "
                    f"in else_branch{_squeeze_hint(node)}",
                    node,
                    path,
                )


def _rank(ctx, value) -> int | None:
    shape = ctx.shape(value)  # declared, or inferred: a TorchScript export declares none inside branches
    return None if shape is None else len(shape)


def _squeeze_hint(node) -> str:
    branches = (node.attributes["then_branch"].value, node.attributes["else_branch"].value)
    if any(inner.op_type == "Squeeze" for branch in branches for inner in branch):
        return " (the exported pattern of x.squeeze(dim))"
    return ""
