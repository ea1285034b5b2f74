"""Detectors as users write them: small, random weights made to detect, post-processing in the model.

- :class:`FCOSLoop`: an FCOS-style head (per location class logits, ltrb distances and centerness at
  three strides) post-processed the torchvision way: a Python loop over the images, ``scores > thr``
  boolean masking, ``topk``, ``torchvision.ops.batched_nms``, ``keep[:K]``, a list of dicts;
- :class:`YoloLoop`: anchor-free, objectness times class probability, ``torch.where(cond)`` indices,
  ``batched_nms``, a list of ``[n, 6]`` tensors (the YOLOv5 ``non_max_suppression`` pattern);
- :class:`CenterNetLoop`: heatmap peaks, a Python loop over the classes, ``nonzero`` of a threshold
  mask, ``batched_nms`` with the image index as the group, one ``[M, 7]`` tensor;
- :class:`FCOSFixed`: :class:`FCOSLoop` with its post-processing rewritten for a fixed-size export:
  masks instead of boolean indexing, one :func:`trtready.detection.nms_fixed` for the batch.

``# MARK: name`` ends the line a diagnosis must name. The builders make the weights (from a
generator, so two builds are equal) and set the class-logit bias so that about ``FRACTION`` of
the scores clear the threshold on synthetic scenes: random weights would otherwise score
everything alike, and detections (and their comparison) would mean nothing.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
import torchvision
from torch import Tensor, nn

from trtready.detection import nms_fixed
from trtready.detection.scenes import scenes

IMAGE_SIZE = (96, 96)
NUM_CLASSES = 4
STRIDES = (8, 16, 32)
FRACTION = 0.02  # of the (location, class) scores above the threshold after calibration


class Backbone(nn.Module):
    """Three conv stages: features at strides 8, 16 and 32, ``width`` channels each."""

    def __init__(self, width: int = 16) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, width, 3, 2, 1), nn.ReLU(), nn.Conv2d(width, width, 3, 2, 1), nn.ReLU())
        self.stages = nn.ModuleList(nn.Sequential(nn.Conv2d(width, width, 3, 2, 1), nn.ReLU()) for _ in STRIDES)

    def forward(self, images: Tensor) -> list[Tensor]:
        x, features = self.stem(images - 0.5), []
        for stage in self.stages:
            x = stage(x)
            features.append(x)
        return features


def _grid(size: tuple[int, int], stride: int) -> Tensor:
    """``[H * W, 2]`` (x, y) centres of the locations of a level, in image pixels."""
    ys, xs = torch.meshgrid(torch.arange(size[0]), torch.arange(size[1]), indexing="ij")
    return (torch.stack([xs, ys], -1).reshape(-1, 2).float() + 0.5) * stride


class FCOSHead(nn.Module):
    """Backbone and a shared FCOS-style head; ``levels(images)`` gives, per stride,
    ``(class logits [B, HW, C], distances [B, HW, 4], centerness logits [B, HW], centres [HW, 2])``."""

    score_thresh = 0.2
    nms_thresh = 0.6
    topk_candidates = 100
    detections_per_img = 10

    def __init__(self, num_classes: int = NUM_CLASSES, width: int = 16, image_size: tuple[int, int] = IMAGE_SIZE) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.image_size = image_size
        self.backbone = Backbone(width)
        self.tower = nn.Sequential(nn.Conv2d(width, width, 3, 1, 1), nn.ReLU())
        self.cls_logits = nn.Conv2d(width, num_classes, 3, 1, 1)
        self.bbox_regression = nn.Conv2d(width, 4, 3, 1, 1)
        self.centerness = nn.Conv2d(width, 1, 3, 1, 1)
        sizes = [(-(-image_size[0] // s), -(-image_size[1] // s)) for s in STRIDES]
        for index, (size, stride) in enumerate(zip(sizes, STRIDES)):
            self.register_buffer(f"centres_{index}", _grid(size, stride), persistent=False)

    def levels(self, images: Tensor) -> list[tuple[Tensor, Tensor, Tensor, Tensor]]:
        out = []
        for index, (feature, stride) in enumerate(zip(self.backbone(images), STRIDES)):
            x = self.tower(feature)
            logits = self.cls_logits(x).flatten(2).transpose(1, 2)
            distances = torch.exp(self.bbox_regression(x).flatten(2).transpose(1, 2)) * stride
            centerness = self.centerness(x).flatten(1)
            out.append((logits, distances, centerness, getattr(self, f"centres_{index}")))
        return out

    def decode(self, centres: Tensor, distances: Tensor) -> Tensor:
        """``(x, y)`` centres and ``(l, t, r, b)`` distances -> corner boxes clipped to the image."""
        h, w = self.image_size
        x1 = (centres[..., 0] - distances[..., 0]).clamp(0, w)
        y1 = (centres[..., 1] - distances[..., 1]).clamp(0, h)
        x2 = (centres[..., 0] + distances[..., 2]).clamp(0, w)
        y2 = (centres[..., 1] + distances[..., 3]).clamp(0, h)
        return torch.stack([x1, y1, x2, y2], -1)

    def level_scores(self, logits: Tensor, centerness: Tensor) -> Tensor:
        """FCOS's scores: ``sqrt(sigmoid(class) * sigmoid(centerness))``, ``[..., HW * C]``."""
        return torch.sqrt(torch.sigmoid(logits) * torch.sigmoid(centerness).unsqueeze(-1)).flatten(-2)


