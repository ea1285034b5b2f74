"""CastNonZeroInputPass: examples, the TRT403/TRT402 cases it leaves alone, real x[x > 0] and long-index exports."""

from __future__ import annotations

import onnx_ir as ir
import pytest

from pass_harness import check_pass, compare_torch, export, findings, pass_examples, unfixable_examples
from trtready.passes import cast_nonzero_input
from trtready.passes.cast_nonzero_input import CastNonZeroInputPass

torch = pytest.importorskip("torch")


@pytest.mark.parametrize(("text", "options"), pass_examples(CastNonZeroInputPass, cast_nonzero_input))
def test_fixes_example(text, options):
    fixed = check_pass(CastNonZeroInputPass(), text, options)
    nonzero = [n for n in fixed.graph if n.op_type == "NonZero"]
    assert all(n.inputs[0].dtype == ir.DataType.FLOAT for n in nonzero)


@pytest.mark.parametrize(("text", "options", "rule_id"), unfixable_examples(CastNonZeroInputPass, cast_nonzero_input))
def test_leaves_other_bool_ops(text, options, rule_id):
    assert not CastNonZeroInputPass()(ir.from_onnx_text(text)).modified


class MaskIndex(torch.nn.Module):
    def forward(self, x):
        return x[x > 0.5]


def test_real_bool_mask_export():
    module = MaskIndex()
    model = export(module, torch.rand(2, 6))
    assert findings(model, CastNonZeroInputPass, {})
    fixed = CastNonZeroInputPass()(model).model
    assert findings(fixed, CastNonZeroInputPass, {}) == []
    compare_torch(module, fixed, lambda b: torch.rand(b, 6))


class LongIndexTracks(torch.nn.Module):
    """NVIDIA's bool-to-long index recipe: NonZero runs on an INT64 tensor."""

    def forward(self, tracks):
        alive = (tracks[:, 0] > 0.25).long()
        index = torch.arange(1, alive.shape[0] + 1) * alive
        return tracks[index[index.nonzero(as_tuple=True)[0]] - 1]


def test_real_long_index_export():
    module = LongIndexTracks()
    model = export(module, torch.rand(6, 4))
    assert findings(model, CastNonZeroInputPass, {})
    fixed = CastNonZeroInputPass()(model).model
    assert findings(fixed, CastNonZeroInputPass, {}) == []
    compare_torch(module, fixed, lambda b: torch.rand(b, 4))
