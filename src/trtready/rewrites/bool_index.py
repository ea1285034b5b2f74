"""R006 ``rewrite.bool-index-long``: ``x[mask]`` with a bool tensor as a long-index gather.

NVIDIA's ONNX export guidance for TensorRT ("Bool Indexing",
``index_bool2long_trt``; "Missing NonZero"):
bool-tensor indexing sometimes fails in TensorRT; converting the bool index to
long indices works. Both exporters turn ``x[mask]`` into
``NonZero(mask)`` + ``Transpose`` + ``GatherND``, and TensorRT's NonZero accepts
FP32/FP16 only, not BOOL. The rewrite flattens the masked leading axes and
gathers rows at ``nonzero(mask.float())``: a ``NonZero`` on FP32 + ``Gather``.
Row-major order, so the result is identical.

Only a plain bool-tensor index whose shape equals the leading axes of ``x``
is rewritten (not tuples such as ``x[:, mask]``). The output length is still
data-dependent.
"""

from __future__ import annotations

import torch

from ._util import concrete_shape, nonzero_1d
from ..catalog.rewrites import REWRITES
from .base import DECLINE, Example, TorchRewrite


class BoolIndexLong(TorchRewrite):
    spec = REWRITES["R006"]
    targets = (torch.Tensor.__getitem__,)
    target_label = "x[bool_mask]"  # for reports, rather than Tensor.__getitem__

    def replacement(self, func, types, args, kwargs):
        if kwargs or len(args) != 2:
            return DECLINE
        x, mask = args
        if not isinstance(x, torch.Tensor) or not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
            return DECLINE
        k = mask.dim()
        if k == 0 or k > x.dim() or concrete_shape(mask) != concrete_shape(x)[:k]:
            return DECLINE
        rows = x.reshape((-1, *x.shape[k:])) if k != 1 else x
        return rows.index_select(0, nonzero_1d(mask.reshape(-1)))

    @classmethod
    def example(cls) -> Example:
        class Model(torch.nn.Module):
            def forward(self, x, scores):
                keep = scores > 0.5
                return x[keep], scores[keep], x[x[..., 0] > 0]

        g = torch.Generator().manual_seed(0)
        return Example(Model(), [
            (torch.randn(2, 6, 3, generator=g), torch.rand(2, 6, generator=g)),
            (torch.randn(2, 6, 3, generator=g), torch.zeros(2, 6)),
            (torch.randn(2, 6, 3, generator=g), torch.ones(2, 6)),
        ])  # fmt: skip
