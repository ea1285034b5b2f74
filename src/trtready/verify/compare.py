"""Compare one ONNX Runtime output with its PyTorch reference."""

from __future__ import annotations

import math

import numpy as np

from ..result import VerifyRow

DEFAULT_ATOL = 1e-4
DEFAULT_RTOL = 1e-3


def compare_output(
    name: str, batch: int, got: np.ndarray, ref: np.ndarray, *, atol: float, rtol: float, batch_dim: int | None
) -> VerifyRow:
    row = VerifyRow(
        batch=batch, output=name, status="pass", shape=list(got.shape), ref_shape=list(ref.shape),
        dtype=str(got.dtype), ref_dtype=str(ref.dtype), atol=atol, rtol=rtol,
    )  # fmt: skip
    if got.shape != ref.shape:
        return _fail(row, f"shape {list(got.shape)} != PyTorch's {list(ref.shape)}")
    if got.dtype != ref.dtype:
        return _fail(row, f"dtype {got.dtype} != PyTorch's {ref.dtype}")
    if ref.size == 0:
        row.max_abs = row.rel_err = 0.0
        return _degenerate(row, "the reference output is empty")
    if not np.issubdtype(ref.dtype, np.floating):
        mismatches = int(np.count_nonzero(got != ref))
        row.max_abs = max(float(np.max(np.abs(g - r))) for g, r in _slices(got, ref))
        row.rel_err = mismatches / ref.size
        return _fail(row, f"{mismatches} of {ref.size} values differ") if mismatches else _check_degenerate(row, ref, batch_dim)
    return _compare_float(row, got, ref, atol, rtol, batch_dim)


def _compare_float(row: VerifyRow, got, ref, atol, rtol, batch_dim) -> VerifyRow:
    """Pass when the relative L2 error is within ``rtol`` *and* every element is within
    ``atol * min(1, rms(r)) + rtol * (|r| + rms(r))``: one value badly wrong in a million fails;
    the rms term keeps values that cancel to near zero from failing on rounding noise; ``atol``
    shrinks with outputs smaller than 1, so that an output of tiny values is not passed whatever
    it holds. Computed in float64 a slice at a time (two passes: the rms first)."""
    stats = _float_stats(got, ref)
    if stats is None:
        return _fail(row, "NaN/Inf values differ from PyTorch's")
    row.max_abs, diff_squares, ref_squares, count = stats
    norm = math.sqrt(ref_squares)
    row.rel_err = math.sqrt(diff_squares) / norm if norm else (0.0 if row.max_abs == 0 else float("inf"))
    scale = norm / math.sqrt(count) if count else 0.0
    bad = _out_of_tolerance(got, ref, atol * min(1.0, scale), rtol, scale)
    row.bad_fraction = bad / count if count else 0.0
    if row.rel_err > rtol or bad:
        return _fail(row, f"max abs error {row.max_abs:.3g}, relative error {row.rel_err:.3g}, "
                          f"{bad} of {count} values out of tolerance (atol {atol:g}, rtol {rtol:g})")  # fmt: skip
    return _check_degenerate(row, ref, batch_dim)


#: Elements compared at a time: the float64 copies and masks stay a few MB, whatever the output's
#: size (a language model's logits at batch 8 are hundreds of MB in float64).
_SLICE = 2**20


def _slices(got: np.ndarray, ref: np.ndarray):
    """``(got, ref)`` slices in float64, over the flattened arrays."""
    flat_got, flat_ref = got.reshape(-1), ref.reshape(-1)
    for start in range(0, flat_ref.size, _SLICE):
        yield flat_got[start : start + _SLICE].astype(np.float64), flat_ref[start : start + _SLICE].astype(np.float64)


def _float_stats(got: np.ndarray, ref: np.ndarray) -> tuple[float, float, float, int] | None:
    """Over the reference's finite values: ``(max |g - r|, sum (g - r)^2, sum r^2, count)``;
    None when the non-finite values (NaN, Inf) are not the same in both."""
    max_abs, diff_squares, ref_squares, count = 0.0, 0.0, 0.0, 0
    for g, r in _slices(got, ref):
        finite = np.isfinite(r)
        if not np.array_equal(~np.isfinite(g), ~finite) or not np.array_equal(g[~finite], r[~finite]):
            return None
        g, r = g[finite], r[finite]
        diff = np.abs(g - r)
        if diff.size:
            max_abs = max(max_abs, float(diff.max()))
        diff_squares += float(np.dot(diff, diff))
        ref_squares += float(np.dot(r, r))
        count += r.size
    return max_abs, diff_squares, ref_squares, count


def _out_of_tolerance(got: np.ndarray, ref: np.ndarray, atol: float, rtol: float, scale: float) -> int:
    """How many finite reference values ``g`` misses by more than ``atol + rtol * (|r| + scale)``."""
    bad = 0
    for g, r in _slices(got, ref):
        finite = np.isfinite(r)
        g, r = g[finite], r[finite]
        bad += int(np.count_nonzero(np.abs(g - r) > atol + rtol * (np.abs(r) + scale)))
    return bad


def _check_degenerate(row: VerifyRow, ref: np.ndarray, batch_dim: int | None) -> VerifyRow:
    flat = ref.reshape(-1)
    if flat.size > 1 and np.all(flat == flat[0]):
        return _degenerate(row, f"the reference output is constant ({flat[0]!r}): parity proves little")
    if batch_dim is not None and ref.ndim > batch_dim and ref.shape[batch_dim] > 1:
        rows = np.moveaxis(ref, batch_dim, 0)
        if all(np.array_equal(rows[0], other) for other in rows[1:]):
            return _degenerate(row, "the reference is the same for every batch row although the inputs differ")
    return row


def _fail(row: VerifyRow, message: str) -> VerifyRow:
    row.status, row.message = "fail", message
    return row


def _degenerate(row: VerifyRow, message: str) -> VerifyRow:
    row.status, row.message = "degenerate", message
    return row
