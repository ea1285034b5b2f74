"""Constant values: initializers and ``Constant`` node outputs as numpy arrays."""

from __future__ import annotations

import numpy as np
import onnx_ir as ir

__all__ = ["STANDARD_DOMAINS", "constant_array"]

#: The default ONNX operator domain, as files spell it.
STANDARD_DOMAINS = ("", "ai.onnx")

_LIST_DTYPES = {"value_int": np.int64, "value_ints": np.int64, "value_float": np.float32, "value_floats": np.float32}


def constant_array(value: ir.Value | None) -> np.ndarray | None:
    """The value's contents when it is an initializer or the output of a ``Constant`` node; None
    otherwise, and when they cannot be read (external data that is not there, a malformed tensor)."""
    if value is None:
        return None
    try:
        if value.const_value is not None:
            return value.const_value.numpy()
        node = value.producer()
        if node is None or node.op_type != "Constant" or node.domain not in STANDARD_DOMAINS:
            return None
        return _constant_attribute(node)
    except Exception:  # noqa: BLE001 - unreadable data is simply not a known constant
        return None


def _constant_attribute(node: ir.Node) -> np.ndarray | None:
    for name, attr in node.attributes.items():
        if name == "value":
            return attr.value.numpy()
        if name in _LIST_DTYPES:
            return np.asarray(attr.value, dtype=_LIST_DTYPES[name])
    return None
