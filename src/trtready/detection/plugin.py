"""NVIDIA's ``EfficientNMS_TRT`` plugin: its attributes, what it computes, and how ``nms_fixed``
emits it (``plugin=True``, ``trtready export --nms plugin``).

The plugin ships with TensorRT's plugin library (libnvinfer_plugin); its README,
https://github.com/NVIDIA/TensorRT/tree/main/plugin/efficientNMSPlugin, documents it: boxes
``[B, N, 4]`` (shared by the classes) or ``[B, N, C, 4]`` (one per class), scores ``[B, N, C]``;
outputs ``num_detections [B, 1]`` int32, ``detection_boxes [B, K, 4]``,
``detection_scores [B, K]``, ``detection_classes [B, K]`` int32. :func:`efficient_nms_semantics`
computes that in PyTorch, float32, following the README and the plugin's CUDA source
(``efficientNMSInference.cu`` in the same folder) where the README is silent:

- a score is a candidate when it is ``>= score_threshold`` and its class is not ``background_class``;
  with ``score_activation`` the threshold is compared in logit space and sigmoid is applied to the
  scores written out;
- below a threshold of 0.007 the plugin takes a dense path: the scores under the threshold stay
  candidates with the score -32768 (they sort last and are written out when fewer real candidates
  than ``max_output_boxes`` survive);
- candidates are sorted by score, descending; the highest 4096 of an image go through a greedy NMS,
  class by class unless ``class_agnostic``, a box dropped when its IoU (corners reordered) with a
  kept box is ``>= iou_threshold``; the first ``max_output_boxes`` kept are written out, the rest
  of the rows are zero;
- ``box_coding`` 1 reads ``[x, y, w, h]``; the boxes written out are always corners.

:func:`efficient_nms` is what ``nms_fixed(..., plugin=True)`` calls: one plugin node, then the
labels of the groups gathered and the rows the plugin fills from its dense path (or that score at
the threshold exactly, which ``nms_fixed``'s ONNX NonMaxSuppression path drops) padded again, so both
paths return the same detections.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
import torchvision
from torch import Tensor

from ..catalog.references import EFFICIENT_NMS_PLUGIN
from ..errors import UserError
from ..plugins import PluginSpec, plugin_function

__all__ = [
    "EFFICIENT_NMS",
    "EFFICIENT_NMS_README",
    "SELECTED_BOXES",
    "EfficientNMSAttributes",
    "efficient_nms",
    "efficient_nms_semantics",
]

EFFICIENT_NMS = "EfficientNMS_TRT"
EFFICIENT_NMS_README = EFFICIENT_NMS_PLUGIN.url
SELECTED_BOXES = 4096  # "the highest 4096 scores are processed" by the NMS kernel
DENSE_BELOW = 0.007  # a lower threshold selects the plugin's dense path
DENSE_SCORE = -32768.0  # what the dense path gives a score under the threshold


@dataclass(frozen=True)
class EfficientNMSAttributes:
    """The plugin's fields, with the defaults of its creator when a node leaves one out."""

    score_threshold: float = 0.5
    iou_threshold: float = 0.5
    max_output_boxes: int = 100
    background_class: int = -1
    score_activation: bool = False
    class_agnostic: bool = False
    box_coding: int = 0  # 0: [x1, y1, x2, y2], 1: [x, y, w, h]

    def __post_init__(self) -> None:
        if self.max_output_boxes < 1:
            raise UserError(f"{EFFICIENT_NMS}: max_output_boxes={self.max_output_boxes}",
                            hint="ask for at least one detection per image")  # fmt: skip
        if self.box_coding not in (0, 1):
            raise UserError(f"{EFFICIENT_NMS}: box_coding={self.box_coding}", hint="0 (corners) or 1 (center, size)")

    @classmethod
    def of_node(cls, node) -> EfficientNMSAttributes:
        """The attributes of an ``onnx_ir`` node (missing ones: the creator's defaults)."""
        found = {}
        for name, default in asdict(cls()).items():
            attr = node.attributes.get(name)
            if attr is not None:
                found[name] = type(default)(attr.value)
        return cls(**found)

    def plugin_spec(self) -> PluginSpec:
        """The node ``nms_fixed`` emits: float fields as floats, the others as ints."""
        fields = {k: (float(v) if isinstance(v, float) else int(v)) for k, v in asdict(self).items()}
        return PluginSpec(EFFICIENT_NMS, version="1", namespace="", attributes=fields)

    def threshold(self) -> tuple[float, bool]:
        """``(threshold the raw scores are compared with, dense path?)``, in float32 as the kernel."""
        threshold, select = np.float32(self.score_threshold), np.float32(DENSE_BELOW)
        if self.score_activation:  # compared before the sigmoid: the threshold goes to logit space
            threshold = np.float32(DENSE_SCORE) if threshold <= 0 else np.log(threshold / (np.float32(1) - threshold))
            select = np.log(select / (np.float32(1) - select))
        return float(threshold), bool(threshold < select)


