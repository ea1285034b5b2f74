"""A model that changes its own state in forward is exported, verified and handed back as it was given."""

import torch
from torch import nn

import trtready
from trtready.state import StateSnapshot


class RunningNormalizer(nn.Module):
    """Online normalization that keeps updating in eval, plus the last output and a call history."""

    def __init__(self):
        super().__init__()
        self.register_buffer("running_mean", torch.zeros(6))
        self.fc = nn.Linear(6, 3)
        self.calls = 0
        self.prev = None
        self.history = []

    def forward(self, x):
        self.running_mean.mul_(0.9).add_(0.1 * x.mean(0))
        self.calls += 1
        self.history.append(self.calls)
        out = self.fc(x - self.running_mean)
        self.prev = out.detach()
        return out


def test_snapshot_sees_and_undoes_every_kind_of_change():
    model = RunningNormalizer()
    snap = StateSnapshot.of(model)
    assert snap.changed() == []
    model(torch.rand(4, 6))
    assert set(snap.changed()) == {"running_mean", "calls", "prev", "history"}
    snap.restore()
    assert snap.changed() == [] and model.calls == 0 and model.prev is None and model.history == []
    assert torch.equal(model.running_mean, torch.zeros(6))


def test_export_leaves_the_state_as_given_and_verifies_the_first_call(tmp_path):
    torch.manual_seed(0)
    model = RunningNormalizer().eval()
    result = trtready.export(model, (torch.rand(2, 6),), tmp_path / "n.onnx", diagnose=False)
    assert result, trtready.summary(result)
    assert model.calls == 0 and model.prev is None and not model.running_mean.any()
    assert any("changes the model's own state" in note and "running_mean" in note for note in result.notes)
