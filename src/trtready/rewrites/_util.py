"""Small helpers shared by the rewrites."""

from __future__ import annotations

from collections.abc import Callable

import torch



def bind(func: Callable, args: tuple, kwargs: dict, names: tuple[str, ...], defaults: dict) -> dict | None:
    """Positional + keyword arguments of a call as a dict over ``names``; None if they do not fit."""
    if len(args) > len(names):
        return None
    bound = dict(defaults)
    bound.update(zip(names, args))
    for key, value in kwargs.items():
        if key not in names or key in dict(zip(names, args)):
            return None
        bound[key] = value
    return bound


def static_int(value) -> int | None:
    """``value`` when it is a plain Python int (not a SymInt of a dynamic shape)."""
    return value if type(value) is int else None


def static_shape(t: torch.Tensor) -> tuple[int, ...] | None:
    """The shape as ints, or None when an axis is symbolic (torch.export dynamic)."""
    shape = concrete_shape(t)
    return shape if all(type(s) is int for s in shape) else None


def is_float(t) -> bool:
    return isinstance(t, torch.Tensor) and t.dtype.is_floating_point


def nonzero_1d(mask: torch.Tensor) -> torch.Tensor:
    """Indices of the True entries of a 1-D bool mask, through a float NonZero.

    TensorRT's NonZero accepts FP32/FP16 only (not BOOL, not INT64).
    """
    return torch.nonzero(mask.to(torch.float32))[:, 0]


def group_ids(first: torch.Tensor) -> torch.Tensor:
    """0-based group id of each element from the "starts a group" flags (1-D bool).

    CumSum runs in float32 (TensorRT's CumSum is FP-only): exact below 2**24 elements.
    """
    return first.to(torch.float32).cumsum(0).to(torch.int64) - 1




def concrete_shape(t: torch.Tensor) -> tuple:
    """``t``'s shape with plain ints where known, for decisions (never for building the graph).

    Under TorchScript tracing ``t.shape[i]`` is a traced 0-d tensor; reading it
    with tracing paused gives the trace-time int without a TracerWarning and
    without recording anything. Under torch.export a dynamic axis stays a
    SymInt (see :func:`static_int`).
    """
    state = torch._C._get_tracing_state()
    if state is None:
        return tuple(t.shape)
    torch._C._set_tracing_state(None)
    try:
        return tuple(t.shape)
    finally:
        torch._C._set_tracing_state(state)
