"""One attempt: export (isolated) -> simplify -> fix (each fix proved) -> verify -> check.

The verification falls back from the most processed model (fixed) to less
processed ones (simplified, raw) when the more processed one fails, so a fix or
simplification can never make an attempt worse than its raw export.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .exporters import ExportJob, run_attempt
from .exporters.retrace import PASS_NAME as RETRACE_PASS
from .exporters.retrace import unpin_by_retrace
from .external_weights import mapped_from, release, runtime_file
from .fixing import explain_remaining, fix_model
from .inputs import resize_batch
from .ir import count_nodes, load_model
from .options import ExportOptions, RewriteSelection
from .planning import Plan
from .result import Attempt, Finding, PassRecord, Severity, rows_verified
from .rules import check_model
from .shared_weights import share_memory
from .simplify import simplify
from .timing import timed
from .verify import diagnose_batch_failure, traced_path_findings, traced_path_rows, verify_file
from .verify.pinned import FIX as PINNED_FIX
from .verify.pinned import RULE_ID as PINNED_RULE_ID
from .verify.pinned import RULE_NAME as PINNED_RULE_NAME

__all__ = [
    "export_folder",
    "finish_attempt",
    "let_go_of_work_folder",
    "make_attempt",
    "pinned_batch",
    "retrace_attempt",
    "verify_model",
]

Progress = Callable[[str], None]
RAW_NAME = "raw.onnx"  # the exporter's file, in the export's own folder


def make_attempt(
    exporter: str, plan: Plan, options: ExportOptions, tmp: Path, say: Progress,
    *, rewrites: RewriteSelection, variant: str = "",
) -> Attempt:  # fmt: skip
    """Export with ``exporter`` and the given rewrites, then simplify, fix, verify and check."""
    folder = export_folder(tmp, f"{exporter}{'.' + '-'.join(variant.split()) if variant else ''}")
    job = ExportJob(path=str(folder / RAW_NAME), **(plan.job_template | {"rewrites": rewrites.for_child()}))
    attempt = run_attempt(exporter, plan.flat, plan.example, job)
    attempt.variant = variant
    attempt.steps["export"] = attempt.seconds
    if attempt.ok:
        attempt.raw_model = attempt.model
        share_memory(attempt.model, parameter_arrays(plan.flat))
        finish_attempt(attempt, plan, options, folder, say)
    return attempt


def parameter_arrays(module) -> dict[str, np.ndarray]:
    """The module's parameters as numpy views of their memory (no copy), by name, for
    :func:`~trtready.shared_weights.share_memory`. Buffers are left out: forward may change them."""
    arrays = {}
    for name, parameter in module.named_parameters():
        if parameter.device.type == "cpu" and parameter.is_contiguous():
            try:
                arrays[name] = parameter.detach().numpy()
            except (TypeError, RuntimeError):  # a dtype numpy does not have (bfloat16)
                continue
    return arrays


def export_folder(tmp: Path, slug: str) -> Path:
    """A folder of its own for one export: its file, the external data beside it past 2 GiB (the
    TorchScript exporter names those files after the tensors, the same in every export) and the
    files written from it for ONNX Runtime."""
    folder = tmp / slug
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def let_go_of_work_folder(attempts: list[Attempt], folder: Path, chosen: Attempt | None, written: Path | None) -> None:
    """Before ``folder`` is removed: models whose weights are mapped from files in it let go of
    them. The chosen attempt's model is read again from the file ``written`` (its weights mapped
    from there, as the user will read it); the other attempts' models are dropped (None), since
    their weights go with the folder."""
    for attempt in attempts:
        for name in ("model", "raw_model"):
            model = getattr(attempt, name)
            if model is not None and mapped_from(model, folder):
                release(model)
                setattr(attempt, name, None)
    if chosen is not None and chosen.model is None and written is not None:
        chosen.model = load_model(written)


def pinned_batch(attempt: Attempt, plan: Plan) -> bool:
    """A TorchScript file that holds the export batch: right at the export batch only, or (nothing
    verified) the tracer turned a tensor into a Python int."""
    if attempt.exporter != "torchscript" or not attempt.ok or not plan.export_batch or not plan.job_template["dynamic_batch"]:
        return False
    if attempt.verification:
        at_export = [r for r in attempt.verification if r.batch == plan.export_batch and r.case == "example"]
        others = [r for r in attempt.verification if r.batch != plan.export_batch]
        return all(r.passed for r in at_export) and any(r.status in ("fail", "error") for r in others)
    return any("Converting a tensor to a Python integer" in w for w in attempt.warnings)


def retrace_attempt(
    attempt: Attempt, rewrites: RewriteSelection, plan: Plan, options: ExportOptions, tmp: Path, say: Progress
) -> Attempt | None:
    """Trace again at the next batch size; rebuild every constant that changed from the runtime batch.

    Returns the new attempt (variant "batch re-traced"), or None when the second trace failed; what
    could not be rebuilt becomes VER001 findings on ``attempt``, at the Python line.
    """
    batch = plan.export_batch
    say(f"tracing again at batches {batch + 1} and {batch + 3} to find the constants that hold the batch")
    slug = f"{attempt.exporter}.{'-'.join(attempt.variant.split()) or 'asked'}.retrace"
    traces = [_trace_at(attempt, rewrites, plan, options, tmp / slug, size) for size in (batch + 1, batch + 3)]
    if any(t is None for t in traces):
        return None
    (other, other_batch), third = traces
    # a third size proves each law linear: two consecutive sizes fit any pair of integers with a line
    outcome = unpin_by_retrace(attempt.raw_model, other, batch, other_batch, options.batch.dim, third=third)
    attempt.findings += [_unresolved_finding(u, plan.export_batch) for u in outcome.unresolved]
    if outcome.model is None:
        return None
    fixed = Attempt(exporter=attempt.exporter, variant=" ".join(filter(None, [attempt.variant, "batch re-traced"])),
                    ok=True, warnings=attempt.warnings, seconds=attempt.seconds,
                    node_count=attempt.node_count, batch_symbolic=attempt.batch_symbolic,
                    rewrites_fired=attempt.rewrites_fired, model=outcome.model, raw_model=outcome.model)  # fmt: skip
    fixed.passes = [p for p in attempt.passes if p.name.startswith("rewrite.")] + [_retrace_record(outcome)]
    finish_attempt(fixed, plan, options, export_folder(tmp, slug), say)
    return fixed


def _trace_at(attempt: Attempt, rewrites: RewriteSelection, plan: Plan, options: ExportOptions, stem: Path, size: int):
    """``(raw model, size)``: the attempt's exporter and rewrites again, on the example cycled to ``size`` rows."""
    folder = export_folder(stem.parent, f"{stem.name}.b{size}")
    job = ExportJob(path=str(folder / RAW_NAME), **(plan.job_template | {"rewrites": rewrites.for_child()}))
    other = run_attempt(attempt.exporter, plan.flat, resize_batch(plan.example, options.batch.dim, size), job)
    attempt.seconds += other.seconds
    attempt.steps["export"] = attempt.steps.get("export", 0.0) + other.seconds
    return (other.model, size) if other.ok else None


