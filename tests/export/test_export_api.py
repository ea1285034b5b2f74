"""trtready.export on real models: the result, the file, verification at several batches."""

import json

import onnx_ir as ir
import pytest
import torch
import torchvision

import trtready
from trtready.ir import source_of

from . import models


def _batches(result, status="pass"):
    return sorted({r.batch for r in result.verification if r.status == status})


def test_classifier_exports_verified_at_three_batches(tmp_path):
    model = torchvision.models.resnet18(weights=None)
    out = tmp_path / "r18.onnx"
    result = trtready.export(model, (torch.rand(1, 3, 64, 64),), out)
    assert result, trtready.summary(result)
    assert result.options["export_batch"] == 2  # never traced at batch 1
    assert _batches(result) == [1, 2, 3, 8]  # and the largest size of the printed TensorRT profile
    graph = ir.load(out).graph
    assert graph.inputs[0].shape[0] == ir.SymbolicDim("batch")
    assert graph.outputs[0].shape[0] == ir.SymbolicDim("batch")
    assert result.nodes_final <= result.nodes_exported
    assert "--minShapes=x:1x3x64x64" in result.trtexec and "--maxShapes=x:8x3x64x64" in result.trtexec
    data = json.loads(result.to_json())
    assert data["schema"] == "trtready.result/1" and data["ok"] and data["exit_code"] == 0


def test_segmentation_dict_output_is_named_by_key(tmp_path):
    model = torchvision.models.segmentation.lraspp_mobilenet_v3_large(weights=None, weights_backbone=None)
    result = trtready.export(model, torch.rand(2, 3, 96, 96), tmp_path / "seg.onnx")
    assert result, trtready.summary(result)
    assert [o["name"] for o in result.outputs] == ["out"]
    assert result.outputs[0]["shape"] == ["batch", 21, 96, 96]


def test_pinned_batch_is_diagnosed_at_its_node_and_line(tmp_path):
    model, args = models.build_pinned()
    result = trtready.export(model, args, tmp_path / "pinned.onnx", exporter="torchscript", fix=False)
    assert not result.verified
    assert _batches(result) == [2]  # right at the export batch only
    pinned = [f for f in result.findings if f.rule_id == "VER001"]
    assert pinned, trtready.summary(result)
    reshape = next(f for f in pinned if f.op_type == "Reshape")
    assert reshape.source.file.endswith("models.py")
    line = next(i for i, text in enumerate(open(reshape.source.file), 1) if "PINNED-LINE" in text)
    assert reshape.source.line == line
    assert result.exit_code() & trtready.ExitCode.VERIFY_FAILED


def test_dict_inputs_and_outputs_are_flattened_with_stable_names(tmp_path):
    model = models.DictModel()
    batch = {"image": torch.rand(2, 3, 8, 8), "scale": torch.rand(2, 1)}
    out = tmp_path / "dict.onnx"
    result = trtready.export(model, (batch,), out, kwargs={"offset": torch.rand(2, 4)})
    assert result, trtready.summary(result)
    assert [i["name"] for i in result.inputs] == ["batch.image", "batch.scale", "offset"]
    assert [o["name"] for o in result.outputs] == ["logits", "parts.0", "parts.1"]
    assert all(i["shape"][0] == "batch" for i in result.inputs)


def test_static_batches_write_one_verified_file_each(tmp_path):
    model = torchvision.models.mobilenet_v3_small(weights=None)
    result = trtready.export(model, torch.rand(1, 3, 64, 64), tmp_path / "m.onnx", static_batches=[1, 4])
    assert result, trtready.summary(result)
    files = {a.batch: a.path for a in result.artifacts if a.kind == "onnx"}
    assert set(files) == {1, 4}
    for batch, path in files.items():
        assert path.endswith(f"m_b{batch}.onnx")
        assert ir.load(path).graph.inputs[0].shape[0] == batch
    assert _batches(result) == [1, 4]
    records = {f.batch: f for f in result.files}  # one record per file, none overwritten by the next
    assert set(records) == {1, 4} and all(records[b].path == files[b] for b in files)
    assert records[1].verified_batches == [1] and records[4].verified_batches == [4]
    assert "--shapes" not in (records[4].trtexec or "") and records[4].inputs[0]["shape"][0] == 4


def test_dynamo_findings_point_at_python_lines(tmp_path):
    model, args = models.build_pinned()
    result = trtready.export(model, args, tmp_path / "p.onnx", exporter="dynamo")
    assert result.attempts[0].ok
    located = [source_of(n) for n in result.attempts[0].model.graph if source_of(n) and source_of(n).line]
    assert any(s.file.endswith("models.py") for s in located)


def test_bad_exporter_name_is_a_user_error(tmp_path):
    with pytest.raises(trtready.UserError, match="unknown exporter"):
        trtready.export(models.PinnedHead(), torch.rand(2, 3, 16, 16), tmp_path / "x.onnx", exporter="onnx")


