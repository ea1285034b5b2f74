"""Detectors end to end: fixed-size detections with an NMS TensorRT runs, verified per image.

- :func:`nms_fixed`: per-class NMS then the K best rows per image, padded, for your own
  post-processing (exports to ONNX ``NonMaxSuppression`` + ``TopK``, or NVIDIA's
  ``EfficientNMS_TRT`` plugin with ``plugin=True``).
- :func:`prepare_detector`: torchvision's detection models (RetinaNet, FCOS, SSD/SSDlite,
  Faster/Mask/Keypoint R-CNN, any backbone or class count) as modules with batched, fixed-size
  outputs, with the eager reference they are verified against.
- :class:`DetectionSpec` / :func:`compare_detections`: per-image matching of detections.

``trtready.export`` uses these itself for a torchvision detector; attributes load on first use.
"""

from __future__ import annotations

import importlib

_HOMES = {
    "nms_fixed": "nms", "TOPK_LIMIT": "limits",
    "DetectionSpec": "compare", "compare_detections": "compare",
    "DetectorExport": "prepare", "prepare_detector": "prepare", "is_detector": "prepare",
    "fixed_size_detector": "torchvision_models", "PaddedReference": "reference",
    "EfficientNMSAttributes": "plugin", "efficient_nms_semantics": "plugin",
    "PluginSession": "plugin_reference", "run_plugin_model": "plugin_reference",
    "describe_plugin_proof": "plugin_reference", "has_plugin_nodes": "plugin_reference",
}  # fmt: skip

__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)


def __dir__() -> list[str]:
    return sorted(__all__)
