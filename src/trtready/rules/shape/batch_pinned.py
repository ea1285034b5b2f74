"""TRT207 shape.batch-pinned: a constant shape literal fixes the batch dim of a dynamic-batch model."""

from __future__ import annotations

import onnx_ir as ir

from ...catalog import references as refs
from ...graph.batch import shape_head
from ..base import Rule, Severity, describe, input_at

_HEADER = '<ir_version: 8, opset_import: ["" : 17]>'


class BatchPinned(Rule):
    """Reshape/Expand/Tile/ConstantOfShape with a constant dim 0 while the graph's batch dim is dynamic."""

    id = "TRT207"
    name = "shape.batch-pinned"
    severity = Severity.WARNING
    references = (refs.TORCHPIPE_ONNX, refs.TRT_DYNAMIC_SHAPES, refs.TORCH_ONNX_TORCHSCRIPT)
    why = (
        "When tracing, sizes read as Python ints (x.view(4, -1) after b = x.size(0) was turned into a "
        "number, torch.zeros(4, 16), cls.expand(4, -1, -1)) are baked into the graph as constants. The "
        "graph inputs keep a dynamic batch dim, but this node's output has a fixed dim 0, so the engine "
        "fails or computes garbage for any other batch size (TensorRT optimization profiles)."
    )
    fix = (
        "Keep sizes symbolic: x.reshape(x.shape[0], -1) or x.flatten(1), torch.zeros_like / "
        "x.new_zeros((x.shape[0], 16)), cls.expand(x.shape[0], -1, -1); with the TorchScript exporter "
        "avoid int(...) on sizes; with the dynamo exporter declare dynamic_shapes for the batch dim."
    )
    VALID = [
        f"""{_HEADER}
g (float[N,4,8] x) => (float[N,32] y) {{
  shape = Constant <value_ints = [0, 32]> ()
  y = Reshape(x, shape)
}}""",
        f"""{_HEADER}
g (float[N,16] x) => (float[N,16] y) {{
  shape = Shape(x)
  h = ConstantOfShape(shape)
  y = Add(x, h)
}}""",
    ]
    INVALID = [
        f"""{_HEADER}
g (float[N,4,8] x) => (float[2,64] y) {{
  shape = Constant <value_ints = [2, 64]> ()
  y = Reshape(x, shape)
}}""",
        f"""{_HEADER}
g (float[N,16] x) => (float[N,16] y) {{
  shape = Constant <value_ints = [2, 16]> ()
  h = ConstantOfShape(shape)
  y = Add(x, h)
}}""",
    ]

    ops = ("Reshape", "Expand", "Tile", "ConstantOfShape")

    def check(self, ctx):
        if not ctx.dynamic_batch:
            return
        yield from super().check(ctx)

    def check_node(self, ctx, path, node):
        dim0 = _constant_dim0(ctx, node)
        if dim0 is None or dim0 < 1:
            return
        data = input_at(node, 0) if node.op_type != "ConstantOfShape" else None
        if node.op_type == "Reshape" and data is not None and ctx.carries_batch(data):
            yield self.finding(f"{describe(node)} sets dim 0 to {dim0} but its input's dim 0 is dynamic", node, path)
        elif dim0 > 1 and _meets_dynamic_batch(ctx, node):
            yield self.finding(
                f"{describe(node)} output has a fixed dim 0 of {dim0} and is combined with a dynamic-batch tensor",
                node,
                path,
            )


def _constant_dim0(ctx, node: ir.Node) -> int | None:
    """Dim 0 of the node's output when a constant (leading piece of its shape input) fixes it."""
    index = 0 if node.op_type == "ConstantOfShape" else 1
    found = shape_head(input_at(node, index))
    if found is None:
        return None
    literal = found[0]
    if node.op_type == "Tile":
        shape = ctx.shape(input_at(node, 0))
        base = shape[0] if shape is not None and len(shape) else None
        return int(base) * int(literal[0]) if isinstance(base, int) else None
    return int(literal[0])


def _meets_dynamic_batch(ctx, node: ir.Node) -> bool:
    """Some consumer also takes a tensor (of the same rank, when known) whose dim 0 is dynamic."""
    output = node.outputs[0]
    rank = _rank(ctx, output)
    for usage in output.uses():
        for other in usage.node.inputs:
            if other is None or other is output or not ctx.carries_batch(other):
                continue
            if rank is None or _rank(ctx, other) in (None, rank):
                return True
    return False


def _rank(ctx, value: ir.Value) -> int | None:
    shape = ctx.shape(value)
    return None if shape is None else len(shape)
