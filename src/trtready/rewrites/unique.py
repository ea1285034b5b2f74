"""R001 ``rewrite.unique-sort``: ``torch.unique`` as sort + compare + gather.

NVIDIA's ONNX export guidance for TensorRT ("Unsupported Operators", example 1:
``torch_unique_trt``): TensorRT has no ``Unique`` op in any release, so sort the
values, keep the ones that differ from their predecessor. ``return_inverse``
and ``return_counts`` are derived from the same sort (a cumulative sum of the
"new value" flags, scattered back through the sort permutation).

Only the default ``sorted=True, dim=None`` form is rewritten. The output size
is still data-dependent (a ``NonZero``): TensorRT builds it, but the output has
an unbounded dynamic length. ``torch.sort`` exports to ``TopK`` with K = the
number of elements, and TensorRT's TopK needs K < 3840.
"""

from __future__ import annotations

import torch

from ._util import bind, group_ids, nonzero_1d
from ..catalog.rewrites import REWRITES
from .base import DECLINE, Example, TorchRewrite

_NAMES = ("input", "sorted", "return_inverse", "return_counts", "dim")
_DEFAULTS = dict(sorted=True, return_inverse=False, return_counts=False, dim=None)


def unique_sorted(x: torch.Tensor, return_inverse: bool, return_counts: bool, *, presorted: bool = False):
    """Shared by R001 (sorts first) and R008 (``presorted``: consecutive runs)."""
    flat = x.reshape(-1)
    if presorted:
        values, perm = flat, None
    else:
        values, perm = torch.sort(flat)
    first = torch.cat([torch.ones(1, dtype=torch.bool, device=x.device), values[1:] != values[:-1]])
    starts = nonzero_1d(first)
    out = [values.index_select(0, starts)]
    if return_inverse:
        groups = group_ids(first)
        if perm is not None:
            groups = torch.zeros_like(groups).scatter(0, perm, groups)
        out.append(groups.reshape(x.shape))
    if return_counts:
        last = torch.cat([values[1:] != values[:-1], torch.ones(1, dtype=torch.bool, device=x.device)])
        out.append(nonzero_1d(last) - starts + 1)
    return out[0] if len(out) == 1 else tuple(out)


#: What is left at a line R001 or R008 rewrote: the sort/compare/gather form still selects a data-dependent count.

class UniqueSort(TorchRewrite):
    spec = REWRITES["R001"]
    targets = (torch.unique, torch.Tensor.unique)

    def replacement(self, func, types, args, kwargs):
        call = bind(func, args, kwargs, _NAMES, _DEFAULTS)
        if call is None or not isinstance(call["input"], torch.Tensor):
            return DECLINE
        x = call["input"]
        if not call["sorted"] or call["dim"] is not None or x.numel() == 0 or x.dtype == torch.bool or x.is_complex():
            return DECLINE
        return unique_sorted(x, bool(call["return_inverse"]), bool(call["return_counts"]))

    @classmethod
    def example(cls) -> Example:
        class Model(torch.nn.Module):
            def forward(self, x):
                values, inverse, counts = torch.unique(x, return_inverse=True, return_counts=True)
                return values * 2, inverse, counts, x.unique()

        g = torch.Generator().manual_seed(0)
        return Example(Model(), [
            (torch.randint(0, 6, (4, 5), generator=g).float(),),
            (torch.full((4, 5), 3.0),),
            (torch.tensor([[-1.0, 0.0, -0.0, 5.0, 5.0]] * 4),),
            (torch.randn(4, 5, generator=g),),
        ])  # fmt: skip
