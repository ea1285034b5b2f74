"""Fit how one constant of a traced graph depends on the batch it was traced at (not a pass).

Given the same constant from traces at several batch sizes, :func:`fit_law`
finds either

* a :class:`ValueLaw`: same shape everywhere, every element an integer
  ``a * B + c`` (``[2, -1, 1, 1]`` at batch 2 and ``[3, -1, 1, 1]`` at batch 3
  give ``[B, -1, 1, 1]``); or
* an :class:`AxisLaw`: the shape differs along one axis whose size is
  ``p * B + q``, and slice ``k`` along it is ``base + k * step`` (equal slices,
  like a folded ``torch.zeros(b, 4)``, have ``step == 0``; a folded
  ``torch.arange(b)`` has ``base 0, step 1``);

or says in one sentence why neither fits. Every law reproduces every sample
exactly (floats: to float32 rounding); with two samples at consecutive batch
sizes any integer pair is "linear", so a third sample is what proves it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["AxisLaw", "Sample", "ValueLaw", "fit_law"]

Sample = tuple[int, np.ndarray]  # (batch size traced at, the constant's contents)


@dataclass(frozen=True, eq=False)
class ValueLaw:
    """Element-wise ``a * B + c`` (integer arrays of the constant's shape), in ``dtype``."""

    a: np.ndarray
    c: np.ndarray
    dtype: np.dtype

    def at(self, batch: int) -> np.ndarray:
        return (self.a * batch + self.c).astype(self.dtype)

    def __str__(self) -> str:
        terms = [_term(int(a), int(c)) for a, c in zip(self.a.ravel(), self.c.ravel())]
        return terms[0] if self.a.ndim == 0 else f"[{', '.join(terms)}]"


@dataclass(frozen=True, eq=False)
class AxisLaw:
    """Size ``p * B + q`` along ``axis``; slice ``k`` is ``base + k * step`` (kept dims)."""

    axis: int
    p: int
    q: int
    base: np.ndarray
    step: np.ndarray

    @property
    def dtype(self) -> np.dtype:
        return self.base.dtype

    @property
    def constant_slices(self) -> bool:
        return not np.any(self.step)

    def size(self, batch: int) -> int:
        return self.p * batch + self.q

    def at(self, batch: int) -> np.ndarray:
        shape = [1] * self.base.ndim
        shape[self.axis] = self.size(batch)
        k = np.arange(self.size(batch)).reshape(shape)
        if self.constant_slices:
            return np.broadcast_to(self.base, np.broadcast_shapes(self.base.shape, k.shape)).copy()
        return (self.base + k * self.step).astype(self.dtype)

    def __str__(self) -> str:
        size = _term(self.p, self.q)
        if self.constant_slices:
            return f"{size} equal slices along axis {self.axis}"
        if self.base.size == 1:
            first, step = self.base.ravel()[0].item(), self.step.ravel()[0].item()
            return f"{size} values along axis {self.axis}: {first} + {step}*k"
        return f"{size} slices along axis {self.axis}: base + step*k"


def fit_law(samples: list[Sample]) -> ValueLaw | AxisLaw | str:
    """The law every sample follows, or why there is none (a sentence)."""
    first = samples[0][1]
    if any(s.dtype != first.dtype or s.ndim != first.ndim for _, s in samples):
        return "its dtype or rank changes with the batch"
    if all(s.shape == first.shape for _, s in samples):
        return _fit_values(samples)
    return _fit_axis(samples)


def _fit_values(samples: list[Sample]) -> ValueLaw | str:
    (b0, v0), (b1, v1) = samples[0], samples[1]
    if not np.issubdtype(v0.dtype, np.integer):
        return f"it is a {v0.dtype} constant whose value changes with the batch (not an integer size)"
    delta = v1.astype(np.int64) - v0.astype(np.int64)
    if np.any(delta % (b1 - b0)):
        return "its values do not change by a whole multiple of the batch change"
    a = delta // (b1 - b0)
    law = ValueLaw(a=a, c=v0.astype(np.int64) - a * b0, dtype=v0.dtype)
    if any(not np.array_equal(law.at(b), s) for b, s in samples):
        return f"its values are not linear in the batch ({_values(samples)})"
    return law


def _fit_axis(samples: list[Sample]) -> AxisLaw | str:
    shapes = [s.shape for _, s in samples]
    axes = {i for i in range(len(shapes[0])) if len({shape[i] for shape in shapes}) > 1}
    if len(axes) != 1:
        return f"its shape changes along {len(axes)} axes ({' vs '.join(map(str, shapes))})"
    axis = axes.pop()
    sizes = [(b, s.shape[axis]) for b, s in samples]
    (b0, n0), (b1, n1) = sizes[0], sizes[1]
    if (n1 - n0) % (b1 - b0):
        return f"its size along axis {axis} does not follow the batch ({_sizes(sizes)})"
    p = (n1 - n0) // (b1 - b0)
    q = n0 - p * b0
    if any(p * b + q != n for b, n in sizes):
        return f"its size along axis {axis} is not linear in the batch ({_sizes(sizes)})"
    return _fit_slices(samples, axis, p, q)


def _fit_slices(samples: list[Sample], axis: int, p: int, q: int) -> AxisLaw | str:
    longest = max((s for _, s in samples), key=lambda s: s.shape[axis])
    if longest.shape[axis] == 0:
        return "it is empty at every batch traced"
    base = np.take(longest, [0], axis=axis)
    if longest.dtype == np.bool_ or longest.shape[axis] == 1:
        step = np.zeros_like(base)
    else:
        step = np.take(longest, [1], axis=axis) - base
    law = AxisLaw(axis=axis, p=p, q=q, base=base, step=step)
    if any(not _same(law.at(b), s) for b, s in samples):
        return f"its slices along axis {axis} are neither equal nor an arithmetic progression"
    return law


def _same(expected: np.ndarray, actual: np.ndarray) -> bool:
    if expected.shape != actual.shape:
        return False
    if np.issubdtype(actual.dtype, np.floating):
        return bool(np.allclose(expected, actual, rtol=1e-6, atol=1e-6))
    return bool(np.array_equal(expected, actual))


def _term(a: int, c: int) -> str:
    if a == 0:
        return str(c)
    head = "B" if a == 1 else ("-B" if a == -1 else f"{a}*B")
    return head if c == 0 else f"{head}{c:+d}"


def _values(samples: list[Sample]) -> str:
    return ", ".join(f"{_short(s)} at batch {b}" for b, s in samples)


def _sizes(sizes: list[tuple[int, int]]) -> str:
    return ", ".join(f"{n} at batch {b}" for b, n in sizes)


def _short(array: np.ndarray) -> str:
    flat = array.ravel().tolist()
    text = ", ".join(map(str, flat[:6])) + (", ..." if len(flat) > 6 else "")
    return text if array.ndim == 0 else f"[{text}]"
