"""R005 ``rewrite.bool-bitwise-arith``: ``&``, ``|``, ``^``, ``~`` on bool tensors as int32 arithmetic.

NVIDIA's ONNX export guidance for TensorRT ("Bitwise Ops"): "bitwise ops such as & | ~ are supported in tensor
bools by TensorRT, but sometimes may not"; they can always be written with
basic ops and casts: ``a & b`` -> ``a.int() * b.int() > 0``, ``a | b`` ->
``a.int() + b.int() > 0``, ``a ^ b`` -> ``a.int() + b.int() == 1``, ``~a`` ->
``a.int() == 0``. The result stays bool.

Opt-in: on bool tensors both exporters emit ``And``/``Or``/``Xor``/``Not``,
which every TensorRT release in the reference table accepts (it is the
*integer* ``Bitwise*`` ops that TensorRT rejects, and those are not rewritten
here), so the default export does not need it.
"""

from __future__ import annotations

import operator

import torch

from ..catalog.rewrites import REWRITES
from .base import DECLINE, Example, TorchRewrite

_I32 = torch.int32


def _and(a, b):
    return (a.to(_I32) * b.to(_I32)) > 0


def _or(a, b):
    return (a.to(_I32) + b.to(_I32)) > 0


def _xor(a, b):
    return (a.to(_I32) + b.to(_I32)) == 1


_BINARY = {
    torch.bitwise_and: _and, torch.Tensor.bitwise_and: _and, torch.Tensor.__and__: _and, torch.Tensor.__rand__: _and,
    torch.bitwise_or: _or, torch.Tensor.bitwise_or: _or, torch.Tensor.__or__: _or, torch.Tensor.__ror__: _or,
    torch.bitwise_xor: _xor, torch.Tensor.bitwise_xor: _xor, torch.Tensor.__xor__: _xor, torch.Tensor.__rxor__: _xor,
}  # fmt: skip
_UNARY = (torch.bitwise_not, torch.Tensor.bitwise_not, torch.Tensor.__invert__)


def _is_bool(t) -> bool:
    return isinstance(t, torch.Tensor) and t.dtype == torch.bool


class BoolBitwiseArith(TorchRewrite):
    spec = REWRITES["R005"]
    targets = (*_BINARY, *_UNARY)

    def replacement(self, func, types, args, kwargs):
        if kwargs:
            return DECLINE
        if func in _UNARY:
            return (args[0].to(_I32) == 0) if len(args) == 1 and _is_bool(args[0]) else DECLINE
        if len(args) != 2 or not (_is_bool(args[0]) and _is_bool(args[1])):
            return DECLINE
        return _BINARY[func](args[0], args[1])

    @classmethod
    def example(cls) -> Example:
        class Model(torch.nn.Module):
            def forward(self, x, y):
                a, b = x > 0, y > 0
                return a & b, a | b, a ^ b, ~a, torch.bitwise_and(a, b[:1]), operator.invert(b)

        g = torch.Generator().manual_seed(0)
        return Example(Model(), [
            (torch.randn(3, 4, generator=g), torch.randn(3, 4, generator=g)),
            (torch.zeros(3, 4), torch.ones(3, 4)),
        ])  # fmt: skip
