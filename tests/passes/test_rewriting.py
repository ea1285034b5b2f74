"""The manager of the passes written as onnxscript rewrite rules (``passes/rewriting.py``): what a
rewrite keeps of the nodes it replaces, the names it gives, subgraphs, repeated application, and
where its near misses point."""

from __future__ import annotations

import onnx_ir as ir
from pass_harness import compare_ort

from trtready.graph import iter_nodes
from trtready.ir import source_of
from trtready.passes.base import PROVENANCE_KEY
from trtready.passes.cast_before_layout import CastBeforeLayoutPass
from trtready.passes.reshape_allowzero import ReshapeAllowzeroPass
from trtready.simplify import copy_model

_HEADER = '<ir_version: 8, opset_import: ["" : 17]>'
NONZERO_RESHAPE = f"""{_HEADER}
g (float[N] score) => (int64[M,1] y, float[N] z) {{
  idx = NonZero(score)
  n = Shape <start = 1> (idx)
  one = Constant <value_ints = [1]> ()
  target = Concat <axis = 0> (n, one)
  y = Reshape(idx, target)
  z = Relu(score)
}}"""
TRACE = 'File "/work/model.py", line 12, in forward\n    return idx.view(idx.size(1), 1)\n'


def _named(model: ir.Model) -> ir.Model:
    """Names and PyTorch provenance on the Reshape, as exporters leave them."""
    reshape = next(n for n in model.graph if n.op_type == "Reshape")
    reshape.name = "/head/Reshape"
    reshape.doc_string = "kept"
    reshape.metadata_props["pkg.torch.onnx.stack_trace"] = TRACE
    return model


def test_a_replaced_node_keeps_its_name_place_and_pytorch_source():
    model = _named(ir.from_onnx_text(NONZERO_RESHAPE))
    before = [(n.op_type, n.name) for n in model.graph]
    source = source_of(next(n for n in model.graph if n.op_type == "Reshape"))
    assert ReshapeAllowzeroPass()(model).modified
    reshape = next(n for n in model.graph if n.op_type == "Reshape")
    assert [(n.op_type, n.name) for n in model.graph] == before  # same nodes, same order
    assert reshape.attributes["allowzero"].value == 1 and reshape.outputs[0].name == "y"
    assert reshape.doc_string == "kept" and source_of(reshape) == source
    assert reshape.metadata_props[PROVENANCE_KEY] == "fix.reshape-allowzero"
    assert "pkg.onnxscript.rewriter.rule_name" not in reshape.metadata_props


def test_nothing_else_is_renamed():
    model = ir.from_onnx_text(NONZERO_RESHAPE)
    names = {n.op_type: n.name for n in model.graph if n.op_type != "Reshape"}
    ReshapeAllowzeroPass()(model)
    assert {n.op_type: n.name for n in model.graph if n.op_type != "Reshape"} == names


def test_a_cast_climbs_a_whole_layout_chain_and_new_names_are_unique():
    text = f"""{_HEADER}
g (uint8[N,4,4,3] frame) => (float[N,48] y) {{
  chw = Transpose <perm = [0, 3, 1, 2]> (frame)
  flat = Flatten(chw)
  frame_as_float = Identity(flat)
  y = Cast <to = 1> (frame_as_float)
}}"""
    original = ir.from_onnx_text(text)
    model = copy_model(original)
    assert CastBeforeLayoutPass()(model).modified
    assert [n.op_type for n in model.graph] == ["Cast", "Transpose", "Flatten", "Identity"]
    names = [v.name for _, n in iter_nodes(model.graph) for v in n.outputs]
    assert len(names) == len(set(names)) and names[-1] == "y"
    assert all(n.metadata_props[PROVENANCE_KEY] == "fix.cast-before-layout" for n in model.graph)
    compare_ort(original, model, changes_other_batches=False)


def test_rules_reach_into_subgraphs_and_near_misses_say_where():
    text = f"""{_HEADER}
g (float[N] score, bool c) => (int64[K] y) {{
  idx = NonZero(score)
  y = If (c) <
    then_branch = then_g () => (int64[M] t) {{
      n = Shape <start = 1> (idx)
      t = Reshape(idx, n)
    }},
    else_branch = else_g () => (int64[M] e) {{
      literal = Constant <value_ints = [-1]> ()
      e = Reshape(idx, literal)
    }}
  >
}}"""
    model = ir.from_onnx_text(text)
    fix = ReshapeAllowzeroPass()
    assert fix(model).modified
    then_reshape, else_reshape = [n for _, n in iter_nodes(model.graph) if n.op_type == "Reshape"]
    assert then_reshape.attributes["allowzero"].value == 1 and "allowzero" not in else_reshape.attributes
    (miss,) = fix.near_misses
    assert miss.nodes == (("main/If/else_branch", None, "Reshape"),)
    assert miss.concerns("TRT206", "main/If/else_branch", None, "Reshape")
    assert not miss.concerns("TRT206", "main", None, "Reshape") and not miss.concerns(
        "TRT201", "main/If/else_branch", None, "Reshape"
    )


def test_a_near_miss_names_no_node_it_cannot_tell_apart():
    """Two unnamed Reshapes in one graph: a finding (which carries no node name) could be either."""
    text = f"""{_HEADER}
g (float[N] score) => (int64[M] y, int64[M] z) {{
  idx = NonZero(score)
  a = Constant <value_ints = [-1]> ()
  y = Reshape(idx, a)
  z = Reshape(idx, a)
}}"""
    fix = ReshapeAllowzeroPass()
    assert not fix(ir.from_onnx_text(text)).modified
    assert fix.near_misses == ()
    named = ir.from_onnx_text(text)
    for i, node in enumerate(n for n in named.graph if n.op_type == "Reshape"):
        node.name = f"reshape_{i}"
    fix(named)
    assert sorted(m.nodes[0][1] for m in fix.near_misses) == ["reshape_0", "reshape_1"]