def efficient_nms(
    boxes: Tensor, scores: Tensor, iou_threshold: float, score_threshold: float, max_detections: int, labels: Tensor
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """``nms_fixed``'s result from one ``EfficientNMS_TRT`` node: boxes ``[B, N, 4]`` or
    ``[B, G, N, 4]``, scores ``[B, G, N]``, ``labels [G]`` the label of each group ->
    ``(num_detections [B] int32, boxes [B, K, 4], scores [B, K], labels [B, K] int64)``."""
    attrs = EfficientNMSAttributes(float(score_threshold), float(iou_threshold), int(max_detections))
    plugin_scores = scores.detach().transpose(1, 2)  # [B, N, G]; no gradient flows through an NMS
    plugin_boxes = (boxes.transpose(1, 2) if boxes.dim() == 4 else boxes).detach()  # [B, N, G, 4] or [B, N, 4]
    node = plugin_function(attrs.plugin_spec(), lambda b, s: efficient_nms_semantics(b, s, attrs))
    count, det_boxes, det_scores, classes = node.apply(plugin_boxes, plugin_scores)
    rank = torch.arange(attrs.max_output_boxes, dtype=torch.int32, device=scores.device).view(1, -1)
    kept = (rank < count.view(-1, 1)) & (det_scores > score_threshold)  # as nms_fixed: above, not at
    out_labels = torch.where(kept, labels[classes.long()], torch.full_like(kept, -1, dtype=torch.int64))
    out_boxes = torch.where(kept.unsqueeze(-1), det_boxes, torch.zeros_like(det_boxes))
    out_scores = torch.where(kept, det_scores, torch.zeros_like(det_scores))
    return kept.to(torch.int32).sum(1, dtype=torch.int32), out_boxes, out_scores, out_labels


def efficient_nms_semantics(boxes: Tensor, scores: Tensor, attrs: EfficientNMSAttributes):
    """The plugin's four outputs for boxes ``[B, N, 4]``/``[B, N, C, 4]`` and scores ``[B, N, C]``
    (see the module doc): ``(num [B, 1] int32, boxes [B, K, 4], scores [B, K], classes [B, K] int32)``."""
    _check_inputs(boxes, scores)
    images = [_image(boxes[b], scores[b], attrs) for b in range(scores.shape[0])]
    k = attrs.max_output_boxes
    num = torch.tensor([[len(kept[0])] for kept in images], dtype=torch.int32).reshape(-1, 1)
    out_boxes = scores.new_zeros((scores.shape[0], k, 4), dtype=boxes.dtype)
    out_scores = scores.new_zeros((scores.shape[0], k))
    out_classes = torch.zeros((scores.shape[0], k), dtype=torch.int32, device=scores.device)
    for b, (image_boxes, image_scores, image_classes) in enumerate(images):
        n = len(image_boxes)
        out_boxes[b, :n], out_scores[b, :n], out_classes[b, :n] = image_boxes, image_scores, image_classes
    return num.to(scores.device), out_boxes, out_scores, out_classes


def _check_inputs(boxes: Tensor, scores: Tensor) -> None:
    shared = boxes.dim() == 3 or (boxes.dim() == 4 and boxes.shape[2] == 1)
    ok = scores.dim() == 3 and boxes.shape[-1] == 4 and boxes.shape[:2] == scores.shape[:2]
    if not ok or not (shared or (boxes.dim() == 4 and boxes.shape[2] == scores.shape[2])):
        raise UserError(f"{EFFICIENT_NMS}: boxes {list(boxes.shape)} do not fit scores {list(scores.shape)}",
                        hint="boxes [B, N, 4] or [B, N, C, 4] and scores [B, N, C]")  # fmt: skip


def _image(boxes: Tensor, scores: Tensor, attrs: EfficientNMSAttributes) -> tuple[Tensor, Tensor, Tensor]:
    """One image: the kept rows' boxes, scores and classes, best first."""
    classes_count = scores.shape[1]
    flat = scores.reshape(-1)  # element = anchor * C + class, as the kernel indexes them
    threshold, dense = attrs.threshold()
    element_class = torch.arange(flat.numel(), device=flat.device) % classes_count
    dropped = (flat < threshold) | (element_class == attrs.background_class)
    if dense:  # every element stays a candidate; the dropped ones score -32768
        candidates, keys = torch.arange(flat.numel(), device=flat.device), torch.where(dropped, DENSE_SCORE, flat)
    else:
        candidates = torch.nonzero(~dropped).flatten()
        keys = flat[candidates]
    order = torch.sort(keys, descending=True, stable=True).indices[:SELECTED_BOXES]
    candidates, keys = candidates[order], keys[order]
    anchor, cls = candidates // classes_count, candidates % classes_count
    rows = boxes.reshape(boxes.shape[0], -1, 4)
    box = rows[anchor, 0] if rows.shape[1] == 1 else rows[anchor, cls]
    if attrs.box_coding == 1:
        box = torch.cat([box[:, :2] - box[:, 2:] / 2, box[:, :2] + box[:, 2:] / 2], dim=1)
    kept = _greedy_nms(box, cls, attrs)[: attrs.max_output_boxes]
    out_scores = torch.sigmoid(keys[kept]) if attrs.score_activation else keys[kept]
    return box[kept], out_scores, cls[kept].to(torch.int32)


def _greedy_nms(box: Tensor, cls: Tensor, attrs: EfficientNMSAttributes) -> Tensor:
    """Positions kept, in candidate order: a box goes when its IoU with a kept, earlier box of its
    class (any class if ``class_agnostic``) is ``>= iou_threshold``."""
    if box.numel() == 0:
        return torch.zeros(0, dtype=torch.int64, device=box.device)
    corners = torch.cat([torch.minimum(box[:, :2], box[:, 2:]), torch.maximum(box[:, :2], box[:, 2:])], dim=1)
    rank = -torch.arange(len(box), dtype=torch.float32, device=box.device)  # candidate order, no ties
    below = float(np.nextafter(np.float32(attrs.iou_threshold), np.float32(-np.inf)))  # IoU > below <=> IoU >= t
    groups = [torch.arange(len(box), device=box.device)] if attrs.class_agnostic else [
        torch.nonzero(cls == c).flatten() for c in torch.unique(cls)
    ]  # fmt: skip
    kept = [g[torchvision.ops.nms(corners[g].float(), rank[g], below)] for g in groups]
    return torch.sort(torch.cat(kept)).values
