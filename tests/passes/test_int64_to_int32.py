"""Int64ToInt32Pass: examples, overflow cases it must refuse, and a real export."""

from __future__ import annotations

import onnx_ir as ir
import pytest

from pass_harness import check_pass, compare_torch, export, findings, pass_examples, unfixable_examples
from trtready.passes import int64_to_int32
from trtready.passes.int64_to_int32 import Int64ToInt32Pass

torch = pytest.importorskip("torch")


@pytest.mark.parametrize(("text", "options"), pass_examples(Int64ToInt32Pass, int64_to_int32))
def test_fixes_example(text, options):
    check_pass(Int64ToInt32Pass(), text, options)


@pytest.mark.parametrize(("text", "options", "rule_id"), unfixable_examples(Int64ToInt32Pass, int64_to_int32))
def test_unfixable_example_is_left_alone(text, options, rule_id):
    assert not Int64ToInt32Pass()(ir.from_onnx_text(text)).modified


@pytest.mark.parametrize("source", ["int32", "int64"])
def test_possible_overflow_is_refused(source):
    text = f"""<ir_version: 8, opset_import: ["" : 17]>
g ({source}[N,4] a) => (int64[N,3] y) <int64[4,3] w = {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}}> {{
  a64 = Cast <to = 7> (a)
  y = MatMul(a64, w)
}}"""
    assert not Int64ToInt32Pass()(ir.from_onnx_text(text)).modified


def test_old_release_is_not_touched():
    model = ir.from_onnx_text(Int64ToInt32Pass.EXAMPLES[0])
    assert not Int64ToInt32Pass(trt="8.6")(model).modified


class CountNonzero(torch.nn.Module):
    def forward(self, x):
        return torch.nonzero((x > 0).long()).float().sum(0, keepdim=True) + x[:1, :2]


def test_real_export_nonzero_of_long():
    module = CountNonzero()
    model = export(module, torch.randn(3, 4))
    assert findings(model, Int64ToInt32Pass, {})
    fixed = Int64ToInt32Pass()(model).model
    assert findings(fixed, Int64ToInt32Pass, {}) == []
    compare_torch(module, fixed, lambda b: torch.randn(b, 4))
