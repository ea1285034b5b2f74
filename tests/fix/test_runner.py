"""apply_fixes keeps a pass only when ONNX Runtime agrees before and after."""

import numpy as np
import onnx_ir as ir
import onnx_ir.passes

from trtready.passes import FixPass, apply_fixes, feeds_for_model, stamp

MODEL = """
<ir_version: 8, opset_import: ["" : 18]>
agraph (float[N, 4] x) => (float[N, 4] y) <float[4] w = {1.0, 2.0, 3.0, 4.0}> {
    a = Identity(x)
    y = Mul(a, w)
}
"""


class DropIdentityPass(FixPass):
    """An exact rewrite: Identity(x) -> x."""

    name = "fix.test-drop-identity"

    def call(self, model):
        modified = False
        for node in list(model.graph):
            if node.op_type == "Identity":
                ir.convenience.replace_all_uses_with(node.outputs[0], node.inputs[0])
                model.graph.remove(node, safe=True)
                modified = True
        return onnx_ir.passes.PassResult(model, modified)


class ScaleWeightsPass(FixPass):
    """A wrong rewrite: it changes the numbers, so the runner must roll it back."""

    name = "fix.test-scale-weights"

    def call(self, model):
        w = model.graph.initializers["w"]
        w.const_value = ir.tensor(w.const_value.numpy() * 2)
        return onnx_ir.passes.PassResult(model, True)


class AddNodePass(FixPass):
    """An exact rewrite that creates a node (to check provenance)."""

    name = "fix.test-add-zero"

    def call(self, model):
        out = model.graph.outputs[0]
        node = out.producer()
        zero = ir.Value(name="zero", const_value=ir.tensor(np.zeros(4, np.float32)))
        model.graph.register_initializer(zero)
        new = stamp(ir.node("Add", [node.outputs[0], zero], name="add_zero"), self.name)
        new.outputs[0].name = "y2"
        model.graph.append(new)
        model.graph.outputs[0] = new.outputs[0]
        new.outputs[0].shape, new.outputs[0].dtype = out.shape, out.dtype
        return onnx_ir.passes.PassResult(model, True)


def _feeds(model):
    return {b: feeds_for_model(model, b) for b in (2, 3)}


def test_exact_pass_is_kept_and_wrong_pass_rolled_back():
    model = ir.from_onnx_text(MODEL)
    fixed, records = apply_fixes(model, [DropIdentityPass(), ScaleWeightsPass()], _feeds(model))
    by_name = {r.name: r for r in records}
    assert by_name["fix.test-drop-identity"].modified and not by_name["fix.test-drop-identity"].rolled_back
    assert by_name["fix.test-scale-weights"].rolled_back
    assert "changed" in by_name["fix.test-scale-weights"].message
    assert [n.op_type for n in fixed.graph] == ["Mul"]
    np.testing.assert_array_equal(fixed.graph.initializers["w"].const_value.numpy(), [1, 2, 3, 4])


def test_new_nodes_carry_the_pass_name():
    model = ir.from_onnx_text(MODEL)
    fixed, records = apply_fixes(model, [AddNodePass()], _feeds(model))
    assert not records[0].rolled_back
    added = [n for n in fixed.graph if n.op_type == "Add"]
    assert added and added[0].metadata_props["trtready.pass"] == "fix.test-add-zero"


def test_feeds_follow_graph_inputs():
    model = ir.from_onnx_text(MODEL)
    feeds = feeds_for_model(model, 3)
    assert feeds["x"].shape == (3, 4) and feeds["x"].dtype == np.float32


def test_no_fix_is_applied_when_the_model_cannot_run():
    text = """
<ir_version: 8, opset_import: ["" : 18, "trt.plugins" : 1]>
agraph (float[N, 4] x) => (float[N, 4] y) {
    a = Identity(x)
    y = trt.plugins.MyPlugin(a)
}
"""
    model = ir.from_onnx_text(text)
    fixed, records = apply_fixes(model, [DropIdentityPass()], _feeds(model))
    assert fixed is model
    assert [r.name for r in records] == ["fix"] and "cannot run" in records[0].message
