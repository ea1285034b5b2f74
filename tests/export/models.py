"""Small realistic models for the export tests, one pattern each."""

import torch
from torch import nn


class PinnedHead(nn.Module):
    """A classifier whose head captures the batch as a Python int (seed 001)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.fc = nn.Linear(8 * 16 * 16, 10)

    def forward(self, x):
        y = torch.relu(self.conv(x))
        return self.fc(y.view(int(y.size(0)), -1))  # PINNED-LINE


class DictModel(nn.Module):
    """Takes a dict of image and per-sample scale, returns a dict and a tuple."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.fc = nn.Linear(4, 2)

    def forward(self, batch, *, offset=None):
        feat = self.conv(batch["image"]).mean(dim=(2, 3)) * batch["scale"]
        if offset is not None:
            feat = feat + offset
        return {"logits": self.fc(feat), "parts": (feat, feat.sum(dim=1))}


class TupleOfStrings(nn.Module):
    def forward(self, x):
        return x * 2, "not a tensor"


class NeedsThreeChannels(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x):
        return self.conv(x)


def build_pinned():
    return PinnedHead().eval(), (torch.rand(1, 3, 16, 16),)


def build_raising():
    raise RuntimeError("cannot build this model")


def build_strings():
    return TupleOfStrings(), (torch.rand(2, 3),)


def build_conv():
    return NeedsThreeChannels()


class WrappedDetector(nn.Module):
    """torchvision Faster R-CNN wrapped to take a batch tensor and return tensors."""

    def __init__(self):
        super().__init__()
        import torchvision

        torch.manual_seed(0)
        self.detector = torchvision.models.detection.fasterrcnn_mobilenet_v3_large_320_fpn(
            weights=None, weights_backbone=None, box_score_thresh=0.0, box_detections_per_img=20
        )
        for p in [*self.detector.roi_heads.box_predictor.parameters(), *self.detector.rpn.head.parameters()]:
            nn.init.normal_(p, std=0.5)  # spread the scores: random heads give ties

    def forward(self, images):
        detections = self.detector(list(images))[0]
        return detections["boxes"], detections["scores"], detections["labels"]


class WithInverse(nn.Module):
    """torch.linalg.inv has no ONNX translation in either exporter."""

    def forward(self, x):
        return torch.linalg.inv(x + 3 * torch.eye(3))


class HeadForPlugin(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        return self.fc(x).relu()


class WithPluginHead(nn.Module):
    """A model whose head a user wants to run as a custom TensorRT plugin."""

    def __init__(self):
        super().__init__()
        self.body = nn.Linear(4, 8)
        self.head = HeadForPlugin()

    def forward(self, x):
        return self.head(self.body(x)) * 2


def build_plugin_model():
    return WithPluginHead().eval(), (torch.rand(2, 4),)
