"""Pair the nodes of exports of one model traced at different batch sizes (not a pass).

Nodes are paired by position in graph order (subgraph bodies included, depth
first), leaving out ``Constant`` nodes and the exporter's ``Identity`` copies of
constants: they carry no computation, and the exporter shares or duplicates
them differently from one trace to the next. When the op sequences differ the
trace itself depends on the batch (a Python loop or branch over it):
:func:`divergence` says where. :func:`constant_uses` lists every input slot
whose constant differs between the traces.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import onnx_ir as ir

from ..ir import iter_nodes
from ..graph.constants import STANDARD_DOMAINS, constant_array

__all__ = [
    "ConstantUse",
    "attribute_changes",
    "constant_chain",
    "constant_of",
    "constant_uses",
    "divergence",
    "significant_nodes",
]


@dataclass(frozen=True, eq=False)
class ConstantUse:
    """Input ``index`` of ``node`` (in the first trace) reads a constant that differs between traces."""

    node: ir.Node
    index: int
    value: ir.Value  # what the input reads in the first trace
    samples: tuple[np.ndarray | None, ...]  # the constant in each trace; None where it is computed


def constant_chain(value: ir.Value | None) -> list[ir.Value]:
    """``value`` and, through ``Identity`` copies, the values it copies (the constant last)."""
    chain = []
    while value is not None:
        chain.append(value)
        node = value.producer()
        if value.const_value is not None or node is None or node.op_type != "Identity":
            break
        if node.domain not in STANDARD_DOMAINS:
            break
        value = node.inputs[0]
    return chain


def constant_of(value: ir.Value | None) -> np.ndarray | None:
    """The value's contents when it is a constant, looking through ``Identity`` copies."""
    chain = constant_chain(value)
    return constant_array(chain[-1]) if chain else None


def significant_nodes(graph: ir.Graph) -> list[ir.Node]:
    """Every node in graph order, without Constant nodes and Identity copies of constants."""
    return [node for _, node in iter_nodes(graph) if not _constant_like(node)]


def _constant_like(node: ir.Node) -> bool:
    if node.domain not in STANDARD_DOMAINS:
        return False
    if node.op_type == "Constant":
        return True
    return node.op_type == "Identity" and constant_of(node.inputs[0]) is not None


def _signature(node: ir.Node) -> tuple:
    return node.domain, node.op_type, len(node.inputs), len(node.outputs)


def divergence(nodes: Sequence[ir.Node], other: Sequence[ir.Node]) -> tuple[int, int] | None:
    """Positions of the first node of each sequence where the op sequences stop matching, or None."""
    first, second = [_signature(n) for n in nodes], [_signature(n) for n in other]
    if first == second:
        return None
    matcher = difflib.SequenceMatcher(None, first, second, autojunk=False)
    for tag, i1, _, j1, _ in matcher.get_opcodes():
        if tag != "equal":
            return i1, j1
    return min(len(first), len(second)), min(len(first), len(second))  # pragma: no cover - unreachable


def constant_uses(rows: Sequence[Sequence[ir.Node]]) -> list[ConstantUse]:
    """Input slots whose constant differs between traces; ``rows`` are the paired nodes, one per trace."""
    uses = []
    for nodes in rows:
        for index in range(len(nodes[0].inputs)):
            samples = tuple(constant_of(n.inputs[index]) for n in nodes)
            if all(s is None for s in samples) or _all_equal(samples):
                continue
            uses.append(ConstantUse(nodes[0], index, nodes[0].inputs[index], samples))
    return uses


def attribute_changes(rows: Sequence[Sequence[ir.Node]]) -> list[tuple[ir.Node, str, list]]:
    """``(node, attribute, values per trace)`` for attributes that differ between traces (graphs aside)."""
    changes = []
    for nodes in rows:
        for name, attr in nodes[0].attributes.items():
            if attr.type in (ir.AttributeType.GRAPH, ir.AttributeType.GRAPHS):
                continue
            values = [_attr_value(n.attributes.get(name)) for n in nodes]
            if any(not _equal(values[0], v) for v in values[1:]):
                changes.append((nodes[0], name, values))
    return changes


def _attr_value(attr: ir.Attr | None) -> object:
    if attr is None:
        return None
    value = attr.value
    if isinstance(value, ir.TensorProtocol):
        return value.numpy()
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str) else value


def _equal(a: object, b: object) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and _same_array(a, b)
    return a == b


def _all_equal(samples: tuple[np.ndarray | None, ...]) -> bool:
    first = samples[0]
    return all(s is not None and first is not None and _same_array(first, s) for s in samples[1:])


_CHUNK_BYTES = 2**24  # weights are compared a slice at a time: np.array_equal's masks stay this small


def _same_array(a: np.ndarray, b: np.ndarray) -> bool:
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    nan = a.dtype.kind == "f"
    if a.nbytes <= _CHUNK_BYTES:
        return bool(np.array_equal(a, b, equal_nan=nan))
    flat_a, flat_b = a.reshape(-1), b.reshape(-1)  # views of the mapped weights, not copies
    step = max(_CHUNK_BYTES // a.itemsize, 1)
    return all(np.array_equal(flat_a[i : i + step], flat_b[i : i + step], equal_nan=nan) for i in range(0, flat_a.size, step))
