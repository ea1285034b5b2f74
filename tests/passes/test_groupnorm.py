"""CollapseGroupNormPass: examples (standard and plugin form) and a real nn.GroupNorm export."""

from __future__ import annotations

import onnx_ir as ir
import pytest

from pass_harness import check_pass, compare_torch, export, findings, pass_examples
from trtready.passes import groupnorm
from trtready.passes.groupnorm import PLUGIN_DOMAIN, CollapseGroupNormPass

torch = pytest.importorskip("torch")
EXAMPLES = pass_examples(CollapseGroupNormPass, groupnorm)


def _ops(model):
    return [n.op_type for n in model.graph]


@pytest.mark.parametrize(("text", "options"), EXAMPLES)
def test_fixes_example(text, options):
    fixed = check_pass(CollapseGroupNormPass(), text, options)
    assert "GroupNormalization" in _ops(fixed) and "InstanceNormalization" not in _ops(fixed)


@pytest.mark.parametrize(("text", "options"), EXAMPLES)
def test_plugin_form(text, options):
    fixed = check_pass(CollapseGroupNormPass(plugin=True), text, options, ort_check=False)
    (node,) = [n for n in fixed.graph if n.op_type == "GroupNormalizationPlugin"]
    assert node.domain == PLUGIN_DOMAIN and node.attributes["plugin_version"].value == "1"
    assert node.attributes["num_groups"].value == 2


def test_model_whose_ops_changed_meaning_is_left_alone():
    text = EXAMPLES[0].values[0].replace("ir_version: 10", "ir_version: 8").replace('"" : 21', '"" : 17')
    text = text.replace("(float[N,4,3,3] y)", "(float[N,4,3,3] y, float[N,3,3] m)")
    text = text.replace("  y = Add(scaled, beta)", "  y = Add(scaled, beta)\n  m = ReduceMean <axes = [1], keepdims = 0> (x)")
    model = ir.from_onnx_text(text)
    assert not CollapseGroupNormPass()(model).modified  # ReduceMean-18 moved axes to an input
    assert CollapseGroupNormPass(plugin=True)(model).modified  # the plugin form needs no opset change


class Net(torch.nn.Module):
    def __init__(self, affine_init: bool):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.norm = torch.nn.GroupNorm(2, 8)
        if affine_init:
            torch.nn.init.normal_(self.norm.weight)
            torch.nn.init.normal_(self.norm.bias)

    def forward(self, x):
        return self.norm(self.conv(x)).relu()


@pytest.mark.parametrize("affine_init", [False, True], ids=["per-group-affine", "per-channel-affine"])
def test_real_groupnorm_export(affine_init):
    module = Net(affine_init)
    model = export(module, torch.randn(2, 3, 6, 6))
    assert findings(model, CollapseGroupNormPass, {})
    fixed = CollapseGroupNormPass()(model).model
    assert findings(fixed, CollapseGroupNormPass, {}) == []
    assert _ops(fixed).count("GroupNormalization") == 1
    assert "Mul" not in _ops(fixed) and fixed.opset_imports[""] == 21  # raised 18 -> 21, affine folded
    compare_torch(module, fixed, lambda b: torch.randn(b, 3, 6, 6), atol=1e-4)
