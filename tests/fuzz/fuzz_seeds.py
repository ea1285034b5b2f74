"""Small real ONNX models that the fuzzer mutates, made on the spot (no checked-in binaries).

Each seed is a folder holding ``model.onnx`` and, for the external-data seed,
``model.onnx.data``; :func:`build_seeds` returns them as :class:`~mutator.Seed`.
The models are chosen so that mutations reach every part of trtready: weights
(conv net, MLP), shape arithmetic and fix passes (MLP: Shape/Gather/Concat/
Reshape, Transpose, Cast), subgraphs (If from a squeeze, Loop), weights in a
separate file, and a real exporter's output (torch.onnx.export).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
from mutator import Seed, load_seed
from onnx import TensorProto, helper, numpy_helper

__all__ = ["SEED_BUILDERS", "build_seeds"]

_OPSET = [helper.make_opsetid("", 17)]


def _rand(shape, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _save(graph: onnx.GraphProto, path: Path, **kwargs) -> None:
    model = helper.make_model(graph, opset_imports=_OPSET, ir_version=8)
    onnx.checker.check_model(model)
    onnx.save(model, str(path), **kwargs)


def conv_net(path: Path) -> None:
    """Conv -> BatchNormalization -> Relu -> MaxPool -> Flatten -> Gemm, dynamic batch."""
    inits = [
        numpy_helper.from_array(_rand((4, 3, 3, 3), 1), "conv.w"),
        numpy_helper.from_array(_rand((4,), 2), "conv.b"),
        numpy_helper.from_array(np.ones(4, np.float32), "bn.scale"),
        numpy_helper.from_array(np.zeros(4, np.float32), "bn.bias"),
        numpy_helper.from_array(np.zeros(4, np.float32), "bn.mean"),
        numpy_helper.from_array(np.ones(4, np.float32), "bn.var"),
        numpy_helper.from_array(_rand((5, 64), 3), "fc.w"),
        numpy_helper.from_array(_rand((5,), 4), "fc.b"),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "conv.w", "conv.b"], ["c"], name="conv", pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
        helper.make_node("BatchNormalization", ["c", "bn.scale", "bn.bias", "bn.mean", "bn.var"], ["n"], name="bn"),
        helper.make_node("Relu", ["n"], ["r"], name="relu"),
        helper.make_node("MaxPool", ["r"], ["p"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["p"], ["f"], name="flatten", axis=1),
        helper.make_node("Gemm", ["f", "fc.w", "fc.b"], ["y"], name="fc", transB=1),
    ]
    graph = helper.make_graph(
        nodes, "convnet",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 5])],
        inits,
        value_info=[helper.make_tensor_value_info("c", TensorProto.FLOAT, ["N", 4, 8, 8])],
    )  # fmt: skip
    _save(graph, path)


def mlp(path: Path) -> None:
    """MatMul/Add/Relu with shape arithmetic (Shape -> Gather -> Concat -> Reshape), Transpose, Cast, DOUBLE."""
    inits = [
        numpy_helper.from_array(_rand((12, 16), 5), "w1"),
        numpy_helper.from_array(_rand((16,), 6), "b1"),
        numpy_helper.from_array(_rand((16, 4), 7), "w2"),
        numpy_helper.from_array(np.array([0], np.int64), "zero"),
        numpy_helper.from_array(np.array([12], np.int64), "width"),
        numpy_helper.from_array(np.array([2.0], np.float64), "two"),
    ]
    nodes = [
        helper.make_node("Shape", ["x"], ["shape"], name="shape"),
        helper.make_node("Gather", ["shape", "zero"], ["batch"], name="gather", axis=0),
        helper.make_node("Concat", ["batch", "width"], ["target"], name="concat", axis=0),
        helper.make_node("Transpose", ["x"], ["xt"], name="transpose", perm=[0, 2, 1]),
        helper.make_node("Reshape", ["xt", "target"], ["flat"], name="reshape"),
        helper.make_node("MatMul", ["flat", "w1"], ["h"], name="fc1"),
        helper.make_node("Add", ["h", "b1"], ["hb"], name="bias1"),
        helper.make_node("Relu", ["hb"], ["a"], name="relu"),
        helper.make_node("Cast", ["a"], ["a64"], name="to_double", to=TensorProto.DOUBLE),
        helper.make_node("Mul", ["a64", "two"], ["m64"], name="scale"),
        helper.make_node("Cast", ["m64"], ["m"], name="to_float", to=TensorProto.FLOAT),
        helper.make_node("MatMul", ["m", "w2"], ["y"], name="fc2"),
    ]
    graph = helper.make_graph(
        nodes, "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])],
        inits,
    )  # fmt: skip
    _save(graph, path)


def if_model(path: Path) -> None:
    """The TorchScript squeeze pattern: If(dim 1 == 1) then Squeeze else Identity (input [N, 1, 6])."""
    then = helper.make_graph(
        [helper.make_node("Squeeze", ["x", "axes"], ["t"], name="squeeze")], "then", [],
        [helper.make_tensor_value_info("t", TensorProto.FLOAT, None)],
    )  # fmt: skip
    other = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["e"], name="identity")], "else", [],
        [helper.make_tensor_value_info("e", TensorProto.FLOAT, None)],
    )  # fmt: skip
    nodes = [
        helper.make_node("Shape", ["x"], ["shape"], name="shape"),
        helper.make_node("Gather", ["shape", "one"], ["dim1"], name="gather", axis=0),
        helper.make_node("Equal", ["dim1", "one"], ["is_one"], name="equal"),
        helper.make_node("If", ["is_one"], ["s"], name="if", then_branch=then, else_branch=other),
        helper.make_node("Sigmoid", ["s"], ["y"], name="sigmoid"),
    ]
    graph = helper.make_graph(
        nodes, "ifmodel",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 6])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", "S"])],
        [numpy_helper.from_array(np.array(1, np.int64), "one"), numpy_helper.from_array(np.array([1], np.int64), "axes")],
    )  # fmt: skip
    _save(graph, path)


def loop_model(path: Path) -> None:
    """A Loop of a fixed trip count that accumulates x * w."""
    body = helper.make_graph(
        [
            helper.make_node("Mul", ["x", "w"], ["xw"], name="mul"),
            helper.make_node("Add", ["acc_in", "xw"], ["acc_out"], name="acc"),
            helper.make_node("Identity", ["cond_in"], ["cond_out"], name="keep_going"),
        ],
        "body",
        [
            helper.make_tensor_value_info("i", TensorProto.INT64, []),
            helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
            helper.make_tensor_value_info("acc_in", TensorProto.FLOAT, ["N", 4]),
        ],
        [
            helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
            helper.make_tensor_value_info("acc_out", TensorProto.FLOAT, ["N", 4]),
        ],
    )
    nodes = [helper.make_node("Loop", ["trips", "go", "x"], ["y"], name="loop", body=body)]
    graph = helper.make_graph(
        nodes, "loopmodel",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])],
        [
            numpy_helper.from_array(np.array(3, np.int64), "trips"),
            numpy_helper.from_array(np.array(True), "go"),
            numpy_helper.from_array(_rand((4,), 8), "w"),
        ],
    )  # fmt: skip
    _save(graph, path)


def external_data(path: Path) -> None:
    """MatMul + Add whose weights live in ``model.onnx.data``, and a Constant node."""
    nodes = [
        helper.make_node("MatMul", ["x", "w"], ["h"], name="matmul"),
        helper.make_node("Add", ["h", "b"], ["hb"], name="add"),
        helper.make_node("Constant", [], ["k"], name="const", value=numpy_helper.from_array(np.full((8,), 0.5, np.float32))),
        helper.make_node("Mul", ["hb", "k"], ["y"], name="mul"),
    ]
    graph = helper.make_graph(
        nodes, "external",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 8])],
        [numpy_helper.from_array(_rand((8, 8), 9), "w"), numpy_helper.from_array(_rand((8,), 10), "b")],
    )  # fmt: skip
    _save(graph, path, save_as_external_data=True, location="model.onnx.data", size_threshold=0)


def torch_export(path: Path) -> None:
    """A conv/pool/linear module exported by torch.onnx.export (the TorchScript exporter, opset 17)."""
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3, padding=1)
            self.fc = nn.Linear(4, 2)

        def forward(self, x):
            y = torch.relu(self.conv(x)).mean(dim=(2, 3))
            return self.fc(y).squeeze(1) if y.shape[1] == 1 else self.fc(y)

    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Net().eval(), (torch.rand(2, 3, 8, 8),), str(path), dynamo=False, opset_version=17,
            input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}},
        )  # fmt: skip


SEED_BUILDERS: dict[str, Callable[[Path], None]] = {
    "convnet": conv_net,
    "mlp": mlp,
    "if": if_model,
    "loop": loop_model,
    "external": external_data,
    "torch": torch_export,
}


def build_seeds(directory: Path, names: list[str] | None = None) -> list[Seed]:
    """Build the seed models (all of them, or ``names``) under ``directory``; each in its own folder."""
    seeds = []
    for name in names or list(SEED_BUILDERS):
        folder = Path(directory) / name
        folder.mkdir(parents=True, exist_ok=True)
        SEED_BUILDERS[name](folder / "model.onnx")
        seeds.append(load_seed(name, folder))
    return seeds
