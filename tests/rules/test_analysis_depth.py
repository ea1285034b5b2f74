"""The value analyses (``rules/analysis.py``, ``graph/batch.py``) answer on graphs of any depth and on cycles: they recurse
while the walk is shallow and carry on with an explicit stack past that, with the same answers."""

from __future__ import annotations

import numpy as np
import onnx_ir as ir
import pytest

from trtready.graph.batch import BatchSymbols, CarriesBatch
from trtready.graph.forward import RECURSION_DEPTH
from trtready.rules import check_model
from trtready.rules.analysis import Kind, ValueKinds

FLOAT, INT64 = ir.DataType.FLOAT, ir.DataType.INT64


def _chain(depth: int, *, pinned: bool) -> tuple[ir.Model, ir.Value, ir.Value]:
    """``x -> depth x Relu -> Reshape(target)``; the target is a literal ``[2, -1]`` (``pinned``) or read
    from the data at the chain's start (``ReduceSum -> Cast -> Unsqueeze -> Concat``: a data-dependent
    shape). Returns ``(model, the Reshape's data, its target)``."""
    x = ir.Value(name="x", type=ir.TensorType(FLOAT), shape=ir.Shape(["N", 8]))
    graph = ir.Graph([x], [], nodes=[], opset_imports={"": 18}, name="deep")
    current = x
    for _ in range(depth):
        current = _add(graph, "Relu", [current])
    if pinned:
        target = ir.Value(name="target", type=ir.TensorType(INT64), shape=ir.Shape([2]))
        target.const_value = ir.tensor(np.array([2, -1], dtype=np.int64), name="target")
        graph.register_initializer(target)
    else:
        total = _add(graph, "ReduceSum", [x], keepdims=0)
        count = _add(graph, "Unsqueeze", [_add(graph, "Cast", [total], to=7), _const(graph, "axes", [0])])
        target = _add(graph, "Concat", [count, _const(graph, "rest", [-1])], axis=0)
    out = _add(graph, "Reshape", [current, target])
    out.dtype, out.shape = FLOAT, ir.Shape([None, None])
    graph.outputs.append(out)
    return ir.Model(graph, ir_version=9), current, target


def _carries_batch(model: ir.Model) -> CarriesBatch:
    return CarriesBatch(symbols=BatchSymbols(v.shape for v in model.graph.inputs))


def _add(graph: ir.Graph, op: str, inputs: list, **attributes) -> ir.Value:
    node = ir.node(op, inputs, attributes=attributes)
    graph.append(node)
    return node.outputs[0]


def _const(graph: ir.Graph, name: str, values: list[int]) -> ir.Value:
    value = ir.Value(name=name, type=ir.TensorType(INT64), shape=ir.Shape([len(values)]))
    value.const_value = ir.tensor(np.array(values, dtype=np.int64), name=name)
    graph.register_initializer(value)
    return value


@pytest.mark.parametrize("depth", [3, RECURSION_DEPTH - 1, RECURSION_DEPTH + 1, 20_000])
def test_answers_do_not_depend_on_depth(depth):
    model, data, target = _chain(depth, pinned=False)
    kinds = ValueKinds()
    assert kinds(target) == Kind.DATA and kinds(data) == Kind.DATA
    assert _carries_batch(model)(data) is True  # Relu keeps dim 0, back to the input's batch N
    found = {f.rule_id for f in check_model(model, trt="10.1")}
    assert "TRT203" in found  # the Reshape's shape is computed from tensor data
    pinned, _, _ = _chain(depth, pinned=True)
    assert [f.rule_id for f in check_model(pinned, trt="10.1")].count("TRT207") == 1  # dim 0 set to 2


def test_a_cycle_ends_the_walk_with_the_cautious_answer():
    """An in-memory graph can hold a cycle (a file cannot: the checker refuses it on reading)."""
    x = ir.Value(name="x", type=ir.TensorType(FLOAT), shape=ir.Shape(["N", 4]))
    graph = ir.Graph([x], [], nodes=[], opset_imports={"": 18}, name="cycle")
    first = ir.node("Add", [x, x])
    graph.append(first)
    second = ir.node("Relu", [first.outputs[0]])
    graph.append(second)
    first.replace_input_with(1, second.outputs[0])  # Add reads the Relu that reads it
    for depth in (0, RECURSION_DEPTH + 5):
        tail = second.outputs[0]
        for _ in range(depth):  # the same cycle reached from far away
            tail = _add(graph, "Relu", [tail])
        assert ValueKinds()(tail) == Kind.DATA
        assert _carries_batch(ir.Model(graph, ir_version=9))(tail) is True  # x's batch flows in through the Add
