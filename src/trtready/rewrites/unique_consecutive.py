"""R008 ``rewrite.unique-consecutive``: ``unique_consecutive`` as compare + gather.

ATen ops without an ONNX equivalent (torch.onnx docs; Lei Mao's ATen post): neither exporter can
export ``aten::unique_consecutive`` at all. Its ``dim=None`` form is the
sort-free half of the ``torch_unique_trt`` of NVIDIA's export guidance: keep each value that differs
from its predecessor; ``return_inverse`` is the cumulative sum of those flags,
``return_counts`` the distance between run starts and run ends.
"""

from __future__ import annotations

import torch

from ._util import bind
from ..catalog.rewrites import REWRITES
from .base import DECLINE, Example, TorchRewrite
from .unique import unique_sorted

_NAMES = ("input", "return_inverse", "return_counts", "dim")
_DEFAULTS = dict(return_inverse=False, return_counts=False, dim=None)


class UniqueConsecutive(TorchRewrite):
    spec = REWRITES["R008"]
    targets = (torch.unique_consecutive, torch.Tensor.unique_consecutive)

    def replacement(self, func, types, args, kwargs):
        call = bind(func, args, kwargs, _NAMES, _DEFAULTS)
        if call is None or not isinstance(call["input"], torch.Tensor):
            return DECLINE
        x = call["input"]
        if call["dim"] is not None or x.numel() == 0 or x.dtype == torch.bool or x.is_complex():
            return DECLINE
        return unique_sorted(x, bool(call["return_inverse"]), bool(call["return_counts"]), presorted=True)

    @classmethod
    def example(cls) -> Example:
        class Model(torch.nn.Module):
            def forward(self, x):
                values, inverse, counts = torch.unique_consecutive(x, return_inverse=True, return_counts=True)
                return values + 1, inverse, counts, x.unique_consecutive()

        g = torch.Generator().manual_seed(0)
        return Example(Model(), [
            (torch.tensor([[1.0, 1.0, 2.0, 2.0, 2.0], [3.0, 1.0, 1.0, 0.0, -0.0]]),),
            (torch.randint(0, 3, (2, 5), generator=g).float(),),
            (torch.full((2, 5), 7.0),),
            (torch.randn(2, 5, generator=g),),
        ])  # fmt: skip