def _retrace_record(outcome) -> PassRecord:
    laws = "; ".join(f"{r.op_type} '{r.node}' <- {r.law}" + (f" ({r.source})" if r.source else "") for r in outcome.replaced)
    return PassRecord(name=RETRACE_PASS, modified=True, message=f"rebuilt from the runtime batch: {laws}")


def _unresolved_finding(unresolved, export_batch: int) -> Finding:
    return Finding(
        rule_id=PINNED_RULE_ID, name=PINNED_RULE_NAME, severity=Severity.ERROR, stage="verify",
        message=f"the batch stays pinned to {export_batch}: {unresolved.message}", node=unresolved.node,
        source=unresolved.source, fix=getattr(unresolved, "fix", None) or PINNED_FIX,
    )  # fmt: skip


def finish_attempt(attempt: Attempt, plan: Plan, options: ExportOptions, folder: Path, say: Progress) -> None:
    """Simplify, fix, verify and check an exported attempt (its ``model`` is the raw export; ``folder``
    is its :func:`export_folder`)."""
    candidates = _processed_models(attempt, plan, options, say)
    attempt.model = candidates[0][1]
    if plan.references is not None:
        say(f"verifying the {attempt.label} export in ONNX Runtime at batches {plan.batches}")
        with timed(attempt.steps, "verify"):
            attempt.model, attempt.verification = _first_verified(candidates, plan, options, folder, attempt)
        attempt.verified = rows_verified(attempt.verification)
    attempt.nodes_final = count_nodes(attempt.model)
    with timed(attempt.steps, "check"):
        attempt.findings = check_model(attempt.model, trt=options.trt, plugins=[s.name for s in options.plugins.values()])
    attempt.findings = explain_remaining(attempt.findings, attempt.passes, fixes=options.fixes.enabled)
    if plan.references is not None and bakes_python_values(attempt):
        attempt.findings += traced_path_findings(plan.references.paths)
    if plan.export_batch and attempt.verification:
        attempt.findings += diagnose_batch_failure(
            attempt.model, attempt.verification, plan.export_batch, options.batch.dim, attempt.warnings
        )


