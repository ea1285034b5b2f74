"""Weights in external data files: one file beside the model past the limit, and files for ONNX
Runtime that point into it instead of copying it.

Past :data:`trtready.ir.EXTERNAL_DATA_BYTES` of weights (2 GiB less room for the graph; read at call
time) an exporter's file keeps its weights in one ``<name>.data`` file beside it
(:func:`move_weights_out`, in the exporter's child). trtready then works on an ``onnx_ir`` model whose
tensors are memory-mapped from that file, and every model it hands to ONNX Runtime (each fix proved,
each verification) is written by :func:`runtime_file` as a small ``.onnx`` beside the data file that
points into it: the weights are neither read into memory nor copied on disk. ONNX Runtime maps
external data itself; such a session is opened without pre-packing the weights
(:func:`trtready.verify.session.ort_session`), which would copy them all into its own memory, and
reads the weights that are the PyTorch model's parameters from their memory
(:mod:`trtready.shared_weights`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx_ir as ir

from . import ir as ir_helpers
from .shared_weights import for_runtime
from .workspace import sibling_temp

__all__ = [
    "RuntimeFile",
    "data_folder",
    "mapped_from",
    "move_weights_out",
    "past_limit",
    "release",
    "runtime_file",
    "weight_bytes",
]


@dataclass(frozen=True)
class RuntimeFile:
    """A model written for ONNX Runtime: ``path``; ``mapped``: its weights are in an external data
    file that ONNX Runtime memory-maps (open the session without pre-packing them);
    ``initializers`` and ``feeds``: the PyTorch parameters that hold some weights' bytes, for ONNX
    Runtime to read instead of the file (see :mod:`trtready.shared_weights`)."""

    path: str
    mapped: bool
    initializers: dict[str, np.ndarray] = field(default_factory=dict)
    feeds: dict[str, np.ndarray] = field(default_factory=dict)  # graph inputs to add to every run


def weight_bytes(model: ir.Model) -> int:
    """Bytes of the initializers of every graph (main graph and subgraphs)."""
    return sum(ir_helpers.tensor_nbytes(v.const_value) for g in model.graphs() for v in g.initializers.values())


def past_limit(model: ir.Model) -> bool:
    """Whether ``model``'s weights go to external data when written (:func:`trtready.ir.save_model_atomic`)."""
    return weight_bytes(model) >= ir_helpers.EXTERNAL_DATA_BYTES


def _external_tensors(model: ir.Model) -> list[ir.ExternalTensor]:
    return [v.const_value for v in _external_initializers(model)]


def data_folder(model: ir.Model) -> Path | None:
    """The one folder every external tensor of ``model`` is read from, or None (no external tensor,
    or several folders)."""
    folders = {os.path.abspath(t.base_dir or ".") for t in _external_tensors(model)}
    return Path(folders.pop()) if len(folders) == 1 else None


def mapped_from(model: ir.Model, folder: Path) -> bool:
    """Whether some external tensor of ``model`` is read from a file under ``folder``."""
    root = os.path.abspath(folder) + os.sep
    return any(os.path.abspath(t.path).startswith(root) for t in _external_tensors(model))


def release(model: ir.Model) -> None:
    """Unmap every external tensor of ``model`` (each maps its file on first read, and keeps it)."""
    for tensor in _external_tensors(model):
        tensor.release()


def _external_initializers(model: ir.Model) -> list[ir.Value]:
    return [v for g in model.graphs() for v in g.initializers.values() if isinstance(v.const_value, ir.ExternalTensor)]


def _in_memory_bytes(model: ir.Model) -> int:
    tensors = (v.const_value for g in model.graphs() for v in g.initializers.values())
    return sum(ir_helpers.tensor_nbytes(t) for t in tensors if not isinstance(t, ir.ExternalTensor))


@contextlib.contextmanager
def runtime_file(model: ir.Model, path: str | os.PathLike) -> Iterator[RuntimeFile]:
    """``model`` written for ONNX Runtime, removed on exit (open the session inside the block).

    When its weights are memory-mapped from one external data folder, the file is written there
    (a temporary name with the process id) and points into the data files as they are; the
    tensors made in memory since (folded constants, converted weights) go inline. Otherwise, or
    when that folder cannot be written or the in-memory tensors reach the limit themselves, it is
    written to ``path`` by :func:`trtready.ir.save_model_atomic` (external data past the limit).
    Weights found in the PyTorch parameters (:func:`~trtready.shared_weights.share_memory`) are
    read from there (:func:`~trtready.shared_weights.for_runtime`).
    """
    model, shared = for_runtime(model)
    beside = _write_beside_data(model)
    if beside is not None:
        try:
            yield RuntimeFile(str(beside), mapped=True, initializers=shared.initializers, feeds=shared.feeds)
        finally:
            beside.unlink(missing_ok=True)
        return
    written = ir_helpers.save_model_atomic(model, path)
    try:
        yield RuntimeFile(written[0], mapped=len(written) > 1, initializers=shared.initializers, feeds=shared.feeds)
    finally:
        for name in written:
            Path(name).unlink(missing_ok=True)


def _write_beside_data(model: ir.Model) -> Path | None:
    """The model written into its external data folder, pointing into the data there; None when
    it has no such folder, the folder cannot be written, or its in-memory tensors are too large
    for one protobuf."""
    folder = data_folder(model)
    if folder is None or _in_memory_bytes(model) >= ir_helpers.EXTERNAL_DATA_BYTES:
        return None
    try:
        tmp = sibling_temp(folder / "runtime.onnx")
    except OSError:
        return None
    try:
        ir.save(model, tmp)  # external tensors keep their location, relative to this folder
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def move_weights_out(path: str | os.PathLike) -> list[str]:
    """Past the limit, put the weights of the exporter's file ``path`` in one ``<name>.data`` beside
    it (the TorchScript exporter writes one file per tensor past 2 GiB, and inline below it); returns
    the files it replaced. Runs in the exporter's child, on a file alone in its folder with its data:
    the weights it reads are mapped, and the memory goes with the child."""
    path = Path(path)
    if sum(f.stat().st_size for f in path.parent.iterdir() if f.is_file()) < ir_helpers.EXTERNAL_DATA_BYTES:
        return []  # the weights cannot be past the limit: no need to read the file
    model = ir_helpers.load_model(path)
    target = f"{path.name}.data"
    tensors = _external_tensors(model)
    if not past_limit(model) or (tensors and {str(t.location) for t in tensors} == {target}):
        return []
    replaced = sorted({t.path for t in tensors})
    ir_helpers.save_model_atomic(model, path)  # the weights go to <name>.data; the file is replaced atomically
    for tensor in tensors:
        tensor.release()
    for old in replaced:
        if Path(old).resolve() != (path.parent / target).resolve():
            Path(old).unlink(missing_ok=True)
    return replaced
