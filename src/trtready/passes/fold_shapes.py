"""FoldShapeArithmeticPass: fold Shape -> Gather/Slice -> arithmetic on static dims into constants.

The TorchScript exporter computes sizes from ``x.size(d)`` even where ``d`` is
static, e.g. ``Reshape(x, Concat(Shape(x)[0], Shape(x)[1] // 8, -1))``. For
every input TensorRT needs at build time (Reduce*/Squeeze/Unsqueeze axes,
CumSum axis, OneHot depth, STFT inputs: TRT202) or treats as a shape tensor
(Reshape/Expand shape, Slice starts/ends/axes/steps, Tile repeats, Range,
Resize sizes/scales, ConstantOfShape, Split, Pad, TopK K), the pass replaces
the value by a stamped ``Constant`` when the partial evaluator knows all of
it, and otherwise folds the fully known pieces it is assembled from (through
Concat, (Un)Squeeze, Cast, Identity, Reshape): the middle ``Shape(x)[1] // 8``
above becomes ``[1]`` while the dynamic batch piece stays. Dead nodes left
behind are removed.

Exact: a folded value only depends on constants and static dims. Limits: data
-dependent shape inputs (TRT203) cannot be folded (their values need the data)
and so are not claimed; pieces that mix dynamic dims with arithmetic stay as
they are.
"""

from __future__ import annotations

import onnx_ir as ir
import onnx_ir.passes

from ..graph.constants import STANDARD_DOMAINS, constant_array
from ..graph.evaluate import Evaluator
from ..graph.slots import BUILD_TIME_INPUTS, SHAPE_INPUTS
from ._graph import insert_constant, names_in, remove_dead
from .base import FixPass

__all__ = ["UNFIXABLE_EXAMPLES", "FoldShapeArithmeticPass"]

_HEADER = '<ir_version: 8, opset_import: ["" : 18]>'
UNFIXABLE_EXAMPLES: list[tuple[str, int, str]] = []


class FoldShapeArithmeticPass(FixPass):
    """Fold shape arithmetic over static dims that feeds build-time and shape-tensor inputs."""

    name = "fix.fold-shape-arithmetic"
    fixes = ("TRT202",)
    description = "Replace shape arithmetic on static dims (feeding shape and build-time inputs) with constants."
    EXAMPLES = [
        f"""{_HEADER}
g (float[N,8,5] x) => (float[N,40] y) {{
  shape = Shape(x)
  i0 = Constant <value = int64 {{0}}> ()
  i1 = Constant <value = int64 {{1}}> ()
  n = Gather <axis = 0> (shape, i0)
  c = Gather <axis = 0> (shape, i1)
  eight = Constant <value = int64 {{8}}> ()
  groups = Div(c, eight)
  zero = Constant <value_ints = [0]> ()
  nn = Unsqueeze(n, zero)
  gg = Unsqueeze(groups, zero)
  rest = Constant <value_ints = [-1]> ()
  target = Concat <axis = 0> (nn, gg, rest)
  r = Reshape(x, target)
  s = ReduceSum <keepdims = 0> (r, gg)
  y = Identity(s)
}}""",
    ]

    def call(self, model: ir.Model) -> onnx_ir.passes.PassResult:
        graph, evaluator = model.graph, Evaluator(model)
        taken, modified = names_in(graph), False
        slots = {op: tuple(s.index for s in (*BUILD_TIME_INPUTS.get(op, ()), *SHAPE_INPUTS.get(op, ())))
                 for op in {*BUILD_TIME_INPUTS, *SHAPE_INPUTS}}  # fmt: skip
        for node in list(graph):
            if node.domain not in STANDARD_DOMAINS or node.op_type not in slots:
                continue
            for index in slots[node.op_type]:
                if index >= len(node.inputs) or node.inputs[index] is None:
                    continue

                def fold(value, array):
                    folded = insert_constant(graph, value.producer(), array, self.name, taken, f"{value.name or 'shape'}_folded")
                    value.replace_all_uses_with(folded)
                    remove_dead(graph, [value])

                modified |= fold_operands(graph, evaluator, node.inputs[index], fold)
        return onnx_ir.passes.PassResult(model, modified)


#: Ops through which ``fold_operands`` looks for foldable pieces of a partly dynamic shape.
_ASSEMBLY_OPS = frozenset({"Concat", "Unsqueeze", "Squeeze", "Cast", "Identity", "Reshape"})


def fold_operands(graph: ir.Graph, evaluator: Evaluator, value: ir.Value, fold) -> bool:
    """Fold ``value`` (``fold(value, array)``) when fully known, else the known pieces it is assembled from."""
    stack, seen, changed = [value], set(), False
    while stack:
        current = stack.pop()
        if current is None or current in seen or constant_array(current) is not None:
            continue
        seen.add(current)
        array = evaluator.constant(current)
        node = current.producer()
        if array is not None and node is not None and node.graph is graph and not current.is_graph_output():
            fold(current, array)
            changed = True
        elif node is not None and node.graph is graph and node.op_type in _ASSEMBLY_OPS:
            stack.extend(node.inputs[:1] if node.op_type != "Concat" else node.inputs)
    return changed
