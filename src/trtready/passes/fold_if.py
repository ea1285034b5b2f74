"""FoldIfPass: inline ``If`` nodes whose condition is known at build time.

The TorchScript exporter writes ``x.squeeze(d)`` as
``If(Equal(Gather(Shape(x), d), 1), then=Squeeze, else=Identity)`` when it cannot
see the size of dim ``d`` (NVIDIA's ONNX export guidance, "torch.Tensor.squeeze"). TensorRT refuses such an If at run time
(its branches differ in rank, TRT301) and it is needless control flow (TRT303).

The pass evaluates the condition partially (``graph.evaluate.Evaluator``: constants,
static dims from the declared shapes, ONNX shape inference with data
propagation and known Reshape targets). When it is decided, the taken branch's
nodes move into the enclosing graph before the If, its initializers become main
graph initializers, names are made unique, the If outputs are replaced by the
branch outputs (graph output names are kept) and the condition's now-dead
nodes are removed. Moved nodes are stamped.

An undecided If whose branches are cheap and total (at most four unary
elementwise ops such as Relu/Neg/Identity, which cannot fail) and whose outputs
come from the *same* outer value (so have the same shape at run time) becomes
``Where(cond, then, else)``: exact, since both sides are computed without error
and Where picks one. The squeeze pattern never qualifies (ranks differ).

Limits: If nodes inside subgraphs are not folded; a condition hidden behind ops
the evaluator does not know stays undecided; undecided squeeze-Ifs on a
dynamic dim stay (no exact branch-free form exists: the output rank differs).
"""

from __future__ import annotations

import onnx_ir as ir
import onnx_ir.passes

from ..graph.constants import STANDARD_DOMAINS
from ..graph.evaluate import Evaluator
from ._graph import names_in, remove_dead, replace_value, unique_name
from .base import FixPass, stamp

__all__ = ["UNFIXABLE_EXAMPLES", "FoldIfPass"]

#: Unary elementwise ops that keep the shape and never fail (candidates for the Where form).
_TOTAL_UNARY = frozenset({"Identity", "Relu", "Neg", "Abs", "Sigmoid", "Tanh", "Exp", "Sign", "Floor", "Ceil"})

_HEADER = '<ir_version: 8, opset_import: ["" : 17]>'

#: (rule id, index into the rule's INVALID list, why this pass cannot fix it)
UNFIXABLE_EXAMPLES: list[tuple[str, int, str]] = [
    ("TRT303", 0, "squeezes dim 1 of float[N,C]: C is dynamic, so the branch is chosen per input shape"),
    ("TRT301", 0, "squeezes dim 1 of float[N,C]: C is dynamic and the branches differ in rank"),
    ("TRT301", 1, "the condition depends on tensor values (ReduceSum of an input)"),
]


