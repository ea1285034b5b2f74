"""Data types TensorRT rejects or restricts (seed 000 rule set: DOUBLE, INT64 into math ops, UINT8 inside the graph).

float64 where engineers reach for precision (timestamps, box decoding,
integral images), int64 index arithmetic (CenterNet's flat indices, a
PointPillars scatter, multi-table embedding offsets, position ids from a
cumulative sum), and uint8 (a raw-pixel input, a palette lookup).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ._data import features, generator, image, inputs, pixels, points, tokens
from ._entry import Entry, conv_bn_act


class EgoMotionCompensation(nn.Module):
    """Motion compensation with float64 UNIX timestamps: ``dt = (stamp - prev_stamp).float()`` (needs the double)."""

    def __init__(self):
        super().__init__()
        self.velocity = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 3))

    def forward(self, track_features, positions, timestamp, prev_timestamp):
        dt = (timestamp - prev_timestamp).float()
        return positions + self.velocity(track_features) * dt[:, None, None]


class DoubleBoxDecode(nn.Module):
    """SSD-style box decoding done in float64 "for precision", cast back to float32."""

    def __init__(self, anchors: int = 48):
        super().__init__()
        gen = torch.Generator().manual_seed(3)
        ctr = torch.rand(anchors, 2, generator=gen) * 320
        wh = 16 + torch.rand(anchors, 2, generator=gen) * 64
        self.register_buffer("anchors", torch.cat([ctr, wh], 1))
        self.head = nn.Linear(16, 4)

    def forward(self, roi_features):
        deltas = self.head(roi_features).double()
        a = self.anchors.double()
        ctr = a[:, :2] + deltas[..., :2] * 0.1 * a[:, 2:]
        wh = a[:, 2:] * torch.exp((deltas[..., 2:] * 0.2).clamp(max=4.0))
        return torch.cat([ctr - wh / 2, ctr + wh / 2], -1).float()


class IntegralImageBoxFilter(nn.Module):
    """A box filter from a float64 integral image (``cumsum`` in double), e.g. for local contrast normalization."""

    def __init__(self, radius: int = 3):
        super().__init__()
        self.r = radius
        self.conv = nn.Conv2d(3, 8, 3, padding=1)

    def forward(self, images):
        x = images.double()
        s = F.pad(x.cumsum(-1).cumsum(-2), (1, 0, 1, 0))
        k = 2 * self.r + 1
        box = (s[..., k:, k:] - s[..., :-k, k:] - s[..., k:, :-k] + s[..., :-k, :-k]) / (k * k)
        centre = x[..., self.r:-self.r, self.r:-self.r]
        return self.conv((centre - box).float())


class CenterNetFlatIndex(nn.Module):
    """CenterNet's gather: int64 flat indices split with ``inds // w`` and ``inds % w``, ``torch.gather`` of offsets."""

    def __init__(self, k: int = 10):
        super().__init__()
        self.k = k
        self.backbone = nn.Sequential(conv_bn_act(3, 16, 2), conv_bn_act(16, 16))
        self.heat = nn.Conv2d(16, 1, 1)
        self.offset = nn.Conv2d(16, 2, 1)

    def forward(self, images):
        f = self.backbone(images)
        heat = self.heat(f).sigmoid().flatten(1)
        w = f.shape[-1]
        scores, inds = heat.topk(self.k)
        ys, xs = inds // w, inds % w
        off = torch.gather(self.offset(f).flatten(2), 2, inds[:, None, :].expand(-1, 2, -1))
        return scores, torch.stack([xs.float() + off[:, 0], ys.float() + off[:, 1]], -1), inds


class PillarScatter(nn.Module):
    """PointPillars' scatter: int64 cell index ``(b * ny + iy) * nx + ix`` and ``index_add`` into a BEV canvas."""

    def __init__(self, nx: int = 16, ny: int = 16, cell: float = 5.0, ch: int = 8):
        super().__init__()
        self.nx, self.ny, self.cell, self.ch = nx, ny, cell, ch
        self.pfn = nn.Linear(4, ch)
        self.bev = nn.Sequential(nn.Conv2d(ch, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 2, 1))

    def forward(self, points):
        b, n, _ = points.shape
        ix = ((points[..., 0] + self.nx * self.cell / 2) / self.cell).floor().long().clamp(0, self.nx - 1)
        iy = ((points[..., 1] + self.ny * self.cell / 2) / self.cell).floor().long().clamp(0, self.ny - 1)
        batch = torch.arange(b)[:, None].expand(b, n)
        cell = (batch * self.ny + iy) * self.nx + ix
        canvas = torch.zeros(b * self.ny * self.nx, self.ch)
        canvas = canvas.index_add(0, cell.flatten(), F.relu(self.pfn(points)).flatten(0, 1))
        return self.bev(canvas.view(b, self.ny, self.nx, self.ch).permute(0, 3, 1, 2))


