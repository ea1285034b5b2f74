"""Turning a detector handed to ``export`` into the module that is exported and the one it is
verified against."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..errors import InputSpecError, UserError
from ..options import DetectionOptions
from .compare import DetectionSpec
from .reference import ExtrasAtBoxes, PaddedReference
from .torchvision_models import DETECTOR_CLASSES, FixedSizeDetector, fixed_size_detector

__all__ = ["DetectorExport", "example_images", "is_detector", "prepare_detector"]

NMS_GUIDE = "https://github.com/onnx/onnx-tensorrt/blob/main/docs/operators.md"


@dataclass
class DetectorExport:
    module: FixedSizeDetector  # what is exported: batched, fixed-size post-processing
    reference: nn.Module  # what it is verified against: the model's own eager code, padded
    images: torch.Tensor  # the example batch [B, 3, H, W]
    spec: DetectionSpec
    note: str


def is_detector(model: nn.Module) -> bool:
    return isinstance(model, DETECTOR_CLASSES)


def prepare_detector(model: nn.Module, args: tuple, options: DetectionOptions) -> DetectorExport | None:
    """The export and reference modules for a torchvision detector; None for another model
    (an error when the user asked for detection options on one)."""
    if not is_detector(model):
        if options.asked:
            raise UserError(
                f"--detections/--nms apply to torchvision detection models; {type(model).__name__} is not one",
                hint="in your own post-processing, call trtready.detection.nms_fixed instead of a per-image "
                     "batched_nms loop (see docs/detection.md)",
            )  # fmt: skip
        return None
    images = example_images(args)
    size = tuple(images.shape[-2:])
    module = fixed_size_detector(model, size, max_detections=options.max_detections, plugin=options.nms == "plugin").eval()
    names = module.output_names
    reference = PaddedReference(model, module.max_detections, names).eval()
    iou = model.roi_heads.nms_thresh if hasattr(model, "roi_heads") else model.nms_thresh
    extras_at = ExtrasAtBoxes(model, names) if names[4:] else None
    spec = DetectionSpec(names, size, float(iou), module.max_detections, extras_at=extras_at)
    nms = "NVIDIA's EfficientNMS_TRT plugin" if options.nms == "plugin" else "ONNX NonMaxSuppression + TopK"
    note = (f"{type(model).__name__}: post-processing exported batched with fixed-size outputs "
            f"({', '.join(names)}; K = {module.max_detections} rows per image, rows past num_detections padded) "
            f"for {size[0]}x{size[1]} images, NMS as {nms}; verified image by image against torchvision's own "
            "eager post-processing")  # fmt: skip
    return DetectorExport(module, reference, images, spec, note)


def example_images(args: tuple) -> torch.Tensor:
    """The example as one ``[B, 3, H, W]`` tensor (torchvision takes a list of ``[3, H, W]``)."""
    first = args[0] if len(args) == 1 else args
    if isinstance(first, torch.Tensor) and first.dim() == 4:
        return first
    if isinstance(first, (list, tuple)) and first and all(isinstance(t, torch.Tensor) and t.dim() == 3 for t in first):
        if len({tuple(t.shape) for t in first}) != 1:
            raise InputSpecError("the example images differ in size",
                                 hint="a fixed-size export takes images of one size: resize them first")  # fmt: skip
        return torch.stack(list(first))
    raise InputSpecError("a detector's example must be images: a [B, 3, H, W] tensor or a list of [3, H, W] tensors",
                         hint="e.g. --input images:2x3x512x512")  # fmt: skip
