"""Weights ONNX Runtime reads from the PyTorch model's memory instead of a second copy.

Verifying a large export in ONNX Runtime while the PyTorch model is in memory needs its weights
twice: the parameters, and the file's weights that ONNX Runtime maps. Most of the file's weights
*are* parameters, byte for byte (an embedding table) or transposed (a Linear's weight, which both
exporters write as ``W^T`` for a ``MatMul``). :func:`share_memory` proves which, comparing the bytes
a slice at a time (file reads, nothing mapped), and marks each such external tensor with its
parameter. :func:`for_runtime` then gives ONNX Runtime the parameter itself
(``SessionOptions.add_initializer``: no copy) or, for a transposed one, a graph input fed with the
parameter and a ``Transpose`` in place of the initializer: ``MatMul`` receives the very bytes the
file holds, and ONNX Runtime frees each transposed weight after its node instead of holding them
all (or fuses the Transpose into the product).
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np
import onnx_ir as ir

from .passes._graph import unique_name

__all__ = ["SharedWeights", "for_runtime", "share_memory"]

SAME, TRANSPOSED = "trtready.same_as", "trtready.transpose_of"  # meta keys of a marked external tensor
_PROBE_BYTES = 4096  # compared first: two different weights of one shape differ there
_CHUNK_BYTES = 2**24


@dataclass(frozen=True)
class SharedWeights:
    """``initializers``: by name, arrays holding their bytes; ``feeds``: graph inputs the runtime
    model reads (a transposed parameter's source), to feed on every run."""

    initializers: dict[str, np.ndarray] = field(default_factory=dict)
    feeds: dict[str, np.ndarray] = field(default_factory=dict)


def share_memory(model: ir.Model, arrays: Mapping[str, np.ndarray]) -> int:
    """Mark each external tensor of ``model`` that holds the bytes of one of ``arrays`` (the
    PyTorch parameters by name), as they are or, for a 2-D one, transposed; returns the bytes
    marked. Candidates have the layout; those named like the initializer are tried first."""
    same, transposed = _by_layout(arrays)
    marked = 0
    for value in _external_initializers(model):
        tensor, layout = value.const_value, _layout(value.const_value)
        if layout is None:
            continue
        match = _first(tensor, same.get(layout, []), value.name or "", _same_bytes)
        key = SAME
        if match is None and len(layout[1]) == 2:
            match = _first(tensor, transposed.get(layout, []), value.name or "", _transposed_bytes)
            key = TRANSPOSED
        if match is not None:
            tensor.meta[key] = match
            marked += match.nbytes
    return marked


def for_runtime(model: ir.Model) -> tuple[ir.Model, SharedWeights]:
    """The model to write for ONNX Runtime and the arrays to hand it: ``model`` itself when no
    weight is marked transposed, else a clone (tensors shared) where each such initializer of the
    main graph is ``Transpose(source)`` with ``source`` a graph input fed with the parameter."""
    shared = SharedWeights()
    transposed = []
    for value in _external_initializers(model):
        meta = value.const_value.meta
        if meta.get(SAME) is not None and value.name:
            shared.initializers[value.name] = meta.get(SAME)
        elif meta.get(TRANSPOSED) is not None and value.graph is model.graph and not value.is_graph_output():
            transposed.append(value.name)
    if not transposed:
        return model, shared
    try:
        clone = model.clone()
    except Exception:  # noqa: BLE001 - a graph onnx_ir cannot clone (nodes out of order): read from the file
        return model, shared
    _read_from_sources(clone, transposed, shared.feeds)
    return clone, shared


def _read_from_sources(model: ir.Model, names: list[str], feeds: dict[str, np.ndarray]) -> None:
    graph = model.graph
    taken = {v.name for v in graph.inputs} | {o.name for n in graph for o in n.outputs} | set(graph.initializers)
    nodes = []
    for name in names:
        value = graph.initializers[name]
        array = value.const_value.meta.get(TRANSPOSED)
        source = ir.Value(name=unique_name(taken, f"{name}.source"), shape=ir.Shape(array.shape), type=ir.TensorType(value.const_value.dtype))
        node = ir.node("Transpose", [source], {"perm": [1, 0]}, name=unique_name(taken, f"{name}.transpose"))
        output = node.outputs[0]
        output.shape, output.dtype = ir.Shape(value.const_value.shape), value.const_value.dtype
        value.replace_all_uses_with(output)
        graph.initializers.pop(name)
        output.name = name  # the name is free again: readers keep seeing the weight's own name
        graph.inputs.append(source)
        nodes.append(node)
        feeds[source.name] = array
    first = next(iter(graph), None)
    if first is None:
        graph.extend(nodes)
    else:
        graph.insert_before(first, nodes)


def _by_layout(arrays: Mapping[str, np.ndarray]) -> tuple[dict, dict]:
    """``(dtype, shape) -> [(name, array)]``, as they are and (2-D) transposed."""
    same: dict[tuple, list] = defaultdict(list)
    transposed: dict[tuple, list] = defaultdict(list)
    for name, array in arrays.items():
        if not array.flags.c_contiguous:
            continue
        same[(array.dtype.str, array.shape)].append((name, array))
        if array.ndim == 2:
            transposed[(array.dtype.str, array.shape[::-1])].append((name, array))
    return same, transposed


def _first(tensor: ir.ExternalTensor, candidates: list, name: str, equal) -> np.ndarray | None:
    for _, array in sorted(candidates, key=lambda c: not _same_name(name, c[0])):
        if equal(tensor, array):
            return array
    return None


def _layout(tensor: ir.ExternalTensor) -> tuple | None:
    try:
        return np.dtype(tensor.dtype.numpy()).str, tuple(tensor.shape.numpy())
    except (TypeError, ValueError):  # a dtype numpy has no name for
        return None


def _same_name(initializer: str, parameter: str) -> bool:
    return initializer == parameter or initializer.endswith("." + parameter) or parameter.endswith("." + initializer)


def _same_bytes(tensor: ir.ExternalTensor, array: np.ndarray) -> bool:
    """The file's bytes of ``tensor`` are ``array``'s."""
    data = array.reshape(-1).view(np.uint8)
    bounds = [0, *range(min(_PROBE_BYTES, data.size), data.size, _CHUNK_BYTES), data.size]
    return data.size == tensor.nbytes and _file_matches(tensor, [(a, b, lambda a=a, b=b: data[a:b]) for a, b in pairwise(bounds)])


def _transposed_bytes(tensor: ir.ExternalTensor, array: np.ndarray) -> bool:
    """The file's bytes of ``tensor`` (``[R, K]``) are those of ``array.T`` (``array`` is ``[K, R]``)."""
    rows, row_bytes = array.shape[1], array.shape[0] * array.itemsize
    step = max(_CHUNK_BYTES // max(row_bytes, 1), 1)
    bounds = [0, *range(1, rows, step), rows]  # row 0 alone first: a probe
    parts = [(a * row_bytes, b * row_bytes, lambda a=a, b=b: np.ascontiguousarray(array[:, a:b].T)) for a, b in pairwise(bounds)]
    return array.nbytes == tensor.nbytes and _file_matches(tensor, parts)


def _file_matches(tensor: ir.ExternalTensor, parts: list) -> bool:
    """Each ``(start, end, expected)`` byte range of ``tensor`` in its file equals ``expected()``."""
    offset = tensor.offset or 0
    try:
        with open(tensor.path, "rb") as f:
            for start, end, expected in parts:
                if os.pread(f.fileno(), end - start, offset + start) != expected().tobytes():
                    return False
    except OSError:
        return False
    return True


def _external_initializers(model: ir.Model) -> list[ir.Value]:
    return [v for g in model.graphs() for v in g.initializers.values() if isinstance(v.const_value, ir.ExternalTensor)]
