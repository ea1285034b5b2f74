"""Walking a graph into its If/Loop bodies: every node once, in the same order, with its graph path."""

from __future__ import annotations

import onnx_ir as ir
import pytest

from trtready.graph import all_graphs, all_nodes, graph_paths, iter_nodes

_HEADER = '<ir_version: 8, opset_import: ["" : 17]>'
NESTED = f"""{_HEADER}
g (float[N] x, bool c, int64 trips) => (float[N] y, float[N] z) {{
  r = Relu(x)
  y = If (c) <
    then_branch = then_g () => (float[N] t) {{
      t = If (c) <
        then_branch = inner_then () => (float[N] u) {{ u = Neg(r) }},
        else_branch = inner_else () => (float[N] v) {{ v = Abs(r) }}
      >
    }},
    else_branch = else_g () => (float[N] e) {{ e = Identity(r) }}
  >
  z = Loop (trips, c, x) <
    body = loop_body (int64 i, bool cond, float[N] acc) => (bool cond_out, float[N] acc_out) {{
      cond_out = Identity(cond)
      acc_out = Sigmoid(acc)
    }}
  >
}}"""


@pytest.fixture
def graph() -> ir.Graph:
    return ir.from_onnx_text(NESTED).graph


def test_iter_nodes_gives_each_node_its_graph_path(graph):
    found = [(path, node.op_type) for path, node in iter_nodes(graph)]
    assert found == [
        ("main", "Relu"),
        ("main", "If"),
        ("main/If/then_branch", "If"),
        ("main/If/then_branch/If/then_branch", "Neg"),
        ("main/If/then_branch/If/else_branch", "Abs"),
        ("main/If/else_branch", "Identity"),
        ("main", "Loop"),
        ("main/Loop/body", "Identity"),
        ("main/Loop/body", "Sigmoid"),
    ]


def test_all_nodes_is_the_same_walk_without_paths(graph):
    assert list(all_nodes(graph)) == [node for _, node in iter_nodes(graph)]


def test_graph_paths_agree_with_iter_nodes(graph):
    paths = graph_paths(graph)
    assert all(paths[node.graph] == path for path, node in iter_nodes(graph))
    assert len(paths) == 6  # main, the outer If's two branches, the inner If's two, the Loop body


def test_all_graphs_outermost_first_and_skipping_a_node(graph):
    graphs = all_graphs(graph)
    assert graphs[0] is graph and len(graphs) == 6
    outer_if = next(n for n in graph if n.op_type == "If")
    kept = all_graphs(graph, skip=outer_if)
    assert len(kept) == 2 and kept[1] is next(n for n in graph if n.op_type == "Loop").attributes["body"].value


def test_a_node_of_another_domain_may_hold_a_graph():
    text = """<ir_version: 8, opset_import: ["" : 17, "custom" : 1]>
g (float[N] x, bool c) => (float[N] y) {
  y = custom.Branch (c) <body = b () => (float[N] t) { t = Relu(x) }>
}"""
    found = [(path, node.op_type) for path, node in iter_nodes(ir.from_onnx_text(text).graph)]
    assert found == [("main", "Branch"), ("main/Branch/body", "Relu")]
