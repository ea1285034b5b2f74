"""Every stage of an export is timed, in the result, its JSON and the report; attempts are compared
on the nodes of the model they ended with."""

from __future__ import annotations

import json

import torch
from torch import nn

import trtready


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc, self.norm = nn.Linear(8, 8), nn.LayerNorm(8)

    def forward(self, x):
        return self.norm(x + self.fc(x).relu())


def test_stages_are_timed_and_reported(tmp_path):
    result = trtready.export(Block().eval(), (torch.randn(2, 4, 8),), tmp_path / "b.onnx")
    assert result, trtready.summary(result)
    label = result.attempts[0].label
    stages = [f"{label}: {stage}" for stage in ("export", "simplify", "fix", "verify", "check")]
    assert {"plan (PyTorch references)", *stages, "write"} <= set(result.steps)
    assert all(seconds >= 0 for seconds in result.steps.values())
    assert sum(result.steps.values()) <= result.seconds * 1.01 + 0.01
    assert result.steps[f"{label}: export"] >= result.attempts[0].seconds * 0.99
    data = json.loads(result.to_json())
    assert data["steps"] == result.steps and data["attempts"][0]["steps"]
    text = trtready.summary(result)
    assert "time: " in text and f"{label} " in text.split("time: ", 1)[1]


def test_attempts_compare_on_their_final_size(tmp_path):
    result = trtready.export(Block().eval(), (torch.randn(2, 4, 8),), tmp_path / "b.onnx")
    attempt = result.attempts[0]
    assert attempt.nodes_final is not None and attempt.nodes_final <= attempt.node_count
    assert result.file.nodes_final == attempt.nodes_final
    assert attempt.score[-1] == attempt.nodes_final
