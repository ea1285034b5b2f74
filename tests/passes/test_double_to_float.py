"""DoubleToFloatPass: examples and a real export of a .double() computation."""

from __future__ import annotations

import onnx_ir as ir
import pytest

from pass_harness import check_pass, compare_torch, export, findings, pass_examples
from trtready.passes import double_to_float
from trtready.passes.double_to_float import DoubleToFloatPass

torch = pytest.importorskip("torch")


@pytest.mark.parametrize(("text", "options"), pass_examples(DoubleToFloatPass, double_to_float))
def test_fixes_example(text, options):
    fixed = check_pass(DoubleToFloatPass(), text, options)
    assert all(v.dtype != ir.DataType.DOUBLE for v in fixed.graph.inputs)


class DoubleMath(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("scale", torch.linspace(0.5, 1.5, 4, dtype=torch.float64))

    def forward(self, x):
        return (x.double() * self.scale).exp().sum(-1, keepdim=True).float() + x


def test_real_double_export():
    module = DoubleMath()
    model = export(module, torch.randn(2, 4))
    assert findings(model, DoubleToFloatPass, {})
    fixed = DoubleToFloatPass()(model).model
    assert findings(fixed, DoubleToFloatPass, {}) == []
    compare_torch(module, fixed, lambda b: torch.randn(b, 4))
