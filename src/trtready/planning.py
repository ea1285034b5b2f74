"""Planning an export: checking the options and deriving, once, what every attempt shares.

The batch used for tracing (never 1 when a dynamic batch is wanted: the
exporters specialize sizes 0 and 1), the batch sizes and cases to verify on
(and PyTorch's outputs on them, computed once for every candidate file), input
and output names, which inputs and outputs carry the batch axis, and the
output path checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InputSpecError
from .inputs import FlatModel, batch_size_of, batched, resize_batch
from .options import ExportOptions
from .state import StateSnapshot
from .verify import Case, InputPool, References, build_cases, default_batches, run_references
from .verify.user_data import user_cases

if TYPE_CHECKING:
    from .detection.compare import DetectionSpec

__all__ = ["Plan", "check_example", "make_plan", "static_path"]


@dataclass
class Plan:
    """Everything the attempts share, derived once from the options."""

    flat: FlatModel
    example: tuple
    export_batch: int | None
    batches: list[int]
    job_template: dict[str, Any]
    cases: list[Case]
    references: References | None = None  # PyTorch's outputs on the cases, when verifying
    detections: DetectionSpec | None = None  # outputs compared as detections, image by image

    @property
    def input_names(self) -> list[str]:
        return self.job_template["input_names"]

    @property
    def output_names(self) -> list[str]:
        return self.job_template["output_names"]


def make_plan(flat, input_names, output_names, options: ExportOptions, batch, user_data=None, detector=None) -> Plan:
    """The shared plan; ``user_data`` is an :class:`InputPool` (a data file) or ``verify_inputs``
    (argument tuples, or a callable ``batch -> args``; see :mod:`trtready.verify.user_data`).
    ``detector`` (a :class:`~trtready.detection.DetectorExport`): the references come from the
    detector's own eager post-processing and its outputs are compared as detections."""
    example = flat.example
    policy = options.batch
    check_example(example, policy.dim, needs_batch=policy.dynamic or bool(batch))
    size = batch_size_of(example, policy.dim)
    if batch:
        example = resize_batch(example, policy.dim, batch)
    elif policy.dynamic and size < 2:  # exporters specialize sizes 0 and 1
        example = resize_batch(example, policy.dim, 2)
    flat.example = example
    export_batch = batch_size_of(example, policy.dim)
    state = StateSnapshot.of(flat.module)
    outputs = flat.describe_outputs(output_names)
    stateful = state.changed()
    if stateful:  # the exporters must capture the state the user gave, not the one after our call
        state.restore()
        flat.notes.append(_stateful_note(stateful))
    names = _input_names(flat, input_names)
    flags = batched(example, policy.dim)
    batches = list(policy.verify_sizes) or (default_batches(export_batch) if policy.dynamic else [export_batch])
    template = dict(
        input_names=names, output_names=flat.output_names, batched_inputs=flags,
        batched_outputs=[o.dim() > policy.dim and o.shape[policy.dim] == export_batch for o in outputs],
        dynamic_batch=policy.dynamic, batch_dim=policy.dim, opset=options.opset,
        rewrites=options.rewrites.for_child(), plugins=options.plugins,
    )  # fmt: skip
    pool = user_data if isinstance(user_data, InputPool) else None
    if detector is not None:  # whole images, never mixed: see verify.cases
        pool = pool or InputPool(example, flags, policy.dim, label="example images, half mirrored")
        pool.whole_rows = True
    given = user_cases(flat, user_data, batches, policy.dim) if user_data is not None and pool is None else []
    if not policy.dynamic:  # a static file runs at its own batch only
        given = [c for c in given if c.batch == export_batch]
    cases = build_cases(example, flags, policy.dim, batches, export_batch, pool=pool, user_cases=given, names=names)
    plan = Plan(flat, example, export_batch, batches, template, cases, detections=detector.spec if detector else None)
    if options.verifies:
        tol = options.tolerance
        reset = state.restore if stateful else None
        reference = FlatModel(detector.reference, (example[0],), {}) if detector else flat
        plan.references = run_references(reference, cases, atol=tol.atol, rtol=tol.rtol, reset=reset, watch=detector is None)
    return plan


def _stateful_note(names: list[str]) -> str:
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return (f"forward changes the model's own state ({shown}): trtready put it back after each of its own "
            "calls, so the file computes one call from the state given; an engine keeps no state between "
            "calls, so pass it in and out as tensors (NVIDIA's TensorRT ONNX export guidance, "
            "\"Update Instance Variables\")")  # fmt: skip


def check_example(example: tuple, batch_dim: int, *, needs_batch: bool = True) -> None:
    """Tensor inputs exist and (when a batch axis is needed) one of them has ``batch_dim``."""
    if not example:
        raise InputSpecError("the model takes no tensor inputs", hint="pass example inputs (args)")
    if needs_batch and batch_size_of(example, batch_dim) is None:
        raise InputSpecError(f"no example input has a dimension {batch_dim} to use as the batch axis",
                             hint="set batch_dim, or dynamic_batch=False")  # fmt: skip


def _input_names(flat: FlatModel, given: list[str] | None) -> list[str]:
    if not given:
        return flat.input_names
    if len(given) != len(flat.example):
        raise InputSpecError(
            f"{len(given)} input names given for {len(flat.example)} tensor inputs",
            hint=f"the inputs are: {', '.join(flat.input_names)}",
        )
    return list(given)


def static_path(path: Path, size: int) -> Path:
    return path.with_name(f"{path.stem}_b{size}{path.suffix or '.onnx'}")
