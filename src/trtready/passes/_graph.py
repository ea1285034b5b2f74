"""Small graph-editing helpers shared by the fix passes (not a pass).

Every helper that creates a node stamps it with the calling pass's name
(``base.stamp``), so provenance is never forgotten.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import onnx_ir as ir

from .base import stamp

__all__ = [
    "all_graphs",
    "constant_array",
    "insert_constant",
    "names_in",
    "remove_dead",
    "replace_value",
    "unique_name",
]

STANDARD_DOMAINS = ("", "ai.onnx")


def all_graphs(graph: ir.Graph, skip: ir.Node | None = None) -> Iterator[ir.Graph]:
    """``graph`` and every subgraph (If/Loop/Scan bodies), outermost first; not those of ``skip``."""
    yield graph
    for node in graph:
        if node is skip:
            continue
        for attr in node.attributes.values():
            if attr.type == ir.AttributeType.GRAPH:
                yield from all_graphs(attr.value, skip)
            elif attr.type == ir.AttributeType.GRAPHS:
                for sub in attr.value:
                    yield from all_graphs(sub, skip)


def names_in(graph: ir.Graph, skip: ir.Node | None = None) -> set[str]:
    """Every value and node name used in ``graph`` and its subgraphs (but not the subgraphs of ``skip``)."""
    names: set[str] = set()
    for g in all_graphs(graph, skip):
        names.update(v.name for v in g.inputs if v.name)
        names.update(g.initializers)
        for node in g:
            if node.name:
                names.add(node.name)
            names.update(v.name for v in node.outputs if v.name)
    return names


def unique_name(taken: set[str], base: str) -> str:
    """``base``, or ``base_1``, ``base_2``... whichever is free; records it in ``taken``."""
    name, i = base, 0
    while name in taken:
        i += 1
        name = f"{base}_{i}"
    taken.add(name)
    return name


def constant_array(value: ir.Value | None) -> np.ndarray | None:
    """The value's contents when it is an initializer or the output of a Constant node."""
    if value is None:
        return None
    if value.const_value is not None:
        try:
            return value.const_value.numpy()
        except Exception:  # noqa: BLE001 - unavailable external data
            return None
    node = value.producer()
    if node is None or node.op_type != "Constant" or node.domain not in STANDARD_DOMAINS:
        return None
    for name, attr in node.attributes.items():
        if name == "value":
            return attr.value.numpy()
        if name in ("value_int", "value_ints"):
            return np.asarray(attr.value, dtype=np.int64)
        if name in ("value_float", "value_floats"):
            return np.asarray(attr.value, dtype=np.float32)
    return None


def insert_constant(
    graph: ir.Graph, before: ir.Node, array: np.ndarray, pass_name: str, taken: set[str], base: str
) -> ir.Value:
    """A stamped ``Constant`` node holding ``array``, inserted before ``before``; returns its output."""
    name = unique_name(taken, base)
    node = ir.node("Constant", [], {"value": ir.tensor(np.asarray(array), name=name)}, name=name)
    node.outputs[0].name = name
    graph.insert_before(before, stamp(node, pass_name))
    return node.outputs[0]


def replace_value(graph: ir.Graph, old: ir.Value, new: ir.Value, pass_name: str) -> None:
    """Make every use of ``old`` (graph outputs included, keeping their names) read ``new``."""
    if old.is_graph_output():
        producer = new.producer()
        if (
            producer is not None
            and producer.graph is graph
            and not new.is_graph_output()
            and not new.is_graph_input()
        ):
            new.name, old.name = old.name, f"{old.name}__replaced"
            if old.shape is not None and new.shape is None:
                new.shape = old.shape
            if old.type is not None and new.type is None:
                new.type = old.type
        else:  # keep the output name with an Identity
            node = stamp(ir.node("Identity", [new], name=f"{old.name}__identity"), pass_name)
            out = node.outputs[0]
            out.name, old.name = old.name, f"{old.name}__replaced"
            out.type, out.shape = old.type, old.shape
            producer_of_old = old.producer()
            if producer_of_old is not None and producer_of_old.graph is graph:
                graph.insert_after(producer_of_old, node)
            else:
                graph.append(node)
            new = out
    old.replace_all_uses_with(new, replace_graph_outputs=True)


def remove_dead(graph: ir.Graph, values: Iterable[ir.Value | None]) -> None:
    """Remove the producers of ``values`` (in ``graph``) that nothing uses any more, transitively."""
    stack = [v for v in values if v is not None]
    while stack:
        value = stack.pop()
        node = value.producer()
        if node is None or node.graph is not graph:
            continue
        if any(out.uses() or out.is_graph_output() for out in node.outputs):
            continue
        inputs = [v for v in node.inputs if v is not None]
        graph.remove(node, safe=True)
        stack.extend(inputs)
