"""The torch.export-based exporter's translation of trtready's NMS op (onnxscript).

The TorchScript exporter reads the op's symbolic (``nms.py``); torch.onnx's dynamo path takes a
``custom_translation_table`` instead: :func:`translations` gives it, when the op is registered.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["translations"]


def translations() -> dict[Callable, Callable]:
    """``{torch op overload: onnxscript function}`` for the ops of :mod:`trtready.detection` in use."""
    import sys

    if "trtready.detection.nms" not in sys.modules:  # no detector in this process: nothing to translate
        return {}
    import torch
    from onnxscript import opset18 as op

    def non_max_suppression(boxes, scores, max_per_group: int, iou_threshold: float, score_threshold: float):
        return op.NonMaxSuppression(
            boxes, scores,
            op.Constant(value_ints=[max_per_group]),
            op.Constant(value_floats=[iou_threshold]),
            op.Constant(value_floats=[score_threshold]),
        )  # fmt: skip

    return {torch.ops.trtready.non_max_suppression.default: non_max_suppression}
