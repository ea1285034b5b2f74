"""Simplification on real exports: at least as small as onnxslim (and onnxsim, when installed) alone,
the dynamic batch kept, the numbers unchanged, the source lines kept, and no step that grows the weights."""

from __future__ import annotations

import importlib.util

import numpy as np
import onnx
import onnx_ir as ir
import onnxslim
import pytest
import torch

from trtready.ir import count_nodes, iter_nodes, source_of
from trtready.simplify import simplify, weight_bytes
from trtready.verify.session import ort_session


class PatchTransformer(torch.nn.Module):
    """A small ViT: patch embedding, class token, positions, two encoder layers, a head."""

    def __init__(self):
        super().__init__()
        self.patch = torch.nn.Conv2d(3, 32, 8, stride=8)
        self.cls = torch.nn.Parameter(torch.randn(1, 1, 32))
        self.pos = torch.nn.Parameter(torch.randn(1, 17, 32))
        layer = torch.nn.TransformerEncoderLayer(32, 4, 64, dropout=0.0, batch_first=True)
        self.encoder = torch.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.head = torch.nn.Linear(32, 10)

    def forward(self, x):
        tokens = self.patch(x).flatten(2).transpose(1, 2)
        tokens = torch.cat([self.cls.expand(tokens.shape[0], -1, -1), tokens], dim=1) + self.pos
        return self.head(self.encoder(tokens)[:, 0])


class BroadcastTable(torch.nn.Module):
    """A row broadcast to a 1024x1024 table at run time: folding it would add 4 MiB of weights."""

    def __init__(self):
        super().__init__()
        self.row = torch.nn.Parameter(torch.randn(1, 1024))

    def forward(self, x):
        return x * self.row.expand(1024, 1024).sin()


def _torchscript(model, x, path) -> str:
    torch.onnx.export(model, (x,), str(path), dynamo=False, opset_version=18, input_names=["x"],
                      output_names=["y"], dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})  # fmt: skip
    return str(path)


def _run(model: ir.Model, path, x: torch.Tensor) -> np.ndarray:
    ir.save(model, str(path))
    return ort_session(str(path)).run(None, {"x": x.numpy()})[0]


@pytest.fixture(scope="module")
def vit(tmp_path_factory):
    torch.manual_seed(0)
    model = PatchTransformer().eval()
    path = _torchscript(model, torch.randn(2, 3, 32, 32), tmp_path_factory.mktemp("vit") / "vit.onnx")
    return model, path


def test_as_small_as_the_libraries_alone(vit, tmp_path):
    _model, path = vit
    simplified, records = simplify(ir.load(path))
    assert not any(r.rolled_back for r in records if r.name == "onnxscript-optimize")
    library_sizes = {"onnxslim": count_nodes(ir.from_proto(onnxslim.slim(onnx.load(path))))}
    if importlib.util.find_spec("onnxsim") is not None:
        import onnxsim

        library_sizes["onnxsim"] = count_nodes(ir.from_proto(onnxsim.simplify(onnx.load(path))[0]))
    assert count_nodes(simplified) <= min(library_sizes.values()), library_sizes
    assert count_nodes(simplified) < count_nodes(ir.load(path))


def test_batch_and_numbers_kept(vit, tmp_path):
    model, path = vit
    simplified, _ = simplify(ir.load(path))
    assert not isinstance(simplified.graph.inputs[0].shape[0], int)
    for batch in (1, 3):
        x = torch.randn(batch, 3, 32, 32)
        np.testing.assert_allclose(_run(simplified, tmp_path / "s.onnx", x), model(x).detach().numpy(), rtol=1e-4, atol=1e-5)


def test_source_lines_survive_the_libraries(vit):
    """Every node the libraries kept (by name) still says where it came from in the PyTorch source."""
    _model, path = vit
    raw = ir.load(path)
    sources = {n.name: source_of(n) for _, n in iter_nodes(raw.graph) if n.name and source_of(n)}
    simplified, _ = simplify(raw)
    kept = [n for _, n in iter_nodes(simplified.graph) if n.name in sources]
    assert len(kept) >= count_nodes(simplified) // 2
    assert all(str(source_of(n)) == str(sources[n.name]) for n in kept)
    assert {str(source_of(n)) for n in kept} == {str(s) for s in sources.values()}  # every module still named


def test_a_step_that_grows_the_weights_is_skipped(tmp_path):
    torch.manual_seed(0)
    model = BroadcastTable().eval()
    raw = ir.load(_torchscript(model, torch.randn(2, 1024, 1024), tmp_path / "table.onnx"))
    simplified, records = simplify(raw)
    assert weight_bytes(simplified) <= weight_bytes(raw) + 2**20
    skipped = [r for r in records if not r.modified and "grew the weights" in (r.message or "")]
    assert skipped, [(r.name, r.message) for r in records]
    x = torch.randn(3, 1024, 1024)
    np.testing.assert_allclose(_run(simplified, tmp_path / "s.onnx", x), model(x).detach().numpy(), rtol=1e-5, atol=1e-5)
