"""How long does check_model take on a ~100k-node graph? (Expect a few seconds.)

    PYTHONPATH=src python benchmarks/check_speed.py [--nodes 100000]

The graph is one long chain (deep enough to break any recursive walk) of
Shape -> Gather -> Concat -> Reshape -> Relu -> ReduceSum -> Unsqueeze -> Add
blocks, so the shape-tensor and build-time-constant analyses do real work.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import onnx_ir as ir

from trtready.rules import check_model

NODES_PER_BLOCK = 8


def build(nodes: int) -> ir.Model:
    x = ir.Value(name="x", type=ir.TensorType(ir.DataType.FLOAT), shape=ir.Shape(["N", 64]))
    zero = _const("zero", np.array([0], dtype=np.int64))
    width = _const("width", np.array([64], dtype=np.int64))
    axes = _const("axes", np.array([1], dtype=np.int64))
    graph = ir.Graph([x], [], nodes=[], initializers=[zero, width, axes], opset_imports={"": 18}, name="bench")
    current = x
    for block in range(nodes // NODES_PER_BLOCK):
        current = _block(graph, current, zero, width, axes, block)
    graph.outputs.append(current)
    return ir.Model(graph, ir_version=9)


def _block(graph, value, zero, width, axes, index):
    shape = _add(graph, "Shape", [value])
    batch = _add(graph, "Gather", [shape, zero])
    target = _add(graph, "Concat", [batch, width], axis=0)
    reshaped = _add(graph, "Reshape", [value, target])
    act = _add(graph, "Relu", [reshaped])
    total = _add(graph, "ReduceSum", [act, axes], keepdims=0)
    back = _add(graph, "Unsqueeze", [total, axes])
    return _add(graph, "Add", [act, back])


def _add(graph, op_type, inputs, **attributes):
    node = ir.node(op_type, inputs, attributes=attributes)
    graph.append(node)
    return node.outputs[0]


def _const(name, array):
    value = ir.Value(name=name, type=ir.TensorType(ir.DataType.INT64), shape=ir.Shape(array.shape))
    value.const_value = ir.tensor(array, name=name)
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=100_000)
    args = parser.parse_args()
    started = time.perf_counter()
    model = build(args.nodes)
    built = time.perf_counter()
    findings = check_model(model)
    checked = time.perf_counter()
    count = sum(1 for _ in model.graph)
    print(f"built {count} nodes in {built - started:.2f}s")
    print(f"check_model: {checked - built:.2f}s, {len(findings)} findings")


if __name__ == "__main__":
    main()
