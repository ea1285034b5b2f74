"""What every rule sees: the model, the TensorRT release, and indexes built once.

Indexes (all O(graph) to build, O(1) to query):

- ``nodes``: every ``(graph_path, node)``, subgraphs included, in graph order;
  ``nodes_of(*op_types)`` gives the ones of given types (default ONNX domain),
  ``op_types()`` the types there are, ``custom_nodes`` the nodes of other domains;
- producers and consumers: ``value.producer()`` / ``value.uses()``, which onnx_ir
  keeps up to date itself, so no copy is made;
- ``constant(value)``: the value as a numpy array when it is an initializer or
  a Constant node output (memoised);
- ``shape(value)``: the declared shape, with what ONNX shape inference found where
  the declaration is missing or has unnamed dims (``inferred_shapes``, by value name: looked up
  only then, and ``check_model``'s mapping runs inference on the first such lookup);
- ``kind(value)`` (:class:`~trtready.rules.analysis.ValueKinds`),
  ``possibly_empty(value)`` and ``carries_batch(value)`` (:class:`~trtready.graph.batch.CarriesBatch`,
  the batch provenance ``fix.unpin-batch`` reads too): analyses found once, on first use;
- ``batch_dims``: dim 0 of each graph input;
- ``shared(compute)``: any other whole-model fact several rules read, computed once
  (the dtype rules' tables in ``rules/dtype/typed_input.py``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import chain
from typing import Any, TypeVar

import numpy as np
import onnx_ir as ir

from ..graph.batch import BatchSymbols, CarriesBatch, merged_shape
from ..graph.constants import STANDARD_DOMAINS, constant_array
from ..graph.traversal import iter_nodes
from ..ir import named_dims
from ..trt_ops import TrtRelease
from .analysis import DATA_DEPENDENT_SHAPE_OPS, Kind, PossiblyEmpty, ValueKinds

__all__ = ["Context"]

_MISSING = object()
T = TypeVar("T")


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
        inferred_shapes: Mapping[str, ir.Shape] | None = None,
        nodes: Iterable[tuple[str, ir.Node]] | None = None,
    ) -> None:
        """``nodes``: ``iter_nodes(model.graph)`` when the caller has it already."""
        self.model = model
        self.graph = model.graph
        self.trt = trt
        self.plugins = frozenset(plugins)
        self.file_size = file_size
        self.external_data_paths = tuple(str(p) for p in external_data_paths)
        self.nodes: list[tuple[str, ir.Node]] = []
        self._by_op: dict[str, list[tuple[str, ir.Node]]] = defaultdict(list)
        self.custom_nodes: list[tuple[str, ir.Node]] = []  # the nodes of other domains, in graph order
        for entry in iter_nodes(model.graph) if nodes is None else nodes:  # one pass: every index at once
            self.nodes.append(entry)
            node = entry[1]
            (self._by_op[node.op_type] if node.domain in STANDARD_DOMAINS else self.custom_nodes).append(entry)
        self._shared: dict[Callable[[Context], Any], Any] = {}
        self.kind = ValueKinds()
        producers = chain(self.nodes_of(*DATA_DEPENDENT_SHAPE_OPS), self.custom_nodes)
        self.possibly_empty = PossiblyEmpty(node for _, node in producers)
        self._inferred = inferred_shapes if inferred_shapes is not None else {}  # may infer on first use
        self.batch_symbols = BatchSymbols(self.shape(v) for v in self.graph.inputs)
        self.carries_batch = CarriesBatch(self.shape, self.batch_symbols)
        self._constants: dict[ir.Value, Any] = {}
        self.batch_dims = {v.name: _dim0(v) for v in self.graph.inputs}

    # -- node lookup -------------------------------------------------------
    def nodes_of(self, *op_types: str) -> Iterator[tuple[str, ir.Node]]:
        """``(graph_path, node)`` for standard-domain nodes of the given op types."""
        for op_type in op_types:
            yield from self._by_op.get(op_type, ())

    def op_types(self) -> Iterable[str]:
        """The standard-domain op types the model uses."""
        return self._by_op.keys()

    def shared(self, compute: Callable[[Context], T]) -> T:
        """``compute(self)``, computed on first use and kept for this check: a fact about the whole
        model that several rules read (the dtype rules' tables, say), found in one pass."""
        if compute not in self._shared:
            self._shared[compute] = compute(self)
        return self._shared[compute]

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
            cached = self._constants[value] = constant_array(value)
        return cached

    def shape(self, value: ir.Value | None) -> ir.Shape | None:
        """The declared shape, completed by shape inference (see the module doc)."""
        if value is None:
            return None
        declared = value.shape
        if named_dims(declared):
            return declared  # what merged_shape keeps: inferred shapes are not looked up
        return merged_shape(declared, self._inferred.get(value.name or ""))

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
