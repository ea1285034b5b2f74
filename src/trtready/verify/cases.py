"""Verification inputs: built from the user's own example or data, never from white noise.

A :class:`Case` is one set of flat model inputs at one batch size. The cases for
a file are:

* at the export batch, the example itself (what the user gave, repeated to the
  export batch when it had fewer rows);
* at every other batch size, rows drawn from the *pool* (the example, or the
  user's ``--verify-data`` / ``verify_inputs``) and recombined: a floating row is a
  random convex mix of two pool rows (one of them with its positions shuffled
  within each channel), clipped to the range each channel takes in the pool.
  Signs, non-negativity and per-channel ranges are kept; integer-valued tensors
  (token ids, class ids, masks, flags) are whole rows taken as they are. A detector's images are
  whole rows too, half of them mirrored left-right (a mix with position-shuffled pixels is noise
  to a detector: its scores tie by the hundred, and no user's image looks like it);
* when the model has inputs that carry no batch (0-d counts and flags, small
  parameter vectors), cases at the export batch where those are varied inside
  their domain: a count moves by one (staying >= 0 or >= 1 as observed), a flag
  flips, a floating scalar is scaled by 0.5 and 1.5 (sign kept).

User data comes as a list of ready argument tuples (each verified as given, at
its own batch size) or a callable ``batch -> args`` (called for every batch size).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

__all__ = ["Case", "InputPool", "build_cases", "scalar_variants"]


@dataclass(frozen=True)
class Case:
    """One set of flat inputs at one batch size, with a label for the report."""

    label: str
    batch: int
    inputs: tuple


class InputPool:
    """Rows to draw verification inputs from, with each input's observed domain."""

    def __init__(self, tensors: tuple, batched: Sequence[bool], batch_dim: int, *, whole_rows: bool = False,
                 label: str | None = None):  # fmt: skip
        self.tensors = tuple(t.detach() for t in tensors)
        self.batched = list(batched)
        self.batch_dim = batch_dim
        self.whole_rows = whole_rows  # rows as they are (images: some mirrored), never mixed
        self.label = label
        sizes = {int(t.shape[batch_dim]) for t, b in zip(self.tensors, self.batched) if b}
        self.rows = min(sizes) if sizes else 0

    def draw(self, size: int, seed: int) -> tuple:
        """Inputs at batch ``size``: pool rows resampled and recombined (see module doc), or with
        ``whole_rows`` taken as they are, images mirrored left-right at random."""
        gen = torch.Generator().manual_seed(seed)
        first = torch.randint(self.rows, (size,), generator=gen)
        second = torch.randint(self.rows, (size,), generator=gen)
        mix = torch.rand(size, generator=gen) * 0.5 + 0.5
        if self.whole_rows:
            mirror = mix < 0.75  # half of the rows
            return tuple(_whole(t, self.batch_dim, first, mirror) if b else t.clone() for t, b in zip(self.tensors, self.batched))
        return tuple(
            _recombine(t, self.batch_dim, first, second, mix, gen) if b else t.clone()
            for t, b in zip(self.tensors, self.batched)
        )


def build_cases(
    example: tuple,
    batched: Sequence[bool],
    batch_dim: int,
    batches: Sequence[int],
    export_batch: int | None,
    *,
    pool: InputPool | None = None,
    user_cases: Sequence[Case] = (),
    names: Sequence[str] | None = None,
) -> list[Case]:
    """The cases a file is verified on, in order (see the module doc)."""
    drawn = "resampled" if pool is None else pool.label or "resampled from your data"
    pool = pool or InputPool(example, batched, batch_dim)
    cases = list(user_cases)
    for batch in batches:
        if batch == export_batch:
            cases.append(Case("example", batch, tuple(example)))
        elif pool.rows:
            cases.append(Case(drawn, batch, pool.draw(batch, seed=batch)))
        else:
            cases.append(Case("example", batch, tuple(example)))
    base = next((c for c in cases if c.batch == export_batch), cases[0] if cases else None)
    if base is not None:
        for label, inputs in scalar_variants(base.inputs, batched, names):
            cases.append(Case(label, base.batch, inputs))
    return cases


