"""UnpinBatchPass: replace batch sizes baked into shape literals by the dynamic batch.

Tracing turns ``x.view(int(x.size(0)), -1)``, ``torch.zeros(b, 16)`` or
``cls.expand(b, -1, -1)`` into constants holding the export batch (TRT207): the
graph inputs keep a symbolic batch dim, but the engine only works at the
export batch. For each Reshape / Expand / Tile / ConstantOfShape whose constant
shape input starts with the export batch:

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

import numpy as np
import onnx_ir as ir
import onnx_ir.passes

from ._evaluate import Evaluator
from ._graph import constant_array, insert_constant, names_in, unique_name
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
    ]

    def __init__(self, export_batch: int | None = None) -> None:
        super().__init__()
        self.export_batch = export_batch

    def call(self, model: ir.Model) -> onnx_ir.passes.PassResult:
        from ..rules.analysis import CarriesBatch, ValueKinds  # lazy: rules import the passes

        graph = model.graph
        sources = [v for v in graph.inputs if v.shape is not None and len(v.shape) and not isinstance(v.shape[0], int)]
        if not sources:
            return onnx_ir.passes.PassResult(model, False)
        carries, dims = CarriesBatch(ValueKinds()), Evaluator(model, infer=False).dims
        found = (_candidate(node, carries, dims) for node in graph)
        candidates = [c for c in found if c is not None and _consistent(*c[:2], dims)]
        batch = self.export_batch or _vote(candidates, dims)
        taken, first = names_in(graph), None
        changed = []
        for node, literal, action in candidates:
            if batch is None or literal[0] != batch:
                continue
            index = 0 if node.op_type == "ConstantOfShape" else 1
            if action == "build":
                first = first or self._batch_dim(graph, sources[0], taken)
                rest = insert_constant(graph, node, literal[1:], self.name, taken, f"{node.name or 'shape'}_rest")
                concat = stamp(ir.node("Concat", [first, rest], {"axis": 0}, name=unique_name(taken, "unpin_concat")), self.name)
                concat.outputs[0].name = concat.name
                graph.insert_before(node, concat)
                node.replace_input_with(index, concat.outputs[0])
            else:
                new = literal.copy()
                new[0] = action
                node.replace_input_with(index, insert_constant(graph, node, new, self.name, taken, "unpinned_shape"))
            stamp(node, self.name)
            changed.append(node)
        _update_shapes(changed, batch, sources[0].shape[0])
        return onnx_ir.passes.PassResult(model, bool(changed))

    def _batch_dim(self, graph: ir.Graph, source: ir.Value, taken: set[str]) -> ir.Value:
        shape = stamp(ir.node("Shape", [source], name=unique_name(taken, "batch_shape")), self.name)
        shape.outputs[0].name = shape.name
        graph.insert_before(graph.node(0), shape)
        index = insert_constant(graph, graph.node(0), np.array([0], dtype=np.int64), self.name, taken, "batch_index")
        graph.insert_after(shape, gather := ir.node("Gather", [shape.outputs[0], index], {"axis": 0}))
        gather.name = gather.outputs[0].name = unique_name(taken, "batch_dim")
        return stamp(gather, self.name).outputs[0]


def _candidate(node: ir.Node, carries, dims) -> tuple[ir.Node, np.ndarray, object] | None:
    """``(node, literal, action)``: action is the new first entry, or "build" for a Shape-based one."""
    if node.domain not in ("", "ai.onnx") or node.op_type not in ("Reshape", "Expand", "Tile", "ConstantOfShape"):
        return None
    index = 0 if node.op_type == "ConstantOfShape" else 1
    literal = constant_array(node.inputs[index]) if len(node.inputs) > index else None
    if literal is None or literal.ndim != 1 or literal.size == 0 or literal[0] < 1:
        return None
    literal = literal.astype(np.int64)
    data = node.inputs[0] if node.op_type != "ConstantOfShape" else None
    data_dims = dims(data) if data is not None else None
    dim0 = data_dims[0] if data_dims else None
    if node.op_type == "Reshape" and data is not None and carries(data):
        allowzero = node.attributes.get("allowzero")
        if allowzero is None or not allowzero.value:
            return node, literal, 0
        return (node, literal, -1) if -1 not in literal[1:] else None
    if node.op_type == "Expand" and data is not None and carries(data):
        return node, literal, 1
    if literal[0] > 1 and (node.op_type == "ConstantOfShape" or dim0 == 1) and _meets_batch(node, carries):
        return node, literal, "build"
    return None


def _meets_batch(node: ir.Node, carries) -> bool:
    output = node.outputs[0]
    return any(
        other is not None and other is not output and carries(other) for use in output.uses() for other in use.node.inputs
    )


def _consistent(node: ir.Node, literal: np.ndarray, dims) -> bool:
    """False for a Reshape whose static sizes show that its first literal is not the input's dim 0."""
    source = dims(node.inputs[0]) if node.op_type == "Reshape" else None
    if not source or None in source[1:] or -1 in literal or 0 in literal:
        return True
    return int(np.prod(source[1:])) * int(literal[0]) == int(np.prod(literal))


def _vote(candidates: list, dims) -> int | None:
    """The export batch: the most common first literal among the candidates."""
    votes = Counter(int(literal[0]) for _, literal, _ in candidates)
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
