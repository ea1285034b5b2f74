"""Hand-written layer norms fused into one LayerNormalization, hand-written GELUs into Gelu (opset 20),
consecutive slices into Split, on real exports by both exporters; near misses (another axis, no
centering) left alone. Numbers checked in ONNX Runtime at another batch."""

from __future__ import annotations

import math

import numpy as np
import onnx_ir as ir
import onnxscript.optimizer
import pytest
import torch

from trtready.fusions import fuse
from trtready.verify.session import ort_session


class HandLayerNorm(torch.nn.Module):
    """``(x - mean) / sqrt(var + eps) * w + b`` over the last axis, as many repositories write it."""

    def __init__(self, dim: int, affine: bool = True, axis: int = -1):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.rand(dim) + 0.5)
        self.bias = torch.nn.Parameter(torch.randn(dim))
        self.affine, self.axis = affine, axis

    def forward(self, x):
        mean = x.mean(self.axis, keepdim=True)
        var = (x - mean).pow(2).mean(self.axis, keepdim=True)
        y = (x - mean) / torch.sqrt(var + 1e-6)
        if not self.affine:
            return y
        shape = [-1] + [1] * (-1 - self.axis) if self.axis != -1 else [-1]
        return y * self.weight.view(shape) + self.bias.view(shape)


class TokenMixer(torch.nn.Module):
    """A transformer MLP block with a hand-written pre-norm (tokens B x T x C)."""

    def __init__(self, affine: bool = True):
        super().__init__()
        self.norm, self.fc = HandLayerNorm(16, affine), torch.nn.Linear(16, 16)

    def forward(self, x):
        return x + self.fc(self.norm(x))


class ChannelsFirstNorm(torch.nn.Module):
    """ConvNeXt's channels-first norm (mean over C of NCHW): not a LayerNormalization over the last axes."""

    def __init__(self):
        super().__init__()
        self.conv, self.norm = torch.nn.Conv2d(3, 8, 3, padding=1), HandLayerNorm(8, axis=1)

    def forward(self, x):
        return self.norm(self.conv(x))


class RootMeanSquare(torch.nn.Module):
    """T5's RMS norm: no centering, so no layer norm."""

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6)


def _export(model, x, path, dynamo: bool, opset: int) -> ir.Model:
    if dynamo:
        torch.onnx.export(model, (x,), path, dynamo=True, opset_version=opset, input_names=["x"],
                          dynamic_shapes=({0: torch.export.Dim("batch")},))  # fmt: skip
    else:
        torch.onnx.export(model, (x,), path, dynamo=False, opset_version=opset, input_names=["x"],
                          dynamic_axes={"x": {0: "batch"}})  # fmt: skip
    model_ir = ir.load(path)
    onnxscript.optimizer.optimize_ir(model_ir)
    return model_ir


def _run(model: ir.Model, path, x: torch.Tensor) -> np.ndarray:
    ir.save(model, str(path))
    session = ort_session(str(path))
    return session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]


