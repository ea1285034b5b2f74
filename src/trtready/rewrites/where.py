"""R010 ``rewrite.where-arith`` (opt-in): ``torch.where(cond, a, b)`` as ``c * a + (1 - c) * b``.

NVIDIA's ONNX export guidance for TensorRT ("torch.where"; "Dynamic if-else"): replacing
``torch.where`` with multiplication and addition avoids a conditional node
that can make the TensorRT build fail. ``c`` is ``cond`` cast to the result
dtype; shapes broadcast exactly like ``torch.where``.

Opt-in because it is not exact for non-finite values: ``0 * inf`` and
``0 * nan`` are nan, so an inf/nan in the branch *not* taken poisons the result
(a common pattern, ``where(x > 0, log(x), 0)``, breaks). Both exporters emit a
plain ``Where``, which TensorRT supports; use this only when a build fails.
"""

from __future__ import annotations

import torch

from ._util import bind
from ..catalog.rewrites import REWRITES
from .base import DECLINE, Example, TorchRewrite


class WhereArith(TorchRewrite):
    spec = REWRITES["R010"]
    targets = (torch.where, torch.Tensor.where)

    def replacement(self, func, types, args, kwargs):
        names = ("condition", "input", "other") if func is torch.where else ("input", "condition", "other")
        call = bind(func, args, kwargs, names, {})
        if call is None or len(call) != 3:
            return DECLINE
        cond, a, b = call["condition"], call["input"], call["other"]
        if not isinstance(cond, torch.Tensor) or cond.dtype != torch.bool:
            return DECLINE
        if not any(isinstance(v, torch.Tensor) for v in (a, b)):
            return DECLINE
        dtype = torch.result_type(a, b)
        if dtype == torch.bool or dtype.is_complex:
            return DECLINE
        c = cond.to(dtype)
        return c * a + (1 - c) * b

    @classmethod
    def example(cls) -> Example:
        class Model(torch.nn.Module):
            def forward(self, x, y):
                return torch.where(x > 0, x, y * 2), torch.where(y > 0, y, 0.0), x.where(x < y, y)

        g = torch.Generator().manual_seed(0)
        return Example(Model(), [
            (torch.randn(3, 5, generator=g), torch.randn(3, 5, generator=g)),
            (torch.randn(3, 5, generator=g), torch.randn(1, 5, generator=g)),
        ])  # fmt: skip
