"""torchvision's detectors with batched, fixed-size post-processing.

Each wrapper runs the model's own modules (transform parameters, backbone, heads, anchor
generator, box coder, RoI poolers) and re-expresses the per-image Python post-processing
of torchvision's code as batched tensor operations with the same semantics: a score
threshold becomes a mask, a ``topk`` of the surviving scores becomes a ``topk`` of the
masked scores, ``batched_nms(...)[:K]`` becomes :func:`~trtready.detection.nms.nms_fixed`.
The image size is fixed (the anchors and the resize are computed once for it); the batch
stays dynamic. Models built from these classes with other backbones, heads, class counts or
thresholds are handled the same way: the wrapper reads everything from the instance.
"""

from __future__ import annotations

import warnings

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchvision.models.detection import FCOS, FasterRCNN, RetinaNet
from torchvision.models.detection.ssd import SSD
from torchvision.models.detection.image_list import ImageList
from torchvision.models.detection.transform import GeneralizedRCNNTransform, _resize_image_and_masks
from torchvision.ops import boxes as box_ops

from .nms import index_divmod, nms_fixed, static_size

__all__ = ["DETECTOR_CLASSES", "BatchTransform", "fixed_size_detector"]

DETECTOR_CLASSES = (RetinaNet, FCOS, SSD, FasterRCNN)  # Mask and Keypoint R-CNN derive from FasterRCNN
OUTPUTS = ("num_detections", "boxes", "scores", "labels")


