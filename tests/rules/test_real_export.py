"""The checker on models really exported by torch.onnx (TorchScript exporter; skipped without torch)."""

from __future__ import annotations

import io
import warnings

import onnx
import onnx_ir as ir
import pytest

from trtready.rules import check_model

torch = pytest.importorskip("torch")


class MaskedGroupNormNet(torch.nn.Module):
    """Conv -> GroupNorm -> ReLU, then boolean-mask indexing, with a hard-coded batch of 2."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.norm = torch.nn.GroupNorm(2, 8)

    def forward(self, x):
        y = self.norm(self.conv(x)).relu()
        flat = y.reshape(2, -1)  # batch size written as a number
        return flat, y[y > 0.5]


def _export(module, example) -> ir.Model:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module.eval(),
            (example,),
            buffer,
            dynamo=False,
            opset_version=11,
            input_names=["x"],
            dynamic_axes={"x": {0: "batch"}},
        )
    return ir.from_proto(onnx.load_from_string(buffer.getvalue()))


def test_torchscript_export_findings_point_at_modules():
    model = _export(MaskedGroupNormNet(), torch.randn(2, 3, 8, 8))
    findings = check_model(model)
    by_rule = {f.rule_id: f for f in findings}
    assert {"TRT205", "TRT207", "TRT601"} <= set(by_rule)
    assert by_rule["TRT601"].source is not None and by_rule["TRT601"].source.module == "norm"
    assert by_rule["TRT205"].op_type == "GatherND"
    assert not any(f.rule_id in ("TRT101", "TRT102", "TRT001") for f in findings)


def test_clean_conv_net_has_no_error_findings():
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.BatchNorm2d(8), torch.nn.ReLU(), torch.nn.Flatten())
    model = _export(net, torch.randn(1, 3, 8, 8))
    assert [f for f in check_model(model) if f.severity == "error"] == []
