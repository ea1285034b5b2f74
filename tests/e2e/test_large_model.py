"""The external-data path of ``export`` (models past 2 GiB of weights), on a small model.

The limit past which weights go to external data (``trtready.ir.EXTERNAL_DATA_BYTES``, 2 GiB less
room for the graph) is read at call time; these tests lower it to 1 MiB, so that a 2 MiB model takes
the same code as a large one: the exporter's child moves the weights to one data file, the parent
maps them, each fix and each verification runs ONNX Runtime on a small file that points into that
data, and the written file keeps its weights beside it. ``benchmarks/large_model.py`` runs the same
path on a 2.5 GB model.
"""

from __future__ import annotations

import numpy as np
import onnx
import onnx_ir as ir
import onnxruntime as ort
import pytest
import torch
from torch import nn

import trtready
import trtready.ir
import trtready.simplify
from trtready.attempts import parameter_arrays
from trtready.external_weights import move_weights_out, runtime_file
from trtready.onnx_file import read_onnx
from trtready.rules import check_model
from trtready.shared_weights import share_memory
from trtready.simplify import invalid_reason
from trtready.verify.session import open_session

LIMIT = 2**20
VOCAB, WIDTH = 4000, 64


class TinyLM(nn.Module):
    """Token ids in, logits out: two 1 MB embeddings (input and output) around a small MLP."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, WIDTH)
        self.norm = nn.LayerNorm(WIDTH)
        self.mlp = nn.Sequential(nn.Linear(WIDTH, 2 * WIDTH), nn.GELU(), nn.Linear(2 * WIDTH, WIDTH))
        self.head = nn.Linear(WIDTH, VOCAB)

    def forward(self, ids):
        x = self.embed(ids)
        return self.head(x + self.mlp(self.norm(x)))


@pytest.fixture
def low_limit(monkeypatch):
    monkeypatch.setattr(trtready.ir, "EXTERNAL_DATA_BYTES", LIMIT)
    monkeypatch.setattr(trtready.simplify, "HELD_OUT_BYTES", LIMIT // 256)  # the 1 MB embeddings are "large"


def _model_and_ids():
    torch.manual_seed(0)
    return TinyLM().eval(), torch.randint(0, VOCAB, (2, 12), generator=torch.Generator().manual_seed(0))


def _weights(module: nn.Module) -> int:
    return sum(p.numel() * p.element_size() for p in module.parameters())


def _listing(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("exporter", ["torchscript", "dynamo"])
def test_export_past_the_limit_writes_external_data_that_runs_and_verifies(exporter, low_limit, tmp_path):
    module, ids = _model_and_ids()
    assert _weights(module) > 2 * LIMIT
    out = tmp_path / "lm.onnx"
    result = trtready.export(module, (ids,), out, exporter=exporter)
    assert result, trtready.summary(result)
    assert result.files[0].exporter == exporter
    assert {r.batch for r in result.verification if r.status == "pass"} >= {1, 2, 3, 8}
    # the written files: the model and its weights beside it, nothing else
    assert _listing(tmp_path) == ["lm.onnx", "lm.onnx.data"]
    assert [(a.path, a.kind) for a in result.artifacts] == [(str(out), "onnx"), (str(out) + ".data", "onnx-external-data")]
    data = tmp_path / "lm.onnx.data"
    assert out.stat().st_size < LIMIT <= _weights(module) - 4096 <= data.stat().st_size  # tensors under 256 B stay inline
    proto = onnx.load(out, load_external_data=False)
    big = [t for t in proto.graph.initializer if np.prod(t.dims) * 4 > 4096]
    assert len(big) >= 2
    for tensor in big:
        assert tensor.data_location == onnx.TensorProto.EXTERNAL and not tensor.raw_data
        assert {e.key: e.value for e in tensor.external_data}["location"] == "lm.onnx.data"  # a bare name
    # ONNX Runtime runs the file as written, with its data beside it, and agrees with PyTorch
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    for batch in (1, 5):
        tokens = torch.randint(0, VOCAB, (batch, 12), generator=torch.Generator().manual_seed(batch))
        (got,) = session.run(None, {session.get_inputs()[0].name: tokens.numpy()})
        with torch.no_grad():
            np.testing.assert_allclose(got, module(tokens).numpy(), rtol=1e-4, atol=1e-4)
    # the model the result keeps can still be read: the work folder its weights came from is gone
    chosen = next(a for a in result.attempts if a.model is not None)
    tensors = [v.const_value for v in chosen.model.graph.initializers.values()]
    assert sum(t.numpy().nbytes for t in tensors) >= _weights(module) - 4096
    assert {t.path for t in tensors if isinstance(t, ir.ExternalTensor)} <= {str(data)}


def test_export_past_the_limit_simplifies_and_proves_fixes_without_skipping(low_limit, tmp_path):
    """The checked simplification steps and the fixes' ONNX Runtime proofs run on the mapped
    model: none is rolled back for its weights being external; the library steps that work on a
    serialised model run with the large weights held out of it, as graph inputs."""
    module, ids = _model_and_ids()
    result = trtready.export(module, (ids,), tmp_path / "lm.onnx", exporter="torchscript")
    assert result, trtready.summary(result)
    problems = [f"{p.name}: {p.message}" for p in result.passes if p.message and ("invalid" in p.message or "external" in p.message)]
    assert problems == []
    assert not any(p.name == "fix" for p in result.passes)  # "no fix applied: ONNX Runtime cannot run the model"
    optimizer = next(p for p in result.passes if p.name == "onnxscript-optimize")
    assert not optimizer.rolled_back
    # the steps that work on one protobuf ran, on the model with its large weights held out
    slim = next(p for p in result.passes if p.name == "onnxslim")
    assert slim.message is None and slim.modified and slim.nodes_after < slim.nodes_before, slim
    chosen = next(a for a in result.attempts if a.model is not None)
    embeddings = [v.const_value for v in chosen.model.graph.initializers.values() if v.const_value.nbytes >= 1_000_000]
    assert len(embeddings) == 2 and all(isinstance(t, ir.ExternalTensor) for t in embeddings)  # never copied


def test_check_reads_the_file_without_loading_its_weights(low_limit, tmp_path):
    module, ids = _model_and_ids()
    out = tmp_path / "lm.onnx"
    assert trtready.export(module, (ids,), out, exporter="dynamo")
    onnx_file = read_onnx(out)  # what trtready.check(path) reads
    assert not any(t.raw_data for t in onnx_file.proto.graph.initializer if np.prod(t.dims) > 1024)
    findings = check_model(onnx_file.model, file_size=onnx_file.file_size, external_data_paths=onnx_file.external_locations,
                           proto=onnx_file.proto)  # fmt: skip
    external = [v.const_value for v in onnx_file.model.graph.initializers.values() if isinstance(v.const_value, ir.ExternalTensor)]
    assert sum(t.nbytes for t in external) >= _weights(module) - 4096
    assert [t.name for t in external if t.raw is not None] == []  # no rule mapped, let alone read, a weight
    assert {f.rule_id for f in findings} == {f.rule_id for f in trtready.check(out).findings}
    assert onnx_file.file_size == out.stat().st_size + (tmp_path / "lm.onnx.data").stat().st_size


def test_a_failed_write_leaves_no_half_written_output(low_limit, tmp_path):
    module, ids = _model_and_ids()
    (tmp_path / "lm.onnx.data").mkdir()  # where the weights must go is taken: renaming onto it fails
    result = trtready.export(module, (ids,), tmp_path / "lm.onnx", exporter="torchscript")
    assert not result
    assert any("cannot write" in e for e in result.errors), result.errors
    assert _listing(tmp_path) == ["lm.onnx.data"]  # no model, no temporary file left beside it
    assert list((tmp_path / "lm.onnx.data").iterdir()) == []


def test_runtime_files_point_into_the_exported_data_and_are_removed(low_limit, tmp_path):
    """What each fix and verification hands ONNX Runtime: a small file beside the data, pointing
    into it (no copy of the weights), removed afterwards; the session maps the weights."""
    module, ids = _model_and_ids()
    raw = tmp_path / "raw.onnx"
    with torch.no_grad():
        torch.onnx.export(module, (ids,), raw, dynamo=False, input_names=["ids"], dynamic_axes={"ids": {0: "b"}})
    assert _listing(tmp_path) == ["raw.onnx"]  # inline: below torch's own 2 GiB
    move_weights_out(raw)  # as the exporter's child does past the limit
    assert _listing(tmp_path) == ["raw.onnx", "raw.onnx.data"]
    model = trtready.ir.load_model(raw)
    data_size = (tmp_path / "raw.onnx.data").stat().st_size
    with runtime_file(model, tmp_path / "elsewhere" / "candidate.onnx") as written:
        assert written.mapped and len(_listing(tmp_path)) == 3
        assert (tmp_path / "raw.onnx.data").stat().st_size == data_size  # pointed into, not rewritten
        session = ort.InferenceSession(written.path, providers=["CPUExecutionProvider"])
    assert _listing(tmp_path) == ["raw.onnx", "raw.onnx.data"]
    (got,) = session.run(None, {"ids": ids.numpy()})
    with torch.no_grad():
        np.testing.assert_allclose(got, module(ids).numpy(), rtol=1e-4, atol=1e-4)
    assert invalid_reason(model) is None  # onnx.checker sees the model, not the weights' files


def test_weights_that_are_parameters_are_read_from_their_memory(low_limit, tmp_path):
    """An initializer holding a PyTorch parameter's bytes is handed to ONNX Runtime from the
    parameter's memory: as it is (the embedding), or transposed (the MatMul weights the exporter
    wrote as W^T) through a Transpose of a fed input; a parameter one value apart is not."""
    module, ids = _model_and_ids()
    raw = tmp_path / "raw.onnx"
    with torch.no_grad():
        torch.onnx.export(module, (ids,), raw, dynamo=False, input_names=["ids"], dynamic_axes={"ids": {0: "b"}})
    move_weights_out(raw)
    model = trtready.ir.load_model(raw)
    arrays = parameter_arrays(module)
    external = {v.name: v.const_value.nbytes for v in model.graph.initializers.values() if isinstance(v.const_value, ir.ExternalTensor)}
    as_is = set(external) & set(arrays)  # the TorchScript exporter names the weights it keeps as they are after them
    assert {"embed.weight", "head.bias"} <= as_is and len(external) - len(as_is) == 3  # and three W^T for MatMul
    assert share_memory(model, arrays) == sum(external.values())
    with runtime_file(model, tmp_path / "unused.onnx") as written:
        assert set(written.initializers) == as_is
        assert written.initializers["embed.weight"] is arrays["embed.weight"]
        sources = {id(a) for a in written.feeds.values()}
        assert sources == {id(arrays[n]) for n in ("mlp.0.weight", "mlp.2.weight", "head.weight")}
        session = open_session(written.path, mapped_weights=True, initializers=written.initializers)
    (got,) = session.run(None, {"ids": ids.numpy()} | written.feeds)
    with torch.no_grad():
        np.testing.assert_allclose(got, module(ids).numpy(), rtol=1e-4, atol=1e-4)
        other, _ = _model_and_ids()
        other.embed.weight[0, 0] += 1.0
        other.head.weight[5, 3] += 1.0
    fresh = trtready.ir.load_model(raw)
    unshared = module.embed.weight.nbytes + module.head.weight.nbytes
    assert share_memory(fresh, parameter_arrays(other)) == sum(external.values()) - unshared
