"""Models whose graphs hold a leading dim 1 (or a dynamic dim 0) that is *not* the batch, and one
whose batch really is pinned: the forms TRT207 / fix.unpin-batch must tell apart.

- :class:`YoloV8Head`: an Ultralytics-YOLOv8-style detector (backbone, three strides, Detect head
  with DFL, anchors from ``make_anchors`` over the feature-map sizes, ``dist2bbox``,
  ``anchors.unsqueeze(0)``), written here so no download or ultralytics install is needed.
  ``pin_batch=True`` writes ``view(int(b), ...)`` in the head: a real pinned batch.
- :class:`RelPosAttention`: attention over a variable-length sequence with a position table
  ``pos[:n].view(1, n, d)`` and a relative-position bias ``table[rel].permute(2, 0, 1).unsqueeze(0)``.
- :class:`PointGrid`: a point-cloud / tracker head with a ramp and a pair grid built from the point
  count (``arange(n).reshape(1, n, 1)``, ``meshgrid(...).reshape(1, n * n, 2)``).
"""

from __future__ import annotations

import math

import torch
from torch import nn


def make_anchors(feats, strides, offset=0.5):
    """Anchor centres and strides of every feature-map cell (as Ultralytics' ``make_anchors``)."""
    points, stride_tensor = [], []
    dtype, device = feats[0].dtype, feats[0].device
    for feat, stride in zip(feats, strides):
        h, w = feat.shape[2:]
        sx = torch.arange(end=w, device=device, dtype=dtype) + offset
        sy = torch.arange(end=h, device=device, dtype=dtype) + offset
        sy, sx = torch.meshgrid(sy, sx, indexing="ij")
        points.append(torch.stack((sx, sy), -1).view(-1, 2))
        stride_tensor.append(torch.full((h * w, 1), stride, dtype=dtype, device=device))
    return torch.cat(points), torch.cat(stride_tensor)


def dist2bbox(distance, anchor_points, dim=1):
    """Box (cx, cy, w, h) from distances to the four sides of each anchor point."""
    lt, rb = distance.chunk(2, dim)
    x1y1, x2y2 = anchor_points - lt, anchor_points + rb
    return torch.cat(((x1y1 + x2y2) / 2, x2y2 - x1y1), dim)


class DFL(nn.Module):
    """Distribution focal loss integral: the expected side distance over ``c1`` bins."""

    def __init__(self, c1=16):
        super().__init__()
        self.conv = nn.Conv2d(c1, 1, 1, bias=False).requires_grad_(False)
        self.conv.weight.data[:] = torch.arange(c1, dtype=torch.float).view(1, c1, 1, 1)
        self.c1 = c1

    def forward(self, x):
        b, _, a = x.shape
        return self.conv(x.view(b, 4, self.c1, a).transpose(2, 1).softmax(1)).view(b, 4, a)


class Detect(nn.Module):
    def __init__(self, nc=4, ch=(8, 16, 32), reg_max=16, pin_batch=False):
        super().__init__()
        self.nc, self.reg_max, self.pin_batch = nc, reg_max, pin_batch
        self.no = nc + 4 * reg_max
        self.register_buffer("stride", torch.tensor([8.0, 16.0, 32.0]))
        self.cv2 = nn.ModuleList(nn.Sequential(nn.Conv2d(c, 16, 3, padding=1), nn.SiLU(), nn.Conv2d(16, 4 * reg_max, 1)) for c in ch)
        self.cv3 = nn.ModuleList(nn.Sequential(nn.Conv2d(c, 16, 3, padding=1), nn.SiLU(), nn.Conv2d(16, nc, 1)) for c in ch)
        self.dfl = DFL(reg_max)

    def forward(self, feats):
        x = [torch.cat((box(f), cls(f)), 1) for f, box, cls in zip(feats, self.cv2, self.cv3)]
        b = int(x[0].shape[0]) if self.pin_batch else x[0].shape[0]
        x_cat = torch.cat([xi.view(b, self.no, -1) for xi in x], 2)
        anchors, strides = (t.transpose(0, 1) for t in make_anchors(x, self.stride))
        box, cls = x_cat.split((4 * self.reg_max, self.nc), 1)
        dbox = dist2bbox(self.dfl(box), anchors.unsqueeze(0)) * strides
        return torch.cat((dbox, cls.sigmoid()), 1)


class YoloV8Head(nn.Module):
    """A small YOLOv8-style detector: strided convs to P3/P4/P5, then the Detect head."""

    def __init__(self, pin_batch=False):
        super().__init__()
        act = nn.SiLU
        self.p3 = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1), act(), nn.Conv2d(8, 8, 3, 2, 1), act(), nn.Conv2d(8, 8, 3, 2, 1), act())
        self.p4 = nn.Sequential(nn.Conv2d(8, 16, 3, 2, 1), act())
        self.p5 = nn.Sequential(nn.Conv2d(16, 32, 3, 2, 1), act())
        self.head = Detect(pin_batch=pin_batch)

    def forward(self, images):
        p3 = self.p3(images)
        p4 = self.p4(p3)
        return self.head([p3, p4, self.p5(p4)])


class RelPosAttention(nn.Module):
    """Self-attention over a variable-length sequence with a position table and a relative-position bias."""

    def __init__(self, dim=16, heads=2, max_len=64):
        super().__init__()
        self.heads, self.max_len = heads, max_len
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.table = nn.Parameter(torch.randn(2 * max_len - 1, heads) * 0.1)
        self.pos = nn.Parameter(torch.randn(max_len, dim) * 0.1)

    def forward(self, x):
        b, n, d = x.shape
        x = x + self.pos[:n].view(1, n, d)
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        attn = (q @ k.transpose(-2, -1)) / math.sqrt(d // self.heads)
        index = torch.arange(n, device=x.device)
        rel = index[:, None] - index[None, :] + self.max_len - 1
        bias = self.table[rel].permute(2, 0, 1).unsqueeze(0)
        attn = (attn + bias).softmax(-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(b, n, d))


class PointGrid(nn.Module):
    """Per-point features, a ramp over the point index and a pair grid, all sized by the point count."""

    def __init__(self, c=8):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(3, c), nn.ReLU(), nn.Linear(c, c))

    def forward(self, points):
        b, n, _ = points.shape
        feats = self.mlp(points)
        index = torch.arange(n, device=points.device, dtype=points.dtype)
        ramp = index.reshape(1, n, 1) / n
        grid = torch.stack(torch.meshgrid(index, index, indexing="ij"), -1).reshape(1, n * n, 2)
        pair = feats @ feats.transpose(1, 2)
        weight = (pair.reshape(b, n * n, 1) * grid).sum(1)
        return feats * ramp, weight
