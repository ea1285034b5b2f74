"""Walking a graph and its subgraphs (If/Loop/Scan bodies).

:func:`all_nodes` and :func:`all_graphs` are onnx_ir's ``RecursiveGraphIterator``, told to read the
attributes of the nodes that can hold a graph only (reading every node's attributes is most of a
walk). :func:`iter_nodes` also says where each node sits (``main/If_0/then_branch``), as findings
do; it is the checker's hottest loop, so it walks the graphs itself: the same walk wrapped around
``RecursiveGraphIterator`` costs a third more (0.35 µs a node, measured on 100k nodes).
"""

from __future__ import annotations

from collections.abc import Iterator

import onnx_ir as ir
from onnx_ir.traversal import RecursiveGraphIterator

from .constants import STANDARD_DOMAINS

__all__ = ["all_graphs", "all_nodes", "graph_paths", "iter_nodes", "may_hold_graphs"]

#: The standard ops with graph attributes; a node of another domain may have some too.
SUBGRAPH_OPS = frozenset({"If", "Loop", "Scan", "SequenceMap"})


def may_hold_graphs(node: ir.Node) -> bool:
    """Whether ``node`` can have a graph attribute (no other standard op has one)."""
    return node.op_type in SUBGRAPH_OPS or node.domain not in STANDARD_DOMAINS


def all_nodes(graph: ir.Graph | ir.Function) -> RecursiveGraphIterator:
    """Every node of ``graph`` and of its subgraphs, depth first (a node before its subgraphs' nodes)."""
    return RecursiveGraphIterator(graph, recursive=may_hold_graphs)


def all_graphs(graph: ir.Graph, skip: ir.Node | None = None) -> list[ir.Graph]:
    """``graph`` and every subgraph, outermost first; not those of ``skip``."""
    found: dict[ir.Graph, None] = {graph: None}

    def enter(sub) -> None:
        found.setdefault(sub, None)

    def recursive(node: ir.Node) -> bool:
        return node is not skip and may_hold_graphs(node)

    for _ in RecursiveGraphIterator(graph, recursive=recursive, enter_graph=enter):
        pass
    return list(found)


def iter_nodes(graph: ir.Graph | ir.Function, path: str = "main") -> Iterator[tuple[str, ir.Node]]:
    """Yield ``(graph_path, node)`` for every node, depth first into If/Loop/Scan bodies."""
    for node in graph:
        yield path, node
        if node.op_type not in SUBGRAPH_OPS and node.domain in STANDARD_DOMAINS:
            continue  # no other standard op has a graph attribute (and reading attributes is slow)
        for name, sub in _subgraphs(node, path):
            yield from iter_nodes(sub, name)


def graph_paths(graph: ir.Graph, path: str = "main") -> dict[ir.Graph, str]:
    """Each graph's path as :func:`iter_nodes` gives it, ``graph`` and its subgraphs."""
    paths = {graph: path}
    for node in all_nodes(graph):
        if may_hold_graphs(node):
            paths.update((sub, name) for name, sub in _subgraphs(node, paths[node.graph]))
    return paths


def _subgraphs(node: ir.Node, path: str) -> Iterator[tuple[str, ir.Graph]]:
    """``(path, graph)`` of each graph attribute of ``node``, a node in the graph at ``path``."""
    for attr in node.attributes.values():
        if attr.type == ir.AttributeType.GRAPH:
            yield f"{path}/{node.name or node.op_type}/{attr.name}", attr.value
        elif attr.type == ir.AttributeType.GRAPHS:
            for i, sub in enumerate(attr.value):
                yield f"{path}/{node.name or node.op_type}/{attr.name}[{i}]", sub
