"""UnpinBatchPass: replace batch sizes baked into shape literals by the dynamic batch.

Tracing turns ``x.view(int(x.size(0)), -1)``, ``torch.zeros(b, 16)`` or
``cls.expand(b, -1, -1)`` into constants holding the export batch (TRT207): the
graph inputs keep a symbolic batch dim, but the engine only works at the
export batch. For each Reshape / Expand / Tile / ConstantOfShape whose shape
input starts with the export batch — a constant, or (:func:`~trtready.graph.batch.shape_head`) a
``Concat`` whose first piece is one, as the TorchScript exporter writes
``x.view(int(b), c)`` when ``c`` comes from ``x.shape`` — that first entry is
rewritten:

Whether a tensor's dim 0 is the batch is ``check``'s own answer (the graph layer's batch
provenance, :func:`trtready.graph.batch.batch_analysis`, after shape inference): it follows where the dim
comes from, so a ``Reshape(sx, [1, -1])`` of an anchor grid's ``arange`` over the feature-map
width is left alone.

* Reshape of a tensor whose dim 0 is the batch: the literal becomes 0 ("copy
  dim 0", allowzero=0) or, with allowzero=1, -1 when the target has no other -1;
* Expand of a tensor whose dim 0 is the batch: the literal becomes 1 (broadcast);
* Expand or Tile of a tensor whose dim 0 is 1, and ConstantOfShape, whose output
  meets a dynamic-batch tensor: the shape becomes
  ``Concat(Gather(Shape(batch_input), [0]), rest)``, where ``batch_input`` is the
  first graph input with a symbolic dim 0.

The export batch is the constructor's ``export_batch``; when None it is the
most common such literal among the candidates. A Reshape whose static sizes
show that the literal is not its input's dim 0 (``[N,4,8] -> [2,64]`` merges two
samples) is never touched. New nodes are stamped; declared
shapes downstream whose dim 0 held the export batch get the batch symbol. Exact at the export batch (the literal equals the batch there); at
other batches the model now computes what the PyTorch code meant, which is why
``changes_other_batches`` is True.
"""

from __future__ import annotations

from collections import Counter
from typing import NamedTuple

import numpy as np
import onnx_ir as ir
import onnx_ir.passes

from ..graph.attributes import int_attr
from ..graph.batch import batch_analysis, shape_head
from ..graph.constants import STANDARD_DOMAINS
from ..graph.evaluate import Evaluator
from ._graph import insert_constant, names_in, unique_name
from .base import FixPass, stamp

__all__ = ["UNFIXABLE_EXAMPLES", "UnpinBatchPass"]

_HEADER = '<ir_version: 8, opset_import: ["" : 17]>'
UNFIXABLE_EXAMPLES: list[tuple[str, int, str]] = [
    ("TRT207", 0, "Reshape of float[N,4,8] to [2,64]: 128 elements means N = 4 there, so the 2 is not the "
     "batch (it merges two samples) and 0 would break the one batch where the model runs"),
]


class UnpinBatchPass(FixPass):
    """Make constant shapes follow the dynamic batch dim instead of the export batch."""

    name = "fix.unpin-batch"
    fixes = ("TRT207",)
    description = "Replace the export batch in Reshape/Expand/Tile/ConstantOfShape shape literals by the dynamic batch."
    changes_other_batches = True
    EXAMPLES = [
        f"""{_HEADER}
g (float[N,4,8] x, float[1,1,8] cls) => (float[N,5,8] y) {{
  shape = Constant <value_ints = [2, 1, 8]> ()
  tokens = Expand(cls, shape)
  y = Concat <axis = 1> (tokens, x)
}}""",
        f"""{_HEADER}
g (float[N,16] x) => (float[N,16] y) {{
  shape = Constant <value_ints = [2, 16]> ()
  b = Expand(x, shape)
  y = Relu(b)
}}""",
        # torchpipe's SE block: view(int(b), c) with c from x.shape (a Concat whose first piece is the
        # constant), then a Linear (Gemm) and view(int(x.size(0)), -1, 1).
        f"""{_HEADER}
g (float[N,4,3] x) => (float[N,4,1] y) <float[4,4] w = {{1., 0., 2., 0., 0., 1., 0., 3., 1., 1., 0., 0., 0., 2., 0., 1.}}> {{
  m = ReduceMean <axes = [2], keepdims = 0> (x)
  dims = Shape(m)
  one = Constant <value_int = 1> ()
  c = Gather <axis = 0> (dims, one)
  zero = Constant <value_ints = [0]> ()
  c1 = Unsqueeze(c, zero)
  b = Constant <value_ints = [2]> ()
  target = Concat <axis = 0> (b, c1)
  r = Reshape(m, target)
  h = Gemm <transB = 1> (r, w)
  t = Constant <value_ints = [2, -1, 1]> ()
  y = Reshape(h, t)
}}""",
    ]

    def __init__(self, export_batch: int | None = None) -> None:
        super().__init__()
        self.export_batch = export_batch

    def call(self, model: ir.Model) -> onnx_ir.passes.PassResult:
        graph = model.graph
        sources = [v for v in graph.inputs if v.shape is not None and len(v.shape) and not isinstance(v.shape[0], int)]
        if not sources:
            return onnx_ir.passes.PassResult(model, False)
        carries, dims = batch_analysis(model), Evaluator(model, infer=False).dims
        found = (_candidate(node, carries, dims) for node in graph)
        candidates = [c for c in found if c is not None and _consistent(c, dims)]
        batch = self.export_batch or _vote(candidates)
        taken, first = names_in(graph), None
        changed = []
        for candidate in candidates:
            if batch is None or candidate.head[0] != batch:
                continue
            if candidate.action == "build":
                first = first or self._batch_dim(graph, sources[0], taken)
            node = candidate.node
            node.replace_input_with(_shape_index(node), self._new_shape(graph, candidate, first, taken))
            stamp(node, self.name)
            changed.append(node)
        _update_shapes(changed, batch, sources[0].shape[0])
        return onnx_ir.passes.PassResult(model, bool(changed))

    def _new_shape(self, graph: ir.Graph, candidate: _Candidate, first: ir.Value | None, taken: set[str]) -> ir.Value:
        """The shape input with its first entry rewritten; the pieces after the constant head are kept."""
        node, head = candidate.node, candidate.head
        if candidate.action == "build":
            pieces = [first]
            if head.size > 1:
                pieces.append(insert_constant(graph, node, head[1:], self.name, taken, f"{node.name or 'shape'}_rest"))
        else:
            new = head.copy()
            new[0] = candidate.action
            pieces = [insert_constant(graph, node, new, self.name, taken, "unpinned_shape")]
        pieces += candidate.rest
        if len(pieces) == 1:
            return pieces[0]
        concat = stamp(ir.node("Concat", pieces, {"axis": 0}, name=unique_name(taken, "unpin_concat")), self.name)
        concat.outputs[0].name = concat.name
        graph.insert_before(node, concat)
        return concat.outputs[0]

    def _batch_dim(self, graph: ir.Graph, source: ir.Value, taken: set[str]) -> ir.Value:
        shape = stamp(ir.node("Shape", [source], name=unique_name(taken, "batch_shape")), self.name)
        shape.outputs[0].name = shape.name
        graph.insert_before(graph.node(0), shape)
        index = insert_constant(graph, graph.node(0), np.array([0], dtype=np.int64), self.name, taken, "batch_index")
        graph.insert_after(shape, gather := ir.node("Gather", [shape.outputs[0], index], {"axis": 0}))
        gather.name = gather.outputs[0].name = unique_name(taken, "batch_dim")
        return stamp(gather, self.name).outputs[0]


