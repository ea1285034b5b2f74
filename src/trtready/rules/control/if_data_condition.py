"""TRT302 control.if-data-condition: an If whose condition depends on tensor values."""

from __future__ import annotations

from ...catalog import references as refs
from ..analysis import Kind
from ..base import Rule, Severity, describe
from .examples import DATA_CONDITION, SHAPE_CONDITION, same_rank_if


class IfDataCondition(Rule):
    """An If chosen at run time from tensor data (scripted Python if on a tensor)."""

    id = "TRT302"
    name = "control.if-data-condition"
    severity = Severity.WARNING
    references = (refs.guidance("Dynamic if-else", "dynamic-if-else"), refs.guidance("Special Case 1", "special-case-1"),
                  refs.TRT_CONDITIONALS)
    why = (
        "A data-dependent condition becomes a TensorRT IIfConditional: both branches are built, outputs must "
        "match in rank, branch I/O types are limited (bool, int32, fp16, fp32, bf16) and the conditional "
        "blocks fusion across it. NVIDIA's ONNX export guidance for TensorRT prefers vectorising if-else over "
        "control flow nodes ('Dynamic if-else')."
    )
    fix = (
        "Vectorise: a = cond * funcA(x) + (~cond) * funcB(x), or torch.where(cond, a, b) when both "
        "sides are cheap; move Python-level decisions (None checks, string compares) out of the model and "
        "pass an indicator tensor as an input (the same guide, 'Special Case 1')."
    )
    VALID = [same_rank_if(SHAPE_CONDITION)]
    INVALID = [same_rank_if(DATA_CONDITION)]

    ops = ("If",)

    def check_node(self, ctx, path, node):
        cond = node.inputs[0] if node.inputs else None
        if cond is not None and ctx.kind(cond) == Kind.DATA:
            yield self.finding(f"{describe(node)} condition depends on tensor values", node, path)
