"""Text that is not UTF-8 is refused on reading, wherever it is: the fast path over a graph's nodes
and value infos (``trtready.onnx_text``) must miss nothing that the field-by-field walk finds."""

from __future__ import annotations

import onnx
import pytest
from onnx import TensorProto, helper

from trtready.errors import ModelFileError
from trtready.onnx_file import read_onnx


def _model() -> onnx.ModelProto:
    """Every marker ``Zq<n>`` appears once in the serialised file, each in another field."""
    then = helper.make_graph(
        [helper.make_node("Identity", ["t"], ["then_out"], name="Zq6")], "then", [],
        [helper.make_tensor_value_info("then_out", TensorProto.FLOAT, ["N", 4])],
    )  # fmt: skip
    other = helper.make_graph(
        [helper.make_node("Neg", ["t"], ["else_out"], name="else_neg")], "else", [],
        [helper.make_tensor_value_info("else_out", TensorProto.FLOAT, ["N", 4])],
    )  # fmt: skip
    transpose = helper.make_node("Transpose", ["x"], ["t"], name="Zq1", doc_string="Zq2", perm=[0, 1])
    helper.set_metadata_props(transpose, {"Zq8": "v"})
    nodes = [
        transpose,
        helper.make_node("ReduceMax", ["t"], ["m"], keepdims=0, name="reduce"),
        helper.make_node("Greater", ["m", "zero"], ["c"], name="greater"),
        helper.make_node("If", ["c"], ["y"], then_branch=then, else_branch=other, name="branch"),
    ]
    graph = helper.make_graph(
        nodes, "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["Zq7", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["Zq7", 4])],
        [helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0])],
        value_info=[helper.make_tensor_value_info("t", TensorProto.FLOAT, ["Zq4", 4], doc_string="Zq5")],
    )  # fmt: skip
    graph.output[0].type.tensor_type.shape.dim[0].dim_param = "Zq9"
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])


@pytest.mark.parametrize(
    "marker, field",
    [
        ("Zq1", "NodeProto.name"),
        ("Zq2", "NodeProto.doc_string"),
        ("perm", "AttributeProto.name"),
        ("Zq4", "TensorShapeProto.Dimension.dim_param"),  # a value info of the graph
        ("Zq5", "ValueInfoProto.doc_string"),
        ("Zq6", "NodeProto.name"),  # inside an If branch
        ("Zq7", "TensorShapeProto.Dimension.dim_param"),  # a graph input
        ("Zq8", "StringStringEntryProto.key"),  # a node's metadata
        ("Zq9", "TensorShapeProto.Dimension.dim_param"),  # a graph output
    ],
)
def test_text_that_is_not_utf8_is_refused_wherever_it_is(tmp_path, marker, field):
    data = _model().SerializeToString()
    assert data.count(marker.encode()) == 1
    path = tmp_path / "m.onnx"
    path.write_bytes(data.replace(marker.encode(), marker[:-1].encode() + b"\xd8"))
    with pytest.raises(ModelFileError, match=rf"not UTF-8 \(in {field.replace('.', '[.]')}\)"):
        read_onnx(path)


def test_the_same_file_with_valid_text_is_read(tmp_path):
    path = tmp_path / "m.onnx"
    onnx.save(_model(), path)
    assert len(list(read_onnx(path).model.graph)) == 4
