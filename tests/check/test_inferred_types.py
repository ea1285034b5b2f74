"""Rules see dtypes that only type inference knows (TorchScript exports declare none inside the graph)."""

import onnx
import pytest
import torch

import trtready
from trtready.checking import verdict
from trtready.fixing import fix


class KeepPositive(torch.nn.Module):
    def forward(self, scores):
        return scores[scores > 0.5]


class LongIndexTracks(torch.nn.Module):
    def forward(self, feats, scores):
        alive = (scores > 0.25).long()
        index = torch.arange(1, alive.shape[0] + 1) * alive
        return feats[index[index.nonzero(as_tuple=True)[0]] - 1]


def _torchscript(tmp_path, model, args):
    path = tmp_path / "m.onnx"
    torch.onnx.export(model, args, path, dynamo=False, opset_version=18)
    return path


def test_nonzero_on_bool_and_int64_is_seen_without_value_info(tmp_path):
    path = _torchscript(tmp_path, KeepPositive(), (torch.rand(8),))
    assert not onnx.load(path).graph.value_info  # nothing declared: only inference knows the dtype
    assert "TRT403" in {f.rule_id for f in trtready.check(path, trt="10.1").findings}
    path = _torchscript(tmp_path, LongIndexTracks(), (torch.rand(6, 4), torch.rand(6)))
    assert "TRT402" in {f.rule_id for f in trtready.check(path, trt="10.1").findings}


class ScriptedTopkMask(torch.nn.Module):
    """Detection-style post-processing, scripted: a bool mask of each image's top-k anchors (a
    ScatterElements inside an ``if``: an If branch, where the TorchScript exporter declares no dtype),
    then ``nonzero``."""

    def __init__(self):
        super().__init__()
        self.head = torch.nn.Conv2d(3, 4, 1)

    def forward(self, x):
        scores = self.head(x).sigmoid().flatten(1)
        if bool(scores.max() > 0.05):
            top = scores.topk(5, 1).indices
            keep = torch.zeros(scores.shape, dtype=torch.bool).scatter(1, top, torch.ones(top.shape, dtype=torch.bool))
            return keep.nonzero()
        return torch.zeros(0, 2, dtype=torch.long)


class ScriptedSqueezeExcite(torch.nn.Module):
    """An SE block that lists its active channels with ``torch.where(mask)`` inside a scripted branch,
    channel 0 always on (``active[:, 0] = True``: a ScatterND on the mask)."""

    def __init__(self, c=8):
        super().__init__()
        self.conv, self.fc = torch.nn.Conv2d(3, c, 3, padding=1), torch.nn.Linear(c, c)

    def forward(self, x):
        y = self.conv(x)
        gate = torch.sigmoid(self.fc(y.mean((2, 3))))
        if bool(gate.mean() > 0.0):
            active = gate > 0.5
            active[:, 0] = True
            rows, cols = torch.where(active)
            return torch.stack([rows, cols], 1)
        return torch.zeros(0, 2, dtype=torch.long)


@pytest.mark.parametrize("module", [ScriptedTopkMask(), ScriptedSqueezeExcite()], ids=lambda m: type(m).__name__)
def test_nonzero_on_bool_inside_an_if_branch_is_found(tmp_path, module):
    path = tmp_path / "m.onnx"
    torch.onnx.export(torch.jit.script(module.eval()), (torch.rand(2, 3, 8, 8),), path, dynamo=False, opset_version=18)
    proto = onnx.load(path)
    inside = [n for n in proto.graph.node if n.op_type == "If"]
    assert inside and not proto.graph.value_info  # the NonZero sits in a branch, and nothing declares its dtype
    result = trtready.check(path, trt="11.1")
    bool_nonzero = [f for f in result.findings if f.rule_id == "TRT403" and f.op_type == "NonZero"]
    assert bool_nonzero and "/then_branch" in bool_nonzero[0].graph_path
    assert bool_nonzero[0].severity == "error" and "gets BOOL data" in bool_nonzero[0].message
    assert not [f for f in result.findings if "could not tell the dtype" in f.message]  # inference reached the branch
    assert verdict(result).startswith("TensorRT 11.1 will refuse")


def test_cast_nonzero_fix_reaches_into_the_branch(tmp_path):
    path = tmp_path / "m.onnx"
    torch.onnx.export(torch.jit.script(ScriptedTopkMask().eval()), (torch.rand(2, 3, 8, 8),), path, dynamo=False, opset_version=18)
    result = fix(path, tmp_path / "fixed.onnx", trt="11.1", batches=(2,))
    assert any(r.name == "fix.cast-nonzero-input" and r.modified and not r.rolled_back for r in result.passes)
    assert not [f for f in result.findings if f.rule_id == "TRT403" and f.op_type == "NonZero"]


UNKNOWN_MASK = """<ir_version: 8, opset_import: ["" : 17, "vendor.nms" : 1]>
g (float[N,4] boxes, float[N] scores) => (int64[1,M] keep) {
  mask = vendor.nms.SuppressMask(boxes, scores)
  keep = NonZero(mask)
}"""


def test_a_dtype_that_stays_unknown_is_said_not_passed(tmp_path):
    """A custom op's output has no dtype that anything can tell: the dtype rules say so at the NonZero."""
    path = tmp_path / "m.onnx"
    onnx.save(onnx.parser.parse_model(UNKNOWN_MASK), path)
    result = trtready.check(path, trt="11.1")
    notes = {f.rule_id: f for f in result.findings if "could not tell the dtype of 'mask'" in f.message}
    assert set(notes) == {"TRT402", "TRT403"}
    assert all(f.severity == "info" and f.op_type == "NonZero" for f in notes.values())
    assert "if it is BOOL" in notes["TRT403"].message and "FP32" in notes["TRT403"].message
    produced = {f.rule_id: f for f in result.findings if "could not tell the dtype of 1 value(s): 'mask'" in f.message}
    assert set(produced) == {"TRT401", "TRT404"}  # the rules that refuse a dtype anywhere say it once each
    assert all(f.severity == "info" and f.op_type == "SuppressMask" for f in produced.values())
