"""CastBoolNonZeroPass: ``NonZero(bool)`` becomes ``NonZero(Cast<to=INT32>(bool))``.

TensorRT's NonZero takes FP32/FP16 (and INT32 from 10.x), not BOOL (TRT403),
yet every ``x[mask]`` / ``torch.nonzero(x > t)`` exports NonZero on a bool
mask. NonZero returns the indices of the non-zero elements; a bool cast to a
number is non-zero exactly where it was true, so the rewrite is exact on every
input. The cast target is FP32 when the release lists no INT32 for NonZero.

Other ops that TRT403 reports on BOOL data (arithmetic, comparisons,
reductions) change meaning or dtype when cast, so they stay findings with the
PyTorch-side fix (cast the mask there).
"""

from __future__ import annotations

import onnx_ir as ir
import onnx_ir.passes

from ._graph import all_graphs
from .base import FixPass, stamp

__all__ = ["CastBoolNonZeroPass", "UNFIXABLE_EXAMPLES"]

_HEADER = '<ir_version: 8, opset_import: ["" : 17]>'

# TRT403's INVALID examples are ReduceMax and Equal on BOOL: not NonZero, so not this pass's.
UNFIXABLE_EXAMPLES: list[tuple[str, int, str]] = [
    ("TRT403", 0, "ReduceMax over a bool mask: casting changes the output dtype; cast in PyTorch"),
    ("TRT403", 1, "Equal on bools: casting both sides is exact but belongs in PyTorch (a.int() == b.int())"),
]


class CastBoolNonZeroPass(FixPass):
    """Cast NonZero's bool input to a number TensorRT's NonZero accepts."""

    name = "fix.cast-bool-nonzero"
    fixes = ("TRT403",)
    description = "Cast the BOOL input of NonZero to FP32 (exact: non-zero exactly where true)."
    EXAMPLES = [
        f"""{_HEADER}
g (float[N,4] x) => (int64[2,M] idx) {{
  zero = Constant <value = float {{0.0}}> ()
  mask = Greater(x, zero)
  idx = NonZero(mask)
}}""",
    ]

    def call(self, model: ir.Model) -> onnx_ir.passes.PassResult:
        from ..rules.dtype.typed_input import value_dtype  # the checker's own dtype reading (lazy: no cycle)

        modified = False
        for graph in all_graphs(model.graph):
            for node in list(graph):
                source = node.inputs[0] if node.op_type == "NonZero" and node.domain in ("", "ai.onnx") else None
                if source is None or value_dtype(source) != ir.DataType.BOOL:
                    continue
                cast = stamp(ir.node("Cast", [source], {"to": ir.DataType.FLOAT}, name=f"{node.name}_cast"), self.name)
                cast.outputs[0].name = f"{source.name}_as_float"
                cast.outputs[0].dtype, cast.outputs[0].shape = ir.DataType.FLOAT, source.shape
                graph.insert_before(node, cast)
                node.replace_input_with(0, cast.outputs[0])
                modified = True
        return onnx_ir.passes.PassResult(model, modified)