class FCOSLoop(FCOSHead):
    """Post-processing as torchvision's FCOS writes it: image by image, a list of dicts."""

    def forward(self, images: Tensor) -> list[dict[str, Tensor]]:
        levels = self.levels(images)
        detections = []
        for i in range(images.shape[0]):  # MARK: fcos-loop
            image_boxes, image_scores, image_labels = [], [], []
            for logits, distances, centerness, centres in levels:
                scores = self.level_scores(logits[i], centerness[i])
                keep = scores > self.score_thresh
                scores = scores[keep]  # MARK: fcos-mask
                candidates = torch.where(keep)[0]
                scores, index = scores.topk(min(self.topk_candidates, candidates.numel()))
                candidates = candidates[index]
                location = torch.div(candidates, self.num_classes, rounding_mode="floor")
                image_boxes.append(self.decode(centres[location], distances[i, location]))
                image_scores.append(scores)
                image_labels.append(candidates % self.num_classes)
            boxes, scores, labels = torch.cat(image_boxes), torch.cat(image_scores), torch.cat(image_labels)
            keep = torchvision.ops.batched_nms(boxes, scores, labels, self.nms_thresh)  # MARK: fcos-nms
            keep = keep[: self.detections_per_img]
            detections.append({"boxes": boxes[keep], "scores": scores[keep], "labels": labels[keep]})
        return detections


class FCOSFixed(FCOSHead):
    """:class:`FCOSLoop` rewritten for a fixed-size export: the same detections, batched, padded."""

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        all_boxes, all_scores, all_labels = [], [], []
        for logits, distances, centerness, centres in self.levels(images):  # over levels: a fixed count
            scores = self.level_scores(logits, centerness)  # [B, HW * C]
            scores = torch.where(scores > self.score_thresh, scores, torch.full_like(scores, -1.0))  # a mask, no indexing
            scores, candidates = scores.topk(min(self.topk_candidates, scores.shape[1]), dim=1)
            location = torch.div(candidates, self.num_classes, rounding_mode="floor")
            picked = distances.gather(1, location.unsqueeze(-1).expand(-1, -1, 4))
            all_boxes.append(self.decode(centres[location], picked))
            all_scores.append(scores)
            all_labels.append(candidates % self.num_classes)
        boxes, scores, labels = torch.cat(all_boxes, 1), torch.cat(all_scores, 1), torch.cat(all_labels, 1)
        # nms_fixed suppresses within a group: one row of scores per class, valid where the class is the candidate's
        by_class = labels.unsqueeze(1) == torch.arange(self.num_classes).view(1, -1, 1)  # [B, C, N]
        valid = by_class & (scores > self.score_thresh).unsqueeze(1)
        return nms_fixed(boxes, scores.unsqueeze(1).expand(-1, self.num_classes, -1),
                         iou_threshold=self.nms_thresh, score_threshold=self.score_thresh,
                         max_detections=self.detections_per_img, valid=valid)  # fmt: skip


