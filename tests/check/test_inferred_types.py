"""Rules see dtypes that only type inference knows (TorchScript exports declare none inside the graph)."""

import torch

import trtready


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
    import onnx

    path = _torchscript(tmp_path, KeepPositive(), (torch.rand(8),))
    assert not onnx.load(path).graph.value_info  # nothing declared: only inference knows the dtype
    assert "TRT403" in {f.rule_id for f in trtready.check(path, trt="10.1").findings}
    path = _torchscript(tmp_path, LongIndexTracks(), (torch.rand(6, 4), torch.rand(6)))
    assert "TRT402" in {f.rule_id for f in trtready.check(path, trt="10.1").findings}
