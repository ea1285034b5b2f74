"""Translations trtready gives the torch.export-based exporter in place of torch.onnx's own.

``aten.as_strided`` with the strides of a contiguous tensor of its size is a reshape.
torch's decompositions write one to give a result the strides eager PyTorch would give it
(``adaptive_avg_pool2d(x, 1)`` becomes ``mean`` then ``as_strided`` in timm's ConvNeXt head);
torch.onnx translates every ``as_strided`` as a Gather from the flattened tensor with computed
indices, eight nodes of index arithmetic on the batch. ONNX tensors have no strides, so when the
strides are the row-major ones of ``size`` (any stride on a size-1 axis), the offset is 0 and
``size`` has as many elements as the input, the values are the input's in order: one Reshape.
Anything else goes to torch.onnx's own translation.
"""

from __future__ import annotations

import math
from collections.abc import Callable

__all__ = ["translations"]


def translations() -> dict[Callable, Callable]:
    """``{torch op overload: onnxscript function}`` for the dynamo exporter."""
    import torch

    from ..detection.dynamo_ops import translations as detection_translations

    return {torch.ops.aten.as_strided.default: _as_strided, **detection_translations()}


def _as_strided(self, size, stride, storage_offset=None):
    from onnxscript import opset18 as op
    from onnxscript.function_libs.torch_lib.ops.core import aten_as_strided

    if _is_reshape(self, size, stride, storage_offset):
        if all(isinstance(s, int) for s in size):
            return op.Reshape(self, op.Constant(value_ints=list(size)))
        one = op.Constant(value_ints=[1])
        parts = [op.Constant(value_ints=[s]) if isinstance(s, int) else op.Reshape(s, one) for s in size]
        return op.Reshape(self, op.Concat(*parts, axis=0))
    return aten_as_strided.func(self, size, stride, storage_offset)


def _is_reshape(self, size, stride, storage_offset) -> bool:
    """Offset 0, row-major strides for ``size`` (any stride on a size-1 axis), and ``size`` has as
    many elements as ``self``: the same product of static dims and one symbolic dim on each side
    (the batch; the file is verified at other batches, where a mismatch could not pass)."""
    if storage_offset not in (None, 0) or len(stride) != len(size) or not all(isinstance(s, int) for s in stride):
        return False
    expected: int | None = 1
    for dim, step in zip(reversed(size), reversed(stride)):
        if dim != 1 and step != expected:
            return False
        expected = expected * dim if expected is not None and isinstance(dim, int) else None
    return _same_elements(getattr(self, "shape", None), size)


def _same_elements(shape, size) -> bool:
    if shape is None:
        return False
    dims = list(shape)
    static = [d for d in dims if isinstance(d, int)]
    wanted = [s for s in size if isinstance(s, int)]
    symbolic = len(dims) - len(static), len(size) - len(wanted)
    return symbolic[0] == symbolic[1] and symbolic[0] <= 1 and math.prod(static) == math.prod(wanted)
