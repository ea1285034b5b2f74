"""The constant evaluator: shape arithmetic over static dims is known, over dynamic dims partly known."""

from __future__ import annotations

import onnx_ir as ir

from trtready.graph import Evaluator, shape_head

_HEADER = '<ir_version: 8, opset_import: ["" : 17]>'
MODEL = f"""{_HEADER}
g (float[N,8,5] x) => (float[N,40] y, int64[1] axis) {{
  shape = Shape(x)
  i1 = Constant <value_ints = [1]> ()
  c = Gather <axis = 0> (shape, i1)
  eight = Constant <value_ints = [8]> ()
  groups = Div(c, eight)
  n = Shape <end = 1> (x)
  rest = Constant <value_ints = [-1]> ()
  target = Concat <axis = 0> (n, groups, rest)
  r = Reshape(x, target)
  seven = Constant <value_ints = [7]> ()
  axis = Sub(c, seven)
  two = Constant <value_ints = [2]> ()
  pinned = Concat <axis = 0> (two, groups)
  y = Reshape(r, pinned)
}}"""


def _values():
    model = ir.from_onnx_text(MODEL)
    return model, {v.name: v for node in model.graph for v in node.outputs}


def test_static_dims_fold_to_constants():
    model, values = _values()
    evaluator = Evaluator(model)
    assert evaluator.constant(values["groups"]).tolist() == [1]  # Shape(x)[1] // 8 with dim 1 static
    assert evaluator.constant(values["axis"]).tolist() == [1]


def test_a_dynamic_dim_leaves_its_element_unknown_and_the_rest_known():
    model, values = _values()
    evaluator = Evaluator(model)
    assert evaluator.constant(values["target"]) is None
    partial = evaluator.partial(values["target"])
    assert partial.known.tolist() == [False, True, True] and partial.value.tolist()[1:] == [1, -1]
    assert evaluator.dims(values["r"])[:2] == [None, 1]  # the batch stays unknown; 1 from the Reshape target


def test_shape_head_reads_the_constant_leading_entries_of_a_shape():
    _, values = _values()
    head, rest = shape_head(values["pinned"])
    assert head.tolist() == [2] and rest == [values["groups"]]
    assert shape_head(values["target"]) is None  # its first piece is computed
