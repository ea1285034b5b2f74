"""Planning an export: checking the options and deriving, once, what every attempt shares.

The batch used for tracing (never 1 when a dynamic batch is wanted: the
exporters specialize sizes 0 and 1), the batch sizes to verify at, input and
output names, which inputs and outputs carry the batch axis, the rewrite
selection, and the output path checks.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InputSpecError, UserError
from .inputs import FlatModel, batch_size_of, batched, resize_batch
from .rewrites import select_rewrites
from .verify import default_batches

__all__ = ["Plan", "check_options", "check_output_path", "make_plan", "rewrite_options", "static_path"]

EXPORTER_CHOICES = ("auto", "torchscript", "dynamo")


@dataclass
class Plan:
    """Everything the attempts share, derived once from the options."""

    flat: FlatModel
    example: tuple
    export_batch: int | None
    batches: list[int]
    job_template: dict[str, Any]


def make_plan(flat, input_names, output_names, options, batch, verify_batches) -> Plan:
    example = flat.example
    if not example:
        raise InputSpecError("the model takes no tensor inputs", hint="pass example inputs (args) to export")
    batch_dim = options["batch_dim"]
    size = batch_size_of(example, batch_dim)
    if (options["dynamic_batch"] or batch) and size is None:
        raise InputSpecError(f"no example input has a dimension {batch_dim} to use as the batch axis",
                             hint="set batch_dim, or dynamic_batch=False")  # fmt: skip
    if batch:
        example = resize_batch(example, batch_dim, batch)
    elif options["dynamic_batch"] and size < 2:  # exporters specialize sizes 0 and 1
        example = resize_batch(example, batch_dim, 2)
    flat.example = example
    export_batch = batch_size_of(example, batch_dim)
    outputs = flat.describe_outputs(output_names)
    names = _input_names(flat, input_names)
    dynamic = options["dynamic_batch"]
    batches = verify_batches or (default_batches(export_batch) if dynamic else [export_batch])
    template = dict(
        input_names=names, output_names=flat.output_names, batched_inputs=batched(example, batch_dim),
        batched_outputs=[o.dim() > batch_dim and o.shape[batch_dim] == export_batch for o in outputs],
        dynamic_batch=dynamic, batch_dim=batch_dim, opset=options["opset"], rewrites=options["rewrites"],
        plugins=options["plugins"],
    )  # fmt: skip
    return Plan(flat, example, export_batch, batches, template)


def rewrite_options(active: bool, disabled, opt_in) -> dict | None:
    """The rewrite selection for the exporter child; unknown ids fail here, in the parent."""
    if not active:
        return None
    options = {"disabled": tuple(disabled), "opt_in": tuple(opt_in)}
    select_rewrites(**options)
    return options


def _input_names(flat: FlatModel, given: list[str] | None) -> list[str]:
    if not given:
        return flat.input_names
    if len(given) != len(flat.example):
        raise InputSpecError(
            f"{len(given)} input names given for {len(flat.example)} tensor inputs",
            hint=f"the inputs are: {', '.join(flat.input_names)}",
        )
    return list(given)


def check_options(exporter, opset, static_batches, verify_batches) -> None:
    if exporter not in EXPORTER_CHOICES:
        raise UserError(f"unknown exporter '{exporter}'", hint=f"choose one of {', '.join(EXPORTER_CHOICES)}")
    if opset is not None and not 9 <= opset <= 23:
        raise UserError(f"opset {opset} is outside what the exporters support", hint="use 17 to 20; default 18")
    for label, sizes in (("static batch", static_batches), ("verify batch", verify_batches)):
        if sizes and any(int(s) < 1 for s in sizes):
            raise UserError(f"{label} sizes must be >= 1, got {list(sizes)}")


def check_output_path(path: Path) -> None:
    directory = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise UserError(f"output path {path} is a directory", hint="give a file name ending in .onnx")
    if not directory.is_dir():
        raise UserError(f"output directory {directory} does not exist")
    if not _writable(directory):
        raise UserError(f"cannot write to {directory}", hint="choose another output path")


def _writable(directory: Path) -> bool:
    try:
        with tempfile.TemporaryFile(dir=directory):
            return True
    except OSError:
        return False


def static_path(path: Path, size: int) -> Path:
    return path.with_name(f"{path.stem}_b{size}{path.suffix or '.onnx'}")
