"""TRT205 shape.bool-mask-indexing: x[mask] exported as NonZero -> Gather/GatherND (or Compress)."""

from __future__ import annotations

import onnx_ir as ir

from ...catalog import references as refs
from ..base import Rule, Severity, describe

#: Ops that only rearrange the index tensor NonZero produces (e.g. NonZero -> Transpose -> GatherND).
PASS_THROUGH = frozenset({"Transpose", "Squeeze", "Unsqueeze", "Reshape", "Cast", "Identity", "Flatten"})
INDEXING = frozenset({"Gather", "GatherND", "GatherElements", "ScatterND", "ScatterElements"})

_HEADER = '<ir_version: 8, opset_import: ["" : 17]>'


def indexing_users(nonzero: ir.Node) -> list[ir.Node]:
    """Indexing nodes that consume ``nonzero``'s output, directly or through PASS_THROUGH ops."""
    found, seen = [], set()
    stack = [usage.node for usage in nonzero.outputs[0].uses()]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if node.op_type in INDEXING:
            found.append(node)
        elif node.op_type in PASS_THROUGH:
            stack.extend(usage.node for out in node.outputs for usage in out.uses())
    return found


class BoolMaskIndexing(Rule):
    """Indexing with a boolean mask: NonZero indices feeding Gather/GatherND/Scatter*."""

    id = "TRT205"
    name = "shape.bool-mask-indexing"
    severity = Severity.WARNING
    references = (refs.guidance("Bool Indexing", "bool-indexing"), refs.ONNX_TRT_OPERATORS)
    why = (
        "PyTorch exports x[mask] as NonZero -> Transpose -> GatherND (or Compress). The result has a "
        "data-dependent shape; TensorRT supports this 'usually ... but sometimes not' (NVIDIA's ONNX export guidance for TensorRT, "
        "'Bool Indexing'), and every later op must handle a size known only at run time, possibly zero. "
        "Compress itself is unsupported in every release and is reported by TRT101 instead."
    )
    fix = (
        "Keep shapes fixed when you can: multiply by the mask (x * mask) or torch.where(mask, x, fill); "
        "select a fixed number with torch.topk(score, k); or turn the mask into long indices "
        "(index_bool2long_trt in the same guide; trtready export does it, rewrite R006) and index with those."
    )
    VALID = [
        f"""{_HEADER}
g (float[N,8] x, bool[N,8] mask) => (float[N,8] y) {{
  zero = Constant <value = float {{0}}> ()
  y = Where(mask, x, zero)
}}""",
    ]
    INVALID = [
        f"""{_HEADER}
g (float[N,8] x, float[N,8] score) => (float[M] y) {{
  thresh = Constant <value = float {{0.5}}> ()
  mask = Greater(score, thresh)
  idx = NonZero(mask)
  idx_t = Transpose <perm = [1, 0]> (idx)
  y = GatherND(x, idx_t)
}}""",
    ]

    def check(self, ctx):
        for path, node in ctx.nodes_of("NonZero"):
            for user in indexing_users(node):
                yield self.finding(
                    f"{describe(user)} indexes with the output of {describe(node)} (boolean-mask indexing); "
                    "its output size depends on the data",
                    user,
                    path,
                )
        if ctx.trt.supports("Compress"):
            for path, node in ctx.nodes_of("Compress"):
                yield self.finding(f"{describe(node)} is boolean-mask indexing", node, path)
