"""R009 ``rewrite.fft-matmul``: ``torch.fft.rfft`` / ``fft`` of a real, fixed-size axis as DFT matmuls.

The torch.onnx docs and Lei Mao's "PyTorch Model Export to ONNX Failed Due to
ATen" (ATen ops without an ONNX equivalent: rebuild them from supported ops): the TorchScript exporter cannot export ``aten::fft_rfft`` /
``fft_fft`` at all, and the torch.export exporter emits ONNX ``DFT``, which
TensorRT does not support. For a real input whose transformed axis has a size
known at trace time, the transform is two matrix products with constant
cos/sin tables: ``re = x @ C``, ``im = -x @ S`` (``norm`` scales them).

Complex tensors cannot cross into ONNX, so the replacement returns
``torch.complex(re, im)`` (right in eager) and remembers ``(re, im)``; the
usual real-valued consumers of the result (``abs``, ``.real``, ``.imag``,
``torch.view_as_real``, ``angle``) are then computed from the parts, and the
unused complex tensor is dropped by both exporters. A model that returns or
otherwise consumes the complex tensor still fails to export, as before.

Not exact: a matmul rounds differently from an FFT (tests: 1e-5 relative at
n = 64), and an inf/nan input spreads to every frequency (0 * inf).
"""

from __future__ import annotations

import math
import weakref

import torch

from ._util import bind, concrete_shape, static_int
from .atan2 import atan2_exact
from ..catalog.rewrites import REWRITES
from .base import DECLINE, Example, TorchRewrite

_SCALE = {None: lambda n: 1.0, "backward": lambda n: 1.0, "ortho": lambda n: 1 / math.sqrt(n), "forward": lambda n: 1 / n}
_TRANSFORMS = (torch.fft.rfft, torch.fft.fft)
_REAL_GET = torch.Tensor.real.__get__
_IMAG_GET = torch.Tensor.imag.__get__
_ABS = (torch.abs, torch.Tensor.abs, torch.Tensor.__abs__, torch.absolute, torch.Tensor.absolute)
_ANGLE = (torch.angle, torch.Tensor.angle)
_CONSUMERS = (*_ABS, *_ANGLE, torch.real, torch.imag, _REAL_GET, _IMAG_GET, torch.view_as_real)


def dft_tables(n: int, bins: int, dtype, device) -> tuple[torch.Tensor, torch.Tensor]:
    j = torch.arange(n, dtype=torch.int64)
    k = torch.arange(bins, dtype=torch.int64)
    phase = ((j[:, None] * k[None, :]) % n).to(torch.float64) * (2 * math.pi / n)  # the modulo keeps the angle accurate
    return torch.cos(phase).to(dtype=dtype, device=device), torch.sin(phase).to(dtype=dtype, device=device)


class FftMatmul(TorchRewrite):
    spec = REWRITES["R009"]
    targets = (*_TRANSFORMS, *_CONSUMERS)

    def __init__(self):
        self._parts: dict[int, tuple] = {}

    def replacement(self, func, types, args, kwargs):
        if func in _TRANSFORMS:
            return self._transform(func, args, kwargs)
        if kwargs or len(args) != 1 or not isinstance(args[0], torch.Tensor):
            return DECLINE
        entry = self._parts.get(id(args[0]))
        if entry is None or entry[0]() is not args[0]:
            return DECLINE
        _, re, im = entry
        if func in _ABS:
            return torch.sqrt(re * re + im * im)
        if func in _ANGLE:
            return atan2_exact(im, re)
        if func in (torch.real, _REAL_GET):
            return re
        if func in (torch.imag, _IMAG_GET):
            return im
        return torch.stack([re, im], dim=-1)  # view_as_real

    def _transform(self, func, args, kwargs):
        call = bind(func, args, kwargs, ("input", "n", "dim", "norm"), dict(n=None, dim=-1, norm=None))
        if call is None or not isinstance(call["input"], torch.Tensor):
            return DECLINE
        x, dim, norm = call["input"], call["dim"], call["norm"]
        if x.dtype not in (torch.float32, torch.float64) or x.dim() == 0 or not isinstance(dim, int) or norm not in _SCALE:
            return DECLINE
        if not -x.dim() <= dim < x.dim():
            return DECLINE
        dim %= x.dim()
        n = static_int(concrete_shape(x)[dim])
        if n is None or n == 0 or call["n"] not in (None, n):
            return DECLINE
        bins = n // 2 + 1 if func is torch.fft.rfft else n
        cos, sin = dft_tables(n, bins, x.dtype, x.device)
        scale = _SCALE[norm](n)
        if scale != 1.0:
            cos, sin = cos * scale, sin * scale
        last = x.dim() - 1  # positive axes: TorchScript exports movedim(-1, d) as an invalid Transpose
        moved = x.transpose(dim, last) if dim != last else x
        # ``+ 0.0`` turns the -0.0 of the all-zero sin columns (DC, Nyquist) into the FFT's +0.0 (matters for angle)
        re, im = torch.matmul(moved, cos), torch.matmul(moved, -sin) + 0.0
        if dim != last:  # a swap is its own inverse
            re, im = re.transpose(dim, last), im.transpose(dim, last)
        out = torch.complex(re, im)
        self._parts[id(out)] = (weakref.ref(out), re, im)
        return out

    @classmethod
    def example(cls) -> Example:
        class Model(torch.nn.Module):
            def forward(self, x):
                spectrum = torch.fft.rfft(x, norm="ortho")
                full = torch.fft.fft(x, dim=1)
                return spectrum.abs(), spectrum.real, spectrum.imag, torch.view_as_real(full)

        g = torch.Generator().manual_seed(0)
        return Example(
            Model(),
            [(torch.randn(2, 16, 64, generator=g),), (torch.ones(2, 16, 64),)],
            atol=2e-5, rtol=1e-5,
        )
