"""Faster, Mask and Keypoint R-CNN with batched, fixed-size post-processing.

The region proposal network keeps, per image, ``post_nms_top_n`` proposals in a fixed
``[B, P, 4]`` tensor (rows past the kept ones padded and masked out downstream);
``MultiScaleRoIAlign`` pools every proposal from every level (ONNX ``RoiAlign``) and
selects each proposal's own level with a mask instead of gathering by level; the box
head's per-class boxes go through class-wise NMS with one box set per class.
Mask R-CNN adds ``masks [B, K, M, M]``: the mask probabilities of each detection's class in
its box (torchvision pastes them into the image afterwards, with a per-box resize whose size
depends on the box: paste them on the host, e.g. with
``torchvision.models.detection.roi_heads.paste_masks_in_image``). Keypoint R-CNN adds
``keypoint_heatmaps [B, K, J, S, S]``: torchvision decodes them with a bicubic resize to each
box's own size, whose output size depends on the data, so decoding stays on the host
(``torchvision.models.detection.roi_heads.heatmaps_to_keypoints``).
"""

from __future__ import annotations

import torch
from torch import Tensor
from torchvision.models.detection import KeypointRCNN, MaskRCNN
from torchvision.models.detection.rpn import concat_box_prediction_layers
from torchvision.ops import boxes as box_ops
from torchvision.ops import roi_align
from torchvision.ops.poolers import MultiScaleRoIAlign, _filter_input, _setup_scales

from .nms import nms_fixed, static_size
from .torchvision_models import FixedSizeDetector

__all__ = ["RCNNDetector"]


