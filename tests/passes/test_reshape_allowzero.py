"""ReshapeAllowzeroPass: examples, the literal-0 case it must leave alone, and a real export."""

from __future__ import annotations

import onnx_ir as ir
import pytest

from pass_harness import check_pass, compare_torch, export, findings, pass_examples
from trtready.passes import reshape_allowzero
from trtready.passes.reshape_allowzero import ReshapeAllowzeroPass

torch = pytest.importorskip("torch")


@pytest.mark.parametrize(("text", "options"), pass_examples(ReshapeAllowzeroPass, reshape_allowzero))
def test_fixes_example(text, options):
    fixed = check_pass(ReshapeAllowzeroPass(), text, options)
    assert all(n.attributes["allowzero"].value == 1 for n in fixed.graph if n.op_type == "Reshape")


@pytest.mark.parametrize("target", ["{0, -1}", "{2, -1}", "{0, 4}", "{1, 8}"])
def test_literal_zero_or_minus_one_is_kept(target):
    text = f"""<ir_version: 8, opset_import: ["" : 17]>
g (float[N,4] x) => (float[N,4] y) {{
  shape = Constant <value = int64[2] {target}> ()
  y = Reshape(x, shape)
}}"""
    assert not ReshapeAllowzeroPass()(ir.from_onnx_text(text)).modified


class NonzeroFlatten(torch.nn.Module):
    def forward(self, x):
        idx = torch.nonzero(x > 0)
        return idx.reshape(idx.size(0) * idx.size(1)).float()


def test_real_export_nonzero_reshape():
    module = NonzeroFlatten()
    model = export(module, torch.randn(4, 3))
    assert findings(model, ReshapeAllowzeroPass, {})
    fixed = ReshapeAllowzeroPass()(model).model
    assert findings(fixed, ReshapeAllowzeroPass, {}) == []
    compare_torch(module, fixed, lambda b: torch.randn(b, 3))
    compare_torch(module, fixed, lambda b: -torch.ones(b, 3))  # empty result: a real 0
