"""ConstantAxesPass and FoldShapeArithmeticPass: examples, unfixable examples, real exports."""

from __future__ import annotations

import onnx_ir as ir
import pytest

from pass_harness import check_pass, compare_torch, export, findings, pass_examples, unfixable_examples
from trtready.passes import fold_shapes, squeeze_axes
from trtready.passes.fold_shapes import FoldShapeArithmeticPass
from trtready.passes.squeeze_axes import ConstantAxesPass

torch = pytest.importorskip("torch")
PASSES = [(ConstantAxesPass, squeeze_axes), (FoldShapeArithmeticPass, fold_shapes)]
CASES = [pytest.param(cls, *p.values, id=f"{cls.__name__}-{p.id}") for cls, mod in PASSES for p in pass_examples(cls, mod)]
UNFIXABLE = [pytest.param(cls, *p.values, id=f"{cls.__name__}-{p.id}") for cls, mod in PASSES for p in unfixable_examples(cls, mod)]


@pytest.mark.parametrize(("pass_cls", "text", "options"), CASES)
def test_fixes_example(pass_cls, text, options):
    check_pass(pass_cls(), text, options)


@pytest.mark.parametrize(("pass_cls", "text", "options", "rule_id"), UNFIXABLE)
def test_unfixable_example_keeps_its_finding(pass_cls, text, options, rule_id):
    result = pass_cls()(ir.from_onnx_text(text))
    assert any(f.rule_id == rule_id for f in findings(result.model, pass_cls, options))


def test_partial_reshape_target_is_folded():
    text = FoldShapeArithmeticPass.EXAMPLES[0]
    fixed = FoldShapeArithmeticPass()(ir.from_onnx_text(text)).model
    assert "Div" not in [n.op_type for n in fixed.graph] and "Shape" in [n.op_type for n in fixed.graph]


class ComputedAxes(torch.nn.Module):
    """Reshape with x.size(1) // 4 (kept as Shape/Gather/Div by TorchScript); the sum dim is traced as an int."""

    def forward(self, x):
        y = x.reshape(x.size(0), x.size(1) // 4, -1)
        return y.sum(dim=x.size(1) // 8) + 1


@pytest.mark.parametrize("pass_cls", [ConstantAxesPass, FoldShapeArithmeticPass])
def test_real_export(pass_cls):
    module = ComputedAxes()
    model = export(module, torch.randn(2, 8, 5))
    result = pass_cls()(model)
    fixed = result.model
    assert result.modified == (pass_cls is FoldShapeArithmeticPass)  # the Reshape target's x.size(1) // 4
    assert findings(fixed, pass_cls, {}) == []
    compare_torch(module, fixed, lambda b: torch.randn(b, 8, 5))