class RCNNDetector(FixedSizeDetector):
    """Faster R-CNN and its Mask / Keypoint variants, any backbone."""

    def __init__(self, model, image_size, max_detections, plugin) -> None:
        super().__init__(model, image_size, max_detections, plugin)
        self.output_names = OUTPUTS_BY_KIND[_kind(model)]
        self._pool_levels = {}

    def default_detections(self) -> int:
        return self.model.roi_heads.detections_per_img

    def detect(self, images: Tensor):
        batch = self.prepare(images)
        features = self.model.backbone(batch)
        features = {"0": features} if isinstance(features, Tensor) else features
        proposals, proposal_valid = self.proposals(list(features.values()))
        heads = self.model.roi_heads
        pooled = self.pool(heads.box_roi_pool, features, proposals)
        class_logits, box_regression = heads.box_predictor(heads.box_head(pooled))
        num, boxes, scores, labels = self.detections(class_logits, box_regression, proposals, proposal_valid)
        outputs = [num, self.prepare.scale_boxes(boxes), scores, labels]
        if isinstance(self.model, MaskRCNN):
            outputs.append(self.masks(features, boxes, labels))
        if isinstance(self.model, KeypointRCNN):
            outputs.append(self.keypoint_heatmaps(features, boxes))
        return tuple(outputs)

    # -- region proposals ---------------------------------------------------------------
    def proposals(self, features: list[Tensor]) -> tuple[Tensor, Tensor]:
        """``[B, P, 4]`` proposals and which rows are real, as ``rpn.filter_proposals`` keeps them."""
        rpn = self.model.rpn
        objectness, deltas = rpn.head(features)
        per_level = [static_size(o, 1) * static_size(o, 2) * static_size(o, 3) for o in objectness]
        objectness, deltas = concat_box_prediction_layers(objectness, deltas)
        anchors = self.anchors.repeat(deltas.shape[0] // self.anchors.shape[0], 1)  # the same for every image
        boxes = rpn.box_coder.decode_single(deltas, anchors).reshape(-1, self.anchors.shape[0], 4)
        objectness = objectness.reshape(boxes.shape[0], -1)
        top = rpn._get_top_n_idx(objectness, per_level)  # [B, candidates], batched already
        levels = torch.cat([torch.full((n,), i, dtype=torch.int64) for i, n in enumerate(per_level)])[top]
        objectness = objectness.gather(1, top)
        boxes = boxes.gather(1, top.unsqueeze(-1).expand(-1, -1, 4))
        scores = torch.sigmoid(objectness)
        boxes = box_ops.clip_boxes_to_image(boxes, self.prepare.resized)
        valid = _large_enough(boxes, rpn.min_size) & (scores >= rpn.score_thresh)
        count = len(per_level)
        by_level = levels.unsqueeze(1) == torch.arange(count).view(1, -1, 1)
        dense = scores.unsqueeze(1).expand(-1, count, -1)
        num, kept, _, _ = nms_fixed(boxes, dense, iou_threshold=rpn.nms_thresh, score_threshold=-1.0,
                                    max_detections=rpn.post_nms_top_n(), valid=by_level & valid.unsqueeze(1))  # fmt: skip
        real = torch.arange(kept.shape[1]).view(1, -1) < num.view(-1, 1)
        return kept, real

    # -- RoI pooling -------------------------------------------------------------------------
    def pool(self, pooler: MultiScaleRoIAlign, features: dict[str, Tensor], boxes: Tensor) -> Tensor:
        """``pooler(features, boxes per image)`` for ``[B, R, 4]`` boxes -> ``[B * R, C, S, S]``."""
        maps = _filter_input(features, pooler.featmap_names)
        scales, mapper = self._scales(pooler, maps)
        flat = boxes.reshape(-1, 4)
        image = torch.zeros_like(boxes[..., :1]) + torch.arange(boxes.shape[0], dtype=boxes.dtype).view(-1, 1, 1)
        rois = torch.cat([image.reshape(-1, 1), flat], dim=1)
        pooled = [roi_align(m, rois, pooler.output_size, spatial_scale=s, sampling_ratio=pooler.sampling_ratio)
                  for m, s in zip(maps, scales)]  # fmt: skip
        if len(pooled) == 1:
            return pooled[0]
        level = mapper([flat]).view(-1, 1, 1, 1)
        result = pooled[0]
        for index, level_result in enumerate(pooled[1:], start=1):
            result = torch.where(level == index, level_result, result)
        return result

    def _scales(self, pooler: MultiScaleRoIAlign, maps: list[Tensor]):
        key = id(pooler)
        if key not in self._pool_levels:
            self._pool_levels[key] = _setup_scales(maps, [self.prepare.padded], pooler.canonical_scale, pooler.canonical_level)
        return self._pool_levels[key]

    # -- box head post-processing --------------------------------------------------------------
    def detections(self, class_logits, box_regression, proposals, proposal_valid):
        heads = self.model.roi_heads
        count = static_size(proposals, 1)
        boxes = heads.box_coder.decode_single(box_regression, proposals.reshape(-1, 4))
        boxes = box_ops.clip_boxes_to_image(boxes.reshape(-1, count, static_size(class_logits, 1), 4), self.prepare.resized)
        scores = torch.softmax(class_logits, -1).reshape(-1, count, static_size(class_logits, 1))
        boxes, scores = boxes[:, :, 1:].transpose(1, 2), scores[:, :, 1:].transpose(1, 2)  # [B, classes - 1, R, ...]
        valid = (scores > heads.score_thresh) & _large_enough(boxes, 1e-2) & proposal_valid.unsqueeze(1)
        labels = torch.arange(1, static_size(scores, 1) + 1)
        return self.nms(boxes, scores, iou=heads.nms_thresh, threshold=heads.score_thresh, group_labels=labels, valid=valid)

    def masks(self, features, boxes: Tensor, labels: Tensor) -> Tensor:
        heads = self.model.roi_heads
        logits = heads.mask_predictor(heads.mask_head(self.pool(heads.mask_roi_pool, features, boxes)))
        logits = logits.reshape(-1, static_size(boxes, 1), *logits.shape[1:])
        index = torch.where(labels >= 0, labels, torch.zeros_like(labels)).view(  # Clip takes no INT64 in TensorRT
            *labels.shape, 1, 1, 1).expand(-1, -1, 1, *logits.shape[-2:])
        return logits.gather(2, index)[:, :, 0].sigmoid()  # indexing, not squeeze: squeeze(d) exports as an If

    def keypoint_heatmaps(self, features, boxes: Tensor) -> Tensor:
        heads = self.model.roi_heads
        logits = heads.keypoint_predictor(heads.keypoint_head(self.pool(heads.keypoint_roi_pool, features, boxes)))
        return logits.reshape(-1, static_size(boxes, 1), *logits.shape[1:])


def _large_enough(boxes: Tensor, size: float) -> Tensor:
    """``remove_small_boxes`` as a mask: both sides at least ``size``."""
    return ((boxes[..., 2] - boxes[..., 0]) >= size) & ((boxes[..., 3] - boxes[..., 1]) >= size)


def _kind(model) -> str:
    return "mask" if isinstance(model, MaskRCNN) else "keypoint" if isinstance(model, KeypointRCNN) else "box"


OUTPUTS_BY_KIND = {
    "box": ("num_detections", "boxes", "scores", "labels"),
    "mask": ("num_detections", "boxes", "scores", "labels", "masks"),
    "keypoint": ("num_detections", "boxes", "scores", "labels", "keypoint_heatmaps"),
}
