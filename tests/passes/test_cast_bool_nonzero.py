"""CastBoolNonZeroPass: examples, the TRT403 cases it leaves to PyTorch, and a real x[x > 0] export."""

from __future__ import annotations

import onnx_ir as ir
import pytest

from pass_harness import check_pass, compare_torch, export, findings, pass_examples, unfixable_examples
from trtready.passes import cast_bool_nonzero
from trtready.passes.cast_bool_nonzero import CastBoolNonZeroPass

torch = pytest.importorskip("torch")


@pytest.mark.parametrize(("text", "options"), pass_examples(CastBoolNonZeroPass, cast_bool_nonzero))
def test_fixes_example(text, options):
    fixed = check_pass(CastBoolNonZeroPass(), text, options)
    nonzero = [n for n in fixed.graph if n.op_type == "NonZero"]
    assert all(n.inputs[0].dtype == ir.DataType.FLOAT for n in nonzero)


@pytest.mark.parametrize(("text", "options", "rule_id"), unfixable_examples(CastBoolNonZeroPass, cast_bool_nonzero))
def test_leaves_other_bool_ops(text, options, rule_id):
    assert not CastBoolNonZeroPass()(ir.from_onnx_text(text)).modified


class MaskIndex(torch.nn.Module):
    def forward(self, x):
        return x[x > 0.5]


def test_real_bool_mask_export():
    module = MaskIndex()
    model = export(module, torch.rand(2, 6))
    assert findings(model, CastBoolNonZeroPass, {})
    fixed = CastBoolNonZeroPass()(model).model
    assert findings(fixed, CastBoolNonZeroPass, {}) == []
    compare_torch(module, fixed, lambda b: torch.rand(b, 6))
