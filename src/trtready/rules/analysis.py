"""Linear-time value analyses of the checker (the batch analysis is the graph layer's:
:mod:`trtready.graph.batch`).

Each analysis assigns a fact to every value from the facts of its producer's inputs, found on
demand and memoised (:class:`~trtready.graph.forward.ForwardAnalysis`), so asking about every value
of a graph costs O(graph) whatever order the nodes are in and however deep the graph is.

- :class:`ValueKinds` says what a value's *contents* depend on:
  ``CONST`` (initializers, Constant nodes, and anything computed only from them
  or from ``Shape``/``Size`` of tensors whose dims are static: foldable at build
  time), ``SHAPE`` (shape arithmetic over dynamic dims: a TensorRT shape tensor)
  or ``DATA`` (reaches a graph input or an activation other than through
  ``Shape``/``Size``).
- :class:`PossiblyEmpty` says whether a value may have a zero-length dim
  because it is downstream of an op with a data-dependent output shape.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

import onnx_ir as ir

from ..graph.attributes import int_attr
from ..graph.constants import STANDARD_DOMAINS
from ..graph.forward import RECURSION_DEPTH, ForwardAnalysis

__all__ = ["DATA_DEPENDENT_SHAPE_OPS", "Kind", "PossiblyEmpty", "ValueKinds"]

#: Ops whose output shape depends on input *values* (TensorRT "data-dependent shapes").
DATA_DEPENDENT_SHAPE_OPS = frozenset({"NonZero", "Compress", "Unique", "NonMaxSuppression"})
_RANDOM_OPS = frozenset({"RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike", "Bernoulli", "Multinomial"})
_CONTROL_FLOW_OPS = frozenset({"If", "Loop", "Scan"})


class Kind(enum.IntEnum):
    """What a value's contents depend on; larger is "more dynamic"."""

    CONST = 0
    SHAPE = 1
    DATA = 2


_CONST, _SHAPE, _DATA = Kind.CONST, Kind.SHAPE, Kind.DATA
#: Ops whose output kind does not depend on their inputs (Shape and Size: on their input's dims).
_LEAF_KINDS = {"Constant": Kind.CONST} | dict.fromkeys(_RANDOM_OPS | _CONTROL_FLOW_OPS | DATA_DEPENDENT_SHAPE_OPS, Kind.DATA)


class ValueKinds(ForwardAnalysis[Kind]):
    """``kinds(value) -> Kind``: constant, shape tensor, or data (see module doc)."""

    cycle_fact = Kind.DATA

    def leaf(self, value: ir.Value, node: ir.Node | None) -> Kind | None:
        if value.const_value is not None:
            return _CONST
        if node is None:  # graph or subgraph input
            return _DATA
        if node.domain not in STANDARD_DOMAINS:
            return _DATA
        op = node.op_type
        kind = _LEAF_KINDS.get(op)
        if kind is not None:
            return kind
        if op == "Shape" or op == "Size":
            return _CONST if _dims_static(node) else _SHAPE
        return None if any(node.inputs) else _CONST  # a Value is always true: any() finds a given input

    def combine(self, node: ir.Node, facts: list[Kind]) -> Kind:
        return max(facts, default=Kind.CONST)

    def _find(self, value: ir.Value, open_values: set[ir.Value]) -> Kind:
        """:meth:`ForwardAnalysis._find` with ``combine`` done in place (the largest kind of the
        inputs): every shape input of a model asks, so this is the check's hottest walk."""
        facts = self._facts
        node = value.producer()
        kind = self.leaf(value, node)
        if kind is None:
            if len(open_values) >= RECURSION_DEPTH:
                return self._walk(value, node)
            open_values.add(value)
            kind = _CONST
            for v in node.inputs:
                if v is None:
                    continue
                known = facts.get(v)
                if known is None:
                    known = self.cycle_fact if v in open_values else self._find(v, open_values)
                if known > kind:  # noqa: PLR1730 - faster than max() in the hottest loop
                    kind = known
            open_values.discard(value)
        facts[value] = kind
        return kind


class PossiblyEmpty:
    """``possibly_empty(value) -> bool``: downstream of NonZero/Compress/Unique/NMS.

    Found once, on the first question, forward from those ops' outputs through their consumers:
    O(nodes) to find the ops, then O(what lies downstream of them), usually nothing.
    """

    def __init__(self, nodes: Iterable[ir.Node]) -> None:
        self._nodes = nodes  # every node that may be one of those ops (read on the first question)
        self._found: set[ir.Value] | None = None

    def __call__(self, value: ir.Value) -> bool:
        if self._found is None:
            self._found = self._downstream()
        return value in self._found

    def _downstream(self) -> set[ir.Value]:
        found: set[ir.Value] = set()
        stack = [node for node in self._nodes if node.op_type in DATA_DEPENDENT_SHAPE_OPS]
        while stack:
            for value in stack.pop().outputs:
                if value not in found and value.const_value is None:
                    found.add(value)
                    stack.extend(usage.node for usage in value.uses())
        return found


def _dims_static(shape_node: ir.Node) -> bool:
    """True when the dims a Shape/Size node reads are all known integers."""
    inputs = shape_node.inputs
    shape = inputs[0].shape if inputs and inputs[0] is not None else None
    if shape is None:
        return False
    dims = list(shape)
    static = [isinstance(d, int) for d in dims]
    if all(static):
        return True
    if shape_node.op_type != "Shape":
        return False
    start, end = int_attr(shape_node, "start", 0), int_attr(shape_node, "end", len(dims))
    return all(static[start:end])  # start/end: only some of the dims
