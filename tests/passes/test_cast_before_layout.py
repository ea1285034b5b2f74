"""CastBeforeLayoutPass: examples, the quantization case it leaves alone, and a real uint8 camera-frame export."""

from __future__ import annotations

import onnx_ir as ir
import pytest

from pass_harness import check_pass, compare_torch, export, findings, pass_examples, unfixable_examples
from trtready.passes import cast_before_layout
from trtready.passes.cast_before_layout import CastBeforeLayoutPass

torch = pytest.importorskip("torch")


@pytest.mark.parametrize(("text", "options"), pass_examples(CastBeforeLayoutPass, cast_before_layout))
def test_fixes_example(text, options):
    fixed = check_pass(CastBeforeLayoutPass(), text, options)
    assert not [n for n in fixed.graph for v in n.outputs if v.dtype == ir.DataType.UINT8]


@pytest.mark.parametrize(("text", "options", "rule_id"), unfixable_examples(CastBeforeLayoutPass, cast_before_layout))
def test_leaves_quantization_alone(text, options, rule_id):
    assert not CastBeforeLayoutPass()(ir.from_onnx_text(text)).modified


class RawFrameClassifier(torch.nn.Module):
    """A uint8 HWC camera frame in: permute, crop, then float / 255."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, frame):
        chw = frame.permute(0, 3, 1, 2)[:, :, 2:-2]
        return self.conv(chw.float() / 255.0).mean((2, 3))


def test_real_uint8_frame_export():
    module = RawFrameClassifier().eval()
    make = lambda b: torch.randint(0, 256, (b, 12, 10, 3), dtype=torch.uint8)  # noqa: E731
    model = export(module, make(2))
    assert findings(model, CastBeforeLayoutPass, {})
    fixed = CastBeforeLayoutPass()(model).model
    assert findings(fixed, CastBeforeLayoutPass, {}) == []
    compare_torch(module, fixed, make)
