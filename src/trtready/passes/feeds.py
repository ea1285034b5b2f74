"""Random inputs for an ONNX model alone (``trtready fix`` has no PyTorch model).

Graph inputs give dtype and shape. A symbolic dim at axis 0 is the batch and
takes the requested batch size; any other symbolic dim takes ``OTHER_DIM``
(override with ``--input NAME:shape``). Floats are uniform in [0, 1), integers
in [0, 10) (small enough to be valid indices or token ids in most models),
bools random.
"""

from __future__ import annotations

import numpy as np
import onnx_ir as ir

from ..errors import InputSpecError

__all__ = ["MAX_ELEMENTS", "OTHER_DIM", "feeds_for_model"]

OTHER_DIM = 8
MAX_ELEMENTS = 2**27  # per input (512 MiB of float32): sizes come from the file, so they are capped


def feeds_for_model(
    model: ir.Model, batch: int, *, draw: int = 0, shapes: dict[str, tuple[int, ...]] | None = None
) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(draw + batch)  # draw: which set of inputs, reproducibly
    feeds = {}
    for value in model.graph.inputs:
        if value.name in model.graph.initializers:
            continue
        shape = _shape(value, batch, (shapes or {}).get(value.name))
        _check_size(value.name, shape)
        feeds[value.name] = _random(rng, _numpy_dtype(value), shape)
    return feeds


def _shape(value: ir.Value, batch: int, given: tuple[int, ...] | None) -> tuple[int, ...]:
    if given is not None:
        return (batch, *given[1:]) if given else given
    if value.shape is None:
        return (batch,)
    return tuple(
        d if isinstance(d, int) else (batch if i == 0 else OTHER_DIM) for i, d in enumerate(value.shape)
    )


def _check_size(name: str, shape: tuple[int, ...]) -> None:
    if any(d < 0 for d in shape):
        raise InputSpecError(f"input '{name}' declares a negative dimension {list(shape)}")
    if int(np.prod(shape, dtype=np.float64)) > MAX_ELEMENTS:
        raise InputSpecError(
            f"input '{name}' would need {list(shape)} elements to prove the fixes, over the {MAX_ELEMENTS:,} cap",
            hint="give smaller sizes with --input NAME:2x3x224x224",
        )


def _numpy_dtype(value: ir.Value) -> np.dtype:
    """The input's numpy dtype (FLOAT when it has none); an element type numpy has no dtype for is refused."""
    if value.dtype is None:
        return np.dtype(np.float32)
    try:
        return np.dtype(value.dtype.numpy())
    except TypeError:  # UNDEFINED (elem_type 0), or a type numpy cannot hold
        raise InputSpecError(f"input '{value.name}' has element type {value.dtype.name}, of which no random values can be made") from None


def _random(rng: np.random.Generator, np_dtype: np.dtype, shape: tuple[int, ...]) -> np.ndarray:
    if np_dtype == np.bool_:
        return rng.random(shape) > 0.5
    if np.issubdtype(np_dtype, np.integer):
        return rng.integers(0, 10, size=shape).astype(np_dtype)
    return rng.random(shape).astype(np_dtype)
