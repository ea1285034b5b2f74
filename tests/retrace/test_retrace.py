"""unpin_by_retrace on real TorchScript exports: every pinned form runs at batches 1, 2, 3 and 8.

Each model of ``models.CASES`` is exported with ``torch.onnx.export(dynamo=False)``
(dynamic batch axis, opset 18, ``verbose=True`` so nodes keep their Python
line) at batch 2 and 3. The un-pinned file, saved and reloaded, must match
eager PyTorch element-wise in ONNX Runtime at every batch; the plain export
must fail at batch 3, so the fix is what makes the difference. Forms with no
constant law (a per-sample loop, a float 1/b) must give an unresolved entry
pointing at their ``# MARK:`` line.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnx_ir as ir
import onnxruntime as ort
import pytest
import torch

from trtready.exporters._retrace_laws import AxisLaw, ValueLaw, fit_law
from trtready.exporters.retrace import PASS_NAME, unpin_by_retrace
from trtready.ir import iter_nodes, load_model, save_model_atomic
from trtready.graph import constant_array
from trtready.passes.base import PROVENANCE_KEY
from trtready.rules import check_model
from trtready.simplify import simplify

from . import models
from .models import CASES

BATCHES = (1, 2, 3, 8)
FIXED = sorted(name for name, case in CASES.items() if case.expect == "fixed")
UNRESOLVED = sorted(name for name, case in CASES.items() if case.expect == "unresolved")


@contextlib.contextmanager
def _quiet_stdout():
    """verbose=True prints the TorchScript graph from C++: send file descriptor 1 to /dev/null meanwhile."""
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _export(module: torch.nn.Module, x: torch.Tensor, batch_dim: int, dynamic_output: bool = True) -> ir.Model:
    axes = {"x": {batch_dim: "batch"}} | ({"y": {batch_dim: "batch"}} if dynamic_output else {})
    buffer = io.BytesIO()
    with warnings.catch_warnings(), torch.no_grad(), _quiet_stdout():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module, (x,), buffer, dynamo=False, opset_version=18, input_names=["x"], output_names=["y"],
            dynamic_axes=axes, verbose=True,
        )  # fmt: skip
    return ir.from_proto(onnx.load_from_string(buffer.getvalue()))


@functools.cache
def _traced(name: str, batches: tuple[int, ...] = (2, 3)) -> tuple[torch.nn.Module, dict[int, ir.Model]]:
    case = CASES[name]
    torch.manual_seed(0)
    module = case.build().eval()
    return module, {b: _export(module, case.make(b), case.batch_dim) for b in batches}


def _retrace(name: str, third: int | None = None):
    _, traced = _traced(name, (2, 3) if third is None else (2, 3, third))
    extra = (traced[third], third) if third is not None else None
    return unpin_by_retrace(traced[2], traced[3], 2, 3, CASES[name].batch_dim, third=extra)


def _run(model: ir.Model, x: torch.Tensor) -> np.ndarray:
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(ir.to_proto(model).SerializeToString(), options, providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x.numpy()})[0]


def _matches(module: torch.nn.Module, model: ir.Model, x: torch.Tensor) -> bool:
    with torch.no_grad():
        expected = module(x).numpy()
    got = _run(model, x)
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=1e-4, atol=1e-5))


def _mark_line(mark: str) -> int:
    lines = Path(models.__file__).read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.rstrip().endswith(f"# MARK: {mark}"))


@pytest.mark.parametrize("name", FIXED)
def test_unpinned_file_matches_pytorch_at_every_batch(name, tmp_path):
    module, traced = _traced(name)
    result = unpin_by_retrace(traced[2], traced[3], 2, 3, CASES[name].batch_dim)
    assert result.model is not None, [str(u) for u in result.unresolved]
    assert result.replaced and not result.unresolved
    assert all(r.source is not None and r.source.file == models.__file__ for r in result.replaced), result.replaced
    path = tmp_path / f"{name}.onnx"
    save_model_atomic(result.model, path)
    onnx.checker.check_model(str(path), full_check=True)
    fixed = load_model(path)
    for batch in BATCHES:
        assert _matches(module, fixed, CASES[name].make(batch)), f"{name} differs from PyTorch at batch {batch}"
    dim = fixed.graph.outputs[0].shape[CASES[name].batch_dim]
    assert not isinstance(dim, int) and dim.value == "batch"
    assert not [f for f in check_model(fixed) if f.rule_id == "TRT207"]  # no batch-pinned literal left


@pytest.mark.parametrize("name", FIXED)
def test_simplified_file_still_follows_the_batch(name):
    """The export flow simplifies afterwards (constant folding, CSE...): the laws must survive it."""
    module, _ = _traced(name)
    simplified, records = simplify(_retrace(name).model)
    assert not [r for r in records if r.rolled_back]
    for batch in (1, 8):
        assert _matches(module, simplified, CASES[name].make(batch))


@pytest.mark.parametrize("name", FIXED)
def test_plain_export_fails_at_other_batches(name):
    """Without the fix the batch-2 file does not give PyTorch's answer at batch 3 (so the test above is not vacuous)."""
    module, traced = _traced(name)
    try:
        matches = _matches(module, traced[2], CASES[name].make(3))
    except Exception:  # noqa: BLE001 - ONNX Runtime refusing the batch is the usual failure
        matches = False
    assert not matches


