"""The attempt ladder: the plain export is always a candidate, and a rewrite that spoils an attempt is named."""

import numpy as np
import pytest
import torch
from torch import nn

import trtready
from trtready.options import ExportOptions, FixSelection


class AnchorBuffer(nn.Module):
    """Reads a buffer through numpy: torch.export's non-strict capture fails on it, its fallback does not."""

    def __init__(self):
        super().__init__()
        self.register_buffer("anchors", torch.rand(6, 4))
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        offsets = torch.from_numpy(self.anchors.numpy() * 2.0)
        return self.fc(x) + offsets.sum(0)


class SafeLog(nn.Module):
    """log where positive: torch.where is exact, its arithmetic rewrite (R010) turns -inf * 0 into NaN."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(5, 5)

    def forward(self, x):
        y = self.fc(x).unsqueeze(1).squeeze(1)
        return torch.where(y > 0, torch.log(y.clamp(min=0)), torch.zeros_like(y))


def test_an_attempt_that_fails_under_the_rewrite_mode_is_retried_plain(tmp_path):
    result = trtready.export(AnchorBuffer().eval(), (torch.randn(2, 4),), tmp_path / "a.onnx", exporter="dynamo")
    assert result, trtready.summary(result)
    assert [a.label for a in result.attempts] == ["dynamo", "dynamo (no rewrites)"]
    assert not result.attempts[0].ok and result.chosen == "dynamo (no rewrites)"
    assert any("rewrite mode" in note for note in result.notes)


def test_the_rewrite_that_spoils_verification_is_found_and_left_out(tmp_path):
    torch.manual_seed(0)
    result = trtready.export(SafeLog().eval(), (torch.randn(4, 5),), tmp_path / "s.onnx", exporter="torchscript",
                             enable_rewrites=("R010",))  # fmt: skip
    assert result, trtready.summary(result)
    spoiled = result.attempts[0]
    assert {"R003", "R010"} <= set(spoiled.rewrites_fired) and spoiled.verified is False
    kept = next(a for a in result.attempts if a.label == "torchscript (without R010)")
    assert kept.verified and "R003" in kept.rewrites_fired  # only the culprit is left out
    assert any(note.startswith("R010 broke the torchscript export") for note in result.notes)


def test_a_verified_clean_attempt_stops_the_ladder_and_says_so(tmp_path):
    result = trtready.export(nn.Linear(3, 2).eval(), (torch.rand(2, 3),), tmp_path / "l.onnx")
    assert [a.label for a in result.attempts] == ["dynamo"]
    assert any("torchscript exporter not tried" in note for note in result.notes)


class PinnedView(nn.Module):
    """``x.view(int(x.size(0)), -1)``: torch.export specializes the batch; the fallback un-pins it."""

    def forward(self, x):
        return x.view(int(x.size(0)), -1).relu()


def test_the_second_exporter_runs_only_when_the_first_falls_short_and_says_why(tmp_path):
    result = trtready.export(PinnedView().eval(), (torch.rand(2, 3, 4),), tmp_path / "p.onnx")
    assert result, trtready.summary(result)
    assert result.attempts[0].exporter == "dynamo" and result.chosen.startswith("torchscript")
    assert any(note.startswith("tried the torchscript exporter too: the dynamo") for note in result.notes), result.notes


def test_options_validate_themselves_with_a_suggestion():
    with pytest.raises(trtready.UserError, match="did you mean fix.reshape-allowzero"):
        FixSelection(skip=("fix.reshape-alowzero",))
    with pytest.raises(trtready.UserError, match="unknown rewrite"):
        trtready.export(nn.Linear(3, 2), (torch.rand(2, 3),), "x.onnx", disable_rewrites=("R999",))
    options = ExportOptions(exporter="torchscript")
    with pytest.raises(Exception):
        options.opset = 17  # frozen
    assert options.summary()["trt"] == options.release.version == "11.1" and options.opset == 18
    older = ExportOptions(trt="8.5")
    assert (older.summary()["trt"], older.opset, older.trt) == ("8.6", 17, "8.5")


def test_typed_options_drive_the_export(tmp_path):
    options = ExportOptions(exporter="torchscript", fixes=FixSelection(enabled=False))
    result = trtready.export(nn.Linear(3, 2).eval(), (torch.rand(2, 3),), tmp_path / "t.onnx", options=options)
    assert result and result.options["exporter"] == "torchscript" and result.options["fix"] is False
    assert not any(p.name.startswith("fix.") for p in result.passes)
    out = np.asarray(result.files[0].verified_batches)
    assert out.tolist() == [1, 2, 3, 8]