class BatchTransform(nn.Module):
    """``GeneralizedRCNNTransform`` on a batch of images of one known size: normalise, resize,
    pad to the size divisor, exactly as it does image by image; ``scale_boxes`` maps boxes
    back to the input image, as its ``postprocess`` does."""

    def __init__(self, transform: GeneralizedRCNNTransform, image_size: tuple[int, int]) -> None:
        super().__init__()
        self.transform = transform
        self.image_size = tuple(image_size)
        probe = torch.zeros(3, *image_size)
        resized, _ = _resize_image_and_masks(probe, transform.min_size[-1], transform.max_size, None, transform.fixed_size)
        self.resized = tuple(resized.shape[-2:])
        divisor = transform.size_divisible
        self.padded = tuple(-(-s // divisor) * divisor for s in self.resized)
        self.register_buffer("mean", torch.tensor(transform.image_mean).view(1, -1, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(transform.image_std).view(1, -1, 1, 1), persistent=False)
        ratios = [s / o for s, o in zip(self.image_size, self.resized)]  # (height, width): resized -> input
        self.register_buffer("ratios", torch.tensor([ratios[1], ratios[0]] * 2, dtype=torch.float32), persistent=False)

    def forward(self, images: Tensor) -> Tensor:
        x = (images - self.mean) / self.std
        x = F.interpolate(x, size=self.resized, mode="bilinear", align_corners=False)
        return F.pad(x, (0, self.padded[1] - self.resized[1], 0, self.padded[0] - self.resized[0]))

    def image_list(self, batch: Tensor) -> ImageList:
        return ImageList(batch, [self.resized] * batch.shape[0])

    def scale_boxes(self, boxes: Tensor) -> Tensor:
        """Boxes in the resized image -> in the input image (torchvision's ``resize_boxes``)."""
        return boxes * self.ratios


class FixedSizeDetector(nn.Module):
    """Base: ``forward(images [B, 3, H, W])`` -> ``(num_detections, boxes, scores, labels, ...)``."""

    output_names: tuple[str, ...] = OUTPUTS

    def __init__(self, model: nn.Module, image_size: tuple[int, int], max_detections: int | None, plugin: bool) -> None:
        super().__init__()
        self.model = model
        self.prepare = BatchTransform(model.transform, image_size)
        self.max_detections = int(max_detections or self.default_detections())
        self.plugin = plugin
        with torch.no_grad():
            batch = self.prepare(torch.zeros(1, 3, *image_size))
            features = self.features(batch)
            generator = model.anchor_generator if hasattr(model, "anchor_generator") else model.rpn.anchor_generator
            anchors = generator(self.prepare.image_list(batch), features)[0]  # the same for every image
        locations = [f.shape[-2] * f.shape[-1] for f in features]
        self.level_anchors = [n * (len(anchors) // sum(locations)) for n in locations]  # anchors per level
        self.register_buffer("anchors", anchors, persistent=False)

    def forward(self, images: Tensor) -> tuple[Tensor, ...]:
        with warnings.catch_warnings():  # torchvision's sizes, scales and box constants: fixed for this image size
            warnings.filterwarnings("ignore", category=torch.jit.TracerWarning, module="torchvision")
            warnings.filterwarnings("ignore", category=torch.jit.TracerWarning, module="torch$")  # torch._assert on shapes
            return self.detect(images)

    def detect(self, images: Tensor) -> tuple[Tensor, ...]:
        raise NotImplementedError

    def default_detections(self) -> int:
        return self.model.detections_per_img

    def features(self, batch: Tensor) -> list[Tensor]:
        features = self.model.backbone(batch)
        return [features] if isinstance(features, Tensor) else list(features.values())

    def finish(self, num, boxes, scores, labels) -> tuple[Tensor, ...]:
        return num, self.prepare.scale_boxes(boxes), scores, labels

    def nms(self, boxes, scores, *, iou: float, threshold: float, **kwargs):
        return nms_fixed(boxes, scores, iou_threshold=iou, score_threshold=threshold,
                         max_detections=self.max_detections, plugin=self.plugin, **kwargs)  # fmt: skip


class DenseDetector(FixedSizeDetector):
    """RetinaNet and FCOS: per level, the ``topk_candidates`` best (anchor, class) scores above
    ``score_thresh``, decoded and clipped; then class-wise NMS over all levels."""

    def detect(self, images: Tensor):
        batch = self.prepare(images)
        head = self.model.head(self.features(batch))
        per_level = self.level_anchors
        scores = self.level_scores(head)
        regression = head["bbox_regression"]
        classes = static_size(scores, -1)
        candidates = [
            self._level_candidates(s, r, a, classes)
            for s, r, a in zip(scores.split(per_level, 1), regression.split(per_level, 1), self.anchors.split(per_level))
        ]  # fmt: skip
        boxes, top, labels = (torch.cat(parts, 1) for parts in zip(*candidates))
        model = self.model
        by_class = labels.unsqueeze(1) == torch.arange(classes, device=labels.device).view(1, -1, 1)
        valid = by_class & (top > model.score_thresh).unsqueeze(1)
        dense = top.unsqueeze(1).expand(-1, classes, -1)
        return self.finish(*self.nms(boxes, dense, iou=model.nms_thresh, threshold=model.score_thresh, valid=valid))

    def level_scores(self, head) -> Tensor:
        """``[B, anchors, classes]`` scores, as the model's ``postprocess_detections`` computes them."""
        if isinstance(self.model, FCOS):
            return torch.sqrt(torch.sigmoid(head["cls_logits"]) * torch.sigmoid(head["bbox_ctrness"]))
        return torch.sigmoid(head["cls_logits"])

    def _level_candidates(self, scores: Tensor, regression: Tensor, anchors: Tensor, classes: int):
        model = self.model
        flat = scores.flatten(1)
        masked = torch.where(flat > model.score_thresh, flat, torch.full_like(flat, -1.0))
        top, index = masked.topk(min(model.topk_candidates, static_size(flat, 1)), dim=1)
        anchor_index, labels = index_divmod(index, classes)
        codes = regression.gather(1, anchor_index.unsqueeze(-1).expand(-1, -1, 4))
        boxes = self.decode(codes.reshape(-1, 4), anchors[anchor_index.reshape(-1)]).reshape(codes.shape)
        return box_ops.clip_boxes_to_image(boxes, self.prepare.resized), top, labels

    def decode(self, codes: Tensor, anchors: Tensor) -> Tensor:
        coder = self.model.box_coder
        return coder.decode(codes, anchors) if isinstance(self.model, FCOS) else coder.decode_single(codes, anchors)


class SSDDetector(FixedSizeDetector):
    """SSD and SSDlite: softmax scores, per class the ``topk_candidates`` best boxes above
    ``score_thresh``, class-wise NMS."""

    def detect(self, images: Tensor):
        model = self.model
        batch = self.prepare(images)
        head = model.head(self.features(batch))
        regression = head["bbox_regression"]
        boxes = model.box_coder.decode_single(regression.reshape(-1, 4), self.anchors.repeat(regression.shape[0], 1))
        boxes = box_ops.clip_boxes_to_image(boxes.reshape(regression.shape), self.prepare.resized)
        scores = F.softmax(head["cls_logits"], dim=-1)[..., 1:].transpose(1, 2)  # [B, classes - 1, anchors]
        masked = torch.where(scores > model.score_thresh, scores, torch.full_like(scores, -1.0))
        top, index = masked.topk(min(model.topk_candidates, static_size(scores, -1)), dim=-1)
        per_class = boxes.unsqueeze(1).expand(-1, scores.shape[1], -1, -1).gather(2, index.unsqueeze(-1).expand(-1, -1, -1, 4))
        labels = torch.arange(1, static_size(scores, 1) + 1)
        return self.finish(*self.nms(per_class, top, iou=model.nms_thresh, threshold=model.score_thresh,
                                     group_labels=labels, valid=top > model.score_thresh))  # fmt: skip


def fixed_size_detector(
    model: nn.Module, image_size: tuple[int, int], *, max_detections: int | None = None, plugin: bool = False
) -> FixedSizeDetector | None:
    """The fixed-size wrapper for a torchvision detector instance, or None for another model."""
    from .rcnn import RCNNDetector

    for cls, wrapper in ((RetinaNet, DenseDetector), (FCOS, DenseDetector), (SSD, SSDDetector), (FasterRCNN, RCNNDetector)):
        if isinstance(model, cls):
            return wrapper(model, image_size, max_detections, plugin)
    return None

