"""TRT207 and fix.unpin-batch follow where dim 0 comes from, on real exports by both exporters.

A leading 1 in front of an anchor grid, a position table or a point grid is not a pinned batch
(ONNX Runtime runs those files at any batch); ``view(int(b), ...)`` in the same head is.
"""

from __future__ import annotations

import warnings

import numpy as np
import onnx
import onnx_ir as ir
import onnxruntime as ort
import pytest
from batch_models import PointGrid, RelPosAttention, YoloV8Head

from trtready import check
from trtready.fixing import fix
from trtready.graph.batch import BatchSymbols
from trtready.passes.unpin_batch import UnpinBatchPass

torch = pytest.importorskip("torch")
Dim = torch.export.Dim

SPATIAL = {0: "batch", 2: "height", 3: "width"}
CASES = {
    "yolo-batch": (YoloV8Head, "images", (2, 3, 64, 64), {0: "batch"}, (3, 3, 64, 64)),
    "yolo-batch-hw": (YoloV8Head, "images", (2, 3, 64, 64), SPATIAL, (3, 3, 96, 64)),
    "relpos-attention": (RelPosAttention, "x", (2, 10, 16), {0: "batch", 1: "seq"}, (3, 7, 16)),
    "point-grid": (PointGrid, "points", (2, 10, 3), {0: "batch", 1: "n"}, (3, 12, 3)),
}


def _export(module, name, example, axes, path, exporter):
    """``exporter``: ``torchscript``, ``dynamo``, or ``torchscript+inferred``: the TorchScript file saved
    with ONNX shape inference's ``value_info`` (as onnxsim and many export scripts leave it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if exporter.startswith("torchscript"):
            torch.onnx.export(module, (example,), path, dynamo=False, opset_version=18, input_names=[name],
                              dynamic_axes={name: axes})  # fmt: skip
            if exporter.endswith("+inferred"):
                onnx.save(onnx.shape_inference.infer_shapes(onnx.load(path), data_prop=True), path)
        else:
            dims = {axis: Dim("batch", min=1, max=64) if axis == 0 else Dim.AUTO for axis in axes}
            torch.onnx.export(module, (example,), path, dynamo=True, opset_version=18, input_names=[name],
                              dynamic_shapes={name: dims}, verbose=False)  # fmt: skip
    return path


def _runs_like_torch(path, module, name, shape):
    """ONNX Runtime matches PyTorch at a batch (and sizes) other than the export's."""
    x = torch.rand(*shape)
    with torch.no_grad():
        expected = module(x)
    expected = [t.numpy() for t in (expected if isinstance(expected, tuple) else (expected,))]
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for got, want in zip(session.run(None, {name: x.numpy()}), expected):
        np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-4)


def _trt207(path) -> list:
    return [f for f in check(path, trt="10.1").findings if f.rule_id == "TRT207"]


@pytest.mark.parametrize("exporter", ["torchscript", "torchscript+inferred", "dynamo"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_leading_one_that_is_not_the_batch_is_no_finding(tmp_path, case, exporter):
    cls, name, shape, axes, other = CASES[case]
    module = cls().eval()
    path = _export(module, name, torch.rand(*shape), axes, tmp_path / "m.onnx", exporter)
    _runs_like_torch(path, module, name, other)  # the file really has a dynamic batch
    assert _trt207(path) == []


def test_onnxslim_anchor_grid_reshape_is_no_finding(tmp_path):
    """The reported form: Ultralytics slims its export, turning ``unsqueeze`` into ``Reshape(x, [1, -1])``
    of an ``arange`` over the feature-map width, declared ``[1, (width - 1)//2 + 1 ...]``."""
    onnxslim = pytest.importorskip("onnxslim")
    module = YoloV8Head().eval()
    raw = _export(module, "images", torch.rand(2, 3, 64, 64), SPATIAL, tmp_path / "raw.onnx", "torchscript")
    path = tmp_path / "slim.onnx"
    onnx.save(onnxslim.slim(onnx.load(raw)), path)
    ones = [n for n in ir.load(path).graph if n.op_type == "Reshape" and n.inputs[0].shape and len(n.inputs[0].shape) == 1]
    assert ones, "onnxslim no longer writes the anchor grid's unsqueeze as a Reshape"
    assert _trt207(path) == []
    _runs_like_torch(path, module, "images", (3, 3, 96, 64))


@pytest.mark.parametrize("exporter", ["torchscript+inferred", "dynamo"])
def test_fix_leaves_the_anchor_grid_alone(tmp_path, exporter):
    """``trtready fix --input images:2x3x64x64`` neither changes nor rolls back anything about the batch
    (it used to turn the meshgrid's ``Reshape(sx, [1, -1])`` into ``[0, -1]``, then roll that back)."""
    module = YoloV8Head().eval()
    path = _export(module, "images", torch.rand(2, 3, 64, 64), SPATIAL, tmp_path / "m.onnx", exporter)
    result = fix(path, tmp_path / "fixed.onnx", shapes={"images": (2, 3, 64, 64)})
    unpin = [r for r in result.passes if r.name == UnpinBatchPass.name]
    assert not any(r.modified or r.rolled_back for r in unpin)
    _runs_like_torch(tmp_path / "fixed.onnx", module, "images", (3, 3, 64, 96))


def test_a_pinned_batch_in_the_same_head_is_found_and_fixed(tmp_path):
    """``xi.view(int(b), no, -1)`` in the Detect head: TRT207 on exactly those Reshapes, and the pass
    makes the file right at other batches; the anchor grid's Reshapes are left alone."""
    module = YoloV8Head(pin_batch=True).eval()
    path = _export(module, "images", torch.rand(2, 3, 64, 64), {0: "batch"}, tmp_path / "m.onnx", "torchscript")
    model = ir.load(path)
    pinned = {n.name for n in model.graph if n.op_type == "Reshape" and _literal_head(n) == 2}
    assert len(pinned) == 3
    assert {f.node for f in _trt207(path)} == pinned
    fixed = UnpinBatchPass()(model)
    assert fixed.modified
    assert {n.name for n in fixed.model.graph if "fix.unpin-batch" in str(n.metadata_props)} >= pinned
    ir.save(fixed.model, tmp_path / "fixed.onnx")
    assert _trt207(tmp_path / "fixed.onnx") == []
    _runs_like_torch(tmp_path / "fixed.onnx", module, "images", (3, 3, 64, 64))


def _literal_head(node: ir.Node) -> int | None:
    tensor = ir.convenience.get_const_tensor(node.inputs[1])
    return None if tensor is None else int(tensor.numpy().reshape(-1)[0])


@pytest.mark.parametrize(
    ("dim", "is_batch"),
    [
        ("batch", True),
        ("2*batch", True),
        ("batch*seq", True),
        ("seq", False),
        ("floor(floor(width/2 - 1/2)/2) + 1", False),
        ("(((height - 1)//2)) + 1", False),
        ("unk__40", None),
        (7, None),
    ],
)
def test_batch_symbols_read_expressions(dim, is_batch):
    symbols = BatchSymbols([ir.Shape(["batch", 3, "height", "width"]), ir.Shape(["batch", "seq"])])
    assert symbols.is_batch(ir.SymbolicDim(dim) if isinstance(dim, str) else dim) is is_batch