@pytest.mark.parametrize("name", FIXED)
def test_new_nodes_are_stamped_and_inputs_untouched(name):
    _, traced = _traced(name)
    before = {id(n) for _, n in iter_nodes(traced[2].graph)}
    result = _retrace(name)
    new = [n for _, n in iter_nodes(result.model.graph) if n.metadata_props.get(PROVENANCE_KEY) == PASS_NAME]
    assert new and {id(n) for _, n in iter_nodes(traced[2].graph)} == before  # the inputs are not modified


@pytest.mark.parametrize("name", UNRESOLVED)
def test_unresolvable_forms_point_at_their_line(name):
    result = _retrace(name)
    assert result.model is None and result.unresolved
    entry = result.unresolved[0]
    assert entry.source is not None and entry.source.file == models.__file__
    assert entry.source.line == _mark_line(CASES[name].mark), str(entry)


def test_per_sample_loop_names_the_divergence_and_the_rewrite():
    (entry,) = _retrace("per-sample-loop").unresolved
    assert "Gather" in entry.message and "batch 3" in entry.message
    assert "vectorize" in entry.message and "torch.jit.script" in entry.message
    assert "for i in range" in entry.message


def test_float_constant_is_not_guessed():
    (entry,) = _retrace("batch-centering").unresolved
    assert "float32" in entry.message and "Div" in entry.message


def test_constant_equal_to_export_batch_stays():
    """Two channels at export batch 2: only the entries that change with the batch become B."""
    result = _retrace("two-channels")
    assert [r.law for r in result.replaced] == ["[B, 2, -1]", "[B, -1]"]
    constants = [constant_array(n.inputs[i]) for n in result.model.graph for i in range(len(n.inputs))
                 if n.op_type in ("Reshape", "Split")]  # fmt: skip
    held = [c.tolist() for c in constants if c is not None]
    assert [-1, 2] in held and [1, 1] in held  # the pixel reshape and the channel split


def test_the_torchpipe_se_block():
    result = _retrace("se")
    assert [(r.op_type, r.law) for r in result.replaced] == [("Concat", "[B]"), ("Reshape", "[B, -1, 1, 1]")]
    assert [r.source.line for r in result.replaced] == [31, 32]


def test_third_trace_confirms_linear_laws():
    two, three = _retrace("heads-attention"), _retrace("heads-attention", third=5)
    assert three.model is not None
    assert [r.law for r in three.replaced] == [r.law for r in two.replaced]
    assert "4*B" in {r.law.split(",")[0].strip("[") for r in three.replaced}


def _pairwise(batches):
    torch.manual_seed(0)
    module = models.PairwiseRelation().eval()
    return module, {b: _export(module, torch.randn(b, 4), 0) for b in batches}


