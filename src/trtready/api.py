"""``trtready.export``: the main job, stage by stage.

prepare inputs -> for each exporter: export (isolated) -> simplify -> fix (each fix proved in ONNX Runtime) ->
verify (falling back to less processed models) -> check -> choose the best attempt -> write atomically.
Every stage records into one :class:`~trtready.result.Result`; only bad input
raises (a :class:`~trtready.errors.UserError`).
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from .attempts import let_go_of_work_folder, make_attempt, pinned_batch, retrace_attempt
from .catalog.declared import DIAGNOSIS_SKIPPED, PLUGIN_UNVERIFIED
from .errors import UserError, one_line
from .exporters.retrace import PASS_NAME as RETRACE_PASS
from .inputs import FlatModel, batched, eval_mode
from .ir import count_nodes, save_model_atomic, value_shape
from .options import BatchPolicy, DetectionOptions, ExportOptions, FixSelection, RewriteSelection, Tolerance
from .planning import Plan, make_plan, static_path
from .plugins import resolve_plugins
from .report.trtexec import trtexec_command
from .result import Artifact, Attempt, Finding, Result, WrittenFile
from .selection import choose_attempt, is_clean, score, shortfall
from .timing import timed
from .verify import DEFAULT_ATOL, DEFAULT_RTOL
from .verify.user_data import load_verify_data
from .workspace import check_output_path, work_dir

__all__ = ["export"]

Progress = Callable[[str], None]
MAX_CULPRIT_TRIES = 4  # rewrites left out one at a time to find the one that broke an attempt


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
    verify_inputs: Any = None,
    verify_data: str | Path | None = None,
    name: str | None = None,
    detections: int | None = None,
    nms: str = "onnx",
    progress: Progress | None = None,
    options: ExportOptions | None = None,
) -> Result:
    """Export ``model`` to a TensorRT-ready ONNX file at ``f`` and verify it.

    Returns a :class:`Result`, truthy when a file was written and verified.
    ``static_batches=[1, 4, 8]`` writes one file per batch size instead
    (``model_b1.onnx``...). ``plugins={"head": "MyPlugin"}`` exports submodules as
    TensorRT plugin nodes (see :mod:`trtready.plugins`). Verification runs on the
    example and on rows drawn from it; give your own data with ``verify_inputs``
    (a list of argument tuples, or a callable ``batch -> args``) or ``verify_data``
    (an ``.npz`` / ``.pt`` file of named arrays). A torchvision detector is exported with
    fixed-size outputs (``num_detections``, ``boxes``, ``scores``, ``labels``, ...; see
    :mod:`trtready.detection`): ``detections`` rows per image (default: the model's own), NMS as
    ONNX ``NonMaxSuppression`` (``nms="onnx"``) or NVIDIA's ``EfficientNMS_TRT`` (``nms="plugin"``).
    ``options`` (an
    :class:`~trtready.options.ExportOptions`) replaces the keyword options.
    Raises :class:`UserError` for bad input only.
    """
    start = time.perf_counter()
    say = progress or (lambda _msg: None)
    if options is None:
        options = ExportOptions(
            exporter=exporter, opset=opset, verify=verify, diagnose=diagnose, trt=trt or "",
            batch=BatchPolicy(dynamic_batch, batch_dim, tuple(static_batches or ()), tuple(verify_batches or ())),
            tolerance=Tolerance(atol, rtol), fixes=FixSelection(fix, tuple(skip_fixes)),
            rewrites=RewriteSelection(rewrites, tuple(disable_rewrites), tuple(enable_rewrites)),
            detection=DetectionOptions(detections, nms),
        )  # fmt: skip
    options = dataclasses.replace(options, plugins=resolve_plugins(model, plugins))
    result = Result(command="export", model=name or type(model).__name__, options=options.summary())
    result.notes += [options.release.note] if options.release.note else []
    if options.verify and options.plugins:
        result.findings.append(_plugins_unverified(options.plugins))
    model = eval_mode(model)
    args = args if isinstance(args, tuple) else (args,) if isinstance(args, torch.Tensor) else tuple(args)
    detector = _detector(model, args, options)
    if detector is not None:
        model, args = detector.module, (detector.images,)
        output_names = output_names or list(detector.module.output_names)
        result.notes.append(detector.note)
    flat = FlatModel(model, args, kwargs or {})
    flat.training = False  # the wrapper only: the model's own mode was set above
    base_example = flat.example
    check_output_path(Path(f))
    data = _user_data(flat, options, verify_inputs, verify_data)
    for size in options.batch.static_sizes or (None,):
        flat.example = base_example
        path = static_path(Path(f), size) if size else Path(f)
        _export_one(result, flat, input_names, output_names, path, options, batch=size, user_data=data, say=say, detector=detector)
    result.notes += flat.notes
    result.seconds = time.perf_counter() - start
    return result


def _user_data(flat: FlatModel, options: ExportOptions, verify_inputs, verify_data):
    """The user's verification data: an InputPool (``verify_data``), ``verify_inputs`` as given, or None."""
    if verify_data is not None:
        flags = batched(flat.example, options.batch.dim)
        return load_verify_data(verify_data, flat.input_names, flat.example, flags, options.batch.dim)
    return verify_inputs


def _detector(model: torch.nn.Module, args: tuple, options: ExportOptions):
    """A torchvision detector's fixed-size export (see :mod:`trtready.detection`), or None.
    Without torchvision imported there is no torchvision detector to lower."""
    if "torchvision" not in sys.modules:
        if options.detection.asked:
            raise UserError("--detections/--nms apply to torchvision detection models, and torchvision is not loaded",
                            hint="pip install torchvision, or leave --detections/--nms out")  # fmt: skip
        return None
    from .detection.prepare import prepare_detector

    return prepare_detector(model, args, options.detection)


def _export_one(result, flat, input_names, output_names, path, options, *, batch, user_data, say, detector=None) -> None:
    with timed(result.steps, "plan (PyTorch references)"):
        plan = make_plan(flat, input_names, output_names, options, batch, user_data, detector)
    flat.example = plan.example
    result.options["export_batch"] = plan.export_batch
    result.options["verify_batches"] = plan.batches
    with work_dir() as tmp:
        attempts = _run_ladder(result, plan, options, tmp, say, batch)
        result.attempts += attempts
        _add_attempt_steps(result, attempts)
        if options.diagnose and any(not a.ok for a in attempts) and not any(_clean(a, options) for a in attempts):
            say("an exporter failed: diagnosing the PyTorch model")
            with timed(result.steps, "diagnose (doctor)"):
                _add_diagnosis(result, flat, options)
        chosen, reason = choose_attempt(attempts, options.batch.dynamic)
        if chosen is None:
            result.errors.append("no exporter produced a model: " + "; ".join(f"{a.label}: {a.error}" for a in attempts))
            return
        with timed(result.steps, "write"):
            _record_chosen(result, chosen, reason, plan, path, say)
        if detector is not None and options.detection.nms == "plugin" and options.verifies:
            from .detection.plugin_reference import describe_plugin_proof

            result.notes.append(f"{path.name}: {describe_plugin_proof(chosen.model)}")
        let_go_of_work_folder(attempts, tmp, chosen, path if any(a.path == str(path) for a in result.artifacts) else None)


def _run_ladder(result: Result, plan: Plan, options: ExportOptions, tmp: Path, say: Progress, batch) -> list[Attempt]:
    """Each exporter in turn (with rewrites, then plain when the rewrites hurt), until one is clean."""
    plugin_nodes = bool(options.plugins) or (plan.detections is not None and options.detection.nms == "plugin")
    order = _exporter_order(options.exporter, plan.flat.module, plugin_nodes, detector=plan.detections is not None)
    attempts: list[Attempt] = []
    for index, name in enumerate(order):
        if attempts and options.exporter == "auto":
            result.notes.append(f"tried the {name} exporter too: {_why_not_enough(attempts, options)}")
        say(f"exporting with the {name} exporter" + (f" at batch {batch}" if batch else ""))
        attempts += _exporter_attempts(result, name, plan, options, tmp, say)
        clean = next((a for a in attempts if _clean(a, options)), None)
        if options.exporter == "auto" and clean is not None:
            if order[index + 1 :]:
                result.notes.append(f"{', '.join(order[index + 1:])} exporter not tried: the {clean.label} file "
                                    "was verified, kept its dynamic batch and has no TensorRT errors")  # fmt: skip
            break
    return attempts


def _why_not_enough(attempts: list[Attempt], options: ExportOptions) -> str:
    """Why the attempts so far did not end the ladder (the best one's shortfall)."""
    best = min(attempts, key=lambda a: score(a, options.batch.dynamic))
    return shortfall(best, options.batch.dynamic) or "no clean file yet"


def _add_attempt_steps(result: Result, attempts: list[Attempt]) -> None:
    """Each attempt's stages in the run's steps, as ``"<attempt>: <stage>"``."""
    for attempt in attempts:
        for stage, seconds in attempt.steps.items():
            key = f"{attempt.label}: {stage}"
            result.steps[key] = result.steps.get(key, 0.0) + seconds


def _exporter_attempts(result: Result, name: str, plan: Plan, options: ExportOptions, tmp: Path, say) -> list[Attempt]:
    """The attempt with the asked-for rewrites (re-traced when it holds the export batch); when it
    failed or did not verify, the plain export too (as ``torch.onnx.export`` would make it), and
    the rewrite at fault, named."""
    first = make_attempt(name, plan, options, tmp, say, rewrites=options.rewrites)
    tried = [first, *_retraced(first, options.rewrites, plan, options, tmp, say)]
    spoiled = not first.ok or (first.verified is False and first.rewrites_fired != [])
    # a failure is retried even when no rewrite fired: the mode's presence alone can break torch.export's capture
    if not options.rewrites.enabled or not spoiled or any(a.verified for a in tried):
        return tried
    say(f"retrying the {name} exporter without torch-level rewrites")
    no_rewrites = RewriteSelection(enabled=False)
    plain = make_attempt(name, plan, options, tmp, say, rewrites=no_rewrites, variant="no rewrites")
    tried += [plain, *_retraced(plain, no_rewrites, plan, options, tmp, say)]
    if _rank(plain, options) < _rank(first, options):
        tried += _find_culprit(result, name, first, plain, plan, options, tmp, say)
    return tried


def _retraced(attempt: Attempt, rewrites: RewriteSelection, plan: Plan, options: ExportOptions, tmp: Path, say) -> list[Attempt]:
    """The batch-un-pinned version of a TorchScript attempt that holds the export batch, if any."""
    if not options.fixes.enabled or RETRACE_PASS in options.fixes.skip or not pinned_batch(attempt, plan):
        return []
    retraced = retrace_attempt(attempt, rewrites, plan, options, tmp, say)
    return [retraced] if retraced is not None else []


def _find_culprit(result, name, first: Attempt, plain: Attempt, plan, options, tmp, say) -> list[Attempt]:
    """Leave the fired rewrites out one at a time; the first whose absence is as good as plain is named."""
    what = first.error or "its file did not verify"
    fired = first.rewrites_fired or []
    if not fired:
        result.notes.append(f"the {name} export failed under the rewrite mode although no rewrite fired ({what}); "
                            "the file was made without it")  # fmt: skip
        return []
    if len(fired) == 1:
        result.notes.append(f"{fired[0]} broke the {name} export ({what}); the file was made without it")
        return []
    for rewrite_id in fired[:MAX_CULPRIT_TRIES]:
        say(f"retrying the {name} exporter without {rewrite_id}")
        variant = f"without {rewrite_id}"
        attempt = make_attempt(name, plan, options, tmp, say, rewrites=options.rewrites.without(rewrite_id), variant=variant)
        if _rank(attempt, options) <= _rank(plain, options):
            result.notes.append(f"{rewrite_id} broke the {name} export ({what}); the other rewrites were kept")
            return [attempt]
    result.notes.append(f"the rewrites {', '.join(fired)} together broke the {name} export ({what}); "
                        "the file was made without rewrites")  # fmt: skip
    return []


def _rank(attempt: Attempt, options: ExportOptions) -> tuple:
    """Exported, dynamic, verified, TensorRT errors (the part of the score a rewrite can spoil)."""
    return score(attempt, options.batch.dynamic)[:4]


def _clean(attempt: Attempt, options: ExportOptions) -> bool:
    return is_clean(attempt, options.batch.dynamic)


def _add_diagnosis(result: Result, flat: FlatModel, options: ExportOptions) -> None:
    """``trtready doctor`` on the model, once, when an exporter failed: every blocker at its line."""
    from .doctor import diagnose

    if isinstance(flat.module, torch.jit.ScriptModule):
        return _diagnosis_skipped(result, "it needs the Python model, and this is a TorchScript module")
    args, kwargs = flat.nested_args(flat.example)
    try:
        doctor = diagnose(flat.module, tuple(args), kwargs, batch_dim=options.batch.dim, opset=options.opset)
    except Exception as exc:  # noqa: BLE001 - the diagnosis is an extra: the export result stands without it
        return _diagnosis_skipped(result, str(exc) if isinstance(exc, UserError) else one_line(exc))
    known = {(f.rule_id, str(f.source)) for f in result.findings}
    result.findings += [f for f in doctor.findings if (f.rule_id, str(f.source)) not in known]


def _diagnosis_skipped(result: Result, why: str) -> None:
    result.findings.append(Finding(
        rule_id=DIAGNOSIS_SKIPPED.id, name=DIAGNOSIS_SKIPPED.name, severity=DIAGNOSIS_SKIPPED.severity,
        stage="doctor", message=f"the PyTorch-side diagnosis could not run: {why}", fix=DIAGNOSIS_SKIPPED.fix,
    ))  # fmt: skip


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
    result.passes += chosen.passes
    result.verification += chosen.verification
    result.findings += chosen.findings
    graph = chosen.model.graph
    example_shapes = dict(zip(plan.input_names, (list(t.shape) for t in plan.example)))
    inputs = [_io(v) | {"example_shape": example_shapes.get(v.name)} for v in graph.inputs]
    verified_batches = sorted({r.batch for r in chosen.verification if r.passed}) if verified else []
    result.files.append(WrittenFile(
        path=str(path), batch=batch, exporter=chosen.label, choice_reason=reason, verified=verified,
        nodes_exported=chosen.node_count, nodes_final=count_nodes(chosen.model), inputs=inputs,
        outputs=[_io(v) for v in graph.outputs], verified_batches=verified_batches,
        trtexec=trtexec_command(str(path), inputs, plan.export_batch, verified_batches),
    ))  # fmt: skip


def _io(value) -> dict:
    return {"name": value.name, "shape": value_shape(value), "dtype": str(value.dtype.name if value.dtype else None)}


def _plugins_unverified(plugins: dict) -> Finding:
    names = ", ".join(f"{path} -> {spec.name}" for path, spec in plugins.items())
    return Finding(
        rule_id=PLUGIN_UNVERIFIED.id, name=PLUGIN_UNVERIFIED.name, severity=PLUGIN_UNVERIFIED.severity,
        stage="verify", message=f"not verified: ONNX Runtime has no kernel for the plugin nodes ({names})",
        fix=PLUGIN_UNVERIFIED.fix,
    )  # fmt: skip


def _exporter_order(exporter: str, module: torch.nn.Module, with_plugins: bool = False, *, detector: bool = False) -> list[str]:
    """The exporters to try, in turn. torch.export first: after simplification its graphs are the
    smaller ones (the zoo benchmark: transformers, Swin, MobileViT, ShuffleNet...), and it never
    bakes a data-dependent Python value into the file; the TorchScript exporter is the fallback
    (a failed capture, a pinned batch, numbers that differ). TorchScript first for a detector
    (torch.export cannot capture the post-processing), only TorchScript for plugin nodes and
    TorchScript modules."""
    if exporter != "auto":
        return [exporter]
    if isinstance(module, torch.jit.ScriptModule) or with_plugins:
        return ["torchscript"]
    return ["torchscript", "dynamo"] if detector else ["dynamo", "torchscript"]
