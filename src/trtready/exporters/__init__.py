"""Exporter attempts: run one exporter in isolation and record what happened.

``run_attempt`` never raises for an exporter failure: the Attempt carries the
error (or crash), the warnings (tracer warnings included, with file:line), the
time taken, the ONNX model as ``onnx_ir.Model`` and whether the batch axis
stayed symbolic on every input and output that should carry it.
"""

from __future__ import annotations

import ast
import time
from contextlib import nullcontext
import warnings
from pathlib import Path

import onnx_ir as ir
import torch

from ..errors import one_line
from ..external_weights import move_weights_out
from ..ir import compact_trace_docs, count_nodes, iter_nodes, load_model
from ..result import Attempt
from ..plugins import plugin_modules
from ..rewrites import apply_to_module
from . import dynamo, torchscript
from .isolate import IsolatedError, run_isolated
from .options import ExportJob

__all__ = ["EXPORTERS", "ExportJob", "run_attempt"]

EXPORTERS = {torchscript.NAME: torchscript.export, dynamo.NAME: dynamo.export}

_NOISE = (
    "legacy TorchScript-based ONNX export",
    "The feature will be removed",
    "dynamic_axes is deprecated",
    "Exporting a model while it is in training mode",
)
MAX_WARNINGS = 25
_WRAPPER_SCOPE = "/module/"
_SCOPES_KEY = "pkg.torch.onnx.name_scopes"


def run_attempt(exporter: str, model: torch.nn.Module, example: tuple, job: ExportJob, *, timeout=None) -> Attempt:
    attempt = Attempt(exporter=exporter)
    start = time.perf_counter()
    try:
        attempt.warnings, fired, error, attempt.capture = run_isolated(
            _export_in_child, EXPORTERS[exporter], model, example, job, timeout=timeout
        )
    except IsolatedError as exc:  # crashed or timed out: which rewrites fired is unknown
        fired, error = None, str(exc)
    attempt.seconds = time.perf_counter() - start
    attempt.passes = [f.pass_record() for f in fired or ()]
    attempt.rewrites_fired = None if fired is None else [f.id for f in fired]
    if error:
        attempt.error = error
        return attempt
    try:
        attempt.model = load_model(job.path)
    except Exception as exc:  # noqa: BLE001 - an exporter wrote something unreadable
        attempt.error = f"the exporter wrote an unreadable file: {exc}"
        return attempt
    attempt.ok = True
    compact_trace_docs(attempt.model)
    strip_wrapper_scope(attempt.model)
    attempt.node_count = count_nodes(attempt.model)
    if job.dynamic_batch:
        attempt.batch_symbolic = name_batch_axis(attempt.model, job)
    return attempt


def _export_in_child(export_fn, model, example, job: ExportJob) -> tuple[list[str], list, str | None, str | None]:
    """Runs in the forked child: returns the warnings, the torch-level rewrites that fired (also
    when the exporter failed, so that a retry can leave them out), the exporter's error and how
    it captured the graph."""
    # nn.MultiheadAttention / TransformerEncoderLayer take a fused "fast path" in eval mode
    # (aten::_native_multi_head_attention) that has no ONNX translation; the regular path is exact.
    torch.backends.mha.set_fastpath_enabled(False)
    user_module = getattr(model, "module", model)  # rewrite inside the user's forward, not FlatModel's
    rewriting = apply_to_module(user_module, **job.rewrites) if job.rewrites is not None else nullcontext()
    plugging = plugin_modules(user_module, job.plugins) if job.plugins else nullcontext()
    error = capture = None
    with warnings.catch_warnings(record=True) as caught, rewriting as mode, plugging:
        warnings.simplefilter("always")
        try:
            capture = export_fn(model, example, job)
        except Exception as exc:  # noqa: BLE001 - the exporter's failure is the attempt's result
            error = one_line(exc)
    if error is None and not Path(job.path).is_file():
        error = "the exporter finished without writing a file"
    if error is None:
        error = _weights_out(job.path)
    return _format_warnings(caught), (mode.summary() if mode is not None else []), error, capture


def _weights_out(path: str) -> str | None:
    """Past 2 GiB of weights, the file's weights go to one external data file beside it (see
    :func:`~trtready.external_weights.move_weights_out`); the error text when that fails."""
    try:
        move_weights_out(path)
    except Exception as exc:  # noqa: BLE001 - a disk that fills up: the attempt's error
        return f"cannot move the weights to external data: {one_line(exc)}"
    return None


def _format_warnings(caught) -> list[str]:
    lines: list[str] = []
    for w in caught:
        text = str(w.message).strip().splitlines()[0] if str(w.message).strip() else ""
        if not text or any(n in text for n in _NOISE):
            continue
        line = f"{w.filename}:{w.lineno}: {w.category.__name__}: {text}"
        if line not in lines:
            lines.append(line)
    return lines[:MAX_WARNINGS]


def strip_wrapper_scope(model: ir.Model) -> None:
    """Drop the ``module`` scope that FlatModel adds from node names and scope metadata."""
    for _, node in iter_nodes(model.graph):
        if node.name and node.name.startswith(_WRAPPER_SCOPE):
            node.name = node.name[len(_WRAPPER_SCOPE) - 1 :]
        scopes = node.metadata_props.get(_SCOPES_KEY)
        if scopes and "'module'" in scopes:
            names = [n for n in ast.literal_eval(scopes) if n != "module"]
            names = [n[len("module.") :] if n.startswith("module.") else n for n in names]
            node.metadata_props[_SCOPES_KEY] = repr(names)


def name_batch_axis(model: ir.Model, job: ExportJob) -> bool:
    """Name the batch axis ``batch`` on inputs and outputs; False when any is a constant."""
    graph = model.graph
    values = [v for v, b in zip(graph.inputs, job.batched_inputs) if b]
    values += [v for v, b in zip(graph.outputs, job.batched_outputs) if b]
    symbolic = True
    symbols = set()
    for value in values:
        if value.shape is None or len(value.shape) <= job.batch_dim:
            continue
        dim = value.shape[job.batch_dim]
        if isinstance(dim, int):
            symbolic = False
        elif dim.value is not None:
            symbols.add(dim.value)
    if symbols:
        _rename_symbols(model, symbols, "batch")
    return symbolic


def _rename_symbols(model: ir.Model, old: set[str], new: str) -> None:
    graph = model.graph
    for value in [*graph.inputs, *graph.outputs]:
        if value.shape is None:
            continue
        dims = [ir.SymbolicDim(new) if not isinstance(d, int) and d.value in old else d for d in value.shape]
        value.shape = ir.Shape(dims)
