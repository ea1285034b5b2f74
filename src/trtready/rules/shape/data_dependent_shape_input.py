"""TRT203 shape.data-dependent-shape-input: a shape input computed from tensor data, not shape arithmetic."""

from __future__ import annotations

from ...catalog import references as refs
from ...graph.slots import SHAPE_INPUTS
from ..analysis import Kind
from ..base import Rule, Severity, describe, input_at

_HEADER = '<ir_version: 8, opset_import: ["" : 17]>'


class DataDependentShapeInput(Rule):
    """Reshape/Expand shape, Slice starts/ends, Range limits, Tile repeats, Resize sizes... derived from tensor values."""

    id = "TRT203"
    name = "shape.data-dependent-shape-input"
    severity = Severity.WARNING
    references = (refs.ONNX_TRT_OPERATORS, refs.guidance("Shape Tensors and Execution Tensors", "shape-tensors-and-execution-tensors"),
                  refs.guidance("Miscelleneous", "miscelleneous"), refs.POLYGRAPHY)
    why = (
        "TensorRT computes these inputs as shape tensors on the host (Reshape/Expand `shape`, Slice "
        "`starts/ends/axes/steps`, Range, Tile `repeats`, Resize `sizes`/`scales`, ConstantOfShape; "
        "onnx-tensorrt ShapeTensor helper). Fed from data, they give a data-dependent shape ('unbounded "
        "DDS' in Polygraphy) that needs device-to-host syncs or fails to build (NVIDIA's ONNX export guidance for TensorRT, 'Shape Tensors and "
        "Execution Tensors' and 'Slice with dynamic dim')."
    )
    fix = (
        "Derive sizes from shapes, not values: torch.arange(mask.nonzero().shape[0]) instead of "
        "torch.arange(mask.sum()); tensorA[torch.arange(dim)] instead of tensorA[0:dim] with a computed dim; "
        "x.shape[0] instead of len(...) or .item(); or bound the shape with "
        "`polygraphy surgeon sanitize --set-unbounded-dds-upper-bound`."
    )
    VALID = [
        f"""{_HEADER}
g (float[N,4,8] x) => (float[N,32] y) {{
  shape = Shape <end = 1> (x)
  rest = Constant <value_ints = [32]> ()
  target = Concat <axis = 0> (shape, rest)
  y = Reshape(x, target)
}}""",
    ]
    INVALID = [
        f"""{_HEADER}
g (bool[N] mask) => (int64[M] y) {{
  as_int = Cast <to = 7> (mask)
  count = ReduceSum <keepdims = 0> (as_int)
  zero = Constant <value = int64 {{0}}> ()
  one = Constant <value = int64 {{1}}> ()
  y = Range(zero, count, one)
}}""",
        f"""{_HEADER}
g (float[N,8] x, int64[1] end) => (float[N,M] y) {{
  start = Constant <value_ints = [0]> ()
  axes = Constant <value_ints = [1]> ()
  y = Slice(x, start, end, axes)
}}""",
    ]

    def check(self, ctx):
        for path, node in ctx.nodes_of(*SHAPE_INPUTS):
            for slot in SHAPE_INPUTS[node.op_type]:
                value = input_at(node, slot.index)
                if value is not None and ctx.kind(value) == Kind.DATA:
                    yield self.finding(
                        f"{describe(node)} input `{slot.label}` is computed from tensor data; "
                        "TensorRT needs it as a shape tensor",
                        node,
                        path,
                    )
