"""What every rule sees: the model, the TensorRT release, and indexes built once.

Indexes (all O(graph) to build, O(1) to query):

- ``nodes``: every ``(graph_path, node)``, subgraphs included, in graph order;
  ``nodes_of(*op_types)`` gives the ones of given types (default ONNX domain);
- producers and consumers: ``value.producer()`` / ``value.uses()``, which onnx_ir
  keeps up to date itself, so no copy is made;
- ``constant(value)``: the value as a numpy array when it is an initializer or
  a Constant node output (memoised);
- ``kind(value)`` (:class:`~trtready.rules.analysis.ValueKinds`),
  ``possibly_empty(value)`` and ``carries_batch(value)``: memoised forward analyses;
- ``batch_dims``: dim 0 of each graph input.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import onnx_ir as ir

from ..ir import iter_nodes
from ..trt_ops import TrtRelease
from .analysis import CarriesBatch, Kind, PossiblyEmpty, ValueKinds

__all__ = ["Context", "STANDARD_DOMAINS"]

STANDARD_DOMAINS = ("", "ai.onnx")
_MISSING = object()


class Context:
    """The model under check plus shared, precomputed facts about it."""

    def __init__(
        self,
        model: ir.Model,
        trt: TrtRelease,
        *,
        plugins: Iterable[str] = (),
        file_size: int | None = None,
        external_data_paths: Iterable[str] = (),
    ) -> None:
        self.model = model
        self.graph = model.graph
        self.trt = trt
        self.plugins = frozenset(plugins)
        self.file_size = file_size
        self.external_data_paths = tuple(str(p) for p in external_data_paths)
        self.nodes: list[tuple[str, ir.Node]] = list(iter_nodes(model.graph))
        self._by_op: dict[str, list[tuple[str, ir.Node]]] = defaultdict(list)
        for path, node in self.nodes:
            if node.domain in STANDARD_DOMAINS:
                self._by_op[node.op_type].append((path, node))
        self.kind = ValueKinds()
        self.possibly_empty = PossiblyEmpty()
        self.carries_batch = CarriesBatch(self.kind)
        self._constants: dict[ir.Value, Any] = {}
        self.batch_dims = {v.name: _dim0(v) for v in self.graph.inputs}

    # -- node lookup -------------------------------------------------------
    def nodes_of(self, *op_types: str) -> Iterator[tuple[str, ir.Node]]:
        """``(graph_path, node)`` for standard-domain nodes of the given op types."""
        for op_type in op_types:
            yield from self._by_op.get(op_type, ())

    @property
    def opset(self) -> int | None:
        return self.model.opset_imports.get("", self.model.opset_imports.get("ai.onnx"))

    # -- value facts -------------------------------------------------------
    def constant(self, value: ir.Value | None) -> np.ndarray | None:
        """The value's contents if it is an initializer or a Constant output, else None."""
        if value is None:
            return None
        cached = self._constants.get(value, _MISSING)
        if cached is _MISSING:
            cached = self._constants[value] = _constant_array(value)
        return cached

    def is_build_time_constant(self, value: ir.Value) -> bool:
        """Foldable: derives only from constants and Shape/Size of static dims."""
        return self.kind(value) == Kind.CONST

    def is_data_dependent(self, value: ir.Value) -> bool:
        """Derives from tensor *contents* (not only constants and shapes)."""
        return self.kind(value) == Kind.DATA

    def is_used(self, value: ir.Value | None) -> bool:
        """Consumed by a node or returned from its graph."""
        return value is not None and (bool(value.uses()) or value.is_graph_output())

    @property
    def dynamic_batch(self) -> bool:
        """Some graph input has a symbolic (dynamic) dim 0."""
        return any(dim is not None and not isinstance(dim, int) for dim in self.batch_dims.values())


def _dim0(value: ir.Value) -> int | ir.SymbolicDim | None:
    if value.shape is None or len(value.shape) == 0:
        return None
    return value.shape[0]


def _constant_array(value: ir.Value) -> np.ndarray | None:
    if value.const_value is not None:
        try:
            return value.const_value.numpy()
        except Exception:  # external data that is not available, unusual dtypes
            return None
    node = value.producer()
    if node is None or node.op_type != "Constant" or node.domain not in STANDARD_DOMAINS:
        return None
    return _constant_attribute(node)


def _constant_attribute(node: ir.Node) -> np.ndarray | None:
    for name, attr in node.attributes.items():
        if name == "value":
            return attr.value.numpy()
        if name in ("value_int", "value_ints", "value_float", "value_floats"):
            dtype = np.int64 if "int" in name else np.float32
            return np.asarray(attr.value, dtype=dtype)
    return None
