"""The fixes written as rewrite rules, through ``trtready fix`` on real files: where each fires, the
runner proves it in ONNX Runtime and the finding is gone (the outputs are compared here again);
where its pattern matches but its check refuses (a near miss), the finding left says why."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx_ir as ir
import onnxruntime as ort
import pytest

from trtready.fixing import fix
from trtready.passes.feeds import feeds_for_model

_HEADER = '<ir_version: 8, opset_import: ["" : 17, "com.microsoft" : 1]>'
_GROUPNORM = """{header}
g (float[N,4,3,3] x) => (float[N,4,3,3] y{more_outputs})
  <int64[3] grouped = {{0, 2, -1}}, float[2] ones = {{{ones}}}, float[2] zeros = {{0.0, 0.0}},
   float[4,1,1] gamma = {{0.5, 1.0, 1.5, 2.0}}, float[4,1,1] beta = {{0.1, 0.2, 0.3, 0.4}}> {{
  xg = Reshape(x, grouped)
  normed = InstanceNormalization <epsilon = 0.001> (xg, ones, zeros)
  shape = Shape(x)
  back = Reshape(normed, shape)
  scaled = Mul(back, gamma)
  y = Add(scaled, beta){more_nodes}
}}"""
_OPSET_17 = '<ir_version: 8, opset_import: ["" : 17]>'


def _groupnorm(ones: str = "1.0, 1.0", *, reduce_mean: bool = False) -> str:
    more = ("", "") if not reduce_mean else (", float[N,3,3] m", "\n  m = ReduceMean <axes = [1], keepdims = 0> (x)")
    return _GROUPNORM.format(header=_OPSET_17, ones=ones, more_outputs=more[0], more_nodes=more[1])


FIRES = {
    "fix.reshape-allowzero": ("TRT206", f"""{_HEADER}
g (float[N] score) => (int64[M,1] y) {{
  idx = NonZero(score)
  n = Shape <start = 1> (idx)
  one = Constant <value_ints = [1]> ()
  target = Concat <axis = 0> (n, one)
  y = Reshape(idx, target)
}}"""),
    "fix.cast-nonzero-input": ("TRT403", f"""{_HEADER}
g (float[N,4] x) => (int64[2,M] idx) {{
  zero = Constant <value = float {{0.5}}> ()
  mask = Greater(x, zero)
  idx = NonZero(mask)
}}"""),
    "fix.cast-before-layout": ("TRT404", f"""{_HEADER}
g (uint8[N,4,4,3] frame) => (float[N,3,2,4] y) {{
  chw = Transpose <perm = [0, 3, 1, 2]> (frame)
  starts = Constant <value_ints = [1]> ()
  ends = Constant <value_ints = [3]> ()
  axes = Constant <value_ints = [2]> ()
  top = Slice(chw, starts, ends, axes)
  y = Cast <to = 1> (top)
}}"""),
    "fix.collapse-groupnorm": ("TRT601", _groupnorm()),
}  # fmt: skip

NEAR_MISSES = {
    "allowzero-target-from-max": ("fix.reshape-allowzero", "TRT206", f"""{_HEADER}
g (float[N] score) => (int64[M] y) {{
  idx = NonZero(score)
  n = Shape <start = 1> (idx)
  one = Constant <value_ints = [1]> ()
  m = Max(n, one)
  y = Reshape(idx, m)
}}""", "its target shape is computed by Max, not only from tensor shapes and positive constants"),
    "allowzero-literal-zero": ("fix.reshape-allowzero", "TRT206", f"""{_HEADER}
g (float[N] score) => (int64[M] y) {{
  idx = NonZero(score)
  shape = Constant <value_ints = [0, -1]> ()
  y = Reshape(idx, shape)
}}""", "its target shape holds a literal 0 or -1 (copy or infer a dim), which allowzero=1 would change"),
    "nonzero-of-unknown-dtype": ("fix.cast-nonzero-input", "TRT403", f"""{_HEADER}
g (float[N,4] x) => (int64[2,M] idx) {{
  g = com.microsoft.Gelu(x)
  idx = NonZero(g)
}}""", "the dtype of its input 'g' is unknown, so a cast to FP32 is not known to be exact"),
    "uint8-read-twice": ("fix.cast-before-layout", "TRT404", f"""{_HEADER}
g (uint8[N,4,4,3] frame) => (float[N,3,4,4] y, uint8[N,3,4,4] raw) {{
  chw = Transpose <perm = [0, 3, 1, 2]> (frame)
  y = Cast <to = 1> (chw)
  raw = Identity(chw)
}}""", "the UINT8 tensor 'chw' that Transpose makes is read by 2 nodes"),
    "groupnorm-weights": ("fix.collapse-groupnorm", "TRT601", _groupnorm("1.0, 2.0"),
                          "the InstanceNormalization's scale and bias are not constant ones and zeros over the groups"),
    "groupnorm-opset": ("fix.collapse-groupnorm", "TRT601", _groupnorm(reduce_mean=True),
                        "raising the model's opset 17 would change ReduceMean (redefined at opset 18)"),
}  # fmt: skip


def _fix(text: str, tmp_path: Path):
    source, output = tmp_path / "model.onnx", tmp_path / "fixed.onnx"
    ir.save(ir.from_onnx_text(text), source)
    return source, output, fix(source, output)


def _run(path: Path, feeds: dict) -> list[np.ndarray]:
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


@pytest.mark.parametrize("pass_name", list(FIRES))
def test_the_rule_fires_and_the_numbers_stay(pass_name, tmp_path):
    rule_id, text = FIRES[pass_name]
    source, output, result = _fix(text, tmp_path)
    (record,) = [r for r in result.passes if r.name == pass_name]
    assert record.modified and not record.rolled_back and record.findings_removed >= 1
    assert not [f for f in result.findings if f.rule_id == rule_id]
    model = ir.load(source)
    for batch in (2, 5):
        feeds = feeds_for_model(model, batch, draw=7)
        for got, expected in zip(_run(output, feeds), _run(source, feeds), strict=True):
            np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("case", list(NEAR_MISSES))
def test_a_near_miss_says_why_on_the_finding(case, tmp_path):
    pass_name, rule_id, text, reason = NEAR_MISSES[case]
    _, _, result = _fix(text, tmp_path)
    (record,) = [r for r in result.passes if r.name == pass_name]
    assert not record.modified and not record.rolled_back
    explained = [f.message for f in result.findings if f.rule_id == rule_id]
    assert explained, f"no {rule_id} finding left"
    assert all(
        f"[not fixed automatically: autofix {pass_name} cannot rewrite this node exactly: " in m for m in explained
    )
    assert any(reason in m for m in explained), explained


def test_without_a_near_miss_the_wording_stays(tmp_path):
    """A pass not written as rewrite rules (or a finding no pattern matched) keeps the old text."""
    text = f"""{_OPSET_17}
g (float[N,4,8] x) => (float[2,64] y) {{
  shape = Constant <value_ints = [2, 64]> ()
  y = Reshape(x, shape)
}}"""
    _, _, result = _fix(text, tmp_path)
    (pinned,) = [f for f in result.findings if f.rule_id == "TRT207"]
    assert pinned.message.endswith(
        "[not fixed automatically: autofix fix.unpin-batch cannot rewrite this node exactly]"
    )
