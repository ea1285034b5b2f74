"""The graph layer under the checker (``rules/``) and the fixes (``passes/``): what both read
from an ``onnx_ir`` graph, written once.

- ``constants``: :func:`constant_array` (initializers and ``Constant`` outputs);
- ``evaluate``: :class:`Evaluator`, the constant evaluator (partial values of shape arithmetic);
- ``attributes``: :func:`int_attr`, :func:`ints_attr`, :func:`float_attr`, :func:`str_attr`;
- ``traversal``: :func:`iter_nodes` (with graph paths), :func:`all_nodes`, :func:`all_graphs`;
- ``forward``: :class:`ForwardAnalysis`, memoised facts flowing forward through the graph;
- ``batch``: batch provenance, :class:`CarriesBatch` and :func:`shape_head` (TRT207, ``fix.unpin-batch``);
- ``slots``: the inputs TensorRT needs at build time and those it reads as shape tensors;
- ``dtypes``: :func:`value_dtype`, :func:`typed_value`, :func:`unlisted_type`;
- ``external_data``: :func:`location_problem` (external weights TensorRT would not open).

It imports neither ``rules`` nor ``passes`` (nor torch). Names load on first use, so that
``trtready.ir`` can take its traversal from here while ``batch`` takes shape inference from it.
"""

from __future__ import annotations

import importlib

_MODULES = {
    "constants": ("STANDARD_DOMAINS", "constant_array"),
    "evaluate": ("Evaluator", "Partial"),
    "attributes": ("attribute", "float_attr", "int_attr", "ints_attr", "str_attr"),
    "traversal": ("all_graphs", "all_nodes", "graph_paths", "iter_nodes", "may_hold_graphs"),
    "forward": ("ForwardAnalysis", "RECURSION_DEPTH"),
    "batch": (
        "BATCH_PRESERVING_OPS", "BatchSymbols", "CarriesBatch", "Origin", "batch_analysis", "dim0_source",
        "element_origin", "merged_shape", "shape_head",
    ),
    "slots": ("BUILD_TIME_INPUTS", "SHAPE_INPUTS", "Slot"),
    "dtypes": ("doc_type", "typed_value", "unlisted_type", "value_dtype"),
    "external_data": ("external_locations", "location_problem"),
}  # fmt: skip
_WHERE = {name: module for module, names in _MODULES.items() for name in names}

__all__ = [  # every name of _MODULES
    "BATCH_PRESERVING_OPS",
    "BUILD_TIME_INPUTS",
    "RECURSION_DEPTH",
    "SHAPE_INPUTS",
    "STANDARD_DOMAINS",
    "BatchSymbols",
    "CarriesBatch",
    "Evaluator",
    "ForwardAnalysis",
    "Origin",
    "Partial",
    "Slot",
    "all_graphs",
    "all_nodes",
    "attribute",
    "batch_analysis",
    "constant_array",
    "dim0_source",
    "doc_type",
    "element_origin",
    "external_locations",
    "float_attr",
    "graph_paths",
    "int_attr",
    "ints_attr",
    "iter_nodes",
    "location_problem",
    "may_hold_graphs",
    "merged_shape",
    "shape_head",
    "str_attr",
    "typed_value",
    "unlisted_type",
    "value_dtype",
]


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
