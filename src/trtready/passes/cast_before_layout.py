"""CastBeforeLayoutPass: cast a UINT8 input to float before moving it around, not after.

A camera frame comes in as ``uint8[N, H, W, 3]`` and the model does
``frame.permute(0, 3, 1, 2).float() / 255``: the export transposes (or
reshapes, slices...) the UINT8 tensor and casts afterwards, so a UINT8 tensor
lives inside the network, which TensorRT refuses (TRT404: UINT8 only at network
inputs and outputs). Layout ops move elements without changing them, so they
commute with an element-wise Cast: ``Cast(Transpose(x)) == Transpose(Cast(x))``
on every input. The pass moves each Cast from UINT8 above the chain of
single-use layout ops that feeds it, up to the UINT8 source.
"""

from __future__ import annotations

import onnx_ir as ir
import onnx_ir.passes

from ._graph import all_graphs
from .base import FixPass, stamp

__all__ = ["CastBeforeLayoutPass", "UNFIXABLE_EXAMPLES"]

_HEADER = '<ir_version: 8, opset_import: ["" : 17]>'
LAYOUT_OPS = {"Transpose", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Slice", "Identity", "Expand", "Tile"}

UNFIXABLE_EXAMPLES: list[tuple[str, int, str]] = [
    ("TRT404", 0, "a UINT8 QuantizeLinear: asymmetric quantization, no cast to move; quantize with signed INT8"),
]


class CastBeforeLayoutPass(FixPass):
    """Move a Cast from UINT8 above the layout ops between it and the UINT8 source."""

    name = "fix.cast-before-layout"
    fixes = ("TRT404",)
    description = "Cast UINT8 to float before Transpose/Reshape/Slice... instead of after (exact: they move elements only)."
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

    def call(self, model: ir.Model) -> onnx_ir.passes.PassResult:
        from ..rules.dtype.typed_input import value_dtype  # the checker's own dtype reading (lazy: no cycle)

        modified = False
        for graph in all_graphs(model.graph):
            for cast in [n for n in graph if n.op_type == "Cast" and n.domain in ("", "ai.onnx")]:
                chain = _layout_chain(cast.inputs[0], value_dtype)
                if chain:
                    _hoist(graph, cast, chain, self.name)
                    modified = True
        return onnx_ir.passes.PassResult(model, modified)


def _layout_chain(value: ir.Value | None, dtype_of) -> list[ir.Node]:
    """The single-use layout nodes from a UINT8 source down to ``value`` (top first), or []."""
    chain: list[ir.Node] = []
    while value is not None and dtype_of(value) == ir.DataType.UINT8:
        node = value.producer()
        if node is None or node.op_type not in LAYOUT_OPS or len(value.uses()) != 1 or value.is_graph_output():
            break
        chain.insert(0, node)
        value = node.inputs[0]
    return chain if chain and value is not None and dtype_of(value) == ir.DataType.UINT8 else []


def _hoist(graph: ir.Graph, cast: ir.Node, chain: list[ir.Node], pass_name: str) -> None:
    """``Cast(L_k(...L_1(x)))`` -> ``L_k(...L_1(Cast(x)))``; the old Cast's users read the last layout op."""
    source, to = chain[0].inputs[0], cast.attributes["to"].value
    early = stamp(ir.node("Cast", [source], {"to": to}, name=f"{cast.name or 'cast'}_early"), pass_name)
    early.outputs[0].name = f"{source.name}_as_{ir.DataType(to).name.lower()}"
    early.outputs[0].dtype, early.outputs[0].shape = ir.DataType(to), source.shape
    graph.insert_before(chain[0], early)
    chain[0].replace_input_with(0, early.outputs[0])
    for node in chain:
        if node.outputs[0].dtype is not None:  # a declared UINT8 type would now be wrong
            node.outputs[0].dtype = ir.DataType(to)
        stamp(node, pass_name)
    last, old = chain[-1].outputs[0], cast.outputs[0]
    name, is_output = old.name, old.is_graph_output()
    last.dtype, last.shape = old.dtype or last.dtype, old.shape or last.shape  # it now holds what the Cast made
    old.replace_all_uses_with(last, replace_graph_outputs=True)
    graph.remove(cast, safe=True)
    if is_output:  # the graph output keeps its name
        last.name = name
