"""ReshapeAllowzeroPass: ``allowzero=1`` on Reshapes whose target shape holds real sizes.

With ``allowzero=0`` (the default) a 0 in Reshape's target copies the input dim.
When the target is computed from tensor shapes (``x.reshape(idx.shape[1:])``,
``idx.view(idx.size(0), -1)`` without the -1...) and a tensor can be empty, a
*real* 0 there is misread as "copy" (TRT206; NVIDIA's ONNX export guidance, "Support empty tensor
reshape in TensorRT", sets allowzero=1 on every Reshape, which is wrong where a literal 0
means "copy").

The pass sets ``allowzero=1`` only when every element of the target is a real
size, that is the target is built (through Concat, Gather, Slice, (Un)Squeeze,
Cast, Identity, Add, Mul) from:

* ``Shape``/``Size`` outputs (real dims), and
* constants whose entries are all > 0 (no 0 = copy, no -1 = infer),

with at least one measured size (an all-constant target is left as it is:
without 0s allowzero makes no difference there).

Exactness: whenever no input dim is 0, every target entry is > 0 and both
settings mean the same thing. When a dim is 0, the target holds a real 0 and
``allowzero=1`` gives the empty tensor PyTorch meant; ``allowzero=0`` would copy
a dim instead (the bug TRT206 warns about). Needs Reshape-14 (opset >= 14).
"""

from __future__ import annotations

import onnx_ir as ir
import onnx_ir.passes

from ._graph import all_graphs, constant_array
from .base import FixPass, stamp

__all__ = ["ReshapeAllowzeroPass", "UNFIXABLE_EXAMPLES"]

_HEADER = '<ir_version: 8, opset_import: ["" : 17]>'
_SIZE_PRESERVING = frozenset({"Concat", "Gather", "Slice", "Squeeze", "Unsqueeze", "Cast", "Identity", "Add", "Mul"})

UNFIXABLE_EXAMPLES: list[tuple[str, int, str]] = []


class ReshapeAllowzeroPass(FixPass):
    """Set allowzero=1 on Reshapes whose target is made only of real sizes."""

    name = "fix.reshape-allowzero"
    fixes = ("TRT206",)
    description = "Set allowzero=1 on Reshapes whose target shape is built from tensor shapes and positive constants."
    EXAMPLES = [
        f"""{_HEADER}
g (float[N] score) => (int64[M,1] y) {{
  idx = NonZero(score)
  n = Shape <start = 1> (idx)
  one = Constant <value_ints = [1]> ()
  target = Concat <axis = 0> (n, one)
  y = Reshape(idx, target)
}}""",
    ]

    def call(self, model: ir.Model) -> onnx_ir.passes.PassResult:
        opset = model.opset_imports.get("", model.opset_imports.get("ai.onnx", 0))
        modified = False
        if opset < 14:
            return onnx_ir.passes.PassResult(model, False)
        for graph in all_graphs(model.graph):
            for node in graph:
                if node.op_type != "Reshape" or node.domain not in ("", "ai.onnx") or len(node.inputs) < 2:
                    continue
                attr = node.attributes.get("allowzero")
                if attr is not None and attr.value:
                    continue
                if _real_sizes(node.inputs[1]):
                    node.attributes["allowzero"] = ir.AttrInt64("allowzero", 1)
                    stamp(node, self.name)
                    modified = True
        return onnx_ir.passes.PassResult(model, modified)


def _real_sizes(value: ir.Value | None, budget: int = 64) -> bool:
    """Every element of ``value`` is a dim size or a positive constant (see module doc)."""
    stack, seen, measured = [value], set(), False
    while stack:
        current = stack.pop()
        if current is None:
            return False
        if current in seen:
            continue
        seen.add(current)
        budget -= 1
        array = constant_array(current)
        if array is not None:
            if not (array > 0).all():
                return False
            continue
        node = current.producer()
        if budget < 0 or node is None or node.domain not in ("", "ai.onnx"):
            return False
        if node.op_type in ("Shape", "Size"):
            measured = True
            continue
        if node.op_type not in _SIZE_PRESERVING:
            return False
        data = node.inputs[:1] if node.op_type in ("Gather", "Slice", "Squeeze", "Unsqueeze") else node.inputs
        stack.extend(data)
    return measured  # a purely constant target: allowzero makes no difference, leave it
