"""The graph layer's readers on real ONNX models: constants, attributes, dtypes, external data."""

from __future__ import annotations

import numpy as np
import onnx_ir as ir
import pytest

from trtready.graph import (
    constant_array,
    doc_type,
    float_attr,
    int_attr,
    ints_attr,
    location_problem,
    str_attr,
    typed_value,
    unlisted_type,
    value_dtype,
)
from trtready.trt_ops import load_release

_HEADER = '<ir_version: 8, opset_import: ["" : 17, "custom" : 1]>'
MODEL = f"""{_HEADER}
g (float[N,4] x) => (float[N,4] y, int64[2] s) <int64[2] w = {{3, 4}}> {{
  a = Constant <value_ints = [0, -1]> ()
  b = Constant <value_float = 1.5> ()
  c = Constant <value = int32[2] {{7, 8}}> ()
  d = custom.Constant <value_ints = [1]> ()
  t = Transpose <perm = [0, 1]> (x)
  r = Resize <mode = "linear"> (t, , , w)
  e = LeakyRelu <alpha = 0.25> (x)
  y = Identity(e)
  m = Greater(x, x)
  n = Cast <to = 6> (m)
  k = Reshape(n, a)
  s = Shape(k)
}}"""


@pytest.fixture(scope="module")
def values():
    model = ir.from_onnx_text(MODEL)
    found = {v.name: v for node in model.graph for v in node.outputs}
    return found | dict(model.graph.initializers) | {v.name: v for v in model.graph.inputs}


@pytest.fixture(scope="module")
def nodes():
    return {node.outputs[0].name: node for node in ir.from_onnx_text(MODEL).graph}


def test_constant_array_reads_initializers_and_every_constant_form(values):
    assert constant_array(values["w"]).tolist() == [3, 4]
    assert constant_array(values["a"]).dtype == np.int64 and constant_array(values["a"]).tolist() == [0, -1]
    assert constant_array(values["b"]).dtype == np.float32 and float(constant_array(values["b"])) == 1.5
    assert constant_array(values["c"]).dtype == np.int32 and constant_array(values["c"]).tolist() == [7, 8]


def test_constant_array_is_none_for_computed_values_and_other_domains(values):
    assert constant_array(values["x"]) is None and constant_array(values["t"]) is None
    assert constant_array(values["d"]) is None  # a "Constant" of another domain is not ONNX's
    assert constant_array(None) is None


def test_constant_array_is_none_when_external_data_is_missing(tmp_path):
    tensor = ir.ExternalTensor("absent.bin", offset=0, length=8, dtype=ir.DataType.INT64, shape=ir.Shape([1]),
                               name="w", base_dir=str(tmp_path))  # fmt: skip
    value = ir.Value(name="w", type=ir.TensorType(ir.DataType.INT64), shape=ir.Shape([1]), const_value=tensor)
    assert constant_array(value) is None


def test_attribute_readers_with_and_without_the_attribute(nodes):
    transpose, resize, leaky = nodes["t"], nodes["r"], nodes["e"]
    assert ints_attr(transpose, "perm") == [0, 1] and ints_attr(transpose, "axes") is None
    assert ints_attr(transpose, "axes", []) == []
    assert str_attr(resize, "mode", "nearest") == "linear" and str_attr(resize, "nearest_mode", "floor") == "floor"
    assert float_attr(leaky, "alpha", 0.01) == 0.25 and float_attr(transpose, "alpha", 0.01) == 0.01
    assert int_attr(nodes["n"], "to", None) == 6 and int_attr(nodes["k"], "allowzero", 0) == 0


def test_value_dtype_follows_producers_where_nothing_is_declared(values):
    assert values["m"].dtype is None and value_dtype(values["m"]) == ir.DataType.BOOL  # a comparison
    assert value_dtype(values["n"]) == ir.DataType.INT32  # Cast's `to`
    assert value_dtype(values["k"]) == ir.DataType.INT32  # Reshape keeps its data's dtype
    assert value_dtype(values["s"]) == ir.DataType.INT64  # Shape
    assert value_dtype(values["c"]) == ir.DataType.INT32  # a Constant's tensor
    assert doc_type(ir.DataType.FLOAT) == "FP32" and doc_type(None) is None


def test_typed_value_and_unlisted_type_read_the_release_tables(nodes):
    text = f"""{_HEADER}
g (int64[N,4] a, int64[4,4] b) => (int64[N,4] y) {{
  y = MatMul(a, b)
}}"""
    (matmul,) = ir.from_onnx_text(text).graph
    assert typed_value(matmul) is matmul.inputs[0]
    assert unlisted_type(load_release("10.1"), matmul, "INT64")  # MatMul lists no INT64 in 10.x
    assert unlisted_type(load_release("10.1"), matmul, "BOOL") is None
    assert typed_value(nodes["n"]) is None  # a Cast's column is about no one data tensor


@pytest.mark.parametrize(
    ("location", "problem"),
    [("model.onnx.data", None), ("weights/layer1.bin", None), ("/abs/w.bin", "absolute"),
     ("C:\\w\\model.bin", "absolute"), ("../w.bin", "outside the model's directory ('..')"),
     ("a\\..\\..\\w.bin", "outside the model's directory ('..')")],
)  # fmt: skip
def test_location_problem(location, problem):
    assert location_problem(location) == problem