def test_third_trace_refuses_a_quadratic_size():
    _, traced = _pairwise((2, 3, 5))
    result = unpin_by_retrace(traced[2], traced[3], 2, 3, third=(traced[5], 5))
    assert result.model is None
    (entry,) = result.unresolved
    assert "not linear" in entry.message and "[4, 8] at batch 2, [9, 8] at batch 3, [25, 8] at batch 5" in entry.message
    assert entry.source.line == _mark_line("pairwise")


def test_two_traces_alone_cannot_tell_a_quadratic_size():
    """Why the third trace matters: 4 -> 9 fits 5*B-6, right at batches 2 and 3 only."""
    module, traced = _pairwise((2, 3))
    result = unpin_by_retrace(traced[2], traced[3], 2, 3)
    assert "[5*B-6, 8]" in [r.law for r in result.replaced]
    assert _matches(module, result.model, torch.randn(3, 4))
    with pytest.raises(Exception):  # noqa: B017 - ONNX Runtime's reshape error
        _run(result.model, torch.randn(8, 4))


def test_output_declared_at_the_export_batch_gets_the_batch_symbol():
    """Only the input has dynamic_axes: the output is declared [2, 3, 8, 8] and [3, 3, 8, 8]; fixed: [batch, 3, 8, 8]."""
    torch.manual_seed(0)
    module = models.ConvDecoder().eval()
    traced = {b: _export(module, torch.randn(b, 8), 0, dynamic_output=False) for b in (2, 3)}
    assert traced[2].graph.outputs[0].shape == ir.Shape([2, 3, 8, 8])
    result = unpin_by_retrace(traced[2], traced[3], 2, 3)
    assert result.model.graph.outputs[0].shape == ir.Shape([ir.SymbolicDim("batch"), 3, 8, 8])
    assert _matches(module, result.model, torch.randn(8, 8))


def test_nothing_to_do_for_a_model_without_pins():
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.Flatten(), torch.nn.Linear(4 * 4 * 4, 2)).eval()
    traced = {b: _export(module, torch.randn(b, 3, 6, 6), 0) for b in (2, 3)}
    result = unpin_by_retrace(traced[2], traced[3], 2, 3)
    assert result.model is None and not result.replaced and not result.unresolved


def test_same_batch_twice_is_an_error():
    _, traced = _traced("flatten")
    with pytest.raises(ValueError, match="different batch sizes"):
        unpin_by_retrace(traced[2], traced[2], 2, 2)


# -- the laws, on arrays ------------------------------------------------------
def test_value_law_per_element():
    law = fit_law([(2, np.array([2, -1, 16])), (3, np.array([3, -1, 16])), (5, np.array([5, -1, 16]))])
    assert isinstance(law, ValueLaw) and str(law) == "[B, -1, 16]"
    assert law.at(8).tolist() == [8, -1, 16]


def test_axis_law_equal_slices_and_progressions():
    zeros = fit_law([(2, np.zeros((2, 3), np.float32)), (3, np.zeros((3, 3), np.float32))])
    assert isinstance(zeros, AxisLaw) and zeros.constant_slices and zeros.at(4).shape == (4, 3)
    arange = fit_law([(2, np.array([0, 5])), (3, np.array([0, 5, 10]))])
    assert isinstance(arange, AxisLaw) and arange.at(4).tolist() == [0, 5, 10, 15]
    doubled = fit_law([(2, np.arange(4)), (3, np.arange(6))])
    assert isinstance(doubled, AxisLaw) and (doubled.p, doubled.q) == (2, 0)


def test_laws_that_do_not_exist():
    assert "float32" in fit_law([(2, np.float32(0.5)), (3, np.float32(1 / 3))])
    assert "not linear" in fit_law([(2, np.array([4])), (3, np.array([9])), (5, np.array([25]))])
    assert "2 axes" in fit_law([(2, np.eye(2)), (3, np.eye(3))])
    assert "neither equal" in fit_law([(2, np.array([1, 4])), (3, np.array([1, 4, 9]))])
