"""ConstantAxesPass: make Squeeze/Unsqueeze/Reduce* ``axes`` inputs constants when they are foldable.

TensorRT reads these axes when it builds the engine: Reduce* ``axes`` must be
an initializer and Squeeze/Unsqueeze ``axes`` must resolve to constants
(TRT201/TRT202). Exporters sometimes compute them (``x.sum(dim=x.dim() - 1)``,
``Sub(Shape(x)[1:], 7)``). When the constant evaluator (``graph.evaluate``: constants,
static dims, ONNX shape inference) knows every element, the input is replaced
by a stamped ``Constant`` node and the computation left dead is removed.

Exact: the constant holds the very value the expression computes for every
input (it only depends on constants and static dims). Limits: axes that depend
on dynamic dims or data stay; an empty result is not folded (Squeeze with an
empty ``axes`` means something else than no ``axes``).
"""

from __future__ import annotations

import onnx_ir as ir
import onnx_ir.passes

from ..graph.constants import STANDARD_DOMAINS, constant_array
from ..graph.evaluate import Evaluator
from ._graph import insert_constant, names_in, remove_dead
from .base import FixPass

__all__ = ["AXES_OPS", "UNFIXABLE_EXAMPLES", "ConstantAxesPass"]

_HEADER = '<ir_version: 8, opset_import: ["" : 18]>'
AXES_OPS = frozenset(
    "Squeeze Unsqueeze ReduceL1 ReduceL2 ReduceLogSum ReduceLogSumExp ReduceMax ReduceMean ReduceMin "
    "ReduceProd ReduceSum ReduceSumSquare".split()
)

UNFIXABLE_EXAMPLES: list[tuple[str, int, str]] = [
    ("TRT201", 0, "ReduceSum axes is a graph input: only known at run time"),
    ("TRT201", 1, "Unsqueeze axes is an empty Slice: nothing to fold, and the model does not run as is"),
    ("TRT201", 2, "Dropout training_mode=true is not an axes input; changing it would change the model"),
]


class ConstantAxesPass(FixPass):
    """Replace computed Squeeze/Unsqueeze/Reduce* axes by constants when their value is known at build time."""

    name = "fix.constant-axes"
    fixes = ("TRT201", "TRT202")
    description = "Fold computed Squeeze/Unsqueeze/Reduce* axes inputs into Constant nodes."
    EXAMPLES = [
        f"""{_HEADER}
g (float[N,1,8] x) => (float[N,8] y) {{
  shape = Shape(x)
  last = Shape(shape)
  two = Constant <value_ints = [2]> ()
  axes = Sub(last, two)
  y = Squeeze(x, axes)
}}""",
    ]

    def call(self, model: ir.Model) -> onnx_ir.passes.PassResult:
        graph, evaluator = model.graph, Evaluator(model)
        taken, modified = names_in(graph), False
        for node in list(graph):
            if node.op_type not in AXES_OPS or node.domain not in STANDARD_DOMAINS or len(node.inputs) < 2:
                continue
            axes = node.inputs[1]
            if axes is None or constant_array(axes) is not None:
                continue
            array = evaluator.constant(axes)
            if array is None or array.size == 0:
                continue
            node.replace_input_with(1, insert_constant(graph, node, array, self.name, taken, f"{axes.name or 'axes'}_folded"))
            remove_dead(graph, [axes])
            modified = True
        return onnx_ir.passes.PassResult(model, modified)
