"""Small PyTorch models with patterns TensorRT dislikes (findings must point at lines here)."""

from __future__ import annotations

import torch


class SqueezeDynamic(torch.nn.Module):
    """x.squeeze(1) on a dynamic axis: TorchScript emits an If on the axis size."""

    def forward(self, x):
        return x.squeeze(1) * 2


class Unique(torch.nn.Module):
    def forward(self, x):
        return torch.unique(x)


class BoolMask(torch.nn.Module):
    def forward(self, x):
        return x[x > 0]


class TwoMasksOneLine(torch.nn.Module):
    """Two NonZero nodes from one source line: one report row."""

    def forward(self, x):
        return x[x > 0].sum() + x[x < 0].sum()


class Clean(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3)

    def forward(self, x):
        return torch.relu(self.conv(x))


def line_of(module_class: type, text: str) -> int:
    """Line number in this file of the first line of ``module_class.forward`` containing ``text``."""
    import inspect

    lines, start = inspect.getsourcelines(module_class.forward)
    return start + next(i for i, line in enumerate(lines) if text in line)
