"""Pinned batches through ``trtready.export``: every form made symbolic and verified, or named at its line."""

import pytest
import torch

import trtready

from .models import CASES


@pytest.mark.parametrize("name", ["anchors", "tracker", "siamese-split", "heads-attention"])
def test_export_unpins_the_batch_and_verifies_at_every_size(tmp_path, name):
    case = CASES[name]
    torch.manual_seed(0)
    result = trtready.export(case.build().eval(), (case.make(2),), tmp_path / "m.onnx", exporter="torchscript", diagnose=False)
    assert result, trtready.summary(result)
    assert result.files[0].verified_batches == [1, 2, 3, 8]
    assert result.files[0].inputs[0]["shape"][0] == "batch"


def test_plain_export_of_those_forms_is_not_verified(tmp_path):
    case = CASES["siamese-split"]
    result = trtready.export(case.build().eval(), (case.make(2),), tmp_path / "m.onnx", exporter="torchscript",
                             diagnose=False, skip_fixes=("fix.retrace-batch", "fix.unpin-batch"))  # fmt: skip
    assert result.written and not result


def test_a_per_sample_loop_is_named_at_its_line(tmp_path):
    case = CASES["per-sample-loop"]
    result = trtready.export(case.build().eval(), (case.make(2),), tmp_path / "m.onnx", exporter="torchscript", diagnose=False)
    assert not result
    pinned = [f for f in result.findings if f.rule_id == "VER001" and f.source and f.source.line]
    assert any("MARK: loop" in (f.source.code or "") or f.source.line for f in pinned), trtready.summary(result)
