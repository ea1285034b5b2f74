"""Run a file that holds ``EfficientNMS_TRT`` nodes on the CPU, and say what that proves.

ONNX Runtime has no kernel for a TensorRT plugin, so such a file runs in parts: the graph up to a
plugin node in ONNX Runtime (the node's inputs become that part's outputs), the node itself by
:func:`~trtready.detection.plugin.efficient_nms_semantics` (the plugin's documented semantics,
read from the node's own attributes), and the graph after it in ONNX Runtime again, the plugin's
outputs fed in as inputs; several plugin nodes make more parts. Every ONNX node of the file is
then run by ONNX Runtime as for any file; the plugin only as far as the reference follows
TensorRT's kernel, which :func:`describe_plugin_proof` says.

>>> session = PluginSession("det.onnx")          # like onnxruntime.InferenceSession
>>> outputs = session.run(None, {"images": x})
>>> run_plugin_model("det.onnx", {"images": x})  # the same, once
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import onnx_ir as ir
import torch
from onnx_ir.passes.common import RemoveUnusedNodesPass, RemoveUnusedOpsetsPass

from ..errors import UserError
from ..ir import iter_nodes
from ..verify.session import ort_session
from .plugin import (
    EFFICIENT_NMS,
    EFFICIENT_NMS_README,
    EfficientNMSAttributes,
    efficient_nms_semantics,
)

__all__ = [
    "PluginSession",
    "describe_plugin_proof",
    "has_plugin_nodes",
    "plugin_nodes",
    "run_plugin_model",
]

#: The plugins this module has a reference for: op type -> what the report cites.
REFERENCES = {EFFICIENT_NMS: f"NVIDIA's EfficientNMS plugin README, {EFFICIENT_NMS_README}"}
_ORT_PROTO_LIMIT = 2**31 - 1  # larger models go to ONNX Runtime as a file with external data

Model = ir.Model | onnx.ModelProto | str | os.PathLike


def run_plugin_model(onnx_path_or_model: Model, feeds: Mapping[str, np.ndarray]) -> list[np.ndarray]:
    """The file's outputs, in order, as ``InferenceSession.run(None, feeds)`` would give them."""
    return PluginSession(onnx_path_or_model).run(None, feeds)


def plugin_nodes(model: Model) -> list[ir.Node]:
    """The model's ``EfficientNMS_TRT`` nodes (any domain), in graph order."""
    return [node for node in _load(model).graph if node.op_type in REFERENCES]


def has_plugin_nodes(model: Model) -> bool:
    """True when the model holds a plugin node this module runs by its reference."""
    return any(node.op_type in REFERENCES for _, node in iter_nodes(_load(model).graph))


def describe_plugin_proof(model: Model) -> str:
    """One sentence for the report: which parts ONNX Runtime ran and what stood in for the plugins."""
    nodes = plugin_nodes(model)
    if not nodes:
        return "the whole graph ran in ONNX Runtime"
    types = sorted({node.op_type for node in nodes})
    count = f"{len(nodes)} node{'s' if len(nodes) > 1 else ''}"
    cited = "; ".join(REFERENCES[t] for t in types)
    return (
        f"the graph before and after {', '.join(types)} ({count}) ran in ONNX Runtime; the plugin itself was "
        f"replaced by a reference implementation of its documented semantics, in float32 ({cited}), so "
        f"TensorRT's own kernel is proved only by running the engine"
    )


@dataclass(frozen=True)
class _Input:
    """What ``InferenceSession.get_inputs()`` gives that the verification reads."""

    name: str


