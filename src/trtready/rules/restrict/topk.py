"""TRT503 restrict.topk: TopK with sorted=0 or K of 3840 or more."""

from __future__ import annotations

from ...graph.attributes import int_attr
from ..base import Rule, Severity, describe, input_at

_HEADER = '<ir_version: 8, opset_import: ["" : 17]>'
K_LIMIT = 3840


def _topk(k: int, attrs: str = "") -> str:
    return f"""{_HEADER}
g (float[N,5000] x) => (float[N,{k}] v, int64[N,{k}] i) {{
  k = Constant <value_ints = [{k}]> ()
  v, i = TopK {attrs}(x, k)
}}"""


class TopKLimits(Rule):
    """A TopK with `sorted=0`, or a constant K that is not below 3840."""

    id = "TRT503"
    name = "restrict.topk"
    severity = Severity.ERROR
    why = (
        "TopK requires `sorted=1` and K < 3840 (onnx-tensorrt docs/operators.md since 10.1; TensorRT's "
        "ITopKLayer has a maximum K)."
    )
    fix = (
        "Use torch.topk(x, k, sorted=True) with k < 3840; for larger k sort with torch.sort and slice, or "
        "split the selection into chunks."
    )
    VALID = [_topk(100)]
    INVALID = [_topk(4000), _topk(10, "<sorted = 0> ")]

    ops = ("TopK",)

    def check_node(self, ctx, path, node):
        if not ctx.trt.at_least("10.1"):
            return
        if int_attr(node, "sorted", 1) == 0:
            yield self.finding(f"{describe(node)} has sorted=0", node, path)
        k = ctx.constant(input_at(node, 1))
        if k is not None and k.size == 1 and int(k.reshape(-1)[0]) >= K_LIMIT:
            yield self.finding(f"{describe(node)} has K={int(k.reshape(-1)[0])}, not below {K_LIMIT}", node, path)
