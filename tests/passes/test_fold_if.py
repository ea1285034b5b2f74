"""FoldIfPass: examples, unfixable examples, and a real TorchScript squeeze export."""

from __future__ import annotations

import onnx_ir as ir
import pytest

from pass_harness import check_pass, compare_torch, export, findings, pass_examples, unfixable_examples
from trtready.passes import fold_if
from trtready.passes.fold_if import FoldIfPass

torch = pytest.importorskip("torch")


@pytest.mark.parametrize(("text", "options"), pass_examples(FoldIfPass, fold_if))
def test_fixes_example(text, options):
    check_pass(FoldIfPass(), text, options)


@pytest.mark.parametrize(("text", "options", "rule_id"), unfixable_examples(FoldIfPass, fold_if))
def test_unfixable_example_is_left_alone(text, options, rule_id):
    result = FoldIfPass()(ir.from_onnx_text(text))
    assert any(f.rule_id == rule_id for f in findings(result.model, FoldIfPass, options))


class ReshapeThenSqueeze(torch.nn.Module):
    """Squeeze of a dim TorchScript cannot size (8 // 8) but ONNX shape inference can."""

    def forward(self, x):
        y = x.reshape(x.size(0), x.size(1) // 8, -1)
        return y.squeeze(1) * 2


def test_real_torchscript_squeeze_if():
    module = ReshapeThenSqueeze()
    model = export(module, torch.randn(2, 8, 5))
    assert any(n.op_type == "If" for n in model.graph)
    fixed = FoldIfPass()(model).model
    assert not any(n.op_type == "If" for n in fixed.graph)
    assert findings(fixed, FoldIfPass, {}) == []
    compare_torch(module, fixed, lambda b: torch.randn(b, 8, 5))