class PluginSession:
    """``run(output_names, feed)`` and ``get_inputs()`` like an ``onnxruntime.InferenceSession``, for a
    file with ``EfficientNMS_TRT`` nodes: ONNX Runtime around them, the reference for them."""

    def __init__(self, onnx_path_or_model: Model) -> None:
        model = _load(onnx_path_or_model)
        _refuse_nested(model)
        self._proto = ir.to_proto(model)
        self._inputs = [v.name for v in model.graph.inputs]
        self._outputs = [v.name for v in model.graph.outputs]
        self._plugins = [_PluginCall.of(node) for node in plugin_nodes(model)]
        self._initializers = {name: v for name, v in model.graph.initializers.items() if v.const_value is not None}
        self._sessions: dict[tuple, object] = {}  # (wanted, cut inputs and their dtypes) -> ORT session

    def get_inputs(self) -> list[_Input]:
        return [_Input(name) for name in self._inputs]

    def run(self, output_names: list[str] | None, feed: Mapping[str, np.ndarray], run_options=None) -> list[np.ndarray]:
        """As ``InferenceSession.run``; ``run_options`` (``onnxruntime.RunOptions``) go to each ONNX Runtime part."""
        known: dict[str, np.ndarray] = {k: np.asarray(v) for k, v in feed.items()}
        cut: dict[str, np.ndarray] = {}  # plugin outputs computed so far
        for call in self._plugins:
            inputs = self._values(call.inputs, known, cut, run_options)
            outputs = call.run(inputs)
            cut.update(zip(call.outputs, outputs))
            known.update(zip(call.outputs, outputs))
        return self._values(list(output_names or self._outputs), known, cut, run_options)

    def _values(self, names: list[str], known: dict, cut: dict, run_options) -> list[np.ndarray]:
        """``names``' values: those known already or initializers, the others from one ONNX Runtime run."""
        for name in names:
            if name not in known and name in self._initializers:
                known[name] = self._initializers[name].const_value.numpy()
        missing = [n for n in dict.fromkeys(names) if n not in known]
        if missing:
            session = self._session(missing, cut)
            wanted = {i.name for i in session.get_inputs()}
            feed = {k: v for k, v in known.items() if k in wanted}
            known.update(zip(missing, session.run(missing, feed, run_options)))
        return [known[n] for n in names]

    def _session(self, wanted: list[str], cut: dict[str, np.ndarray]):
        key = (tuple(wanted), tuple((name, value.dtype.str) for name, value in cut.items()))
        if key not in self._sessions:
            self._sessions[key] = _ort_session(_part(self._proto, wanted, cut))
        return self._sessions[key]


@dataclass(frozen=True)
class _PluginCall:
    """One plugin node: its input and output names and what stands in for it."""

    op_type: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    attributes: EfficientNMSAttributes

    @classmethod
    def of(cls, node: ir.Node) -> _PluginCall:
        inputs = tuple(v.name for v in node.inputs if v is not None)
        if len(inputs) != 2:
            raise UserError(f"{node.op_type} '{node.name}' has {len(inputs)} inputs; the reference runs the "
                            "two-input form (boxes, scores)", hint="verify the fused box decoder with TensorRT")  # fmt: skip
        return cls(node.op_type, inputs, tuple(v.name for v in node.outputs), EfficientNMSAttributes.of_node(node))

    def run(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        boxes, scores = (torch.from_numpy(np.ascontiguousarray(a)) for a in inputs)
        with torch.no_grad():
            return [t.numpy() for t in efficient_nms_semantics(boxes, scores, self.attributes)]


def _load(model: Model) -> ir.Model:
    if isinstance(model, ir.Model):
        return model
    if isinstance(model, onnx.ModelProto):
        return ir.from_proto(model)
    return ir.load(os.fspath(model))


def _refuse_nested(model: ir.Model) -> None:
    for path, node in iter_nodes(model.graph):
        if node.op_type in REFERENCES and path != "main":
            raise UserError(f"{node.op_type} '{node.name}' sits inside {path}: ONNX Runtime cannot run the graph around it",
                            hint="keep the plugin node in the main graph")  # fmt: skip


def _part(proto: onnx.ModelProto, wanted: list[str], cut: Mapping[str, np.ndarray]) -> ir.Model:
    """The part of the model that computes ``wanted``, the plugin outputs in ``cut`` as graph inputs."""
    model = ir.from_proto(proto)  # a fresh copy to cut
    graph = model.graph
    values = {v.name: v for node in graph for v in node.outputs}
    values.update((v.name, v) for v in graph.inputs)
    graph.outputs.clear()
    for name, array in cut.items():
        old = values[name]
        new = ir.Value(name=name, type=ir.TensorType(ir.DataType.from_numpy(array.dtype)),
                       shape=ir.Shape([f"{name}_{i}" for i in range(array.ndim)]))  # fmt: skip
        old.name = f"{name}__plugin_output"
        ir.convenience.replace_all_uses_with(old, new)
        graph.inputs.append(new)
    graph.outputs.extend(values[name] for name in wanted)
    RemoveUnusedNodesPass()(model)
    RemoveUnusedOpsetsPass()(model)
    for value in [v for v in graph.inputs if v.name in cut and not v.uses()]:
        graph.inputs.remove(value)
    left = [node for node in graph if node.op_type in REFERENCES]
    if left:
        raise UserError(f"{left[0].op_type} '{left[0].name}' feeds another plugin node's input in a way the "
                        "file's node order does not allow", hint="sort the graph topologically")  # fmt: skip
    return model


def _ort_session(model: ir.Model):
    proto = ir.to_proto(model)
    if proto.ByteSize() < _ORT_PROTO_LIMIT:
        return ort_session(proto.SerializeToString())
    with tempfile.TemporaryDirectory(prefix="trtready-plugin-") as folder:  # ORT reads the weights at load
        path = Path(folder) / "part.onnx"
        ir.save(model, path, external_data="part.onnx.data")
        return ort_session(str(path))
