"""R007 ``rewrite.fold-conv-transpose``: ``F.fold`` / ``nn.Fold`` (Col2Im) as a grouped ConvTranspose.

The torch.onnx docs and Lei Mao's "PyTorch Model Export to ONNX Failed Due to
ATen" (ATen ops without an ONNX equivalent: rewrite them from supported ops): ``F.fold`` exports to ``Col2Im`` (opset 18), which
TensorRT does not support in any release. Fold adds every column entry into
its output pixel; that is exactly a transposed convolution whose kernel is a
one-hot selector: input channel ``c*K + k`` (K = kh*kw) feeds output channel
``c`` through a kernel that is 1 at position k and 0 elsewhere (groups = C),
with fold's stride, dilation and padding. A trailing zero-pad covers output
rows/columns that no block reaches.

Not exact for non-finite inputs: the convolution multiplies every input by the
zeros of the other kernel taps, so an inf/nan spreads (as nan) to neighbouring
pixels. Sums may round differently (different order).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ._util import bind, concrete_shape, static_int
from ..catalog.rewrites import REWRITES
from .base import DECLINE, Example, TorchRewrite

_NAMES = ("input", "output_size", "kernel_size", "dilation", "padding", "stride")
_DEFAULTS = dict(dilation=1, padding=0, stride=1)


def _pair(v) -> tuple[int, int] | None:
    pair = (v, v) if isinstance(v, int) else tuple(v) if isinstance(v, (tuple, list)) else None
    return pair if pair and len(pair) == 2 and all(type(i) is int for i in pair) else None


def fold_conv_transpose(x, output_size, kernel, dilation, padding, stride):
    batched = x.dim() == 3
    if not batched:
        x = x.unsqueeze(0)
    ck, length = concrete_shape(x)[1:]
    (h, w), (kh, kw), (dh, dw), (ph, pw), (sh, sw) = output_size, kernel, dilation, padding, stride
    k = kh * kw
    blocks_h = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    blocks_w = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    if ck % k or blocks_h < 1 or blocks_w < 1 or blocks_h * blocks_w != length:
        return DECLINE
    channels = ck // k
    weight = torch.eye(k, dtype=x.dtype, device=x.device).reshape(k, 1, kh, kw).repeat(channels, 1, 1, 1)
    out = F.conv_transpose2d(
        x.reshape(-1, ck, blocks_h, blocks_w), weight, stride=(sh, sw), padding=(ph, pw), groups=channels, dilation=(dh, dw)
    )  # fmt: skip
    # rows/columns no block reaches, in [0, stride): fold leaves them 0
    extra_h = h - ((blocks_h - 1) * sh - 2 * ph + dh * (kh - 1) + 1)
    extra_w = w - ((blocks_w - 1) * sw - 2 * pw + dw * (kw - 1) + 1)
    if extra_h or extra_w:
        out = F.pad(out, (0, extra_w, 0, extra_h))
    return out if batched else out[0]


class FoldConvTranspose(TorchRewrite):
    spec = REWRITES["R007"]
    targets = (F.fold,)

    def replacement(self, func, types, args, kwargs):
        call = bind(func, args, kwargs, _NAMES, _DEFAULTS)
        if call is None or not isinstance(call["input"], torch.Tensor):
            return DECLINE
        x = call["input"]
        if x.dim() not in (2, 3) or not x.dtype.is_floating_point or any(static_int(s) is None for s in concrete_shape(x)[-2:]):
            return DECLINE
        params = [_pair(call[n]) for n in _NAMES[1:]]
        if any(p is None for p in params) or min(params[1] + params[2] + params[4]) < 1 or min(params[3]) < 0:
            return DECLINE
        return fold_conv_transpose(x, *params)

    @classmethod
    def example(cls) -> Example:
        class Model(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.fold = torch.nn.Fold((7, 6), (3, 2), dilation=(1, 2), padding=(1, 0), stride=(2, 1))

            def forward(self, cols, patches):
                return self.fold(cols), F.fold(patches, (5, 5), 2, stride=2)  # stride 2: row/column 4 uncovered

        g = torch.Generator().manual_seed(0)
        blocks = ((7 + 2 - 2 - 1) // 2 + 1) * ((6 - 2 - 1) // 1 + 1)
        return Example(Model(), [
            (torch.randn(2, 3 * 6, blocks, generator=g), torch.randn(2, 2 * 4, 4, generator=g)),
            (torch.randn(2, 3 * 6, blocks, generator=g) * 100, torch.zeros(2, 2 * 4, 4)),
        ])  # fmt: skip