def scalar_variants(inputs: tuple, batched: Sequence[bool], names: Sequence[str] | None = None) -> list[tuple[str, tuple]]:
    """Copies of ``inputs`` with each batch-free scalar (0-d or one element) varied in its domain."""
    names = list(names or [f"input {i}" for i in range(len(inputs))])
    variants: list[tuple[str, tuple]] = []
    for i, (t, b) in enumerate(zip(inputs, batched)):
        if b or t.numel() != 1:
            continue
        for value in _neighbours(t):
            varied = list(inputs)
            varied[i] = value
            variants.append((f"{names[i]} varied to {_scalar(value)}", tuple(varied)))
    return variants


def _neighbours(t: torch.Tensor) -> list[torch.Tensor]:
    """Other values of a scalar input inside its observed domain."""
    if t.dtype == torch.bool:
        return [~t]
    value = t.item()
    if t.dtype.is_floating_point:
        if float(value).is_integer() and value in (0.0, 1.0):  # a flag kept as a float
            return [torch.full_like(t, 1.0 - value)]
        return [t * 0.5, t * 1.5] if value else []
    low = 0 if value >= 0 else None
    if value >= 1:
        low = 1 if value > 1 else 0
    others = [v for v in (value - 1, value + 1) if low is None or v >= low]
    return [torch.full_like(t, v) for v in others]


def _scalar(t: torch.Tensor):
    return t.reshape(-1)[0].item()


def _recombine(t, batch_dim, first, second, mix, gen) -> torch.Tensor:
    rows = t.movedim(batch_dim, 0)
    a = rows.index_select(0, first)
    if not t.dtype.is_floating_point or _integer_valued(t):
        return a.movedim(0, batch_dim)
    channel = _channel_axis(rows)
    b = rows.index_select(0, second)
    if channel is None:  # feature vectors: nothing to shuffle, so jitter within +-20%
        b = b * (torch.rand(b.shape, generator=gen) * 0.4 + 0.8).to(t.dtype)
    else:
        b = _shuffle_positions(b, channel, gen)
    lam = mix.reshape([-1] + [1] * (rows.dim() - 1)).to(t.dtype)
    low, high = _domain(rows, channel)
    return torch.minimum(torch.maximum(lam * a + (1 - lam) * b, low), high).movedim(0, batch_dim)


def _whole(t: torch.Tensor, batch_dim: int, first: torch.Tensor, mirror: torch.Tensor) -> torch.Tensor:
    """Rows ``first`` of ``t``; a floating image row (``[C, H, W]``) where ``mirror`` is set flipped left-right."""
    rows = t.movedim(batch_dim, 0).index_select(0, first)
    if t.dtype.is_floating_point and rows.dim() >= 4:
        rows = torch.where(mirror.reshape([-1] + [1] * (rows.dim() - 1)), rows.flip(-1), rows)
    return rows.movedim(0, batch_dim)


def _integer_valued(t: torch.Tensor) -> bool:
    finite = t[torch.isfinite(t)]
    return finite.numel() > 0 and bool(torch.all(finite == torch.round(finite)))


def _channel_axis(rows: torch.Tensor) -> int | None:
    """The axis whose entries have their own domain: C of ``[N, C, H, W...]``; of ``[N, A, B]`` the
    shorter one (C of ``[N, C, L]`` signals, xyz of ``[N, P, 3]`` point clouds)."""
    if rows.dim() >= 4:
        return 1
    if rows.dim() == 3:
        return 1 if rows.shape[1] <= rows.shape[2] else 2
    return None


def _shuffle_positions(rows: torch.Tensor, channel: int, gen) -> torch.Tensor:
    """Permute the positions of every row, keeping each value in its channel."""
    moved = rows.movedim(channel, 1)
    flat = moved.reshape(moved.shape[0], moved.shape[1], -1)
    order = torch.randperm(flat.shape[-1], generator=gen)
    return flat[..., order].reshape(moved.shape).movedim(1, channel)


def _domain(rows: torch.Tensor, channel: int | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Min and max per channel (per feature for >= 4 feature rows; else the whole tensor's)."""
    if channel is None and (rows.dim() != 2 or rows.shape[0] < 4):
        return rows.min(), rows.max()
    axis = 1 if channel is None else channel
    moved = rows.movedim(axis, 0).reshape(rows.shape[axis], -1)
    shape = [1] * rows.dim()
    shape[axis] = -1
    return moved.min(dim=1).values.reshape(shape), moved.max(dim=1).values.reshape(shape)

