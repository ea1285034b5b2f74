"""CastBeforeLayoutPass: cast a UINT8 input to float before moving it around, not after.

A camera frame comes in as ``uint8[N, H, W, 3]`` and the model does
``frame.permute(0, 3, 1, 2).float() / 255``: the export transposes (or
reshapes, slices...) the UINT8 tensor and casts afterwards, so a UINT8 tensor
lives inside the network, which TensorRT refuses (TRT404: UINT8 only at network
inputs and outputs). Layout ops move elements without changing them, so they
commute with an element-wise Cast: ``Cast(Transpose(x)) == Transpose(Cast(x))``
on every input. The pass moves each Cast from UINT8 above the chain of
single-use layout ops that feeds it, up to the UINT8 source.

Written as onnxscript rewrite rules (``passes.rewriting``), one per layout op:
``Cast(L(x, ...))`` becomes ``L(Cast(x), ...)``, one step up the chain per sweep. The check says
why a Cast stays where it is (the UINT8 tensor is read by other nodes too, or is a graph output),
and a TRT404 finding left at that layout op says so.
"""

from __future__ import annotations

import onnx_ir as ir

from ..graph.attributes import int_attr
from ..graph.dtypes import value_dtype
from .rewriting import PatternRule, RewritePass, accept, nothing_to_do, refuse, rewrite_rule

__all__ = ["LAYOUT_OPS", "UNFIXABLE_EXAMPLES", "CastBeforeLayoutPass"]

_HEADER = '<ir_version: 8, opset_import: ["" : 17]>'
LAYOUT_OPS = ("Transpose", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Slice", "Identity", "Expand", "Tile")

UNFIXABLE_EXAMPLES: list[tuple[str, int, str]] = [
    ("TRT404", 0, "a UINT8 QuantizeLinear: asymmetric quantization, no cast to move; quantize with signed INT8"),
]


class CastBeforeLayoutPass(RewritePass):
    """Move a Cast from UINT8 above the layout ops between it and the UINT8 source."""

    name = "fix.cast-before-layout"
    fixes = ("TRT404",)
    description = (
        "Cast UINT8 to float before Transpose/Reshape/Slice... instead of after (exact: they move elements only)."
    )
    EXAMPLES = [
        f"""{_HEADER}
g (uint8[N,8,8,3] frame) => (float[N,3,8,8] y) {{
  chw = Transpose <perm = [0, 3, 1, 2]> (frame)
  y = Cast <to = 1> (chw)
}}""",
        f"""{_HEADER}
g (uint8[N,8,8,3] frame) => (float[N,3,4,8] y) {{
  chw = Transpose <perm = [0, 3, 1, 2]> (frame)
  starts = Constant <value_ints = [0]> ()
  ends = Constant <value_ints = [4]> ()
  axes = Constant <value_ints = [2]> ()
  top = Slice(chw, starts, ends, axes)
  y = Cast <to = 1> (top)
}}""",
    ]

    def rules(self, model: ir.Model) -> list[PatternRule]:
        return [
            PatternRule("Cast", rewrite_rule(_pattern(op_type), _check, _hoist, name=self.name, remove_nodes=False))
            for op_type in LAYOUT_OPS
        ]


def _pattern(layout: str):
    def pattern(op, source):
        moved = getattr(op, layout)(source, _allow_other_inputs=True, _outputs=["moved"])
        return op.Cast(moved, _outputs=["cast"])

    return pattern


def _check(context, source: ir.Value, moved: ir.Value, **_):
    if value_dtype(moved) != ir.DataType.UINT8 or value_dtype(source) != ir.DataType.UINT8:
        return nothing_to_do()
    layout = moved.producer().op_type
    if moved.is_graph_output():
        return refuse(f"the UINT8 tensor '{moved.name}' is a graph output, so it stays UINT8 after {layout}")
    readers = len(moved.uses())
    if readers != 1:
        return refuse(
            f"the UINT8 tensor '{moved.name}' that {layout} makes is read by {readers} nodes: "
            "casting before the layout op would change what the others read"
        )
    return accept()


def _hoist(op, source: ir.Value, moved: ir.Value, cast: ir.Value, **_):
    """``Cast(L(x, ...))`` -> ``L(Cast(x), ...)``: the layout op now moves the cast values."""
    layout, late = moved.producer(), cast.producer()
    to = ir.DataType(int_attr(late, "to", ir.DataType.FLOAT))
    name = late.name or "cast"
    early = op.Cast(
        source, **dict(late.attributes), _name=name if name.endswith("_early") else f"{name}_early",
        _outputs=[f"{source.name}_as_{to.name.lower()}"],
    )  # fmt: skip
    early.dtype, early.shape = to, source.shape
    return op.op(layout.op_type, early, *layout.inputs[1:], _name=layout.name, **dict(layout.attributes))
