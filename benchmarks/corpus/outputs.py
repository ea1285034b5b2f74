"""Output structures ONNX cannot hold as such (seed 000: None tensors; Python values out of the graph).

Dicts and tuples with a ``None`` entry (a disabled mask head, an absent
auxiliary output, a non-recurrent tracker's state) are exported without it;
Python scalars (a stride, a count, a scale) cannot be graph outputs at all.
A nested dict/tuple/list output is the clean control.
"""

from __future__ import annotations

import torch
from torch import nn

from ._data import features, image, inputs
from ._entry import Entry, conv_bn_act


class DetectorNoMasks(nn.Module):
    """A Mask R-CNN-style head with the mask branch disabled: ``{"boxes", "scores", "masks": None}``."""

    def __init__(self, with_masks: bool = False):
        super().__init__()
        self.with_masks = with_masks
        self.backbone = nn.Sequential(conv_bn_act(3, 16, 2), conv_bn_act(16, 32, 2), nn.AdaptiveAvgPool2d(4))
        self.boxes = nn.Linear(32, 4)
        self.scores = nn.Linear(32, 3)
        self.masks = nn.Conv2d(32, 1, 1)

    def forward(self, images):
        f = self.backbone(images)
        tokens = f.flatten(2).transpose(1, 2)
        return {
            "boxes": self.boxes(tokens).sigmoid() * images.shape[-1],
            "masks": self.masks(f).sigmoid() if self.with_masks else None,
            "scores": self.scores(tokens).softmax(-1),
        }


class SegmenterNoAux(nn.Module):
    """A torchvision-style segmenter returning ``OrderedDict(out=..., aux=None)`` when built without aux loss."""

    def __init__(self, aux: bool = False):
        super().__init__()
        self.aux = aux
        self.backbone = nn.Sequential(conv_bn_act(3, 16, 2), conv_bn_act(16, 16))
        self.classifier = nn.Conv2d(16, 4, 1)
        self.aux_classifier = nn.Conv2d(16, 4, 1)

    def forward(self, images):
        f = self.backbone(images)
        out = nn.functional.interpolate(self.classifier(f), size=images.shape[-2:], mode="bilinear")
        aux = self.aux_classifier(f) if self.aux else None
        return {"out": out, "aux": aux}


class StatelessTracker(nn.Module):
    """A tracker head returning ``(logits, None, embeddings)``: no recurrent state in this configuration."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 16))
        self.cls = nn.Linear(16, 2)

    def forward(self, detections):
        emb = nn.functional.normalize(self.embed(detections), dim=-1)
        return self.cls(emb), None, emb


class PoseWithStride(nn.Module):
    """A pose model returning its heatmaps and its output stride as a Python number: ``(heat, float(stride))``."""

    stride = 4

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(conv_bn_act(3, 16, 2), conv_bn_act(16, 16, 2), nn.Conv2d(16, 5, 1))

    def forward(self, images):
        return self.net(images).sigmoid(), float(self.stride)


class DetectionCount(nn.Module):
    """A proposal scorer that also returns ``int(scores.shape[1])``, the number of proposals, as a Python int."""

    def __init__(self):
        super().__init__()
        self.score = nn.Linear(12, 1)

    def forward(self, proposals):
        scores = self.score(proposals)[..., 0].sigmoid()
        return {"scores": scores, "num_proposals": int(scores.shape[1])}


class CalibratedLogits(nn.Module):
    """A classifier returning ``{"logits": ..., "temperature": self.temperature.item()}`` for the caller."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(conv_bn_act(3, 16, 2), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 5))
        self.temperature = nn.Parameter(torch.tensor(1.7))

    def forward(self, images):
        return {"logits": self.net(images) / self.temperature, "temperature": self.temperature.item()}


class MultiTaskNested(nn.Module):
    """A multi-task net returning ``{"det": (boxes, scores), "seg": [mask], "depth": d}``: nested but all tensors."""

    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(conv_bn_act(3, 16, 2), conv_bn_act(16, 16))
        self.det = nn.Conv2d(16, 6, 1)
        self.seg = nn.Conv2d(16, 3, 1)
        self.depth = nn.Conv2d(16, 1, 1)

    def forward(self, images):
        f = self.backbone(images)
        det = self.det(f).flatten(2).transpose(1, 2)
        return {"det": (det[..., :4].sigmoid(), det[..., 4:].softmax(-1)), "seg": [self.seg(f)],
                "depth": nn.functional.softplus(self.depth(f))}  # fmt: skip


ENTRIES = [
    Entry("detector_dict_none_masks", "none_output", DetectorNoMasks, inputs(image(32)),
          'dict {"boxes", "masks": None, "scores"}', quick=True),
    Entry("segmenter_dict_none_aux", "none_output", SegmenterNoAux, inputs(image(32)),
          'torchvision-style {"out": out, "aux": None}'),
    Entry("tracker_tuple_none_state", "none_output", StatelessTracker, inputs(features(8, 16)),
          "(logits, None, embeddings)"),
    Entry("pose_python_float_stride", "scalar_output", PoseWithStride, inputs(image(32)),
          "return heatmaps, float(self.stride)"),
    Entry("proposals_python_int_count", "scalar_output", DetectionCount, inputs(features(20, 12)),
          '{"scores": s, "num_proposals": int(s.shape[1])}'),
    Entry("classifier_item_temperature", "scalar_output", CalibratedLogits, inputs(image(32)),
          '{"logits": ..., "temperature": self.temperature.item()}', tags=("item",)),
    Entry("multitask_nested_outputs", "control", MultiTaskNested, inputs(image(32)),
          'nested {"det": (boxes, scores), "seg": [mask], "depth": d}'),
]
