"""``trtready.export``: the main job, stage by stage.

prepare inputs -> for each exporter: export (isolated) -> simplify -> fix (each fix proved in ONNX Runtime) ->
verify (falling back to less processed models) -> check -> choose the best attempt -> write atomically.
Every stage records into one :class:`~trtready.result.Result`; only bad input
raises (a :class:`~trtready.errors.UserError`).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from .errors import UserError, one_line
from .exporters import ExportJob, run_attempt
from .fixing import explain_remaining, fix_model
from .inputs import FlatModel, eval_mode, sample_inputs
from .ir import count_nodes, save_model_atomic, value_shape
from .planning import Plan, check_options, check_output_path, make_plan, rewrite_options, static_path
from .plugins import resolve_plugins
from .report.trtexec import trtexec_command
from .result import Artifact, Attempt, Finding, PassRecord, Result, Severity, rows_verified
from .rules import check_model
from .selection import choose_attempt, is_clean
from .simplify import simplify
from .trt_ops import load_release
from .verify import DEFAULT_ATOL, DEFAULT_RTOL, diagnose_batch_failure, verify_file

__all__ = ["export"]

DEFAULT_OPSET = 18  # supported by both exporters and by TensorRT 8.6 through 11.1
Progress = Callable[[str], None]


def export(
    model: torch.nn.Module,
    args: Any = (),
    f: str | Path = "model.onnx",
    *,
    kwargs: dict | None = None,
    input_names: list[str] | None = None,
    output_names: list[str] | None = None,
    dynamic_batch: bool = True,
    batch_dim: int = 0,
    exporter: str = "auto",
    opset: int | None = None,
    verify: bool = True,
    fix: bool = True,
    skip_fixes: tuple[str, ...] = (),
    rewrites: bool = True,
    diagnose: bool = True,
    disable_rewrites: tuple[str, ...] = (),
    enable_rewrites: tuple[str, ...] = (),
    verify_batches: list[int] | None = None,
    static_batches: list[int] | None = None,
    atol: float = DEFAULT_ATOL,
    rtol: float = DEFAULT_RTOL,
    trt: str | None = None,
    plugins: dict | None = None,
    name: str | None = None,
    progress: Progress | None = None,
) -> Result:
    """Export ``model`` to a TensorRT-ready ONNX file at ``f`` and verify it.

    Returns a :class:`Result`, truthy when a file was written and verified.
    ``static_batches=[1, 4, 8]`` writes one file per batch size instead
    (``model_b1.onnx``...). ``plugins={"head": "MyPlugin"}`` exports submodules as
    TensorRT plugin nodes (see :mod:`trtready.plugins`). Raises :class:`UserError`
    for bad input only.
    """
    start = time.perf_counter()
    say = progress or (lambda _msg: None)
    release = load_release(trt)
    check_options(exporter, opset, static_batches, verify_batches)
    options = dict(
        exporter=exporter, opset=opset or DEFAULT_OPSET, dynamic_batch=dynamic_batch and not static_batches,
        batch_dim=batch_dim, verify=verify, fix=fix, skip_fixes=tuple(skip_fixes), atol=atol, rtol=rtol,
        trt=release.version, rewrites=rewrite_options(rewrites, disable_rewrites, enable_rewrites),
        diagnose=diagnose,
    )  # fmt: skip
    options["plugins"] = resolve_plugins(model, plugins)
    options["verify"] = verify and not options["plugins"]  # ONNX Runtime cannot run plugin nodes
    result = Result(command="export", model=name or type(model).__name__, options=options)
    if verify and options["plugins"]:
        result.findings.append(_plugins_unverified(options["plugins"]))
    model = eval_mode(model)
    args = args if isinstance(args, tuple) else (args,) if isinstance(args, torch.Tensor) else tuple(args)
    flat = FlatModel(model, args, kwargs or {})
    flat.training = False  # the wrapper only: the model's own mode was set above
    base_example = flat.example
    check_output_path(Path(f))
    if static_batches:
        for size in static_batches:
            flat.example = base_example
            _export_one(result, flat, input_names, output_names, static_path(Path(f), size), options,
                        batch=size, verify_batches=[size], say=say)  # fmt: skip
    else:
        _export_one(result, flat, input_names, output_names, Path(f), options,
                    batch=None, verify_batches=verify_batches, say=say)  # fmt: skip
    result.seconds = time.perf_counter() - start
    return result


def _export_one(result, flat, input_names, output_names, path, options, *, batch, verify_batches, say) -> None:
    plan = make_plan(flat, input_names, output_names, options, batch, verify_batches)
    flat.example = plan.example
    result.options["export_batch"] = plan.export_batch
    result.options["verify_batches"] = plan.batches
    with tempfile.TemporaryDirectory(prefix="trtready-") as tmp:
        attempts = []
        for name in _exporter_order(options["exporter"], flat.module, bool(options["plugins"])):
            say(f"exporting with the {name} exporter" + (f" at batch {batch}" if batch else ""))
            attempt = _attempt(name, plan, options, Path(tmp), say)
            attempts.append(attempt)
            if options["exporter"] == "auto" and is_clean(attempt, options["dynamic_batch"]):
                break
        result.attempts += attempts
        if options["diagnose"] and any(not a.ok for a in attempts):
            say("an exporter failed: diagnosing the PyTorch model")
            _add_diagnosis(result, flat, options)
        chosen, reason = choose_attempt(attempts, options["dynamic_batch"])
        if chosen is None:
            result.errors.append("no exporter produced a model: " + "; ".join(f"{a.exporter}: {a.error}" for a in attempts))
            return
        _record_chosen(result, chosen, reason, plan, path, say)


def _add_diagnosis(result: Result, flat: FlatModel, options: dict) -> None:
    """``trtready doctor`` on the model, once, when an exporter failed: every blocker at its line."""
    from .doctor import diagnose

    if isinstance(flat.module, torch.jit.ScriptModule):
        return _diagnosis_skipped(result, "it needs the Python model, and this is a TorchScript module")
    args, kwargs = flat.nested_args(flat.example)
    try:
        doctor = diagnose(flat.module, tuple(args), kwargs, batch_dim=options["batch_dim"], opset=options["opset"])
    except Exception as exc:  # noqa: BLE001 - the diagnosis is an extra: the export result stands without it
        return _diagnosis_skipped(result, str(exc) if isinstance(exc, UserError) else one_line(exc))
    known = {(f.rule_id, str(f.source)) for f in result.findings}
    result.findings += [f for f in doctor.findings if (f.rule_id, str(f.source)) not in known]


def _diagnosis_skipped(result: Result, why: str) -> None:
    result.findings.append(Finding(
        rule_id="DOC900", name="doctor.skipped", severity=Severity.INFO, stage="doctor",
        message=f"the PyTorch-side diagnosis could not run: {why}",
    ))  # fmt: skip


def _attempt(name: str, plan: Plan, options: dict, tmp: Path, say: Progress) -> Attempt:
    job = ExportJob(path=str(tmp / f"{name}.raw.onnx"), **plan.job_template)
    attempt = run_attempt(name, plan.flat, plan.example, job)
    if not attempt.ok:
        return attempt
    candidates = _processed_models(attempt, plan, options, say)
    attempt.model = candidates[0][1]
    if options["verify"]:
        say(f"verifying the {name} export in ONNX Runtime at batches {plan.batches}")
        attempt.model, attempt.verification = _first_verified(candidates, name, plan, options, tmp, attempt)
        attempt.verified = rows_verified(attempt.verification)
    attempt.findings = check_model(attempt.model, trt=options["trt"], plugins=_plugin_ops(options))
    if options["fix"]:
        attempt.findings = explain_remaining(attempt.findings, attempt.passes)
    if plan.export_batch and attempt.verification:
        attempt.findings += diagnose_batch_failure(
            attempt.model, attempt.verification, plan.export_batch, options["batch_dim"], attempt.warnings
        )
    return attempt


def _processed_models(attempt: Attempt, plan: Plan, options: dict, say: Progress) -> list[tuple[str, Any]]:
    """``[(label, model)]``, most processed first: fixed, simplified, raw (those that differ)."""
    say(f"simplifying the {attempt.exporter} export ({attempt.node_count} nodes)")
    raw = attempt.model
    simplified, records = simplify(raw)
    attempt.passes += records
    candidates = [("raw", raw)] if simplified is raw else [("simplified", simplified), ("raw", raw)]
    if not options["fix"]:
        return candidates
    say(f"fixing the {attempt.exporter} export (each fix checked in ONNX Runtime)")
    fixed, records = fix_model(
        simplified, _fix_feeds(plan, options), trt=options["trt"], skip=options["skip_fixes"],
        export_batch=plan.export_batch, atol=options["atol"], rtol=options["rtol"],
    )  # fmt: skip
    attempt.passes += records
    if fixed is simplified:
        return candidates
    if simplified is raw:  # simplification was rolled back on the unfixed model (a pinned batch): retry
        fixed, records = simplify(fixed)
        if not any(r.rolled_back for r in records):
            for record in attempt.passes:
                if record.rolled_back and record.message and not record.name.startswith("fix."):
                    record.message += "; after the fixes, simplification succeeded"
        attempt.passes += records
    return [("fixed", fixed), *candidates]


def _first_verified(candidates, name, plan, options, tmp: Path, attempt: Attempt):
    """Verify the most processed model first; fall back to less processed ones that pass."""
    first_rows = None
    for label, model in candidates:
        rows = _verify(model, tmp / f"{name}.{label}.onnx", plan, options)
        first_rows = first_rows or rows
        if rows_verified(rows):
            if model is not candidates[0][1]:
                attempt.passes.append(PassRecord(
                    name=f"keep-{label}", modified=False, rolled_back=True,
                    message=f"the more processed model failed verification; kept the {label} export",
                ))  # fmt: skip
            return model, rows
    return candidates[0][1], first_rows


def _fix_feeds(plan: Plan, options: dict) -> dict:
    """Inputs for proving each fix: the export batch and (dynamic batch) an odd size above."""
    batches = plan.batches[:1] + [b for b in plan.batches[1:] if b > plan.batches[0]][:1]
    names = plan.job_template["input_names"]
    return {
        b: {n: t.numpy() for n, t in zip(names, sample_inputs(plan.example, options["batch_dim"], b, seed=100 + b))}
        for b in batches
    }


def _verify(model, path: Path, plan: Plan, options: dict):
    save_model_atomic(model, path)
    return verify_file(
        str(path), plan.flat, plan.example,
        input_names=plan.job_template["input_names"], output_names=plan.job_template["output_names"],
        batches=plan.batches, batch_dim=options["batch_dim"], atol=options["atol"], rtol=options["rtol"],
    )  # fmt: skip


def _record_chosen(result: Result, chosen: Attempt, reason: str, plan: Plan, path: Path, say: Progress) -> None:
    say(f"writing {path}")
    try:
        written = save_model_atomic(chosen.model, path)
    except OSError as exc:
        result.errors.append(f"cannot write {path}: {exc.strerror or exc}")
        return
    verified = chosen.verified if result.options["verify"] else None
    batch = None if result.options["dynamic_batch"] else plan.export_batch
    result.artifacts.append(Artifact(str(path), "onnx", batch=batch, verified=verified))
    result.artifacts += [Artifact(p, "onnx-external-data", batch=batch) for p in written[1:]]
    for row in chosen.verification:
        row.artifact = str(path)
    result.chosen = chosen.exporter
    result.choice_reason = reason
    result.nodes_exported = chosen.node_count
    result.nodes_final = count_nodes(chosen.model)
    result.passes += chosen.passes
    result.verification += chosen.verification
    result.findings += chosen.findings
    graph = chosen.model.graph
    example_shapes = dict(zip(plan.job_template["input_names"], (list(t.shape) for t in plan.example)))
    result.inputs = [_io(v) | {"example_shape": example_shapes.get(v.name)} for v in graph.inputs]
    result.outputs = [_io(v) for v in graph.outputs]
    result.trtexec = trtexec_command(str(path), result.inputs, result.options)


def _io(value) -> dict:
    return {"name": value.name, "shape": value_shape(value), "dtype": str(value.dtype.name if value.dtype else None)}


def _plugin_ops(options: dict) -> list[str]:
    return [spec.name for spec in options["plugins"].values()]


def _plugins_unverified(plugins: dict) -> Finding:
    names = ", ".join(f"{path} -> {spec.name}" for path, spec in plugins.items())
    return Finding(
        rule_id="VER002", name="verify.plugin-unverified", severity=Severity.WARNING, stage="verify",
        message=f"not verified: ONNX Runtime has no kernel for the plugin nodes ({names})",
        fix="verify the engine with TensorRT, e.g. polygraphy run model.onnx --trt --plugins libmyplugin.so",
    )  # fmt: skip


def _exporter_order(exporter: str, module: torch.nn.Module, with_plugins: bool = False) -> list[str]:
    if exporter != "auto":
        return [exporter]
    if isinstance(module, torch.jit.ScriptModule) or with_plugins:
        return ["torchscript"]
    return ["torchscript", "dynamo"]


