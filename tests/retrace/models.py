"""Small realistic models whose TorchScript export pins the batch, one form each.

Every model reads the batch as a Python int somewhere (``int(x.size(0))``,
``int(b)``) so the tracer bakes it into a constant. ``CASES`` says how to
build each one, how to make an input at a batch size, where the batch axis is
and what ``unpin_by_retrace`` must do with it: ``"fixed"`` (the file runs at
every batch) or ``"unresolved"`` (an entry whose source line is the
``# MARK:`` line named in the case).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn


class SE(nn.Module):
    """The torchpipe example: squeeze-excitation with ``view(int(b), c)``."""

    def __init__(self, c: int = 16) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, c, 3, padding=1)
        self.fc = nn.Linear(c, c)

    def forward(self, x):
        x = self.conv(x)
        b, c = x.shape[:2]
        y = x.mean((2, 3)).view(int(b), c)
        y = self.fc(y).view(int(x.size(0)), -1, 1, 1)
        return x * y.sigmoid()


class FlattenClassifier(nn.Module):
    """A classifier head flattened with ``view(int(x.size(0)), -1)`` (yolox, seed 001)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, stride=2, padding=1)
        self.fc = nn.Linear(4 * 4 * 4, 5)

    def forward(self, x):
        y = torch.relu(self.conv(x))
        return self.fc(y.view(int(y.size(0)), -1))


class HeadsAttention(nn.Module):
    """Self-attention that folds heads into the batch: ``q.view(int(b) * heads, n, d)``."""

    def __init__(self, dim: int = 16, heads: int = 4) -> None:
        super().__init__()
        self.heads, self.qkv, self.out = heads, nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)

    def forward(self, x):
        b, n, c = (int(s) for s in x.shape)
        d = c // self.heads
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        q, k, v = (t.view(b, n, self.heads, d).transpose(1, 2).reshape(b * self.heads, n, d) for t in (q, k, v))
        attn = torch.softmax(torch.bmm(q, k.transpose(1, 2)) / d**0.5, dim=-1)
        y = torch.bmm(attn, v).view(b, self.heads, n, d).transpose(1, 2).reshape(b, n, c)
        return self.out(y)


class AnchorHead(nn.Module):
    """A detection head decoding boxes with anchors built from ``torch.arange(int(b))`` / ``torch.zeros``."""

    def __init__(self, anchors: int = 6) -> None:
        super().__init__()
        self.anchors = anchors
        self.pred = nn.Conv2d(3, 4, 1)

    def forward(self, x):
        b = int(x.size(0))
        boxes = self.pred(x).flatten(2).transpose(1, 2)  # [b, h*w, 4]
        n = boxes.shape[1]
        batch_index = torch.arange(b).view(b, 1).expand(b, n).float()  # which image each box belongs to
        step = torch.arange(b, dtype=torch.float32).view(b, 1, 1) * 0.5  # per-image offset
        objectness = torch.zeros(b, n, 1)
        decoded = boxes + step
        return torch.cat([batch_index.unsqueeze(-1), decoded, objectness], dim=-1)


class QueryDecoder(nn.Module):
    """A DETR-like decoder: learned queries ``repeat(int(b), 1, 1)``, ``torch.zeros(int(b), ...)`` targets."""

    def __init__(self, dim: int = 16, queries: int = 5) -> None:
        super().__init__()
        self.queries = nn.Parameter(torch.randn(queries, dim))
        self.proj = nn.Conv2d(3, dim, 1)
        self.out = nn.Linear(dim, 3)

    def forward(self, x):
        b = int(x.size(0))
        memory = self.proj(x).flatten(2).transpose(1, 2)  # [b, hw, dim]
        q = self.queries.unsqueeze(0).repeat(b, 1, 1)
        tgt = torch.zeros(b, q.shape[1], q.shape[2])
        attn = torch.softmax(q @ memory.transpose(1, 2), dim=-1)
        h = tgt + attn @ memory
        return self.out(h.reshape(b * q.shape[1], -1)).view(b, -1, 3)


