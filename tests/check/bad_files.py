"""ONNX files that cannot be checked, each made the way users end up with one."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper


def matmul_model(size: int = 64) -> onnx.ModelProto:
    weight = numpy_helper.from_array(np.ones((size, size), np.float32), "w")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="matmul")],
        "g",
        [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["N", size])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, ["N", size])],
        [weight],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])


def with_external_data(directory: Path, name: str = "ext.onnx") -> Path:
    """A model whose weights live in ``<name>.data`` next to it."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    onnx.save(matmul_model(), str(path), save_as_external_data=True, location=f"{name}.data", size_threshold=0)
    return path


def text_file(directory: Path) -> Path:
    path = directory / "notes.onnx"
    path.write_text("these are my notes, not a model\n")
    return path


def truncated(directory: Path, source: Path) -> Path:
    data = source.read_bytes()
    path = directory / "truncated.onnx"
    path.write_bytes(data[: len(data) // 2])
    return path


def missing_external_data(directory: Path) -> Path:
    path = with_external_data(directory / "missing", "model.onnx")
    (path.parent / "model.onnx.data").unlink()
    return path


def truncated_external_data(directory: Path) -> Path:
    path = with_external_data(directory / "short", "model.onnx")
    data = path.parent / "model.onnx.data"
    data.write_bytes(data.read_bytes()[:100])
    return path


def external_data_outside(directory: Path) -> Path:
    """External data at '../weights.data': readable, but TensorRT refuses the location (TRT003)."""
    path = with_external_data(directory / "outside" / "model", "model.onnx")
    shutil.move(path.parent / "model.onnx.data", path.parent.parent / "weights.data")
    proto = onnx.load(str(path), load_external_data=False)
    for entry in proto.graph.initializer[0].external_data:
        if entry.key == "location":
            entry.value = "../weights.data"
    onnx.save(proto, str(path))
    return path


def checker_failure(directory: Path) -> Path:
    """Relu with two inputs: valid protobuf, invalid ONNX."""
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x", "x"], ["y"])],
        "g",
        [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["N", 3])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, ["N", 3])],
    )
    path = directory / "invalid.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]), str(path))
    return path