class _Candidate(NamedTuple):
    node: ir.Node
    head: np.ndarray  # the constant leading entries of the shape input (INT64, 1-D)
    rest: list[ir.Value]  # the computed pieces after them (empty when the whole shape is constant)
    action: object  # the new first entry, or "build" for a Shape-based one


def _shape_index(node: ir.Node) -> int:
    return 0 if node.op_type == "ConstantOfShape" else 1


def _candidate(node: ir.Node, carries, dims) -> _Candidate | None:
    if node.domain not in STANDARD_DOMAINS or node.op_type not in ("Reshape", "Expand", "Tile", "ConstantOfShape"):
        return None
    index = _shape_index(node)
    found = shape_head(node.inputs[index]) if len(node.inputs) > index else None
    if found is None or found[0][0] < 1:
        return None
    head, rest = found
    data = node.inputs[0] if node.op_type != "ConstantOfShape" else None
    data_dims = dims(data) if data is not None else None
    dim0 = data_dims[0] if data_dims else None
    if node.op_type == "Reshape" and data is not None and carries(data):
        if not int_attr(node, "allowzero", 0):
            return _Candidate(node, head, rest, 0)
        return _Candidate(node, head, rest, -1) if not rest and -1 not in head[1:] else None
    if node.op_type == "Expand" and data is not None and carries(data):
        return _Candidate(node, head, rest, 1)
    if head[0] > 1 and (node.op_type == "ConstantOfShape" or dim0 == 1) and _meets_batch(node, carries):
        return _Candidate(node, head, rest, "build")
    return None


def _meets_batch(node: ir.Node, carries) -> bool:
    output = node.outputs[0]
    return any(
        other is not None and other is not output and carries(other) for use in output.uses() for other in use.node.inputs
    )


def _consistent(candidate: _Candidate, dims) -> bool:
    """False for a Reshape whose static sizes show that its first literal is not the input's dim 0."""
    node, literal = candidate.node, candidate.head
    source = dims(node.inputs[0]) if node.op_type == "Reshape" else None
    if candidate.rest or not source or None in source[1:] or -1 in literal or 0 in literal:
        return True
    return int(np.prod(source[1:])) * int(literal[0]) == int(np.prod(literal))


def _vote(candidates: list[_Candidate]) -> int | None:
    """The export batch: the most common first literal among the candidates."""
    votes = Counter(int(c.head[0]) for c in candidates)
    return votes.most_common(1)[0][0] if votes else None


def _update_shapes(changed: list[ir.Node], batch: int | None, symbol) -> None:
    """Downstream declared shapes whose dim 0 is the export batch get the batch symbol instead."""
    stack, seen = [out for node in changed for out in node.outputs], set()
    while stack:
        value = stack.pop()
        if value in seen:
            continue
        seen.add(value)
        if value.shape is not None and len(value.shape) and value.shape[0] == batch:
            value.shape = ir.Shape([symbol, *list(value.shape)[1:]])
        stack.extend(out for use in value.uses() for out in use.node.outputs)
