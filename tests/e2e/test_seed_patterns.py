"""Done-when of the fixes issue: for each seed pattern, the plain export is flagged by the checker,
``trtready export`` gives a file free of the finding (verified in ONNX Runtime at several batch
sizes), and ``trtready fix`` on the plain export removes the finding when an ONNX-level autofix exists.
"""

import pytest
import torch

import trtready
from trtready.fixing import fix

from . import seed_models as m

# model, example, the rule its plain export triggers, whether an ONNX-level autofix removes it
CASES = {
    "squeeze": (m.SqueezeHead, lambda b: torch.rand(b, 3, 4, 4), "TRT301", True),
    "bool-index": (m.MaskSelect, lambda b: torch.randn(b, 6), "TRT403", True),
    "unique": (m.UniqueLabels, lambda b: torch.randn(b, 5), "TRT101", False),
    "fold": (m.FoldPatches, lambda b: torch.rand(b, 1, 4, 4), "TRT101", False),
    "pinned-batch": (m.PinnedFlatten, lambda b: torch.rand(b, 3, 8, 8), "TRT207", True),
    "double": (m.DoublePrecision, lambda b: torch.rand(b, 6), "TRT401", True),
    "groupnorm": (m.GroupNormBlock, lambda b: torch.rand(b, 3, 8, 8), "TRT601", True),
    "empty-reshape": (m.NonzeroFlatten, lambda b: torch.randn(b, 3), "TRT206", True),
}


def _plain_export(module, example, path):
    with torch.no_grad():
        torch.onnx.export(module, (example,), path, dynamo=False, opset_version=18, input_names=["x"],
                          dynamic_axes={"x": {0: "batch"}})  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_seed_pattern(case, tmp_path):
    cls, make, rule, has_autofix = CASES[case]
    torch.manual_seed(0)
    module = cls().eval()
    plain = tmp_path / "plain.onnx"
    _plain_export(module, make(2), plain)
    assert rule in {f.rule_id for f in trtready.check(plain).findings}, f"the plain export of {case} is not flagged"

    result = trtready.export(module, make(2), tmp_path / "trtready.onnx")
    assert result.verified, trtready.summary(result)  # no row fails, at least one passes
    assert {r.batch for r in result.verification} >= {2, 3}
    assert rule not in {f.rule_id for f in result.findings}, trtready.summary(result)

    if has_autofix:
        fixed = fix(plain, tmp_path / "fixed.onnx")
        assert rule not in {f.rule_id for f in fixed.findings}, [p.message for p in fixed.passes]
