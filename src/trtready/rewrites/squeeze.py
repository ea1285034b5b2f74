"""R003 ``rewrite.squeeze-index`` and R004 ``rewrite.unsqueeze-index``.

NVIDIA's ONNX export guidance for TensorRT ("torch.Tensor.squeeze"): when the size of the squeezed axis is not
known to the exporter (a dynamic axis), ``squeeze(d)`` exports to an ``If``
that squeezes only when the axis is 1, and TensorRT rejects it
("IIfConditionalOutputLayer inputs must have the same shape"). The guidance:
replace ``x.squeeze(d)`` by explicit indexing ``x[:, ..., 0]``.

R003 does that, but only where it is exact: each squeezed axis must have size
1 at trace time (``x.select(d, 0)``, a ``Gather``). An axis of another size is
a no-op for squeeze: under TorchScript tracing the call is left alone (a traced
size may belong to a dynamic axis, where the exporter's ``If`` keeps the
semantics); under torch.export, where such an axis is known to be static, the
call becomes a no-op view, working around a torch 2.14 bug: the torch.export
exporter emits ``Squeeze`` on that non-1 axis, an invalid model ONNX Runtime
refuses to load. ``squeeze()`` on a symbolic (dynamic) axis is left alone.

R004 (opt-in) turns ``unsqueeze(d)`` into ``x[:, ..., None]``, as the guide
suggests too. In torch 2.14 both exporters emit the same ``Unsqueeze`` (with
constant axes) for either spelling, so it changes nothing in the ONNX graph;
it is kept for parity with the guide.
"""

from __future__ import annotations

import torch

from ._util import bind, concrete_shape, static_int
from ..catalog.rewrites import REWRITES
from .base import DECLINE, Example, TorchRewrite


def _axes(dim, rank: int) -> list[int] | None:
    dims = [dim] if isinstance(dim, int) else list(dim) if isinstance(dim, (tuple, list)) else None
    if dims is None or not all(isinstance(d, int) for d in dims) or not all(-rank <= d < rank for d in dims):
        return None
    return sorted({d % rank for d in dims})


class SqueezeIndex(TorchRewrite):
    spec = REWRITES["R003"]
    targets = (torch.squeeze, torch.Tensor.squeeze)

    def replacement(self, func, types, args, kwargs):
        call = bind(func, args, kwargs, ("input", "dim"), {"dim": None})
        if call is None or not isinstance(call["input"], torch.Tensor) or call["input"].dim() == 0:
            return DECLINE
        x, dim = call["input"], call["dim"]
        sizes = [static_int(s) for s in concrete_shape(x)]
        if dim is None:
            if any(s is None for s in sizes):
                return DECLINE
            axes = [i for i, s in enumerate(sizes) if s == 1]
        else:
            axes = _axes(dim, x.dim())
            if axes is None or any(sizes[a] is None for a in axes):
                return DECLINE
            if any(sizes[a] != 1 for a in axes):
                if torch.jit.is_tracing() or any(sizes[a] == 1 for a in axes):
                    return DECLINE  # traced sizes may be dynamic axes: leave the exporter's If
                return x.view_as(x)  # static axes, none of size 1: squeeze is a no-op
        if not axes:
            return DECLINE
        for axis in reversed(axes):
            x = x.select(axis, 0)
        return x

    @classmethod
    def example(cls) -> Example:
        class Model(torch.nn.Module):
            def forward(self, x):
                return x.squeeze(1) * 2, torch.squeeze(x, -1) + 1, x.squeeze(2)  # the last is a no-op

        g = torch.Generator().manual_seed(0)
        return Example(
            Model(),
            [(torch.randn(2, 1, 3, 1, generator=g),), (torch.randn(5, 1, 3, 1, generator=g),)],
            dynamic_axes={"x": {0: "batch", 1: "n"}},
        )


class UnsqueezeIndex(TorchRewrite):
    spec = REWRITES["R004"]
    targets = (torch.unsqueeze, torch.Tensor.unsqueeze)

    def replacement(self, func, types, args, kwargs):
        call = bind(func, args, kwargs, ("input", "dim"), {})
        if call is None or len(call) != 2 or not isinstance(call["input"], torch.Tensor):
            return DECLINE
        x, dim = call["input"], call["dim"]
        rank = x.dim()
        if not isinstance(dim, int) or not -rank - 1 <= dim <= rank:
            return DECLINE
        dim %= rank + 1
        return x[(slice(None),) * dim + (None,)]

    @classmethod
    def example(cls) -> Example:
        class Model(torch.nn.Module):
            def forward(self, x):
                return x.unsqueeze(0), torch.unsqueeze(x, 2), x.unsqueeze(-1)

        return Example(Model(), [(torch.randn(2, 3),), (torch.randn(4, 1),)])
