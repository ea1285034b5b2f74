"""CastNonZeroInputPass: ``NonZero(bool or integer)`` becomes ``NonZero(Cast<to=FLOAT>(...))``.

TensorRT's NonZero takes FP32/FP16, not BOOL (TRT403) nor INT64 (TRT402), yet
every ``x[mask]`` / ``torch.nonzero(x > t)`` exports NonZero on a bool mask, and
``long_index.nonzero()`` (NVIDIA's bool-to-long index recipe) on INT64. NonZero
returns the indices of the non-zero elements; a bool or an integer cast to FP32
is non-zero exactly where it was (no integer rounds to 0.0), so the rewrite is
exact on every input. DOUBLE is left alone: a tiny double can underflow to 0.0.

Other ops that TRT403 reports on BOOL data (arithmetic, comparisons,
reductions) change meaning or dtype when cast, so they stay findings with the
PyTorch-side fix (cast the mask there).
"""

from __future__ import annotations

import onnx_ir as ir
import onnx_ir.passes

from ..ir import fill_inferred_types
from ._graph import all_graphs
from .base import FixPass, stamp

__all__ = ["CastNonZeroInputPass", "UNFIXABLE_EXAMPLES"]

_EXACT_AS_FLOAT = {  # non-zero exactly where the original was
    ir.DataType.BOOL, ir.DataType.INT64, ir.DataType.INT32, ir.DataType.INT16, ir.DataType.INT8,
    ir.DataType.UINT64, ir.DataType.UINT32, ir.DataType.UINT16, ir.DataType.UINT8,
}  # fmt: skip

_HEADER = '<ir_version: 8, opset_import: ["" : 17]>'

# TRT403's and TRT402's INVALID examples are not NonZero, so not this pass's.
UNFIXABLE_EXAMPLES: list[tuple[str, int, str]] = [
    ("TRT403", 0, "ReduceMax over a bool mask: casting changes the output dtype; cast in PyTorch"),
    ("TRT403", 1, "Equal on bools: casting both sides is exact but belongs in PyTorch (a.int() == b.int())"),
    ("TRT402", 0, "MatMul on INT64: not NonZero; fix.int64-to-int32 narrows it when the values are known to fit"),
]


class CastNonZeroInputPass(FixPass):
    """Cast NonZero's bool or integer input to FP32, which TensorRT's NonZero accepts."""

    name = "fix.cast-nonzero-input"
    fixes = ("TRT403", "TRT402")
    description = "Cast the BOOL or integer input of NonZero to FP32 (exact: non-zero exactly where it was)."
    EXAMPLES = [
        f"""{_HEADER}
g (float[N,4] x) => (int64[2,M] idx) {{
  zero = Constant <value = float {{0.0}}> ()
  mask = Greater(x, zero)
  idx = NonZero(mask)
}}""",
        f"""{_HEADER}
g (int64[N] alive) => (int64[1,M] idx) {{
  idx = NonZero(alive)
}}""",
    ]

    def call(self, model: ir.Model) -> onnx_ir.passes.PassResult:
        from ..rules.dtype.typed_input import value_dtype  # the checker's own dtype reading (lazy: no cycle)

        fill_inferred_types(model)  # as the checker sees them: a TorchScript export declares no dtypes in an If
        modified = False
        for graph in all_graphs(model.graph):
            for node in list(graph):
                source = node.inputs[0] if node.op_type == "NonZero" and node.domain in ("", "ai.onnx") else None
                if source is None or value_dtype(source) not in _EXACT_AS_FLOAT:
                    continue
                cast = stamp(ir.node("Cast", [source], {"to": ir.DataType.FLOAT}, name=f"{node.name}_cast"), self.name)
                cast.outputs[0].name = f"{source.name}_as_float"
                cast.outputs[0].dtype, cast.outputs[0].shape = ir.DataType.FLOAT, source.shape
                graph.insert_before(node, cast)
                node.replace_input_with(0, cast.outputs[0])
                modified = True
        return onnx_ir.passes.PassResult(model, modified)
