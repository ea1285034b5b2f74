"""UnpinBatchPass: examples, a merged-batch reshape it must not touch, and a real export."""

from __future__ import annotations

import onnx_ir as ir
import pytest

from pass_harness import check_pass, compare_torch, export, findings, pass_examples
from trtready.passes import unpin_batch
from trtready.passes.unpin_batch import UnpinBatchPass

torch = pytest.importorskip("torch")


@pytest.mark.parametrize(("text", "options"), pass_examples(UnpinBatchPass, unpin_batch))
def test_fixes_example(text, options):
    check_pass(UnpinBatchPass(), text, options)


@pytest.mark.parametrize(("text", "options"), pass_examples(UnpinBatchPass, unpin_batch))
def test_fixes_example_with_known_batch(text, options):
    check_pass(UnpinBatchPass(export_batch=2), text, options)


def test_other_batch_value_is_left_alone():
    text = """<ir_version: 8, opset_import: ["" : 17]>
g (float[N,4,8] x) => (float[2,64] y) {
  shape = Constant <value_ints = [2, 64]> ()
  y = Reshape(x, shape)
}"""
    assert not UnpinBatchPass(export_batch=4)(ir.from_onnx_text(text)).modified


class ViewWithIntBatch(torch.nn.Module):
    def forward(self, x):
        return torch.relu(x.view(int(x.size(0)), -1))


def test_real_view_int_size():
    module = ViewWithIntBatch()
    model = export(module, torch.randn(2, 3, 4))
    assert findings(model, UnpinBatchPass, {})
    fixed = UnpinBatchPass()(model).model
    assert findings(fixed, UnpinBatchPass, {}) == []
    compare_torch(module, fixed, lambda b: torch.randn(b, 3, 4), batches=(2, 3, 5))


class SqueezeExcite(torch.nn.Module):
    """torchpipe's example: ``view(int(b), c)`` with ``c`` from ``x.shape``, a Linear, ``view(int(x.size(0)), -1, 1, 1)``."""

    def __init__(self, c=8):
        super().__init__()
        self.conv, self.fc = torch.nn.Conv2d(3, c, 3, padding=1), torch.nn.Linear(c, c)

    def forward(self, x):
        x = self.conv(x)
        b, c = x.shape[:2]
        y = x.mean((2, 3)).view(int(b), c)
        y = self.fc(y).view(int(x.size(0)), -1, 1, 1)
        return x * y.sigmoid()


def test_real_squeeze_excite():
    """Both pinned Reshapes are found: one's target is Concat(Constant [2], <c from x.shape>), one reads a Gemm."""
    module = SqueezeExcite()
    model = export(module, torch.randn(2, 3, 8, 8))
    assert {f.node for f in findings(model, UnpinBatchPass, {})} == {"/Reshape", "/Reshape_1"}
    fixed = UnpinBatchPass()(model).model
    assert findings(fixed, UnpinBatchPass, {}) == []
    compare_torch(module, fixed, lambda b: torch.randn(b, 3, 8, 8), batches=(1, 2, 3, 8))
