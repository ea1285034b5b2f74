"""A power-of-two factor in front of a Conv / MatMul / Gemm (GELU's 0.5, a ``x / 2``) moves into the
layer's constant weights; the files before and after give the same bits in ONNX Runtime at
another batch. Other factors, shared weights and values used twice are left alone."""

from __future__ import annotations

import math

import numpy as np
import onnx_ir as ir
import onnxruntime
import pytest
import torch

from trtready.fusions import fuse

from .test_fusions import _export


class ConvMlp(torch.nn.Module):
    """ConvNeXt's MLP as 1x1 convolutions with an erf GELU between them (NCHW)."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = torch.nn.Conv2d(8, 32, 1), torch.nn.Conv2d(32, 8, 1)

    def forward(self, x):
        return x + self.fc2(torch.nn.functional.gelu(self.fc1(x)))


class TokenMlp(torch.nn.Module):
    """GPT-2's MLP on tokens (B x T x C) with its tanh GELU written out, as ``gelu_new`` is."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = torch.nn.Linear(16, 64), torch.nn.Linear(64, 16)

    def forward(self, x):
        h = self.fc1(x)
        h = 0.5 * h * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (h + 0.044715 * torch.pow(h, 3.0))))
        return self.fc2(h)


class HeadMlp(torch.nn.Module):
    """A classifier head on pooled features (B x C: Gemm), halving its input before the last layer."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = torch.nn.Linear(16, 32), torch.nn.Linear(32, 5)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)) / 2)


class ThirdScale(torch.nn.Module):
    """A factor of 0.3 is not a power of two: folding it into the weights would round differently."""

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(16, 8)

    def forward(self, x):
        return self.fc(x * 0.3)


class SharedLayer(torch.nn.Module):
    """One Linear used on a halved and on a plain input: its weights cannot carry the factor."""

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(16, 16)

    def forward(self, x):
        return self.fc(x * 0.5) + self.fc(x)


def _run(model: ir.Model, path, x: torch.Tensor) -> np.ndarray:
    """The file's output with ONNX Runtime's own fusions off: its fused GELU kernel rounds the last
    bit differently from the written-out ops, which would hide whether our rewrite is exact."""
    ir.save(model, str(path))
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x.numpy()})[0]


def _scalings(model: ir.Model) -> int:
    return sum(1 for n in model.graph if n.op_type in ("Mul", "Div"))


CASES = {
    "conv-mlp": (ConvMlp, (2, 8, 5, 5), (3, 8, 5, 5)),
    "token-mlp": (TokenMlp, (2, 7, 16), (3, 7, 16)),
    "head-mlp": (HeadMlp, (2, 16), (3, 16)),
}


@pytest.mark.parametrize("dynamo", [False, True], ids=["torchscript", "dynamo"])
@pytest.mark.parametrize("case", list(CASES))
def test_a_power_of_two_factor_moves_into_the_next_layers_weights(tmp_path, case, dynamo):
    torch.manual_seed(0)
    model_cls, shape, other_shape = CASES[case]
    model = model_cls().eval()
    onnx_model = _export(model, torch.randn(shape), tmp_path / "m.onnx", dynamo, 18)
    x3 = torch.randn(other_shape) * 3
    before = _run(onnx_model, tmp_path / "before.onnx", x3)
    scalings, nodes = _scalings(onnx_model), len(list(onnx_model.graph))
    fired = fuse(onnx_model)
    assert fired >= 1 and _scalings(onnx_model) == scalings - fired and len(list(onnx_model.graph)) == nodes - fired
    after = _run(onnx_model, tmp_path / "after.onnx", x3)
    np.testing.assert_array_equal(after, before)  # scaling by a power of two is exact
    np.testing.assert_allclose(after, model(x3).detach().numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("model_cls", [ThirdScale, SharedLayer])
def test_other_factors_and_shared_weights_stay(tmp_path, model_cls):
    torch.manual_seed(0)
    onnx_model = _export(model_cls().eval(), torch.randn(2, 16), tmp_path / "m.onnx", True, 18)
    before = [n.op_type for n in onnx_model.graph]
    assert fuse(onnx_model) == 0
    assert [n.op_type for n in onnx_model.graph] == before
