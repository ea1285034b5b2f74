"""``trtready.fix``: apply the ONNX-level fixes to any ONNX file, each proved in ONNX Runtime.

Also used by ``export``: ``fix_model`` on the simplified export, and
``explain_remaining`` on the findings left afterwards (why no autofix removed
them, and the manual rewrite).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import onnx_ir as ir

from .checking import check
from .errors import ModelFileError, UserError
from .graph.external_data import location_problem
from .ir import save_model_atomic
from .onnx_file import read_onnx
from .options import FixSelection
from .passes import apply_fixes, default_passes, feeds_for_model
from .passes.base import NearMiss
from .passes.catalog import autofix_of
from .result import Artifact, Finding, PassRecord, Result, WrittenFile
from .rewrite_residue import credit_rewrites
from .trt_ops import load_release
from .verify import DEFAULT_ATOL, DEFAULT_RTOL
from .workspace import check_output_path

__all__ = ["explain_remaining", "fix", "fix_model"]

DEFAULT_FIX_BATCHES = (2, 3)


def fix(
    path: str | os.PathLike,
    output: str | os.PathLike,
    *,
    trt: str | None = None,
    skip: tuple[str, ...] = (),
    batches: tuple[int, ...] = DEFAULT_FIX_BATCHES,
    shapes: dict[str, tuple[int, ...]] | None = None,
    overwrite: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Result:
    """Fix ``path`` into ``output``; the Result lists the passes and the findings left.
    ``progress(message)`` is told each step as it starts."""
    say = progress or (lambda _message: None)
    release = load_release(trt)
    FixSelection(skip=tuple(skip))  # unknown names fail here, with the closest known one
    if Path(output).resolve() == Path(path).resolve() and not overwrite:
        raise UserError(f"refusing to overwrite the input {path}", hint="choose another -o, or pass --overwrite")
    check_output_path(Path(output))
    start = time.perf_counter()
    say(f"reading {path}")
    model = _readable_model(path)
    feeds = {b: feeds_for_model(model, b, shapes=shapes) for b in batches}
    say(f"fixing: each fix run in ONNX Runtime at batch sizes {', '.join(map(str, batches))} and kept only if the outputs agree")
    fixed, records = fix_model(model, feeds, trt=release.version, skip=skip)
    result = Result(command="fix", model=str(path), options={"trt": release.version, "batches": list(batches)})
    result.notes += [release.note] if release.note else []
    result.passes = records
    say(f"writing and checking {output}")
    written = save_model_atomic(fixed, output)
    try:
        findings = check(output, trt=release.version).findings
    except BaseException:  # a file its own check cannot read must not stay behind
        for leftover in written:
            Path(leftover).unlink(missing_ok=True)
        raise
    result.artifacts += [Artifact(p, "onnx" if i == 0 else "onnx-external-data") for i, p in enumerate(written)]
    result.files.append(_written_file(fixed, str(output), shapes))
    result.findings = explain_remaining(findings, records)
    result.seconds = time.perf_counter() - start
    return result


def _written_file(model: ir.Model, path: str, shapes: dict | None) -> WrittenFile:
    """The fixed file's record: its inputs and a trtexec command (unverified sizes: no PyTorch model here)."""
    from .report.trtexec import model_inputs, trtexec_for_model

    return WrittenFile(path=path, inputs=model_inputs(model, shapes), trtexec=trtexec_for_model(path, model, shapes))


def _readable_model(path: str | os.PathLike) -> ir.Model:
    """The model of ``path``, refused when its weights live where the fixed model cannot be written
    from: a location TensorRT refuses (TRT003) is also one onnx_ir will not read (path traversal)."""
    onnx_file = read_onnx(path)
    for location in onnx_file.external_locations:
        problem = location_problem(location)
        if problem:
            raise ModelFileError(
                f"external data location '{location}' of {path} is {problem}; fix reads weights only from the model's folder",
                hint="move the weights beside the model and store their bare file name (see trtready explain TRT003)",
            )  # fmt: skip
    return onnx_file.model


def fix_model(
    model: ir.Model, feeds: dict, *, trt: str | None, skip=(), export_batch: int | None = None,
    atol: float = DEFAULT_ATOL, rtol: float = DEFAULT_RTOL,
) -> tuple[ir.Model, list[PassRecord]]:  # fmt: skip
    passes = default_passes(skip=skip, export_batch=export_batch)
    return apply_fixes(model, passes, feeds, trt=trt, atol=atol, rtol=rtol)


def explain_remaining(findings: list[Finding], records: list[PassRecord], *, fixes: bool = True) -> list[Finding]:
    """Say, on each finding left, what the tool already did about it: a torch-level rewrite that fired
    at its line and carries out its rule's advice (:mod:`trtready.rewrite_residue`: the fix becomes what
    remains), else (``fixes``: the ONNX-level fixes ran) why no autofix removed it: the reason a fix's
    rewrite rule refused that very node (its near miss) when there is one."""
    ran = {r.name: r for r in records}
    misses = [miss for r in records for miss in getattr(r, "near_misses", ())]
    credited = {id(f) for f in credit_rewrites(findings, records)}
    for finding in findings:
        if id(finding) in credited or not fixes:
            continue
        why = _why_not_fixed(finding, ran, misses)
        finding.message = f"{finding.message} [not fixed automatically: {why}]"
    return findings


def _why_not_fixed(finding: Finding, ran: dict[str, PassRecord], misses: list[NearMiss]) -> str:
    autofix = autofix_of(finding.rule_id)
    if autofix is None:
        return "no exact automatic rewrite exists at the ONNX level; apply the fix below in PyTorch"
    if autofix.name in ran and ran[autofix.name].rolled_back:
        return f"autofix {autofix.name} was rolled back: {ran[autofix.name].message}"
    miss = next((m for m in misses if m.concerns(finding.rule_id, finding.graph_path, finding.node, finding.op_type)), None)
    if miss is not None:
        return f"autofix {miss.pass_name} cannot rewrite this node exactly: {miss.reason}"
    return f"autofix {autofix.name} cannot rewrite this node exactly"