def bakes_python_values(attempt: Attempt) -> bool:
    """Whether the capture turns data-dependent Python values into constants: a trace does;
    torch.export (strict or not) raises on them or keeps them symbolic, never bakes them."""
    return attempt.exporter == "torchscript" or attempt.capture not in SOUND_CAPTURES


SOUND_CAPTURES = {"TorchExportNonStrictStrategy", "TorchExportStrictStrategy"}


def verify_model(model, path: Path, plan: Plan, options: ExportOptions, attempt: Attempt) -> list:
    """Rows for one candidate model: the cases, plus (for a capture that bakes them) the
    data-dependent values no case varied. ``path``: where to write it for ONNX Runtime, unless its
    weights are mapped from an external data file (then a file beside that one points into it)."""
    with runtime_file(model, path) as written:
        rows = verify_file(
            written.path, plan.references, input_names=plan.input_names, output_names=plan.output_names,
            batch_dim=options.batch.dim, atol=options.tolerance.atol, rtol=options.tolerance.rtol,
            detections=plan.detections, mapped_weights=written.mapped, initializers=written.initializers,
            feeds=written.feeds,
        )  # fmt: skip
    if not bakes_python_values(attempt):
        return rows
    return rows + traced_path_rows(plan.references.paths, plan.export_batch or plan.batches[0])


def _processed_models(attempt: Attempt, plan: Plan, options: ExportOptions, say: Progress) -> list[tuple[str, Any]]:
    """``[(label, model)]``, most processed first: fixed, simplified, raw (those that differ)."""
    say(f"simplifying the {attempt.label} export ({attempt.node_count} nodes)")
    raw = attempt.model
    with timed(attempt.steps, "simplify"):
        simplified, records = simplify(raw)
    attempt.passes += records
    candidates = [("raw", raw)] if simplified is raw else [("simplified", simplified), ("raw", raw)]
    if not options.fixes.enabled:
        return candidates
    say(f"fixing the {attempt.label} export (each fix checked in ONNX Runtime)")
    with timed(attempt.steps, "fix"):
        fixed, records = fix_model(
            simplified, _fix_feeds(plan), trt=options.trt, skip=options.fixes.skip,
            export_batch=plan.export_batch, atol=options.tolerance.atol, rtol=options.tolerance.rtol,
        )  # fmt: skip
    attempt.passes += records
    if fixed is simplified:
        return candidates
    if simplified is raw:  # simplification was rolled back on the unfixed model (a pinned batch): retry
        with timed(attempt.steps, "simplify"):
            fixed, records = simplify(fixed)
        if not any(r.rolled_back for r in records):
            for record in attempt.passes:
                if record.rolled_back and record.message and not record.name.startswith("fix."):
                    record.message += "; after the fixes, simplification succeeded"
        attempt.passes += records
    return [("fixed", fixed), *candidates]


def _first_verified(candidates, plan: Plan, options: ExportOptions, folder: Path, attempt: Attempt):
    """Verify the most processed model first; fall back to less processed ones that pass."""
    first_rows = None
    for label, model in candidates:
        rows = verify_model(model, folder / f"{label}.onnx", plan, options, attempt)
        first_rows = first_rows or rows
        if rows_verified(rows):
            if model is not candidates[0][1]:
                attempt.passes.append(PassRecord(
                    name=f"keep-{label}", modified=False, rolled_back=True,
                    message=f"the more processed model failed verification; kept the {label} export",
                ))  # fmt: skip
            return model, rows
    return candidates[0][1], first_rows


def _fix_feeds(plan: Plan) -> dict:
    """Inputs for proving each fix: the export batch and (dynamic batch) the next verified size above."""
    export = plan.export_batch or plan.batches[0]
    above = [c for c in plan.cases if c.batch > export]
    chosen = [c for c in plan.cases if c.batch == export][:1] + sorted(above, key=lambda c: c.batch)[:1]
    return {c.batch: {n: t.numpy() for n, t in zip(plan.input_names, c.inputs)} for c in chosen}
