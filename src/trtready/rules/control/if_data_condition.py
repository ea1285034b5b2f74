"""TRT302 control.if-data-condition: an If whose condition depends on tensor values."""

from __future__ import annotations

from ..analysis import Kind
from ..base import Rule, Severity, describe
from .examples import DATA_CONDITION, SHAPE_CONDITION, same_rank_if


class IfDataCondition(Rule):
    """An If chosen at run time from tensor data (scripted Python if on a tensor)."""

    id = "TRT302"
    name = "control.if-data-condition"
    severity = Severity.WARNING
    why = (
        "A data-dependent condition becomes a TensorRT IIfConditional: both branches are built, outputs must "
        "match in rank, branch I/O types are limited (bool, int32, fp16, fp32, bf16) and the conditional "
        "blocks fusion across it. The TensorRT export guidance prefers vectorising if-else over control "
        "flow nodes (seed 000, Dynamic if-else)."
    )
    fix = (
        "Vectorise: a = cond * funcA(x) + (~cond) * funcB(x), or torch.where(cond, a, b) when both "
        "sides are cheap; move Python-level decisions (None checks, string compares) out of the model and "
        "pass an indicator tensor as an input (seed 000, Special Case 1)."
    )
    VALID = [same_rank_if(SHAPE_CONDITION)]
    INVALID = [same_rank_if(DATA_CONDITION)]

    ops = ("If",)

    def check_node(self, ctx, path, node):
        cond = node.inputs[0] if node.inputs else None
        if cond is not None and ctx.kind(cond) == Kind.DATA:
            yield self.finding(f"{describe(node)} condition depends on tensor values", node, path)
