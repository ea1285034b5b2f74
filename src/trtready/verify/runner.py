"""Run an ONNX file in ONNX Runtime against PyTorch references on the same cases.

The references (PyTorch outputs for every :class:`~trtready.verify.cases.Case`)
are computed once per export and shared by every candidate file. While they run,
a :class:`~trtready.verify.paths.DataWatch` logs the data-dependent Python values
of ``forward``; the first case runs three times, so that a model whose outputs
differ from one run to the next is reported as non-deterministic: neither a
match nor a mismatch with such a reference proves anything about the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import torch

from ..inputs import batched
from ..result import VerifyRow
from .cases import Case
from ..detection.compare import DetectionSpec, compare_detections
from .compare import compare_output
from .paths import DataWatch, PathLog
from .session import open_session, ort_session

__all__ = ["References", "default_batches", "ort_session", "run_references", "verify_file"]

DETERMINISM_RUNS = 2  # reruns of the first case: a random output rarely matches itself twice by chance
_ORT_NODE_ERROR = re.compile(r"running (?P<op>\w+) node\. Name:'(?P<name>[^']*)' Status Message: (?P<status>.*)")


def default_batches(export_batch: int) -> list[int]:
    """The export batch, 1, an odd size above it, and the largest size the printed TensorRT
    profile allows (4x the export batch, at least 8)."""
    odd = export_batch + 1 if (export_batch + 1) % 2 else export_batch + 2
    return list(dict.fromkeys([export_batch, 1, odd, max(8, 4 * export_batch)]))


@dataclass
class Reference:
    """PyTorch's outputs on one case (or why it raised)."""

    case: Case
    outputs: list[np.ndarray] | None = None
    error: str | None = None


@dataclass
class References:
    """PyTorch's outputs on every case, the data-dependent values seen, and determinism."""

    items: list[Reference]
    paths: PathLog = field(default_factory=PathLog)
    deterministic: bool = True


def run_references(
    model: torch.nn.Module,
    cases: list[Case],
    *,
    atol: float,
    rtol: float,
    reset: Callable[[], None] | None = None,
    watch: bool = True,
) -> References:
    """Run ``model`` (flat inputs -> flat outputs) on every case, watching data-dependent values.

    ``reset`` (for a model that changes its own state in forward) runs after every call, so
    that each case starts from the state the exporters capture. ``watch=False``: the model is
    not the one exported (a detector's eager post-processing), so its Python values say
    nothing about the file."""
    refs = References(items=[])
    for case in cases:
        refs.items.append(_reference(model, case, refs.paths if watch else None, reset))
    first = next((r for r in refs.items if r.outputs is not None), None)
    if first is not None:
        reruns = [_reference(model, first.case, None, reset) for _ in range(DETERMINISM_RUNS)]
        refs.deterministic = all(
            again.outputs is not None
            and all(compare_output("", 0, b, a, atol=atol, rtol=rtol, batch_dim=None).status != "fail"
                    for a, b in zip(first.outputs, again.outputs))  # fmt: skip
            for again in reruns
        )
    return refs


def _reference(model, case: Case, paths: PathLog | None, reset: Callable[[], None] | None) -> Reference:
    inputs = tuple(t.clone() for t in case.inputs)  # the model may write into its inputs
    try:
        with torch.no_grad():
            if paths is None:
                outs = model(*inputs)
            else:
                with DataWatch(inputs, paths):
                    outs = model(*inputs)
    except Exception as exc:  # noqa: BLE001 - recorded as an error row
        return Reference(case, error=f"PyTorch raised at batch {case.batch} ({case.label}): {_first_line(exc)}")
    finally:
        if reset is not None:
            reset()
    return Reference(case, outputs=[t.detach().cpu().numpy() for t in outs])


def verify_file(
    onnx_path: str,
    references: References,
    *,
    input_names: list[str],
    output_names: list[str],
    batch_dim: int,
    atol: float,
    rtol: float,
    detections: DetectionSpec | None = None,
    mapped_weights: bool = False,
    initializers: Mapping[str, np.ndarray] | None = None,
    feeds: Mapping[str, np.ndarray] | None = None,
) -> list[VerifyRow]:
    """One row per (case, output); ``detections``: those outputs compared as detections, image by
    image (:mod:`trtready.detection.compare`); ``mapped_weights``: the file's weights are external
    data for ONNX Runtime to map, not to copy; ``initializers``: some of them already in memory
    (see :func:`~trtready.verify.session.ort_session`); ``feeds``: inputs of the file beyond the
    model's (weights, see :mod:`trtready.shared_weights`), fed on every run. Never raises for a
    model or runtime failure."""
    try:
        # a file with EfficientNMS_TRT: ORT around it, a reference for it
        session = open_session(onnx_path, mapped_weights=mapped_weights, initializers=initializers)
    except Exception as exc:  # noqa: BLE001 - ORT refusing the file is a verification result
        batches = dict.fromkeys(r.case.batch for r in references.items)
        return [_error_row(b, "*", f"ONNX Runtime cannot load the file: {_first_line(exc)}") for b in batches]
    rows: list[VerifyRow] = []
    for ref in references.items:
        case_rows = _verify_case(session, ref, input_names, output_names, batch_dim, atol, rtol, detections, feeds)
        for row in case_rows:
            row.case = ref.case.label
            if row.status in ("pass", "fail") and not references.deterministic:  # a match would be chance
                row.status = "nondeterministic"
                row.message = "PyTorch itself gives other outputs on a second run" + (f"; {row.message}" if row.message else "")
        rows += case_rows
    return rows


def _verify_case(
    session, ref: Reference, input_names, output_names, batch_dim, atol, rtol, detections=None, extra=None
) -> list[VerifyRow]:
    batch = ref.case.batch
    if ref.outputs is None:
        return [_error_row(batch, "*", ref.error or "PyTorch failed")]
    wanted = {i.name for i in session.get_inputs()}
    feed = {n: t.detach().cpu().numpy() for n, t in zip(input_names, ref.case.inputs) if n in wanted} | dict(extra or {})
    try:
        outs = session.run(output_names, feed)
    except Exception as exc:  # noqa: BLE001
        return [_error_row(batch, "*", f"ONNX Runtime failed at batch {batch}: {_ort_message(exc)}")]
    row_dim = batch_dim if _rows_distinct(ref.case.inputs, batch_dim) else None
    grouped = set(detections.names) if detections is not None else set()
    rows = [
        compare_output(n, batch, np.asarray(got), expected, atol=atol, rtol=rtol, batch_dim=row_dim)
        for n, got, expected in zip(output_names, outs, ref.outputs)
        if n not in grouped
    ]
    if detections is not None:
        got_by_name, ref_by_name = dict(zip(output_names, outs)), dict(zip(output_names, ref.outputs))
        rows += compare_detections(detections, batch, got_by_name, ref_by_name, rtol=rtol, images=ref.case.inputs[0])
    return rows


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
