"""Small PyTorch models whose ONNX files have findings, for the report-format tests.

Lines that findings point at end with ``# MARK: name`` (see ``marker_line``).
"""

from __future__ import annotations

from pathlib import Path

import torch


class BoolMask(torch.nn.Module):
    """``x[x > 0]``: NonZero + GatherND (TensorRT findings with a fix), at this line with dynamo."""

    def forward(self, x):
        return x[x > 0]  # MARK: mask


class FourMasks(torch.nn.Module):
    """Four NonZero nodes from one line: one report row naming them."""

    def forward(self, x):
        return x[x > 0].sum() + x[x < 0].sum() + x[x > 1].sum() + x[x < -1].sum()  # MARK: four


class Clean(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3)

    def forward(self, x):
        return torch.relu(self.conv(x))


class ItemBranch(torch.nn.Module):
    """A Python value read from the data: the doctor reports it at this line."""

    def forward(self, x):
        if x.sum().item() > 0:  # MARK: item
            return x * 2
        return x


def build_mask():
    return BoolMask(), (torch.randn(2, 5),)


def build_clean():
    return Clean(), (torch.randn(2, 3, 8, 8),)


def build_item():
    return ItemBranch(), (torch.rand(2, 3),)


MASK_LINE = "        return x[x > 0]  # MARK: mask"


def marker_line(name: str) -> int:
    for number, text in enumerate(Path(__file__).read_text().splitlines(), start=1):
        if text.rstrip().endswith(f"# MARK: {name}"):
            return number
    raise AssertionError(f"no marker {name}")