class MultiTableEmbedding(nn.Module):
    """A recommender's categorical features: int64 ``ids + self.offsets`` into one shared embedding table."""

    def __init__(self, cardinalities=(10, 50, 7, 100), dim: int = 8):
        super().__init__()
        offsets = torch.tensor((0, *cardinalities[:-1])).cumsum(0)
        self.register_buffer("offsets", offsets)
        self.table = nn.Embedding(sum(cardinalities), dim)
        self.mlp = nn.Sequential(nn.Linear(len(cardinalities) * dim + 4, 32), nn.ReLU(), nn.Linear(32, 1))

    def forward(self, categorical, dense):
        emb = self.table(categorical + self.offsets).flatten(1)
        return self.mlp(torch.cat([emb, dense], 1)).sigmoid()


class LeftPaddedPositions(nn.Module):
    """HF-style position ids for left padding: ``attention_mask.long().cumsum(-1) - 1`` (int64 CumSum)."""

    def __init__(self, vocab: int = 1000, dim: int = 32, max_len: int = 32):
        super().__init__()
        self.tok = nn.Embedding(vocab, dim)
        self.pos = nn.Embedding(max_len, dim)
        self.out = nn.Linear(dim, 4)

    def forward(self, input_ids, attention_mask):
        position_ids = (attention_mask.long().cumsum(-1) - 1).clamp(min=0)
        x = self.tok(input_ids) + self.pos(position_ids)
        return self.out((x * attention_mask[..., None]).sum(1) / attention_mask.sum(1, keepdim=True))


class RawPixelClassifier(nn.Module):
    """Pre-processing in the graph: a uint8 HWC camera frame in, ``x.permute(0, 3, 1, 2).float() / 255`` normalized."""

    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))
        self.net = nn.Sequential(conv_bn_act(3, 16, 2), conv_bn_act(16, 32, 2), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                 nn.Linear(32, 10))  # fmt: skip

    def forward(self, frame):
        x = frame.permute(0, 3, 1, 2).float() / 255.0
        return self.net((x - self.mean) / self.std)


class PaletteSegmentation(nn.Module):
    """Segmentation visualised in the graph: labels cast ``.to(torch.uint8)`` and looked up in a uint8 palette."""

    def __init__(self, classes: int = 5):
        super().__init__()
        self.net = nn.Sequential(conv_bn_act(3, 16), nn.Conv2d(16, classes, 1))
        gen = torch.Generator().manual_seed(4)
        self.register_buffer("palette", torch.randint(0, 256, (classes, 3), generator=gen, dtype=torch.uint8))

    def forward(self, images):
        labels = self.net(images).argmax(1).to(torch.uint8)
        return labels, self.palette[labels.long()]


def ego_motion(batch: int, seed: int) -> tuple:
    """Track features, positions (m), and float64 UNIX timestamps ~1.7e9 s with frames 50-150 ms apart."""
    gen = generator(seed, 7)
    now = 1.7e9 + 1e6 * torch.rand(batch, generator=gen, dtype=torch.float64)
    dt = 0.05 + 0.1 * torch.rand(batch, generator=gen, dtype=torch.float64)
    return features(6, 8)(batch, seed, 0), features(6, 3, scale=20.0)(batch, seed, 1), now, now - dt


def categorical_and_dense(batch: int, seed: int) -> tuple:
    """Four categorical ids inside their tables' cardinalities and four standardized dense features."""
    gen = generator(seed, 8)
    ids = torch.stack([torch.randint(0, c, (batch,), generator=gen) for c in (10, 50, 7, 100)], 1)
    return ids, torch.randn(batch, 4, generator=gen)


def raw_frames(batch: int, seed: int) -> tuple:
    """uint8 HWC camera frames (B, 32, 32, 3)."""
    x = pixels(batch, generator(seed, 9), 32).permute(0, 2, 3, 1)
    return ((x * 255).round().to(torch.uint8),)


ENTRIES = [
    Entry("ego_motion_float64_timestamps", "float64", EgoMotionCompensation, ego_motion,
          "dt = (timestamp - prev_timestamp).float() on float64 UNIX times", quick=True),
    Entry("box_decode_float64", "float64", DoubleBoxDecode, inputs(features(48, 16)),
          "SSD box decoding in .double(), cast back .float()"),
    Entry("integral_image_float64", "float64", IntegralImageBoxFilter, inputs(image(32)),
          "x.double().cumsum(-1).cumsum(-2) box filter"),
    Entry("centernet_int64_flat_index", "int64", CenterNetFlatIndex, inputs(image(32)),
          "inds // w, inds % w, torch.gather(offsets, 2, inds...)"),
    Entry("pointpillars_int64_scatter", "int64", PillarScatter, inputs(points(256)),
          "(b * ny + iy) * nx + ix cell index, index_add to a BEV canvas", tags=("device_indexing",)),
    Entry("recsys_int64_offsets", "int64", MultiTableEmbedding, categorical_and_dense,
          "embedding(ids + offsets) over one table"),
    Entry("left_pad_position_ids_cumsum", "int64", LeftPaddedPositions, inputs(*tokens(length=16)),
          "position_ids = attention_mask.long().cumsum(-1) - 1"),
    Entry("raw_uint8_frame_input", "uint8", RawPixelClassifier, raw_frames,
          "uint8 HWC frame in: permute(0, 3, 1, 2).float() / 255"),
    Entry("palette_uint8_internal", "uint8", PaletteSegmentation, inputs(image(32)),
          "labels.to(torch.uint8) then palette[labels.long()]"),
]
