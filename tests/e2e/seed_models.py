"""One small realistic model per seed-000/001/003 pattern (see test_seed_patterns.py)."""

import torch
from torch import nn
from torch.nn import functional as F


class SqueezeHead(nn.Module):
    """Objectness from a 5-channel head, squeezed (seed 000: squeeze -> If)."""

    def __init__(self):
        super().__init__()
        self.head = nn.Conv2d(3, 5, 1)

    def forward(self, x):
        pred = self.head(x).flatten(2).transpose(1, 2)
        return pred[..., 4:5].sigmoid().squeeze(-1)


class MaskSelect(nn.Module):
    """Scores above a threshold (seed 000: bool indexing -> NonZero on BOOL)."""

    def forward(self, x):
        scores = x.sigmoid()
        return scores[scores > 0.5]


class UniqueLabels(nn.Module):
    """Distinct labels per batch (seed 000 / 004: torch.unique has no TensorRT layer)."""

    def forward(self, x):
        labels = x.argmax(dim=-1)
        return torch.unique(labels).float()


class FoldPatches(nn.Module):
    """Overlapping patches folded back (seed 004: F.fold -> Col2Im)."""

    def forward(self, x):
        patches = F.unfold(x, kernel_size=2, stride=1)
        return F.fold(patches, output_size=(4, 4), kernel_size=2, stride=1)


class PinnedFlatten(nn.Module):
    """``view(int(x.size(0)), -1)`` (seed 001: the batch becomes a constant)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 8 * 8, 3)

    def forward(self, x):
        y = self.conv(x)
        return self.fc(y.view(int(y.size(0)), -1))


class DoublePrecision(nn.Module):
    """A normalisation computed in float64 (seed 000: TensorRT has no double)."""

    def forward(self, x):
        d = x.double()
        return ((d - d.mean(dim=-1, keepdim=True)) / (d.std(dim=-1, keepdim=True) + 1e-6)).float()


class GroupNormBlock(nn.Module):
    """nn.GroupNorm (seed 003: exported as Reshape-InstanceNorm-Reshape-Mul-Add)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.norm = nn.GroupNorm(2, 8)

    def forward(self, x):
        return self.norm(self.conv(x))


class NonzeroFlatten(nn.Module):
    """Indices of positive entries, flattened (seed 000: empty-tensor reshape needs allowzero)."""

    def forward(self, x):
        idx = torch.nonzero(x > 0)
        return idx.reshape(idx.size(0) * idx.size(1)).float()
