"""trtready's verdict on real exports: never a wrong file called right, never a right file called wrong."""

import numpy as np
import pytest
import torch

import trtready

from . import models


def _export(tmp_path, model, args, **kwargs):
    return trtready.export(model.eval(), args, tmp_path / "m.onnx", diagnose=False, **kwargs)


def _failed_cases(result):
    return {r.case for r in result.verification if r.status == "fail"}


@pytest.mark.parametrize(
    ("model", "args", "varied"),
    [
        (models.RefineLoop(), (torch.rand(2, 8), torch.tensor(3)), {"num_iters varied to 2", "num_iters varied to 4"}),
        (models.BevFusion(), (torch.rand(2, 4, 8, 8), torch.rand(2, 4, 8, 8), torch.tensor(False)),
         {"scene_changed varied to True"}),
        (models.TrackSwitch(), (torch.rand(2, 6, 4), torch.rand(2, 3, 4), torch.tensor(1)), {"changed varied to 0"}),
    ],
    ids=["loop-count", "scene-flag", "shape-branch"],
)  # fmt: skip
def test_a_baked_path_is_caught_by_varying_scalar_inputs(tmp_path, model, args, varied):
    result = _export(tmp_path, model, args)
    assert result.written and not result
    assert varied <= _failed_cases(result)


def test_a_branch_no_input_crossed_is_verified_on_the_traced_path_only(tmp_path):
    result = _export(tmp_path, models.ThresholdGate(), (torch.rand(2, 6),))
    assert result.written and not result, "a data-dependent branch verification never varied must not pass"
    unproved = [r for r in result.verification if r.status == "unproved"]
    assert unproved and "traced path only" in unproved[0].message
    finding = next(f for f in result.findings if f.rule_id == "VER003")
    assert "GATE-LINE" in (finding.source.code or "")


def test_user_data_that_crosses_the_branch_proves_the_file_wrong(tmp_path):
    high = torch.full((2, 6), 1e4)  # drives y.mean() over the gate
    result = _export(tmp_path, models.ThresholdGate(), (torch.rand(2, 6),), verify_inputs=[(torch.rand(3, 6),), (high,)])
    assert result.written and not result
    assert "verify_inputs[1]" in _failed_cases(result)
    assert not any(r.status == "unproved" for r in result.verification)


def test_non_negative_and_integer_inputs_keep_their_domain(tmp_path):
    model = models.DepthEncoder()
    image, depth = torch.randn(4, 3, 16, 16), torch.rand(4, 1, 16, 16) * 80.0
    model.train()
    with torch.no_grad():
        model(image, depth)  # calibrate batch norm on realistic data
    result = _export(tmp_path, model, (image, depth))
    assert result, trtready.summary(result)
    ids, mask = torch.randint(0, 50, (2, 9)), torch.rand(2, 9) > 0.2
    result = _export(tmp_path, models.TokenClassifier(), (ids, mask))
    assert result, trtready.summary(result)
    assert {r.batch for r in result.verification if r.passed} == {1, 2, 3, 8}


def test_a_model_that_differs_from_itself_is_not_blamed_on_the_file(tmp_path):
    result = _export(tmp_path, models.NoisyHead(), (torch.rand(2, 8),))
    statuses = {r.status for r in result.verification}
    assert "nondeterministic" in statuses and "fail" not in statuses
    assert not result  # nothing was proved either


def test_none_outputs_are_dropped_with_a_note(tmp_path):
    result = _export(tmp_path, models.WithAux(), (torch.rand(2, 5),))
    assert result, trtready.summary(result)
    assert [o["name"] for o in result.outputs] == ["logits"]
    assert any("aux_loss" in note and "None" in note for note in result.notes)


def test_verify_data_file_is_the_pool(tmp_path, run_cli):
    (tmp_path / "m.py").write_text(
        "import torch\n"
        "class Fuse(torch.nn.Module):\n"
        "    def forward(self, image, depth):\n"
        "        return image.mean((1, 2, 3)) * torch.log1p(depth).mean((1, 2, 3))\n"
        "def build():\n"
        "    return Fuse(), (torch.randn(2, 3, 16, 16), torch.rand(2, 1, 16, 16) * 80)\n"
    )
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "data.npz", image=rng.normal(size=(6, 3, 16, 16)).astype(np.float32),
             depth=(rng.random((6, 1, 16, 16)) * 80).astype(np.float32))  # fmt: skip
    done = run_cli("export", "m.py:build", "-o", "m.onnx", "--verify-data", "data.npz", "--json", "r.json")
    assert done.returncode == 0, done.stdout + done.stderr
    bad = run_cli("export", "m.py:build", "-o", "m2.onnx", "--verify-data", "missing.npz")
    assert bad.returncode == 2 and "missing.npz" in bad.stderr and not (tmp_path / "m2.onnx").exists()
