"""An independent ONNX-vs-PyTorch verifier for benchmark files (it does not import trtready).

    verdict = verify("model.onnx", model, entry.data, ["images"])
    verdict.right_export, verdict.right_others, verdict.first_failure
    latency_ms("model.onnx", entry.data, ["images"])   # median ONNX Runtime ms at batch 2

ONNX Runtime (CPU) and the eager model are fed the same realistic inputs,
``data(batch, seed)``, at batches 1, 2 (the export batch), 3 and 8 and with
several seeds, so 0-d loop counts and flags take several values. A file is
*right* at a batch when every output of every seed matches:

* outputs are matched by position, after flattening the PyTorch output with
  ``torch.utils._pytree`` and dropping ``None`` and non-tensor leaves (what
  ``torch.onnx.export`` drops). A file whose output count instead equals the
  count with the Python numbers kept (the dynamo exporter turns a returned
  ``float``/``int`` into a constant output) is compared with those numbers as
  0-d values. Any other output count is wrong;
* a different shape is wrong; integer and bool outputs must be equal;
* float outputs must satisfy numpy's element-wise ``|g - r| <= atol + rtol * |r|``
  with ``rtol = 1e-3`` and ``atol = 1e-4 * max(1, rms(r))``; NaN matches NaN and
  an infinity the same infinity;
* an ONNX Runtime error (session or run) is wrong.

Inputs are fed by name (``input_names``, one per input tensor; nested inputs
such as a dict are flattened in pytree order), cast to the dtype the file declares.

A reference that is *degenerate* (empty, or every element equal) still has to
match, but is noted: parity on a constant proves little. The eager model runs on
a fresh deep copy per call, so a model that updates its own state in ``forward``
is compared on its first call, like a stateless graph.

``latency_ms`` times the file in a session with the same options (CPU, one thread): one
warm-up run, then the median of 5 runs on ``data(2, 0)``.
"""

from __future__ import annotations

import copy
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import onnxruntime as ort
import torch
from torch.utils import _pytree as pytree

__all__ = [
    "BATCHES",
    "EXPORT_BATCH",
    "RTOL",
    "SEEDS",
    "FileVerdict",
    "OutputCheck",
    "compare",
    "is_degenerate",
    "latency_ms",
    "reference_outputs",
    "tensor_leaves",
    "verify",
]

EXPORT_BATCH = 2
BATCHES = (1, 2, 3, 8)
SEEDS = (1, 2, 3)  # the export example is seed 0; these differ from it
LATENCY_RUNS = 5  # timed ONNX Runtime runs after one warm-up; the median is reported
RTOL = 1e-3
ATOL_SCALE = 1e-4  # atol = ATOL_SCALE * max(1, rms(reference))

_ORT_DTYPES = {
    "tensor(float)": np.float32, "tensor(double)": np.float64, "tensor(float16)": np.float16,
    "tensor(int64)": np.int64, "tensor(int32)": np.int32, "tensor(int16)": np.int16, "tensor(int8)": np.int8,
    "tensor(uint8)": np.uint8, "tensor(bool)": np.bool_,
}  # fmt: skip


@dataclass
class OutputCheck:
    """One output (or, with ``output=None``, the whole run) at one batch and seed."""

    batch: int
    seed: int
    output: int | None
    status: str  # right | wrong | error
    message: str = ""
    shape: list[int] | None = None
    ref_shape: list[int] | None = None
    max_abs: float | None = None
    degenerate: bool = False

    @property
    def right(self) -> bool:
        return self.status == "right"

    def describe(self) -> str:
        where = f"batch {self.batch} seed {self.seed}" + (f" output {self.output}" if self.output is not None else "")
        return f"{where}: {self.status}: {self.message}"


