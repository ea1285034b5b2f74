"""Emit the ONNX nodes that compute a batch law from the runtime batch (not a pass).

``LawBuilder(graph, source, batch_dim, pass_name)`` reads the batch once as
``B = Gather(Shape(source), batch_dim)`` (a 0-d INT64 shape tensor) and builds,
for a :class:`ValueLaw`, ``Cast(Add(Mul(B, a), c))``; for an :class:`AxisLaw`
with equal slices ``Expand(slice, shape)``, for a 1-D integer progression
``Range(start, limit, step)`` and otherwise (N-D, or floats, where a float
Range could round its element count) ``base + Cast(Range(0, n, 1)) * step``.
Nodes go to the top of the main graph (they read only B and constants, so
subgraphs can use them as outer-scope values) when :meth:`LawBuilder.insert` is
called; every one is stamped with ``pass_name``.
"""

from __future__ import annotations

import numpy as np
import onnx_ir as ir

from ..passes._graph import names_in, unique_name
from ..passes.base import stamp
from ._retrace_laws import AxisLaw, ValueLaw

__all__ = ["LawBuilder"]

_RANGE_INTS = (np.int16, np.int32, np.int64)  # integer types ONNX Range takes


class LawBuilder:
    """Builds law subgraphs reading the batch of ``source``; see the module docstring."""

    def __init__(self, graph: ir.Graph, source: ir.Value, batch_dim: int, pass_name: str) -> None:
        self._graph, self._source, self._batch_dim, self._pass = graph, source, batch_dim, pass_name
        self._taken = names_in(graph)
        self._nodes: list[ir.Node] = []
        self._batch: ir.Value | None = None
        self._scalars: dict[tuple, ir.Value] = {}  # small constants are shared

    def build(self, law: ValueLaw | AxisLaw, name: str) -> ir.Value:
        """A value holding ``law`` at the runtime batch."""
        return self._value(law, name) if isinstance(law, ValueLaw) else self._axis(law, name)

    def insert(self) -> None:
        """Put the nodes built so far at the top of the main graph."""
        if self._nodes:
            first = next(iter(self._graph), None)
            if first is None:
                self._graph.extend(self._nodes)
            else:
                self._graph.insert_before(first, self._nodes)
            self._nodes = []

    # -- laws --------------------------------------------------------------
    def _value(self, law: ValueLaw, name: str) -> ir.Value:
        a, c = law.a.astype(np.int64), law.c.astype(np.int64)
        term = self.batch()
        if a.ndim or a != 1:  # B * a broadcasts B to the constant's shape
            term = self._op("Mul", [term, self._const(a, f"{name}_a")], name)
        if np.any(c):
            term = self._op("Add", [term, self._const(c, f"{name}_c")], name)
        return self._cast(term, law.dtype, name)

    def _axis(self, law: AxisLaw, name: str) -> ir.Value:
        if law.constant_slices:
            shape = np.asarray(law.base.shape, dtype=np.int64)
            a = np.zeros_like(shape)
            a[law.axis], shape[law.axis] = law.p, law.q
            target = self._value(ValueLaw(a=a, c=shape, dtype=np.dtype(np.int64)), f"{name}_shape")
            return self._op("Expand", [self._const(law.base, f"{name}_slice"), target], name)
        if law.base.ndim == 1 and law.dtype.type in _RANGE_INTS:
            return self._range(law, name)
        return self._progression(law, name)

    def _range(self, law: AxisLaw, name: str) -> ir.Value:
        """``Range(start, start + n * step, step)``, the limit itself linear in B."""
        start, step = int(law.base[0]), int(law.step[0])
        limit = ValueLaw(a=np.int64(law.p * step), c=np.int64(law.q * step + start), dtype=law.dtype)
        inputs = [self._const(law.base.reshape(()), f"{name}_start"), self._value(limit, f"{name}_limit"),
                  self._const(law.step.reshape(()), f"{name}_step")]  # fmt: skip
        return self._op("Range", inputs, name)

    def _progression(self, law: AxisLaw, name: str) -> ir.Value:
        """``base + k * step`` with ``k = Range(0, n, 1)`` laid along the axis."""
        size = self._value(ValueLaw(a=np.int64(law.p), c=np.int64(law.q), dtype=np.dtype(np.int64)), f"{name}_n")
        zero, one = self._const(np.int64(0), f"{name}_zero"), self._const(np.int64(1), f"{name}_one")
        k = self._op("Range", [zero, size, one], name)
        layout = np.ones(law.base.ndim, dtype=np.int64)
        layout[law.axis] = -1
        k = self._op("Reshape", [self._cast(k, law.dtype, name), self._const(layout, f"{name}_layout")], name)
        k = self._op("Mul", [k, self._const(law.step, f"{name}_step")], name)
        return self._op("Add", [self._const(law.base, f"{name}_base"), k], name)

    # -- primitives ----------------------------------------------------------
    def batch(self) -> ir.Value:
        """``B``: the runtime batch, 0-d INT64, built once."""
        if self._batch is None:
            shape = self._op("Shape", [self._source], "batch_shape")
            index = self._const(np.int64(self._batch_dim), "batch_axis")
            self._batch = self._op("Gather", [shape, index], "batch", {"axis": 0})
        return self._batch

    def _cast(self, value: ir.Value, dtype: np.dtype, name: str) -> ir.Value:
        if np.dtype(dtype) == np.int64:
            return value
        return self._op("Cast", [value], name, {"to": ir.DataType.from_numpy(np.dtype(dtype))})

    def _const(self, array: np.ndarray, name: str) -> ir.Value:
        array = np.asarray(array)
        key = (array.dtype.str, array.shape, array.tobytes()) if array.size <= 8 else None
        if key is not None and key in self._scalars:
            return self._scalars[key]
        name = unique_name(self._taken, name)
        value = self._add(ir.node("Constant", [], {"value": ir.tensor(array, name=name)}, name=name), name)
        if key is not None:
            self._scalars[key] = value
        return value

    def _op(self, op_type: str, inputs: list[ir.Value], name: str, attributes: dict | None = None) -> ir.Value:
        node_name = unique_name(self._taken, f"{name}_{op_type}")
        return self._add(ir.node(op_type, inputs, attributes or {}, name=node_name), node_name)

    def _add(self, node: ir.Node, name: str) -> ir.Value:
        node.outputs[0].name = name
        self._nodes.append(stamp(node, self._pass))
        return node.outputs[0]
