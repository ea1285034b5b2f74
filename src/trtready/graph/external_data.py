"""Where external weights may live: TensorRT opens them relative to the model's folder only."""

from __future__ import annotations

import os.path
from pathlib import PurePosixPath, PureWindowsPath

import onnx_ir as ir

__all__ = ["external_locations", "location_problem"]


def location_problem(location: str) -> str | None:
    """Why TensorRT would refuse an external-data ``location`` ("absolute", ...), or None when fine."""
    if os.path.isabs(location) or PureWindowsPath(location).is_absolute() or location.startswith("/"):
        return "absolute"
    if ".." in PurePosixPath(location.replace("\\", "/")).parts:
        return "outside the model's directory ('..')"
    return None


def external_locations(graph: ir.Graph) -> set[str]:
    """The external-data locations of ``graph``'s initializers, as the file writes them."""
    tensors = (v.const_value for v in graph.initializers.values())
    return {str(t.location) for t in tensors if isinstance(t, ir.ExternalTensor)}
