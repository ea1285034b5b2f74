"""The versions of trtready and of the libraries it runs on, read from package metadata.

``importlib.metadata`` reads the installed distributions' metadata without importing
them, so ``trtready --version`` stays fast and does not import torch.
"""

from __future__ import annotations

import platform
from importlib import metadata

__all__ = ["LIBRARIES", "versions", "versions_text"]

# name shown -> distributions that provide it (the first installed one counts)
LIBRARIES: dict[str, tuple[str, ...]] = {
    "trtready": ("trtready",),
    "torch": ("torch",),
    "onnx": ("onnx",),
    "onnxruntime": ("onnxruntime", "onnxruntime-gpu", "onnxruntime-directml", "onnxruntime-openvino"),
    "onnxscript": ("onnxscript",),
    "onnx_ir": ("onnx-ir", "onnx_ir"),
}


def versions() -> dict[str, str | None]:
    """``{"trtready": "0.1.0", "torch": "2.14.1", ...}``; ``None`` for a library that is not installed."""
    found: dict[str, str | None] = {name: _installed(dists) for name, dists in LIBRARIES.items()}
    if found["trtready"] is None:  # running from a source tree that was never installed
        from . import __version__

        found["trtready"] = __version__
    found["python"] = platform.python_version()
    return found


def versions_text() -> str:
    """One ``name version`` line per library, trtready first."""
    return "\n".join(f"{name} {version or 'not installed'}" for name, version in versions().items())


def _installed(distributions: tuple[str, ...]) -> str | None:
    for distribution in distributions:
        try:
            return metadata.version(distribution)
        except metadata.PackageNotFoundError:
            continue
    return None