@dataclass
class FileVerdict:
    """Every check of one ONNX file, and the verdicts derived from them."""

    path: str
    export_batch: int = EXPORT_BATCH
    checks: list[OutputCheck] = field(default_factory=list)
    session_error: str | None = None
    notes: list[str] = field(default_factory=list)

    def right_at(self, batches: Sequence[int]) -> bool:
        """Every check at these batches is right (and there is at least one)."""
        rows = [c for c in self.checks if c.batch in batches]
        return self.session_error is None and bool(rows) and all(c.right for c in rows)

    @property
    def right_export(self) -> bool:
        return self.right_at([self.export_batch])

    @property
    def right_others(self) -> bool:
        others = sorted({c.batch for c in self.checks} - {self.export_batch})
        return bool(others) and self.right_at(others)

    @property
    def right(self) -> bool:
        return self.right_export and self.right_others

    @property
    def first_failure(self) -> str | None:
        if self.session_error:
            return f"ONNX Runtime cannot load the file: {self.session_error}"
        bad = next((c for c in self.checks if c.batch == self.export_batch and not c.right), None)
        bad = bad or next((c for c in self.checks if not c.right), None)
        return bad.describe() if bad else None

    @property
    def degenerate_outputs(self) -> list[int]:
        return sorted({c.output for c in self.checks if c.degenerate and c.output is not None})

    def wrong_batches(self) -> list[int]:
        return sorted({c.batch for c in self.checks if not c.right})

    def to_dict(self, with_checks: bool = False) -> dict:
        data = {
            "right_export": self.right_export, "right_others": self.right_others, "right": self.right,
            "wrong_batches": self.wrong_batches(), "first_failure": self.first_failure,
            "degenerate_outputs": self.degenerate_outputs, "notes": self.notes, "session_error": self.session_error,
        }  # fmt: skip
        if with_checks:
            data["checks"] = [asdict(c) for c in self.checks]
        return data


# -- the PyTorch side -------------------------------------------------------------


def tensor_leaves(output) -> list[torch.Tensor]:
    """The tensors of a (nested) model output in pytree order; ``None`` and Python values dropped."""
    return [leaf for leaf in pytree.tree_leaves(output) if isinstance(leaf, torch.Tensor)]


def _value_leaves(output) -> list[np.ndarray]:
    """Tensors and Python numbers of a model output in pytree order (numbers as 0-d arrays); ``None`` dropped."""
    leaves = [leaf for leaf in pytree.tree_leaves(output) if isinstance(leaf, (torch.Tensor, bool, int, float))]
    return [leaf.detach().cpu().numpy() if isinstance(leaf, torch.Tensor) else np.asarray(leaf) for leaf in leaves]


def reference_outputs(model: torch.nn.Module, inputs: tuple, keep_numbers: bool = False) -> list[np.ndarray]:
    """The eager model's tensor outputs (and Python numbers, if asked) on ``inputs``, on a fresh deep copy."""
    fresh = copy.deepcopy(model)
    with torch.no_grad():
        output = fresh(*inputs)
    if keep_numbers:
        return _value_leaves(output)
    return [t.detach().cpu().numpy() for t in tensor_leaves(output)]


# -- comparing -----------------------------------------------------------------------


def is_degenerate(ref: np.ndarray) -> bool:
    """Empty, or several elements all the same (all NaN included): a match proves little."""
    if ref.size <= 1:
        return ref.size == 0
    flat = ref.reshape(-1)
    same = np.isnan(flat) if flat.dtype.kind == "f" and np.isnan(flat[0]) else flat == flat[0]
    return bool(np.all(same))


def compare(got: np.ndarray, ref: np.ndarray, rtol: float = RTOL) -> tuple[bool, str, float | None]:
    """``(right, message, max_abs)`` for one output, by the rules in the module docstring."""
    if tuple(got.shape) != tuple(ref.shape):
        return False, f"shape {list(got.shape)} != reference {list(ref.shape)}", None
    if ref.dtype.kind in "biu":
        if got.dtype.kind not in "biu":
            return False, f"dtype {got.dtype} for an integer/bool reference ({ref.dtype})", None
        diff = got.astype(np.int64) != ref.astype(np.int64)
        count = int(diff.sum())
        return count == 0, f"{count} of {ref.size} integer elements differ" if count else "equal", float(count)
    if ref.size == 0:
        return True, "empty", 0.0
    r, g = ref.astype(np.float64), got.astype(np.float64)
    finite = np.isfinite(r)
    rms = float(np.sqrt(np.mean(r[finite] ** 2))) if finite.any() else 0.0
    atol = ATOL_SCALE * max(1.0, rms)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(g - r)
    close = (diff <= atol + rtol * np.abs(r)) | (np.isnan(g) & np.isnan(r)) | (np.isinf(r) & (g == r))
    max_abs = float(np.max(diff[finite & np.isfinite(g)], initial=0.0))
    bad = int((~close).sum())
    if bad:
        message = f"{bad} of {r.size} elements out of tolerance (max |diff| {max_abs:.3g}, atol {atol:.2g})"
        return False, message, max_abs
    return True, f"max |diff| {max_abs:.3g}", max_abs


# -- ONNX Runtime side ---------------------------------------------------------------


