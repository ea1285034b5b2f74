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

Written as an onnxscript rewrite rule (``passes.rewriting``): the pattern is one Reshape, the
check says why it leaves one alone (a literal 0 or -1 in the target, an op other than those
above computing it, an opset below 14), which a TRT206 finding left there then says.
"""

from __future__ import annotations

import onnx_ir as ir

from ..graph.attributes import int_attr
from ..graph.constants import STANDARD_DOMAINS, constant_array
from .rewriting import PatternRule, RewritePass, accept, nothing_to_do, refuse, rewrite_rule

__all__ = ["UNFIXABLE_EXAMPLES", "ReshapeAllowzeroPass"]

_HEADER = '<ir_version: 8, opset_import: ["" : 17]>'
_SIZE_PRESERVING = frozenset({"Concat", "Gather", "Slice", "Squeeze", "Unsqueeze", "Cast", "Identity", "Add", "Mul"})
_BUDGET = 64  # values looked at, at most, behind one target

UNFIXABLE_EXAMPLES: list[tuple[str, int, str]] = []


class ReshapeAllowzeroPass(RewritePass):
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

    def rules(self, model: ir.Model) -> list[PatternRule]:
        opset = model.opset_imports.get("", model.opset_imports.get("ai.onnx", 0))

        def check(context, data: ir.Value, shape: ir.Value, **_):
            if int_attr(context.root, "allowzero", 0):
                return nothing_to_do()
            if opset < 14:
                return refuse(f"allowzero needs opset 14 or later (Reshape-14); the model imports opset {opset}")
            problem = _not_real_sizes(shape)
            return refuse(problem) if problem else accept()

        return [PatternRule("Reshape", rewrite_rule(_pattern, check, _with_allowzero, name=self.name))]


def _pattern(op, data, shape):
    return op.Reshape(data, shape, _outputs=["reshaped"])


def _with_allowzero(op, data: ir.Value, shape: ir.Value, reshaped: ir.Value, **_):
    return op.Reshape(data, shape, allowzero=1, _name=reshaped.producer().name)


def _not_real_sizes(value: ir.Value | None) -> str | None:
    """Why some element of the target ``value`` may not be a real size (see the module doc), or None."""
    stack, seen, measured, budget = [value], set(), False, _BUDGET
    while stack:
        current = stack.pop()
        if current is None:
            return "its target shape is computed from an omitted input"
        if current in seen:
            continue
        seen.add(current)
        budget -= 1
        array = constant_array(current)
        if array is not None:
            if not (array > 0).all():
                return "its target shape holds a literal 0 or -1 (copy or infer a dim), which allowzero=1 would change"
            continue
        node = current.producer()
        if budget < 0:
            return f"its target shape is computed by more than {_BUDGET} values"
        if node is None:
            return f"its target shape '{current.name}' is a graph input: its entries may be 0 (copy) or -1"
        if node.domain not in STANDARD_DOMAINS or node.op_type not in _SIZE_PRESERVING | {"Shape", "Size"}:
            return f"its target shape is computed by {node.op_type}, not only from tensor shapes and positive constants"
        if node.op_type in ("Shape", "Size"):
            measured = True
            continue
        data = node.inputs[:1] if node.op_type in ("Gather", "Slice", "Squeeze", "Unsqueeze") else node.inputs
        stack.extend(data)
    return None if measured else "its target shape is all constants: allowzero makes no difference there"
