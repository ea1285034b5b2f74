"""``diagnose()``: everything between a PyTorch model and a clean ONNX file, in one run.

Three probes gather evidence, then every check reads it:

* the TorchScript exporter's capture: ``torch.jit`` traces at two batch sizes (forked child);
* the torch.export exporter's capture: ``torch.export.export(strict=False)`` with a dynamic
  batch, then the exporter's decomposition and op dispatch (forked child);
* one instrumented eager forward (in-process).

The model handed in is never run or changed: the probes work on a deep copy
(in eval mode, as trtready exports), and the children are forked from that copy.
"""

from __future__ import annotations

import copy
import functools
import time
from typing import Any

import torch

from ..errors import one_line
from ..exporters.isolate import IsolatedError, start_isolated
from ..inputs import FlatModel, batch_size_of, batched, eval_mode, resize_batch
from ..options import BatchPolicy, ExportOptions
from ..planning import check_example
from ..result import Finding, Result, Severity
from ..trt_ops import DEFAULT_OPSET
from .checks import all_checks
from .evidence import Evidence, ExportEvidence, TraceEvidence
from .probes.eager_probe import eager_probe
from .probes.export_probe import export_probe
from .probes.trace_probe import trace_probe

__all__ = ["STEPS", "diagnose"]

#: The doctor's steps, as ``Result.steps`` names them (the two exporter probes run at once).
STEPS = ("TorchScript trace at two batch sizes", "torch.export with a dynamic batch", "eager run", "checks")

_TRAINING_KINDS = (torch.nn.modules.dropout._DropoutNd, torch.nn.modules.batchnorm._BatchNorm)


def diagnose(
    model: torch.nn.Module,
    args: tuple | Any,
    kwargs: dict | None = None,
    *,
    batch_dim: int = 0,
    opset: int = DEFAULT_OPSET,
    name: str | None = None,
    timeout: float = 600.0,
) -> Result:
    """Diagnose ``model(*args, **kwargs)`` for both ONNX exporters; return ``Result(command="doctor")``.

    Never raises for problems in the model (they become findings, or one-line
    ``result.errors`` when a probe itself breaks); raises ``UserError`` only for
    example inputs that do not fit ``forward``.
    """
    start = time.perf_counter()
    ExportOptions(opset=opset, batch=BatchPolicy(dim=batch_dim))  # the same checks as export
    args = args if isinstance(args, tuple) else (args,)
    kwargs = dict(kwargs or {})
    result = Result(command="doctor", model=name or type(model).__name__,
                    options={"batch_dim": batch_dim, "opset": opset})  # fmt: skip
    training = _training_modules(model)
    root_training = bool(getattr(model, "training", False))
    work = _private_copy(model)
    work = eval_mode(work)
    flat = FlatModel(work, args, kwargs)
    example = flat.example
    check_example(example, batch_dim)
    inputs_a, inputs_b, flags = _batches(example, batch_dim)
    # The two exporter probes run at once, each in its own forked child (one core each).
    tracing = start_isolated(_timed(trace_probe), flat, inputs_a, inputs_b, opset)
    exporting = start_isolated(_timed(export_probe), flat, inputs_a, flags, batch_dim, opset)
    trace = _collect(tracing, TraceEvidence, result, timeout=timeout, step=STEPS[0])
    export = _collect(exporting, ExportEvidence, result, timeout=timeout, step=STEPS[1])
    eager, result.steps[STEPS[2]] = _timed(eager_probe)(flat, example, batch_dim)
    evidence = Evidence(result.model, batch_dim, trace, export, eager, training, root_training)
    result.findings, result.steps[STEPS[3]] = _timed(_run_checks)(evidence, result)
    result.seconds = time.perf_counter() - start
    return result


def _private_copy(model: torch.nn.Module) -> torch.nn.Module:
    """A copy of the modules (their flags and buffers are the doctor's to change) that shares the
    parameters: the probes never write them, and a copy of them all would double a large model."""
    shared = {id(p): p for p in model.parameters()} if isinstance(model, torch.nn.Module) else {}
    try:
        return copy.deepcopy(model, shared)
    except Exception as exc:  # noqa: BLE001
        from ..errors import ModelRunError

        raise ModelRunError(f"the doctor needs a copy of the model and deepcopy failed: {one_line(exc)}",
                            hint="make the model deep-copyable (no open files, locks or generators as attributes)") from None


def _training_modules(model: torch.nn.Module) -> list[tuple[str, str]]:
    if not isinstance(model, torch.nn.Module):
        return []
    return [(n, type(m).__name__) for n, m in model.named_modules() if m.training and isinstance(m, _TRAINING_KINDS)]


def _batches(example: tuple, batch_dim: int) -> tuple[tuple, tuple | None, list[bool]]:
    """Inputs at batch a (>= 2, so that torch.export keeps it symbolic) and a + 1, and which inputs are batched."""
    flags = batched(example, batch_dim) if example else []
    size = batch_size_of(example, batch_dim) if example else None
    if not size or not any(flags):
        return example, None, [False] * len(example)
    inputs_a = example if size >= 2 else resize_batch(example, batch_dim, 2)
    size_a = max(size, 2)
    return inputs_a, resize_batch(inputs_a, batch_dim, size_a + 1), flags


def _timed(step):
    """``step``, returning ``(what it returns, the seconds it took)``: measured where it runs (a probe
    runs in a forked child, beside the other)."""

    @functools.wraps(step)
    def run(*args):
        started = time.perf_counter()
        return step(*args), time.perf_counter() - started

    return run


def _collect(started, empty, result: Result, *, timeout: float, step: str):
    try:
        evidence, result.steps[step] = started.result(timeout)
    except IsolatedError as exc:
        result.errors.append(f"{started.name}: {exc}")
        return empty(error=str(exc))
    return evidence


def _run_checks(evidence: Evidence, result: Result) -> list[Finding]:
    findings: list[Finding] = []
    superseding: dict[str, tuple[str, ...]] = {}
    for check in all_checks():
        superseding[check.id] = check.supersedes
        try:
            findings.extend(check.run(evidence))
        except Exception as exc:  # noqa: BLE001 - one broken check must not hide the others
            result.errors.append(f"check {check.id} failed: {one_line(exc)}")
    findings = _drop_superseded(findings, superseding)
    order = {s: i for i, s in enumerate(Severity.ORDER)}
    return sorted(findings, key=lambda f: (order.get(f.severity, 9), f.rule_id, _line_key(f)))


def _line_key(finding: Finding) -> tuple:
    source = finding.source
    return (source.file or "", source.line or 0) if source else ("", 0)


def _drop_superseded(findings: list[Finding], superseding: dict[str, tuple[str, ...]]) -> list[Finding]:
    lines: dict[tuple, set[str]] = {}
    for f in findings:
        if f.source and f.source.file and f.source.line:
            lines.setdefault((f.source.file, f.source.line), set()).add(f.rule_id)
    kept = []
    for f in findings:
        key = (f.source.file, f.source.line) if f.source and f.source.file and f.source.line else None
        here = lines.get(key, set()) if key else set()
        if any(f.rule_id in superseding.get(other, ()) for other in here if other != f.rule_id):
            continue
        kept.append(f)
    return kept