def _session(path: str) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def _feeds(session: ort.InferenceSession, input_names: Sequence[str], inputs: tuple) -> dict:
    """Inputs by name, cast to the dtype the file declares (as a deployment would feed them)."""
    given = dict(zip(input_names, tensor_leaves(inputs)))
    feeds = {}
    for arg in session.get_inputs():
        if arg.name not in given:
            raise KeyError(f"the file expects an input {arg.name!r}; the model's inputs are {list(input_names)}")
        value = given[arg.name].detach().cpu().numpy()
        wanted = _ORT_DTYPES.get(arg.type)
        feeds[arg.name] = value.astype(wanted) if wanted is not None and value.dtype != wanted else value
    return feeds


def _file_notes(session: ort.InferenceSession, input_names: Sequence[str], example: tuple) -> list[str]:
    """What the file changed about the inputs: dropped inputs, other dtypes."""
    notes = []
    declared = {a.name: a for a in session.get_inputs()}
    for name, value in zip(input_names, tensor_leaves(example)):
        arg = declared.get(name)
        if arg is None:
            notes.append(f"input {name} is not in the file (constant-folded or unused)")
            continue
        wanted = _ORT_DTYPES.get(arg.type)
        if wanted is not None and value.detach().cpu().numpy().dtype != wanted:
            notes.append(f"input {name}: the file takes {arg.type}, the model {value.dtype}")
    return notes


def _run_checks(session, model, data, input_names, batch: int, seed: int) -> list[OutputCheck]:
    inputs = data(batch, seed)
    refs = reference_outputs(model, inputs)
    try:
        got = session.run(None, _feeds(session, input_names, inputs))
    except Exception as exc:  # noqa: BLE001 - any ONNX Runtime failure makes the file wrong here
        return [OutputCheck(batch, seed, None, "error", _one_line(exc))]
    if len(got) != len(refs):
        with_numbers = reference_outputs(model, inputs, keep_numbers=True)
        if len(got) != len(with_numbers):
            message = f"{len(got)} outputs; the model has {len(refs)} tensors ({len(with_numbers)} with numbers)"
            return [OutputCheck(batch, seed, None, "wrong", message)]
        refs = with_numbers
    checks = []
    for index, (g, r) in enumerate(zip(got, refs)):
        ok, message, max_abs = compare(np.asarray(g), r)
        checks.append(OutputCheck(
            batch, seed, index, "right" if ok else "wrong", message, shape=list(np.shape(g)),
            ref_shape=list(r.shape), max_abs=max_abs, degenerate=is_degenerate(r),
        ))  # fmt: skip
    return checks


def verify(
    path: str,
    model: torch.nn.Module,
    data: Callable[[int, int], tuple],
    input_names: Sequence[str],
    *,
    batches: Sequence[int] = BATCHES,
    seeds: Sequence[int] = SEEDS,
    export_batch: int = EXPORT_BATCH,
) -> FileVerdict:
    """Compare the ONNX file at ``path`` with ``model`` on ``data(batch, seed)`` for every batch and seed."""
    verdict = FileVerdict(path=path, export_batch=export_batch)
    try:
        session = _session(path)
    except Exception as exc:  # noqa: BLE001
        verdict.session_error = _one_line(exc)
        return verdict
    verdict.notes = _file_notes(session, input_names, data(export_batch, seeds[0]))
    for batch in batches:
        for seed in seeds:
            verdict.checks += _run_checks(session, model, data, input_names, batch, seed)
    if _keeps_numbers(session, model, data(export_batch, seeds[0])):
        verdict.notes.append("the file keeps the model's Python-number outputs (compared as 0-d values)")
    degenerate = verdict.degenerate_outputs
    if degenerate:
        verdict.notes.append(f"degenerate (constant or empty) reference for outputs {degenerate} at some batch/seed")
    return verdict


def latency_ms(
    path: str, data: Callable[[int, int], tuple], input_names: Sequence[str], *,
    batch: int = EXPORT_BATCH, runs: int = LATENCY_RUNS,
) -> float:
    """Median ONNX Runtime (CPU, one thread) wall time of one run on ``data(batch, 0)``, in ms, after a warm-up.

    The session has :func:`verify`'s options; loading it and preparing the inputs are not timed.
    Raises what ONNX Runtime raises.
    """
    session = _session(path)
    feeds = _feeds(session, input_names, data(batch, 0))
    session.run(None, feeds)  # warm-up: first-run allocations and kernel selection
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        session.run(None, feeds)
        times.append(time.perf_counter() - start)
    return round(1000 * statistics.median(times), 3)


def _keeps_numbers(session: ort.InferenceSession, model: torch.nn.Module, inputs: tuple) -> bool:
    """The file's outputs are the model's tensors and Python numbers, not its tensors alone."""
    count = len(session.get_outputs())
    tensors = len(reference_outputs(model, inputs))
    return count != tensors and count == len(reference_outputs(model, inputs, keep_numbers=True))


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:400]}" if text else type(exc).__name__
