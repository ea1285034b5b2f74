"""The built-in demo model: a small one-stage detector written the way real code often is.

It carries several patterns that NVIDIA's ONNX export guidance for TensorRT and
torchpipe's export notes warn about:

* ``b = int(f.size(0))`` then ``....view(b, -1)``: the batch captured as a
  Python int, which tracing bakes into a Reshape constant (pinned batch);
* ``pred[..., 4:5].sigmoid().squeeze(-1)``: squeeze of a dim the tracer cannot prove is 1,
  which the TorchScript exporter turns into an ``If`` node;
* ``boxes[best > threshold]``: score thresholding with a bool mask, which
  exports to NonZero with a data-dependent output shape.

Random weights, seeded, so the demo runs offline in seconds.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["TinyDetector", "build_demo"]


def _conv_bn_relu(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class TinyDetector(nn.Module):
    """Backbone, attention-pooled image embedding, box and class heads, score threshold."""

    def __init__(self, num_classes: int = 3, score_threshold: float = 0.18):
        super().__init__()
        self.score_threshold = score_threshold
        self.backbone = nn.Sequential(_conv_bn_relu(3, 16), _conv_bn_relu(16, 32), _conv_bn_relu(32, 64))
        self.attn = nn.Linear(64, 1)
        self.embed = nn.Linear(64, 32)
        self.box_head = nn.Conv2d(64, 5, 1)  # 4 box coordinates + objectness
        self.cls_head = nn.Conv2d(64, num_classes, 1)

    def forward(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        f = self.backbone(images)
        b = int(f.size(0))
        pooled = F.adaptive_avg_pool2d(f, 1).view(b, -1)
        tokens = f.flatten(2).transpose(1, 2)
        weights = self.attn(tokens).softmax(dim=1)
        embedding = self.embed(pooled + (tokens * weights).sum(dim=1))
        pred = self.box_head(f).flatten(2).transpose(1, 2)
        boxes, objectness = pred[..., :4], pred[..., 4:5].sigmoid().squeeze(-1)
        scores = self.cls_head(f).flatten(2).transpose(1, 2).softmax(dim=-1)
        best, labels = scores.max(dim=-1)
        best = best * objectness
        keep = best > self.score_threshold
        return {"embedding": embedding, "boxes": boxes[keep], "scores": best[keep], "labels": labels[keep]}


def build_demo() -> tuple[nn.Module, tuple[torch.Tensor]]:
    """The demo model (seeded random weights) and an example batch of two 128x128 images."""
    torch.manual_seed(0)
    model = TinyDetector().eval()
    for module in model.modules():  # non-trivial batch-norm statistics, so outputs are not constant
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.uniform_(-0.2, 0.2)
            module.running_var.uniform_(0.5, 1.5)
    images = torch.rand(2, 3, 128, 128, generator=torch.Generator().manual_seed(1))
    return model, (images,)
