"""``as_strided`` with a contiguous tensor's strides (torch's decompositions write one after a pool
on a channels-last tensor, as in ConvNeXt's head) is exported as one Reshape, not as a Gather from
computed indices; a real strided view still goes through torch.onnx's own translation. Both verified
against PyTorch at other batches."""

from __future__ import annotations

import numpy as np
import onnx
import torch
from torch import nn

import trtready
from trtready.exporters.dynamo_translations import translations
from trtready.verify.session import ort_session


class ChannelsLastPoolHead(nn.Module):
    """ConvNeXt-style: a channels-last tensor (permute, LayerNorm, permute back), pooled to 1x1, then
    a classifier. torch's decomposition of the pool restrides its output with ``as_strided``."""

    def __init__(self):
        super().__init__()
        self.norm, self.conv, self.fc = nn.LayerNorm(8), nn.Conv2d(8, 8, 1), nn.Linear(8, 5)

    def forward(self, x):
        y = self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        y = self.conv(y) + y
        return self.fc(nn.functional.adaptive_avg_pool2d(y, 1).flatten(1))


class OverlappingWindows(nn.Module):
    """A real strided view: overlapping windows of each row (a frame-based audio front end)."""

    def forward(self, x):
        frames = torch.stack([row.as_strided((4, 4), (2, 1)) for row in x.unbind(0)])
        return frames.sum(-1)


def _ops(path) -> list[str]:
    return [n.op_type for n in onnx.load(str(path), load_external_data=False).graph.node]


def _check_batches(model, path, shape, batches=(1, 3)):
    session = ort_session(str(path))
    for batch in batches:
        x = torch.randn(batch, *shape[1:])
        got = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
        np.testing.assert_allclose(got, model(x).detach().numpy(), rtol=1e-4, atol=1e-5)


def test_a_contiguous_restride_is_one_reshape(tmp_path):
    torch.manual_seed(0)
    model, shape = ChannelsLastPoolHead().eval(), (2, 8, 6, 6)
    result = trtready.export(model, (torch.randn(shape),), tmp_path / "m.onnx", exporter="dynamo")
    assert result, trtready.summary(result)
    ops = _ops(tmp_path / "m.onnx")
    assert not {"Gather", "Range"} & set(ops), ops
    _check_batches(model, tmp_path / "m.onnx", shape)


def test_a_real_strided_view_keeps_torch_onnx_translation(tmp_path):
    model, shape = OverlappingWindows().eval(), (2, 10)
    table = translations()
    program = torch.onnx.export(model, (torch.randn(shape),), dynamo=True, opset_version=18,
                                custom_translation_table=table)  # fmt: skip
    program.save(str(tmp_path / "w.onnx"))
    assert "Gather" in _ops(tmp_path / "w.onnx")
    _check_batches(model, tmp_path / "w.onnx", shape, batches=(2,))
