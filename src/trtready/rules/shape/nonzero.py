"""TRT204 shape.nonzero: NonZero gives a data-dependent output shape."""

from __future__ import annotations

from ...catalog import references as refs
from ..base import Rule, Severity, describe
from .bool_mask_indexing import indexing_users

_HEADER = '<ir_version: 8, opset_import: ["" : 17]>'


class NonZeroOutput(Rule):
    """A NonZero node (torch.nonzero, torch.where(cond), x[mask]) whose output size depends on the data."""

    id = "TRT204"
    name = "shape.nonzero"
    severity = Severity.WARNING
    references = (refs.ONNX_TRT_OPERATORS, refs.guidance("Missing NonZero operation in TensorRT", "missing-nonzero-operation-in-tensorrt"))
    why = (
        "NonZero's output shape depends on tensor values (a data-dependent shape, supported since "
        "TensorRT 8.5). Everything downstream gets a run-time size that may be 0, and a common detection "
        "pattern (threshold then index) fails or runs slowly (NVIDIA's ONNX export guidance for TensorRT, 'Missing NonZero operation in TensorRT'). "
        "NonZero only lists FP32/FP16 inputs. NonZero that feeds indexing is reported by TRT205 instead."
    )
    fix = (
        "Avoid variable-size results: replace thresholding `predictions[confidence > t]` with "
        "torch.topk(confidence, k) as that guide does, or keep the full tensor and multiply by the mask."
    )
    VALID = [
        f"""{_HEADER}
g (float[N] score) => (float[K] values, int64[K] idx) {{
  k = Constant <value_ints = [10]> ()
  values, idx = TopK(score, k)
}}""",
    ]
    INVALID = [
        f"""{_HEADER}
g (float[N] score) => (int64[1,M] idx) {{
  idx = NonZero(score)
}}""",
    ]

    def check(self, ctx):
        for path, node in ctx.nodes_of("NonZero"):
            if not indexing_users(node):
                yield self.finding(f"{describe(node)} output size depends on the data", node, path)
