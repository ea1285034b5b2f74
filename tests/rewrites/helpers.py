"""Shared helpers for the rewrite tests: export, list ops, run in ONNX Runtime, compare."""

from __future__ import annotations

import inspect
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch


def flat_outputs(out) -> list[torch.Tensor]:
    return list(out) if isinstance(out, (tuple, list)) else [out]


def input_names(module: torch.nn.Module, count: int) -> list[str]:
    params = list(inspect.signature(module.forward).parameters)
    return params[:count] if len(params) >= count else [f"in{i}" for i in range(count)]


def export(module, args: tuple, exporter: str, path: Path, dynamic_axes=None) -> onnx.ModelProto:
    names = input_names(module, len(args))
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        if exporter == "torchscript":
            torch.onnx.export(module, args, str(path), dynamo=False, opset_version=18,
                              input_names=names, dynamic_axes=dynamic_axes)  # fmt: skip
        else:
            program = torch.onnx.export(module, args, dynamo=True, opset_version=18, input_names=names, verbose=False)
            program.save(str(path))
    return onnx.load(str(path))


def op_types(model: onnx.ModelProto) -> set[str]:
    found: set[str] = set()

    def walk(graph):
        for node in graph.node:
            found.add(node.op_type)
            for attr in node.attribute:
                if attr.g is not None and attr.g.node:
                    walk(attr.g)
                for sub in attr.graphs:
                    walk(sub)

    walk(model.graph)
    return found


def run_onnx(path: Path, module, args: tuple) -> list[np.ndarray]:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feeds = {i.name: a.numpy() for i, a in zip(session.get_inputs(), args)}
    return session.run(None, feeds)


def assert_close(actual, expected, atol=1e-6, rtol=1e-6, what="") -> None:
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    if expected.dtype.kind in "biu":
        np.testing.assert_array_equal(actual, expected, err_msg=what)
    else:
        np.testing.assert_allclose(actual, expected, atol=atol, rtol=rtol, equal_nan=True, err_msg=what)
