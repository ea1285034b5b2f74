"""R002 ``rewrite.atan2-atan``: ``torch.atan2`` from ``atan`` with explicit quadrant fixes.

NVIDIA's ONNX export guidance for TensorRT ("Unsupported Operators", example 2:
``torch_atan2_trt``): ONNX has
no Atan2, so it has to be built from Atan. The exporters' own decomposition
(``Atan(y / x)`` + two ``Where``) is wrong on the axes: ``atan2(0, -1)`` gives
-pi instead of pi, and ``atan2(0, 0)`` gives nan instead of 0. The guidance's
version multiplies by masks, which turns any inf/nan into nan everywhere.

This one is exact, including signed zeros and infinities: the angle of
``(|x|, |y|)`` from ``atan(min / max)`` (accurate: the ratio is in [0, 1]),
reflected to ``pi/2 - a`` above the diagonal, to ``pi - a`` for negative x
(including -0.0) and negated for negative y (including -0.0). Only ``Where``,
``Atan``, ``Div``, ``Abs`` and comparisons are exported.
"""

from __future__ import annotations

import math

import torch

from ._util import bind, is_float
from ..catalog.rewrites import REWRITES
from .base import DECLINE, Example, TorchRewrite


def _negative(v: torch.Tensor) -> torch.Tensor:
    """Sign bit set: v < 0, or v == -0.0 (1 / -0.0 == -inf)."""
    return (v < 0) | ((v == 0) & (torch.reciprocal(v) < 0))


def atan2_exact(y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    ay, ax = y.abs(), x.abs()
    y_below = ay < ax  # Where, not Min/Max: a nan must reach the ratio whatever the runtime's Min/Max do
    lo, hi = torch.where(y_below, ay, ax), torch.where(y_below, ax, ay)
    same = ay == ax  # includes inf == inf, where lo / hi would be nan
    ratio = torch.where((ay == 0) & (ax == 0), torch.zeros_like(lo), torch.where(same, torch.ones_like(lo), lo / hi))
    angle = torch.atan(ratio)
    angle = torch.where(ay > ax, math.pi / 2 - angle, angle)
    angle = torch.where(_negative(x), math.pi - angle, angle)
    return torch.where(_negative(y), -angle, angle)


class Atan2(TorchRewrite):
    spec = REWRITES["R002"]
    targets = (torch.atan2, torch.Tensor.atan2, torch.arctan2, torch.Tensor.arctan2)

    def replacement(self, func, types, args, kwargs):
        call = bind(func, args, kwargs, ("input", "other"), {})
        if call is None or len(call) != 2:
            return DECLINE
        y, x = call["input"], call["other"]
        if not (is_float(y) and is_float(x)) or y.dtype != x.dtype:
            return DECLINE
        return atan2_exact(y, x)

    @classmethod
    def example(cls) -> Example:
        class Model(torch.nn.Module):
            def forward(self, y, x):
                return torch.atan2(y, x), y.atan2(x + 1)

        g = torch.Generator().manual_seed(0)
        inf, nan = math.inf, math.nan
        edge = torch.tensor([0.0, -0.0, 1.0, -1.0, inf, -inf, 1e-30, -1e-30, 3.0, nan])
        ys, xs = torch.meshgrid(edge, edge, indexing="ij")
        return Example(Model(), [
            (ys.reshape(10, 10).contiguous(), xs.reshape(10, 10).contiguous()),
            (torch.randn(10, 10, generator=g), torch.randn(10, 10, generator=g)),
            (torch.randn(10, 10, generator=g) * 1e3, torch.randn(10, 10, generator=g) * 1e-3),
        ])  # fmt: skip