@pytest.mark.parametrize("dynamo", [False, True], ids=["torchscript", "dynamo"])
@pytest.mark.parametrize("opset", [17, 18])
@pytest.mark.parametrize("affine", [True, False], ids=["affine", "plain"])
def test_hand_written_layer_norm_becomes_one_node(tmp_path, dynamo, opset, affine):
    torch.manual_seed(0)
    model = TokenMixer(affine).eval()
    onnx_model = _export(model, torch.randn(2, 5, 16), tmp_path / "m.onnx", dynamo, opset)
    assert fuse(onnx_model) == 1
    ops = [n.op_type for n in onnx_model.graph]
    assert ops.count("LayerNormalization") == 1
    assert not {"ReduceMean", "Sqrt", "Pow"} & set(ops)
    x3 = torch.randn(3, 5, 16) * 4 + 1
    expected = model(x3).detach().numpy()
    np.testing.assert_allclose(_run(onnx_model, tmp_path / "fused.onnx", x3), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("model_cls", [ChannelsFirstNorm, RootMeanSquare])
def test_near_misses_are_left_alone(tmp_path, model_cls):
    torch.manual_seed(0)
    model = model_cls().eval()
    x = torch.randn(2, 3, 8, 8) if model_cls is ChannelsFirstNorm else torch.randn(2, 5, 16)
    onnx_model = _export(model, x, tmp_path / "m.onnx", False, 18)
    before = [n.op_type for n in onnx_model.graph]
    assert fuse(onnx_model) == 0
    assert [n.op_type for n in onnx_model.graph] == before


def test_below_opset_17_nothing_is_fused(tmp_path):
    model = TokenMixer().eval()
    onnx_model = _export(model, torch.randn(2, 5, 16), tmp_path / "m.onnx", False, 16)
    assert fuse(onnx_model) == 0
    assert "LayerNormalization" not in [n.op_type for n in onnx_model.graph]


class ChannelShuffleUnit(torch.nn.Module):
    """ShuffleNet's unit: ``x.chunk(2, dim=1)``, one branch convolved, concatenated and shuffled."""

    def __init__(self):
        super().__init__()
        self.branch = torch.nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x):
        left, right = x.chunk(2, dim=1)
        y = torch.cat([left, self.branch(right)], dim=1)
        b, c, h, w = y.shape
        return y.view(b, 2, c // 2, h, w).transpose(1, 2).reshape(b, c, h, w)


class GatedUnit(torch.nn.Module):
    """A GLU-style gate and a three-way cut of the last axis."""

    def forward(self, x):
        value, gate = x.chunk(2, dim=-1)
        head, mid, tail = x[..., :4], x[..., 4:6], x[..., 6:]
        return value * gate.sigmoid(), head.sum(-1) + mid.sum(-1) * tail.mean(-1)


class OverlappingCuts(torch.nn.Module):
    """Slices that overlap or skip elements: no Split computes them."""

    def forward(self, x):
        return x[:, :5] * 2, x[:, 3:], x[:, ::2]


class ResizeToInput(torch.nn.Module):
    """LR-ASPP's head: resize to the input's size, the batch and channels read as ``feature.shape[:2]``."""

    def __init__(self):
        super().__init__()
        self.down = torch.nn.Conv2d(3, 4, 3, stride=4, padding=1)

    def forward(self, x):
        feature = self.down(x)
        return torch.nn.functional.interpolate(feature, size=x.shape[-2:], mode="bilinear", align_corners=False)


def _outputs(model, x):
    out = model(x)
    return [t.detach().numpy() for t in (out if isinstance(out, tuple) else (out,))]


def _run_all(model: ir.Model, path, x: torch.Tensor) -> list:
    ir.save(model, str(path))
    session = ort_session(str(path))
    return session.run(None, {session.get_inputs()[0].name: x.numpy()})


@pytest.mark.parametrize(("model_cls", "shape", "splits"), [
    (ChannelShuffleUnit, (2, 8, 6, 6), 1), (GatedUnit, (2, 5, 16), 2),
], ids=["channel-shuffle", "gate-and-three-way"])  # fmt: skip
def test_consecutive_slices_become_one_split(tmp_path, model_cls, shape, splits):
    torch.manual_seed(0)
    model = model_cls().eval()
    onnx_model = _export(model, torch.randn(*shape), tmp_path / "m.onnx", False, 18)
    slices = [n.op_type for n in onnx_model.graph].count("Slice")
    assert fuse(onnx_model) >= splits
    ops = [n.op_type for n in onnx_model.graph]
    assert ops.count("Split") == splits and ops.count("Slice") < slices
    x3 = torch.randn(3, *shape[1:])
    for got, want in zip(_run_all(onnx_model, tmp_path / "fused.onnx", x3), _outputs(model, x3)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_overlapping_or_strided_slices_stay(tmp_path):
    model = OverlappingCuts().eval()
    onnx_model = _export(model, torch.randn(2, 8), tmp_path / "m.onnx", False, 18)
    slices = [n.op_type for n in onnx_model.graph].count("Slice")
    fuse(onnx_model)
    ops = [n.op_type for n in onnx_model.graph]
    assert "Split" not in ops and ops.count("Slice") == slices


def test_a_sliced_shape_becomes_shape_with_start_and_end(tmp_path):
    torch.manual_seed(0)
    model = ResizeToInput().eval()
    onnx_model = _export(model, torch.randn(2, 3, 32, 32), tmp_path / "m.onnx", False, 18)
    assert any(n.op_type == "Slice" and n.inputs[0].producer() is not None
               and n.inputs[0].producer().op_type == "Shape" for n in onnx_model.graph)  # fmt: skip
    assert fuse(onnx_model) >= 1
    shapes = [n for n in onnx_model.graph if n.op_type == "Shape" and "start" in n.attributes]
    assert [(n.attributes["start"].value, n.attributes["end"].value) for n in shapes] == [(0, 2)]
    x3 = torch.randn(3, 3, 32, 32)
    np.testing.assert_allclose(_run_all(onnx_model, tmp_path / "fused.onnx", x3)[0], _outputs(model, x3)[0], rtol=1e-5, atol=1e-5)


class HandWrittenGelus(torch.nn.Module):
    """GELU as repositories write it out: BERT's erf form (``x * 0.5 * (1 + erf(x / sqrt(2)))``), the
    same with the 0.5 in front, and GPT-2's tanh approximation (``gelu_new``), each after a Linear."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = (torch.nn.Linear(16, 16) for _ in range(3))

    def forward(self, x):
        a = self.fc1(x)
        a = a * 0.5 * (1.0 + torch.erf(a / math.sqrt(2.0)))
        b = self.fc2(a)
        b = 0.5 * b * (1.0 + torch.erf(b / math.sqrt(2.0)))
        c = self.fc3(b)
        return 0.5 * c * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (c + 0.044715 * torch.pow(c, 3.0))))


@pytest.mark.parametrize("dynamo", [False, True], ids=["torchscript", "dynamo"])
def test_hand_written_gelus_become_gelu_at_opset_20(tmp_path, dynamo):
    torch.manual_seed(0)
    model = HandWrittenGelus().eval()
    onnx_model = _export(model, torch.randn(2, 5, 16), tmp_path / "m.onnx", dynamo, 20)
    fuse(onnx_model)
    gelus = [n for n in onnx_model.graph if n.op_type == "Gelu"]
    assert sorted(n.attributes.get_string("approximate", "none") for n in gelus) == ["none", "none", "tanh"]
    assert not {"Erf", "Tanh", "Pow"} & {n.op_type for n in onnx_model.graph}
    x3 = torch.randn(3, 5, 16) * 2
    np.testing.assert_allclose(_run(onnx_model, tmp_path / "fused.onnx", x3), model(x3).detach().numpy(),
                               rtol=1e-4, atol=1e-5)  # fmt: skip


def test_no_gelu_below_opset_20(tmp_path):
    onnx_model = _export(HandWrittenGelus().eval(), torch.randn(2, 5, 16), tmp_path / "m.onnx", True, 18)
    fuse(onnx_model)
    assert "Gelu" not in {n.op_type for n in onnx_model.graph}