class YoloLoop(nn.Module):
    """Anchor-free YOLO-style head at stride 8: ``(cx, cy, w, h, objectness, classes)`` per location,
    post-processed like YOLOv5's ``non_max_suppression``: one ``[n, 6]`` tensor per image."""

    conf_thresh = 0.25
    iou_thresh = 0.45
    max_nms = 300
    max_det = 20

    def __init__(self, num_classes: int = NUM_CLASSES, width: int = 16, image_size: tuple[int, int] = IMAGE_SIZE) -> None:
        super().__init__()
        self.backbone = Backbone(width)
        self.cls_logits = nn.Conv2d(width, 5 + num_classes, 1)  # box (4), objectness, classes
        self.register_buffer("centres", _grid((-(-image_size[0] // 8), -(-image_size[1] // 8)), 8), persistent=False)

    def predict(self, images: Tensor) -> Tensor:
        x = self.cls_logits(self.backbone(images)[0]).flatten(2).transpose(1, 2)  # [B, HW, 5 + C]
        centre = self.centres + torch.tanh(x[..., :2]) * 8
        size = torch.exp(x[..., 2:4].clamp(max=4)) * 16
        return torch.cat([centre, size, torch.sigmoid(x[..., 4:])], -1)

    def forward(self, images: Tensor) -> list[Tensor]:
        prediction = self.predict(images)
        output = []
        for x in prediction:  # MARK: yolo-loop
            x = x[x[:, 4] > self.conf_thresh]  # MARK: yolo-mask
            scores = x[:, 5:] * x[:, 4:5]  # objectness times class probability
            box = torch.cat([x[:, :2] - x[:, 2:4] / 2, x[:, :2] + x[:, 2:4] / 2], 1)
            i, j = torch.where(scores > self.conf_thresh)
            x = torch.cat((box[i], scores[i, j, None], j[:, None].float()), 1)
            x = x[x[:, 4].argsort(descending=True)[: self.max_nms]]
            keep = torchvision.ops.batched_nms(x[:, :4], x[:, 4], x[:, 5].long(), self.iou_thresh)  # MARK: yolo-nms
            output.append(x[keep[: self.max_det]])
        return output


class CenterNetLoop(nn.Module):
    """CenterNet-like: class heatmaps, size and offset at stride 8, peaks by 3x3 max pooling; the
    loop is over the classes, NMS per class with the image index as the group."""

    score_thresh = 0.3
    iou_thresh = 0.5

    def __init__(self, num_classes: int = NUM_CLASSES, width: int = 16, image_size: tuple[int, int] = IMAGE_SIZE) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.backbone = Backbone(width)
        self.cls_logits = nn.Conv2d(width, num_classes, 3, 1, 1)
        self.size_offset = nn.Conv2d(width, 4, 3, 1, 1)
        self.register_buffer("centres", _grid((-(-image_size[0] // 8), -(-image_size[1] // 8)), 8), persistent=False)

    def forward(self, images: Tensor) -> Tensor:
        feature = self.backbone(images)[0]
        heat = torch.sigmoid(self.cls_logits(feature))
        peaks = (heat * (F.max_pool2d(heat, 3, 1, 1) == heat)).flatten(2)  # [B, C, HW]
        geometry = self.size_offset(feature).flatten(2).transpose(1, 2)  # [B, HW, 4]
        centre = self.centres + torch.tanh(geometry[..., 2:]) * 4
        half = torch.exp(geometry[..., :2].clamp(max=3)) * 8
        boxes = torch.cat([centre - half, centre + half], -1)  # [B, HW, 4]
        rows = []
        for c in range(self.num_classes):  # MARK: centernet-loop
            image, location = torch.nonzero(peaks[:, c] > self.score_thresh, as_tuple=True)  # MARK: centernet-mask
            class_boxes, class_scores = boxes[image, location], peaks[image, c, location]
            keep = torchvision.ops.batched_nms(class_boxes, class_scores, image, self.iou_thresh)  # MARK: centernet-nms
            label = torch.full_like(class_scores[keep], float(c))
            rows.append(torch.cat([image[keep, None].float(), label[:, None], class_scores[keep, None], class_boxes[keep]], 1))
        return torch.cat(rows)


class Classifier(nn.Module):
    """A plain classifier (no post-processing at all)."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.backbone = Backbone(8)
        self.fc = nn.Linear(8, num_classes)

    def forward(self, images: Tensor) -> Tensor:
        return self.fc(self.backbone(images)[-1].mean((2, 3)))


# -- builders: the same weights for the same arguments, scores calibrated -----------------------------------


def build_fcos_loop(seed: int = 0) -> FCOSLoop:
    return _calibrated(FCOSLoop(), seed)


def build_fcos_fixed(seed: int = 0) -> FCOSFixed:
    """:class:`FCOSFixed` with the weights of ``build_fcos_loop(seed)``."""
    fixed = FCOSFixed()
    fixed.load_state_dict(build_fcos_loop(seed).state_dict())
    return fixed.eval()


def build_yolo_loop(seed: int = 0) -> YoloLoop:
    return _calibrated(YoloLoop(), seed)


def build_centernet_loop(seed: int = 0) -> CenterNetLoop:
    return _calibrated(CenterNetLoop(), seed)


def build_classifier(seed: int = 0) -> Classifier:
    torch.manual_seed(seed)
    return Classifier().eval()


def _calibrated(model: nn.Module, seed: int) -> nn.Module:
    """Weights from ``seed``; the class logits spread (std 2) and shifted so that about ``FRACTION``
    of the scores clear the model's threshold on synthetic scenes."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * _init_scale(parameter))
        images = scenes(8, IMAGE_SIZE, seed=seed + 1000)
        layer = model.cls_logits
        logits, context = _class_logits(model, images)
        gain = 2.0 / float(logits.std())
        layer.weight.mul_(gain)
        layer.bias.mul_(gain)
        shift = _shift_for(lambda s: _scores(model, logits * gain + s, context), model)
        if isinstance(model, YoloLoop):  # objectness and class probabilities: the same shift on both
            layer.bias[4:].add_(shift)
        else:
            layer.bias.add_(shift)
    return model.eval()


def _init_scale(parameter: Tensor) -> float:
    if parameter.dim() == 1:
        return 0.1
    return (2.0 / parameter[0].numel()) ** 0.5  # He initialisation


def _class_logits(model: nn.Module, images: Tensor) -> tuple[Tensor, object]:
    """The logits the calibrated layer outputs (its scores' inputs) and what else the scores need."""
    if isinstance(model, FCOSHead):
        levels = model.levels(images)
        return torch.cat([lv[0] for lv in levels], 1), torch.cat([lv[2] for lv in levels], 1)
    if isinstance(model, YoloLoop):
        x = model.cls_logits(model.backbone(images)[0]).flatten(2).transpose(1, 2)
        return x[..., 4:], None
    return model.cls_logits(model.backbone(images)[0]), None


def _scores(model: nn.Module, logits: Tensor, context) -> Tensor:
    if isinstance(model, FCOSHead):
        return model.level_scores(logits, context)
    if isinstance(model, YoloLoop):
        probs = torch.sigmoid(logits)
        return probs[..., :1] * probs[..., 1:]
    return torch.sigmoid(logits)


def _shift_for(scores_at, model: nn.Module) -> float:
    """The logit shift at which ``FRACTION`` of the scores clear the threshold (bisection)."""
    threshold = getattr(model, "score_thresh", getattr(model, "conf_thresh", 0.5))
    low, high = -20.0, 20.0
    for _ in range(40):
        middle = (low + high) / 2
        share = float((scores_at(middle) > threshold).float().mean())
        low, high = (middle, high) if share < FRACTION else (low, middle)
    return (low + high) / 2
