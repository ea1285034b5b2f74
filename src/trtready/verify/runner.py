"""Run an ONNX file in ONNX Runtime and the model in PyTorch on the same inputs."""

from __future__ import annotations

import re

import numpy as np
import torch

from ..inputs import batched, sample_inputs
from ..result import VerifyRow
from .compare import compare_output

__all__ = ["default_batches", "verify_file"]

_ORT_NODE_ERROR = re.compile(r"running (?P<op>\w+) node\. Name:'(?P<name>[^']*)' Status Message: (?P<status>.*)")


def default_batches(export_batch: int) -> list[int]:
    """The export batch, 1, and an odd size above the export batch."""
    odd = export_batch + 1 if (export_batch + 1) % 2 else export_batch + 2
    return list(dict.fromkeys([export_batch, 1, odd]))


def verify_file(
    onnx_path: str,
    model: torch.nn.Module,
    example: tuple,
    *,
    input_names: list[str],
    output_names: list[str],
    batches: list[int],
    batch_dim: int,
    atol: float,
    rtol: float,
    seed: int = 0,
) -> list[VerifyRow]:
    """One row per (batch, output). Never raises for a model or runtime failure."""
    try:
        session = ort_session(onnx_path)
    except Exception as exc:  # noqa: BLE001 - ORT refusing the file is a verification result
        return [_error_row(b, "*", f"ONNX Runtime cannot load the file: {_first_line(exc)}") for b in batches]
    rows: list[VerifyRow] = []
    for batch in batches:
        inputs = sample_inputs(example, batch_dim, batch, seed + batch)
        rows += _verify_batch(session, model, inputs, batch, input_names, output_names, batch_dim, atol, rtol)
    return rows


def ort_session(path: str):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 4  # failures are reported by trtready, not logged by ORT
    options.intra_op_num_threads = 2
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def _verify_batch(session, model, inputs, batch, input_names, output_names, batch_dim, atol, rtol):
    try:
        with torch.no_grad():
            refs = [t.detach().cpu().numpy() for t in model(*inputs)]
    except Exception as exc:  # noqa: BLE001
        return [_error_row(batch, "*", f"PyTorch raised at batch {batch}: {_first_line(exc)}")]
    wanted = {i.name for i in session.get_inputs()}
    feed = {n: t.detach().cpu().numpy() for n, t in zip(input_names, inputs) if n in wanted}
    try:
        outs = session.run(output_names, feed)
    except Exception as exc:  # noqa: BLE001
        return [_error_row(batch, "*", f"ONNX Runtime failed at batch {batch}: {_ort_message(exc)}")]
    row_dim = batch_dim if _rows_distinct(inputs, batch_dim) else None
    return [
        compare_output(n, batch, np.asarray(got), ref, atol=atol, rtol=rtol, batch_dim=row_dim)
        for n, got, ref in zip(output_names, outs, refs)
    ]


def _rows_distinct(inputs: tuple, batch_dim: int) -> bool:
    """True when every batch row differs from row 0 in at least one input."""
    flagged = [t for t, b in zip(inputs, batched(inputs, batch_dim)) if b]
    if not flagged or flagged[0].shape[batch_dim] < 2:
        return False
    size = flagged[0].shape[batch_dim]
    rows = [t.movedim(batch_dim, 0) for t in flagged]
    return all(any(not torch.equal(r[i], r[0]) for r in rows) for i in range(1, size))


def _error_row(batch: int, output: str, message: str) -> VerifyRow:
    return VerifyRow(batch=batch, output=output, status="error", message=message)


def _first_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300] if text else type(exc).__name__


def _ort_message(exc: BaseException) -> str:
    """``Add node '/Add': <status>`` from ONNX Runtime's long message (the node name is kept)."""
    text = _first_line(exc)
    m = _ORT_NODE_ERROR.search(text)
    if not m:
        return text
    status = re.sub(r"^/\S+:\d+ [^)]*\) ", "", m["status"])  # drop the C++ source location
    return f"{m['op']} node Name:'{m['name']}': {status[:200]}"