class FoldIfPass(FixPass):
    """Inline the taken branch of every If whose condition is decidable at build time."""

    name = "fix.fold-if"
    fixes = ("TRT303", "TRT301")
    description = "Inline If nodes whose condition is a constant or follows from static dims."
    EXAMPLES = [
        # x.reshape(n, c // 8, -1).squeeze(1) as TorchScript exports it: dim 1 is 8 // 8 = 1.
        f"""{_HEADER}
g (float[N,8,5] x) => (float[N,40] y) {{
  shape = Shape(x)
  i0 = Constant <value = int64 {{0}}> ()
  i1 = Constant <value = int64 {{1}}> ()
  n = Gather <axis = 0> (shape, i0)
  c = Gather <axis = 0> (shape, i1)
  eight = Constant <value = int64 {{8}}> ()
  g1 = Div(c, eight)
  zero = Constant <value_ints = [0]> ()
  nn = Unsqueeze(n, zero)
  gg = Unsqueeze(g1, zero)
  rest = Constant <value_ints = [-1]> ()
  target = Concat <axis = 0> (nn, gg, rest)
  r = Reshape(x, target)
  rshape = Shape(r)
  one = Constant <value_ints = [1]> ()
  dim = Gather <axis = 0> (rshape, one)
  cond = Equal(dim, one)
  y = If (cond) <
    then_branch = then_g () => (float[N,40] t) {{
      axes = Constant <value_ints = [1]> ()
      t = Squeeze(r, axes)
    }},
    else_branch = else_g () => (float[N,1,40] e) {{
      e = Identity(r)
    }}
  >
}}""",
        # An If on a dynamic dim whose branches are cheap and shape-preserving: becomes Where.
        f"""{_HEADER}
g (float[N,C] x) => (float[N,C] y) {{
  shape = Shape(x)
  one = Constant <value_ints = [1]> ()
  two = Constant <value_ints = [2]> ()
  dim = Slice(shape, one, two)
  cond = Equal(dim, one)
  y = If (cond) <
    then_branch = then_g () => (float[N,C] t) {{
      t = Relu(x)
    }},
    else_branch = else_g () => (float[N,C] e) {{
      e = Identity(x)
    }}
  >
}}""",
    ]

    def call(self, model: ir.Model) -> onnx_ir.passes.PassResult:
        graph = model.graph
        evaluator = Evaluator(model)
        modified = False
        for node in [n for n in graph if n.op_type == "If" and n.domain in STANDARD_DOMAINS]:
            cond = evaluator.constant(node.inputs[0])
            if cond is None or cond.size != 1:
                modified |= self._to_where(graph, node, evaluator.dims(node.inputs[0]))
                continue
            branch = node.attributes["then_branch" if bool(cond.reshape(())) else "else_branch"].value
            self._inline(graph, node, branch, names_in(graph, skip=node))
            modified = True
        return onnx_ir.passes.PassResult(model, modified)

    def _to_where(self, graph: ir.Graph, node: ir.Node, cond_dims: list | None) -> bool:
        branches = [node.attributes[b].value for b in ("then_branch", "else_branch")]
        if cond_dims is None or None in cond_dims or any(d != 1 for d in cond_dims):
            return False
        if any(len(b) > 4 or b.initializers or any(n.op_type not in _TOTAL_UNARY for n in b) for b in branches):
            return False
        for then_out, else_out, out in zip(*(b.outputs for b in branches), node.outputs):
            source = _source(then_out, branches[0])
            if source is None or source is not _source(else_out, branches[1]) or source.shape is None:
                return False
            if len(source.shape) < len(cond_dims):
                return False
        taken = names_in(graph, skip=node)
        for branch in branches:
            moved = list(branch)
            branch.remove(moved)
            for inner in moved:
                inner.name = unique_name(taken, inner.name or inner.op_type)
                for value in inner.outputs:
                    value.name = unique_name(taken, value.name or "v")
                stamp(inner, self.name)
            graph.insert_before(node, moved)
        pairs = list(zip(*(list(b.outputs) for b in branches)))
        for branch in branches:
            branch.outputs.clear()
        for (then_out, else_out), old in zip(pairs, node.outputs):
            where = stamp(ir.node("Where", [node.inputs[0], then_out, else_out], name=unique_name(taken, "Where")), self.name)
            where.outputs[0].name = unique_name(taken, f"{old.name}_where")
            where.outputs[0].type, where.outputs[0].shape = old.type, old.shape
            graph.insert_before(node, where)
            replace_value(graph, old, where.outputs[0], self.name)
        graph.remove(node, safe=True)
        return True

    def _inline(self, graph: ir.Graph, node: ir.Node, branch: ir.Graph, taken: set[str]) -> None:
        for name, init in list(branch.initializers.items()):
            branch.initializers.pop(name)
            init.name = unique_name(taken, name)
            graph.register_initializer(init)
        moved = list(branch)
        branch.remove(moved)
        for inner in moved:
            if inner.name:
                inner.name = unique_name(taken, inner.name)
            for out in inner.outputs:
                if out.name:
                    out.name = unique_name(taken, out.name)
            stamp(inner, self.name)
        graph.insert_before(node, moved)
        results = list(branch.outputs)
        branch.outputs.clear()
        cond = node.inputs[0]
        for old, new in zip(node.outputs, results):
            replace_value(graph, old, new, self.name)
        graph.remove(node, safe=True)
        remove_dead(graph, [cond])


def _source(value: ir.Value, branch: ir.Graph) -> ir.Value | None:
    """The outer-scope value a branch output is computed from through unary ops, or None."""
    while True:
        node = value.producer()
        if node is None or node.graph is not branch:
            return None if value in branch.inputs else value
        if len(node.inputs) != 1 or node.inputs[0] is None:
            return None
        value = node.inputs[0]