def test_model_rejecting_the_inputs_is_a_user_error(tmp_path):
    with pytest.raises(trtready.UserError, match="the model raised"):
        trtready.export(models.NeedsThreeChannels(), torch.rand(2, 5, 8, 8), tmp_path / "x.onnx")
    assert not (tmp_path / "x.onnx").exists()


def test_wrapped_detector_records_both_exporters_and_findings(tmp_path):
    model = models.WrappedDetector()
    result = trtready.export(model, torch.rand(1, 3, 320, 320), tmp_path / "det.onnx", dynamic_batch=False)
    by_name = {a.exporter: a for a in result.attempts}
    assert by_name["torchscript"].ok
    assert "GuardOnDataDependentSymNode" in (by_name["dynamo"].error or "")  # batched_nms guard
    assert result.written and result.chosen == "torchscript"
    # NonZero from the post-processing: alone (TRT204), feeding indexing (TRT205), on a bool mask (TRT403)
    assert {"TRT204", "TRT205", "TRT403"} & {f.rule_id for f in result.findings}
    assert {r.output for r in result.verification} == {"output_0", "output_1", "output_2"}
    # The plain TorchScript export of this detector returns boxes that differ from PyTorch's even on
    # the tracing input; trtready must report it rather than call the file verified.
    assert not result.verified
    assert any(r.output == "output_0" and r.status == "fail" for r in result.verification)


def test_keyword_example_skipping_an_optional_parameter(tmp_path):
    class Model(torch.nn.Module):
        def forward(self, x, cache=None, mask=None):
            assert cache is None
            return x * mask

    result = trtready.export(Model(), (), tmp_path / "kw.onnx", kwargs={"x": torch.rand(2, 3), "mask": torch.rand(2, 3)})
    assert result, trtready.summary(result)
    assert [i["name"] for i in result.inputs] == ["x", "mask"]


def test_failed_attempt_brings_the_diagnosis(tmp_path):
    result = trtready.export(models.WithInverse(), torch.rand(2, 3, 3), tmp_path / "inv.onnx")
    assert any(not a.ok for a in result.attempts)
    doctor = [f for f in result.findings if f.stage == "doctor"]
    assert any(f.rule_id == "DOC101" and f.source.file.endswith("models.py") for f in doctor)


def test_submodule_mapped_to_a_tensorrt_plugin_node(tmp_path):
    from trtready.plugins import PluginSpec

    out = tmp_path / "plugin.onnx"
    spec = PluginSpec("MyHead", version="2", namespace="acme", attributes={"alpha": 0.5, "mode": "fast"})
    result = trtready.export(models.WithPluginHead(), torch.rand(2, 4), out, plugins={"head": spec})
    assert result.written and result.chosen == "torchscript"
    nodes = [n for n in ir.load(out).graph if n.domain == "trt.plugins"]
    assert [n.op_type for n in nodes] == ["MyHead"]
    attrs = {k: a.value for k, a in nodes[0].attributes.items()}
    assert attrs == {"plugin_version": "2", "plugin_namespace": "acme", "alpha": 0.5, "mode": "fast"}
    assert ir.load(out).graph.outputs[0].shape[0] == ir.SymbolicDim("batch")
    assert not [f for f in result.findings if f.rule_id in ("TRT101", "TRT102")]  # declared: accepted
    assert "VER002" in {f.rule_id for f in result.findings} and not result.verified
    undeclared = trtready.check(out).findings
    assert any(f.rule_id == "TRT102" and f.op_type == "MyHead" for f in undeclared)


def test_plugin_for_a_missing_submodule_is_a_user_error(tmp_path):
    with pytest.raises(trtready.UserError, match="no submodule 'tail'"):
        trtready.export(models.WithPluginHead(), torch.rand(2, 4), tmp_path / "x.onnx", plugins={"tail": "X"})


def test_torch_function_mapped_to_a_tensorrt_plugin_node(tmp_path):
    class Warp(torch.nn.Module):
        def forward(self, image, grid):
            return torch.nn.functional.grid_sample(image, grid, align_corners=False) + 1

    out = tmp_path / "gs.onnx"
    args = (torch.rand(2, 3, 8, 8), torch.rand(2, 4, 4, 2) * 2 - 1)
    result = trtready.export(Warp(), args, out, plugins={"torch.nn.functional.grid_sample": "GridSamplePlugin"})
    graph = ir.load(out).graph
    plugin = [n for n in graph if n.domain == "trt.plugins"]
    assert [n.op_type for n in plugin] == ["GridSamplePlugin"] and len(plugin[0].inputs) == 2
    assert not any(n.op_type == "GridSample" for n in graph)
    assert result.written and "VER002" in {f.rule_id for f in result.findings}
