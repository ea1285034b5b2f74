"""Small graph-editing helpers shared by the fix passes (not a pass); reading a graph is the
graph layer's (:mod:`trtready.graph`).

Every helper that creates a node stamps it with the calling pass's name
(``base.stamp``), so provenance is never forgotten.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import onnx_ir as ir

from ..graph.traversal import all_graphs
from .base import stamp

__all__ = ["insert_constant", "names_in", "remove_dead", "replace_value", "unique_name"]


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
