"""Each rewrite against both real exporters (opset 18) and ONNX Runtime.

For every rewrite and exporter: the plain export of the rewrite's example
either contains the op the rewrite exists for or fails; exported with the
rewrite (``apply_to_module``, as ``trtready export`` does) that op is gone and
ONNX Runtime matches eager PyTorch *without* the rewrite.
"""

from __future__ import annotations

import math

import numpy as np
import onnx
import pytest
import torch

from trtready.rewrites import ALL_REWRITES, apply_to_module, rewrite_context

from .helpers import assert_close, export, flat_outputs, op_types, run_onnx

EXPORTERS = ("torchscript", "dynamo")
FAILS = "the plain export fails"

# What the plain export of each rewrite's example contains (torch 2.14, opset 18), per exporter.
PLAIN = {
    "R001": {"torchscript": {"Unique"}, "dynamo": {"Unique"}},
    "R002": {"torchscript": set(), "dynamo": set()},  # Atan + Where either way: the rewrite fixes values
    "R003": {"torchscript": {"If"}, "dynamo": {"Squeeze"}},
    "R004": {"torchscript": set(), "dynamo": set()},  # Unsqueeze either way
    "R005": {"torchscript": {"And", "Or", "Xor", "Not"}, "dynamo": {"And", "Or", "Xor", "Not"}},
    "R006": {"torchscript": {"GatherND"}, "dynamo": {"GatherND"}},
    "R007": {"torchscript": {"Col2Im"}, "dynamo": {"Col2Im"}},
    "R008": {"torchscript": FAILS, "dynamo": FAILS},
    "R009": {"torchscript": FAILS, "dynamo": {"DFT"}},
    "R010": {"torchscript": {"Where"}, "dynamo": {"Where"}},
}
CASES = [pytest.param(r, e, id=f"{r.id}-{e}") for r in ALL_REWRITES for e in EXPORTERS]


def test_every_rewrite_has_an_expectation():
    assert set(PLAIN) == {r.id for r in ALL_REWRITES}


def _dynamic_axes(example, exporter):
    return example.dynamic_axes if exporter == "torchscript" else None


@pytest.mark.parametrize("rewrite,exporter", CASES)
def test_plain_export_has_the_problem(rewrite, exporter, tmp_path):
    ex = rewrite.example()
    expected = PLAIN[rewrite.id][exporter]
    if expected == FAILS:
        with pytest.raises(Exception):
            export(ex.module, ex.inputs[0], exporter, tmp_path / "plain.onnx", _dynamic_axes(ex, exporter))
        return
    ops = op_types(export(ex.module, ex.inputs[0], exporter, tmp_path / "plain.onnx", _dynamic_axes(ex, exporter)))
    assert expected <= ops, f"plain {exporter} export has {sorted(ops)}"


@pytest.mark.parametrize("rewrite,exporter", CASES)
def test_rewritten_export_drops_the_op_and_matches_torch(rewrite, exporter, tmp_path):
    ex = rewrite.example()
    path = tmp_path / "rewritten.onnx"
    with apply_to_module(ex.module, enabled={rewrite.id}) as mode:
        ops = op_types(export(ex.module, ex.inputs[0], exporter, path, _dynamic_axes(ex, exporter)))
    assert mode.fired.get(rewrite.id, 0) > 0 and not mode.errors
    expected = PLAIN[rewrite.id][exporter]
    removed = set(rewrite.removes) if expected == FAILS else expected
    assert not (removed & ops), f"{sorted(removed & ops)} still in the rewritten {exporter} export"
    assert "forward" not in ex.module.__dict__  # apply_to_module undid its patch
    ran = 0
    for args in ex.inputs:
        if ex.dynamic_axes is None or exporter == "dynamo":
            if any(a.shape != b.shape for a, b in zip(args, ex.inputs[0])):
                continue
        expected_out = flat_outputs(ex.module(*args))  # eager, no rewrite
        got = run_onnx(path, ex.module, args)
        assert len(got) == len(expected_out)
        for i, (g, e) in enumerate(zip(got, expected_out)):
            assert_close(g, e.numpy(), ex.atol, ex.rtol, what=f"{rewrite.id} {exporter} output {i}")
        ran += 1
    assert ran >= 1


def test_unsqueeze_rewrite_changes_no_onnx_op(tmp_path):
    """R004 is opt-in because both spellings export to the same Unsqueeze."""
    ex = next(r for r in ALL_REWRITES if r.id == "R004").example()
    with apply_to_module(ex.module, enabled={"R004"}):
        ops = op_types(export(ex.module, ex.inputs[0], "torchscript", tmp_path / "u.onnx"))
    assert "Unsqueeze" in ops


def test_bool_index_nonzero_runs_on_float(tmp_path):
    """TensorRT's NonZero takes FP32/FP16 only: the rewritten NonZero input is a Cast to float."""
    ex = next(r for r in ALL_REWRITES if r.id == "R006").example()
    for exporter in EXPORTERS:
        with apply_to_module(ex.module, enabled={"R006"}):
            model = export(ex.module, ex.inputs[0], exporter, tmp_path / f"{exporter}.onnx")
        producers = {o: n for n in model.graph.node for o in n.output}
        for node in (n for n in model.graph.node if n.op_type == "NonZero"):
            cast = producers[node.input[0]]
            assert cast.op_type == "Cast"
            assert next(a.i for a in cast.attribute if a.name == "to") == onnx.TensorProto.FLOAT


class _Atan2(torch.nn.Module):
    def forward(self, y, x):
        return torch.atan2(y, x)


def test_plain_atan2_export_is_wrong_on_the_negative_x_axis(tmp_path):
    """Why R002 exists: the exporters' Atan(y/x) form gives -pi for atan2(0, -1) and nan for atan2(0, 0)."""
    y, x = torch.tensor([0.0, 0.0, 1.0]), torch.tensor([-1.0, 0.0, -1.0])
    expected = torch.atan2(y, x).numpy()
    for exporter in EXPORTERS:
        export(_Atan2(), (y, x), exporter, tmp_path / "plain.onnx")
        plain = run_onnx(tmp_path / "plain.onnx", None, (y, x))[0]
        assert not np.allclose(plain, expected, equal_nan=True)
        assert plain[0] == pytest.approx(-math.pi, abs=1e-6)
        with apply_to_module(model := _Atan2(), enabled={"R002"}):
            export(model, (y, x), exporter, tmp_path / "rewritten.onnx")
        assert_close(run_onnx(tmp_path / "rewritten.onnx", None, (y, x))[0], expected)


class _Unique(torch.nn.Module):
    def forward(self, x):
        return torch.unique(x)


@pytest.mark.parametrize("exporter", EXPORTERS)
def test_rewrite_context_around_the_exporter_works_too(exporter, tmp_path):
    """An outer TorchFunctionMode is honoured by tracing and by torch.export (non-strict)."""
    x = torch.tensor([3.0, 1.0, 3.0, 2.0])
    with rewrite_context(enabled={"R001"}) as mode:
        ops = op_types(export(_Unique(), (x,), exporter, tmp_path / "m.onnx"))
    assert "Unique" not in ops and mode.fired["R001"] >= 1
    assert_close(run_onnx(tmp_path / "m.onnx", None, (x,))[0], torch.unique(x).numpy())