class PointCloud(nn.Module):
    """PointNet-style: homogeneous coordinates from ``x.new_ones(b * n)``, a global feature repeated over points."""

    def __init__(self) -> None:
        super().__init__()
        self.mlp = nn.Linear(4, 8)
        self.center = nn.Parameter(torch.randn(1, 1, 3))

    def forward(self, x):  # x: [b, n, 3]
        b, n = int(x.size(0)), int(x.size(1))
        ones = x.new_ones(b * n).view(b, n, 1)
        pts = torch.cat([x - self.center.expand(b, n, 3), ones], dim=-1)
        feat = torch.relu(self.mlp(pts))
        glob = feat.max(dim=1, keepdim=True)[0].repeat(1, n, 1)
        return torch.cat([feat, glob], dim=-1)


class Tracker(nn.Module):
    """Per-sample gather: the best track of each image, indexed into the flattened ``[b * n, d]`` table."""

    def __init__(self, dim: int = 8) -> None:
        super().__init__()
        self.score = nn.Linear(dim, 1)
        self.embed = nn.Linear(dim, dim)

    def forward(self, x):  # x: [b, n, dim]
        b, n, d = (int(s) for s in x.shape)
        best = self.score(x).squeeze(-1).argmax(dim=1)  # [b]
        flat = self.embed(x).reshape(b * n, d)
        return flat[torch.arange(b) * n + best]


class SiameseSplit(nn.Module):
    """Two views through one encoder, separated again with ``torch.split`` by batch sizes."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 8))

    def forward(self, x):
        b = int(x.size(0))
        z = self.encoder(torch.cat([x, x.flip(-1)], dim=0))
        first, second = torch.split(z, [b, b], dim=0)
        return torch.cosine_similarity(first, second, dim=-1)


class DualViewSlice(nn.Module):
    """Slices of a concatenated batch: ``z[:b]`` and ``z[b:]`` with the batch as a Python int."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.Linear(6, 4)

    def forward(self, x):
        b = int(x.shape[0])
        z = self.encoder(torch.cat([x, 2 * x], dim=0))
        return z[:b] - z[b:]


class ViTTokens(nn.Module):
    """A ViT stem: ``cls.expand(int(b), -1, -1)`` prepended to patch tokens."""

    def __init__(self, dim: int = 8) -> None:
        super().__init__()
        self.patch = nn.Conv2d(3, dim, 4, stride=4)
        self.cls = nn.Parameter(torch.randn(1, 1, dim))
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        tokens = self.patch(x).flatten(2).transpose(1, 2)
        cls = self.cls.expand(int(x.size(0)), -1, -1)
        return self.norm(torch.cat([cls, tokens], dim=1))[:, 0]


class RowNorm(nn.Module):
    """Row-wise normalisation through ``x.reshape(b * c * h, w)`` and back."""

    def __init__(self) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(8)

    def forward(self, x):
        b, c, h, w = (int(s) for s in x.shape)
        return self.norm(x.reshape(b * c * h, w)).view(b, c, h, w)


class ConvDecoder(nn.Module):
    """A VAE-style decoder: ``z.view(int(b), c, 4, 4)`` and a zero mask channel ``torch.zeros(int(b), 1, h, w)``."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(8, 4 * 4 * 4)
        self.up = nn.ConvTranspose2d(5, 3, 2, stride=2)

    def forward(self, z):
        b = int(z.size(0))
        h = self.fc(z).view(b, 4, 4, 4)
        mask = torch.zeros(b, 1, 4, 4)
        return self.up(torch.cat([h, mask], dim=1))


class TwoChannels(nn.Module):
    """Two-class segmentation exported at batch 2: the channel count 2 equals the export batch."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 2, 3, padding=1)

    def forward(self, x):
        y = self.conv(x)  # [b, 2, h, w]
        probs = y.view(int(y.size(0)), 2, -1).softmax(dim=1)
        pixels = probs.transpose(1, 2).reshape(-1, 2)  # [b * h * w, 2]: a 2 that is never the batch
        fg, bg = torch.split(pixels, [1, 1], dim=1)
        return (fg - bg).view(int(y.size(0)), -1)


