"""Apply fix passes one by one, each proved by ONNX Runtime or rolled back.

For every pass whose rules have findings in the model (or that fixes no rule
in particular): run it on a copy; if it modified the model, check the copy
with onnx.checker, then run the model before and after in ONNX Runtime on the
same inputs at every batch size given. Outputs must agree within the
verification tolerances where the original ran; a pass that changes outputs,
breaks the model or fails is rolled back and recorded as such.

Each ONNX Runtime run is bounded by ``RUN_SECONDS``: a model that runs longer
on the small random inputs (a Loop whose trip count or condition never ends
it) is stopped through ``RunOptions.terminate`` and counts as one that fails
to run, and the other batch sizes are not tried.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import onnx_ir as ir

from ..errors import one_line
from ..external_weights import runtime_file
from ..ir import count_nodes
from ..result import PassRecord
from ..rules import check_model
from ..simplify import copy_model, invalid_reason
from ..verify.compare import compare_output
from ..verify.session import open_session
from ..workspace import work_dir
from .base import FixPass, FixRecord

__all__ = ["RUN_SECONDS", "apply_fixes"]

RUN_SECONDS = 120.0  # one ONNX Runtime run on the random inputs of one batch size


def apply_fixes(
    model: ir.Model,
    passes: list[FixPass],
    feeds: dict[int, dict[str, np.ndarray]],
    *,
    trt: str | None = None,
    atol: float = 1e-4,
    rtol: float = 1e-3,
) -> tuple[ir.Model, list[PassRecord]]:
    """Return the fixed model and one PassRecord per pass that had something to do."""
    records = []
    with work_dir("trtready-fix-") as tmp:
        reference = _run_all(model, feeds, Path(tmp) / "before.onnx")
        if all(isinstance(r, str) for r in reference.values()):  # nothing to compare against: no fix is provable
            reason = next(iter(reference.values()), "no inputs")
            return model, [PassRecord(name="fix", modified=False, rolled_back=True,
                                      message=f"no fix applied: ONNX Runtime cannot run the model ({reason})")]  # fmt: skip
        for fix in passes:
            before = _count(model, fix, trt)
            if fix.fixes and not before:
                continue
            candidate, record = _try_pass(model, fix, before, trt)
            if candidate is not None:
                outputs = _run_all(candidate, feeds, Path(tmp) / f"{fix.name}.onnx")
                record.message = _disagreement(reference, outputs, fix, atol, rtol)
                if record.message is None:
                    model, reference = candidate, _merge(reference, outputs)
                else:
                    record.rolled_back, record.findings_removed = True, 0
            records.append(record)
    return model, records


def _try_pass(model: ir.Model, fix: FixPass, before: int, trt) -> tuple[ir.Model | None, PassRecord]:
    record = FixRecord(name=fix.name, modified=False, nodes_before=count_nodes(model))
    start = time.perf_counter()
    candidate = copy_model(model)
    try:
        record.modified = bool(fix(candidate).modified)
        record.near_misses = fix.near_misses  # where it did not rewrite, and why: said on the findings left
    except Exception as exc:  # noqa: BLE001 - a failing pass is recorded and skipped
        record.message, record.rolled_back = f"failed: {one_line(exc)}", True
        return None, record
    finally:
        record.seconds = time.perf_counter() - start
    record.nodes_after = count_nodes(candidate)
    if not record.modified:
        record.nodes_after = record.nodes_before
        return None, record
    problem = invalid_reason(candidate)
    if problem:
        record.message, record.rolled_back = f"made the model invalid: {problem}", True
        return None, record
    record.findings_removed = before - _count(candidate, fix, trt)
    return candidate, record


def _count(model: ir.Model, fix: FixPass, trt) -> int:
    return len(check_model(model, trt=trt, select=list(fix.fixes))) if fix.fixes else 0


def _run_all(model: ir.Model, feeds: dict, path: Path) -> dict[int, list | str]:
    """Outputs per batch, or the error text where ONNX Runtime fails. Weights mapped from external
    data stay where they are: the file written for ONNX Runtime points into them."""
    with runtime_file(model, path) as written:
        try:
            session = open_session(written.path, mapped_weights=written.mapped, initializers=written.initializers)
        except Exception as exc:  # noqa: BLE001
            return {batch: one_line(exc) for batch in feeds}
    names = {i.name for i in session.get_inputs()}
    outputs: dict[int, list | str] = {}
    stopped = None
    for batch, feed in feeds.items():
        if stopped:  # as slow at the next batch size: do not wait again
            outputs[batch] = stopped
            continue
        outputs[batch], timed_out = _run_bounded(session, {k: v for k, v in feed.items() if k in names} | written.feeds)
        stopped = outputs[batch] if timed_out else None
    return outputs


def _run_bounded(session, feed: dict) -> tuple[list | str, bool]:
    """``(outputs or error text, whether the run was stopped for taking over RUN_SECONDS)``."""
    import onnxruntime as ort

    options = ort.RunOptions()
    timer = threading.Timer(RUN_SECONDS, lambda: setattr(options, "terminate", True))
    timer.daemon = True
    timer.start()
    try:
        return session.run(None, feed, options), False
    except Exception as exc:  # noqa: BLE001
        if options.terminate:
            return f"stopped after {RUN_SECONDS:g} s: ONNX Runtime takes longer to run the model once", True
        return one_line(exc), False
    finally:
        timer.cancel()


def _disagreement(reference: dict, outputs: dict, fix: FixPass, atol: float, rtol: float) -> str | None:
    for batch, ref in reference.items():
        got = outputs[batch]
        if isinstance(ref, str):  # the original failed at this batch: nothing to compare
            continue
        if isinstance(got, str):
            return f"rolled back: ONNX Runtime fails after the pass at batch {batch}: {got}"
        for i, (g, r) in enumerate(zip(got, ref)):
            row = compare_output(str(i), batch, np.asarray(g), np.asarray(r), atol=atol, rtol=rtol, batch_dim=None)
            if row.status == "fail":
                return f"rolled back: output {i} changed at batch {batch}: {row.message}"
    return None


def _merge(reference: dict, outputs: dict) -> dict:
    """After an accepted pass, batches where only the new model runs become references too."""
    return {b: outputs[b] if isinstance(reference[b], str) else reference[b] for b in reference}