class SeqFirstAttention(nn.Module):
    """Sequence-first layout ``[T, B, C]``: the batch is dim 1, folded with heads as ``int(b) * heads``."""

    def __init__(self, dim: int = 8, heads: int = 2) -> None:
        super().__init__()
        self.heads, self.qkv = heads, nn.Linear(dim, 3 * dim)

    def forward(self, x):  # x: [T, B, C]
        t, b, c = (int(s) for s in x.shape)
        q, k, v = (s.reshape(t, b * self.heads, c // self.heads).transpose(0, 1) for s in self.qkv(x).chunk(3, -1))
        y = torch.softmax(q @ k.transpose(1, 2), dim=-1) @ v  # [b*heads, t, d]
        return y.transpose(0, 1).reshape(t, b, c)


class PerSampleLoop(nn.Module):
    """A Python loop over the batch: the tracer unrolls one copy per sample."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(6, 3)

    def forward(self, x):
        outs = []
        for i in range(x.shape[0]):
            outs.append(self.fc(x[i]) * (i + 1))  # MARK: loop
        return torch.stack(outs)


class BatchCentering(nn.Module):
    """Batch statistics divided by the batch as a Python number: a float constant 1/b."""

    def forward(self, x):
        mean = x.sum(dim=0, keepdim=True) / int(x.size(0))  # MARK: float
        return x - mean


class PairwiseRelation(nn.Module):
    """All pairs of samples: ``view(int(b) * int(b), -1)`` is quadratic in the batch."""

    def __init__(self) -> None:
        super().__init__()
        self.rel = nn.Linear(8, 1)

    def forward(self, x):  # x: [b, 4]
        b = int(x.size(0))
        pairs = torch.cat([x[:, None].expand(b, b, 4), x[None].expand(b, b, 4)], dim=-1)
        return self.rel(pairs.reshape(b * b, 8)).view(b, b)  # MARK: pairwise


@dataclass(frozen=True)
class Case:
    """How to build, feed and judge one model."""

    build: Callable[[], nn.Module]
    make: Callable[[int], torch.Tensor]
    batch_dim: int = 0
    expect: str = "fixed"  # "fixed" | "unresolved"
    mark: str | None = None  # the "# MARK:" the unresolved entry must point at


CASES: dict[str, Case] = {
    "se": Case(SE, lambda b: torch.randn(b, 3, 8, 8)),
    "flatten": Case(FlattenClassifier, lambda b: torch.randn(b, 3, 8, 8)),
    "heads-attention": Case(HeadsAttention, lambda b: torch.randn(b, 5, 16)),
    "anchors": Case(AnchorHead, lambda b: torch.randn(b, 3, 3, 2)),
    "query-decoder": Case(QueryDecoder, lambda b: torch.randn(b, 3, 4, 4)),
    "point-cloud": Case(PointCloud, lambda b: torch.randn(b, 7, 3)),
    "tracker": Case(Tracker, lambda b: torch.randn(b, 5, 8)),
    "siamese-split": Case(SiameseSplit, lambda b: torch.randn(b, 6)),
    "dual-view-slice": Case(DualViewSlice, lambda b: torch.randn(b, 6)),
    "vit-tokens": Case(ViTTokens, lambda b: torch.randn(b, 3, 8, 8)),
    "row-norm": Case(RowNorm, lambda b: torch.randn(b, 2, 3, 8)),
    "conv-decoder": Case(ConvDecoder, lambda b: torch.randn(b, 8)),
    "two-channels": Case(TwoChannels, lambda b: torch.randn(b, 3, 4, 4)),
    "seq-first": Case(SeqFirstAttention, lambda b: torch.randn(4, b, 8), batch_dim=1),
    "per-sample-loop": Case(PerSampleLoop, lambda b: torch.randn(b, 6), expect="unresolved", mark="loop"),
    "batch-centering": Case(BatchCentering, lambda b: torch.randn(b, 5), expect="unresolved", mark="float"),
}
