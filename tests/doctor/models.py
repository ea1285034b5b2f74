"""Small models for the doctor's tests, one per pattern; ``# MARK: name`` ends the line each finding must name."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


class ItemModel(nn.Module):
    def forward(self, x):
        scale = x.abs().mean().item()  # MARK: item
        return x * scale


class BranchModel(nn.Module):
    def forward(self, x):
        if x.sum() > 0:  # MARK: branch
            return x * 2
        return x - 1


class FlattenIntModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x):
        y = self.conv(x)
        return y.view(int(y.size(0)), -1)  # MARK: view-int


class ZerosModel(nn.Module):
    def forward(self, x):
        b = len(x)
        pad = torch.zeros(b, 2)  # MARK: zeros-len
        return torch.cat([x.flatten(1), pad], 1)


class CounterModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 4)
        self.steps = 0
        self.register_buffer("total", torch.zeros(4))

    def forward(self, x):
        self.steps = self.steps + 1  # MARK: setattr
        self.total.add_(x.sum(0))  # MARK: buffer
        return self.lin(x)


class NumpyModel(nn.Module):
    def forward(self, x):
        scale = torch.from_numpy(np.sqrt(np.abs(x.detach().numpy())))  # MARK: numpy
        return x * scale


class DataModel(nn.Module):
    def forward(self, x):
        return x + x.data.mean()  # MARK: data


class ShapeInplaceModel(nn.Module):
    def forward(self, x):
        n = x.shape[1]
        n += 2  # MARK: shape-inplace
        return x.sum(1, keepdim=True) * n


class BothUnsupportedModel(nn.Module):
    """linalg_inv and erfinv: neither exporter translates them (torch 2.14, opset 18)."""

    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(4, 4)

    def forward(self, x):
        m = self.proj(x).view(-1, 2, 2) + torch.eye(2) * 3
        inv = torch.linalg.inv(m)  # MARK: inv
        g = torch.erfinv(torch.tanh(x) * 0.5)  # MARK: erfinv
        return inv.flatten(1) + g


class TorchScriptOnlyModel(nn.Module):
    """logaddexp: the TorchScript exporter has no symbolic, torch.export translates it."""

    def forward(self, x):
        return torch.logaddexp(x, x * 2)  # MARK: logaddexp


class DynamoOnlyModel(nn.Module):
    """cdist: the TorchScript exporter translates it, torch.export does not (_cdist_forward)."""

    def forward(self, x):
        return torch.cdist(x, x)  # MARK: cdist


#: One op per line: DOC101's claims on these are checked against one-op exports by both exporters.
OP_SAMPLES = {
    "op-round": lambda x: torch.round(x),  # MARK: op-round
    "op-round-decimals": lambda x: torch.round(x, decimals=2),  # MARK: op-round-decimals
    "op-logsumexp": lambda x: torch.logsumexp(x, -1, keepdim=True),  # MARK: op-logsumexp
    "op-gelu-tanh": lambda x: nn.functional.gelu(x, approximate="tanh"),  # MARK: op-gelu-tanh
    "op-cumsum": lambda x: torch.cumsum(x, -1),  # MARK: op-cumsum
    "op-remainder": lambda x: torch.remainder(x, 0.7),  # MARK: op-remainder
    "op-trunc": lambda x: torch.trunc(x * 3),  # MARK: op-trunc
    "op-inv": lambda x: torch.linalg.inv(x.view(-1, 2, 2) + torch.eye(2) * 3),  # MARK: op-inv
}


class OpSupportModel(nn.Module):
    def forward(self, x):
        return torch.cat([fn(x).flatten(1).sum(1, keepdim=True) for fn in OP_SAMPLES.values()], 1)


class Head(nn.Module):
    def forward(self, x):
        return torch.special.i0(x)  # MARK: nested-i0


class NestedUnsupported(nn.Module):
    def __init__(self):
        super().__init__()
        self.head = Head()

    def forward(self, x):
        return self.head(x)


class DictOutputModel(nn.Module):
    def forward(self, x):
        return {"logits": x * 2, "extra": {"mask": x > 0, "note": None}}


class StringOutputModel(nn.Module):
    def forward(self, x):
        return x * 2, "label"


class DropoutModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.drop = nn.Dropout(0.5)
        self.bn = nn.BatchNorm1d(4)

    def forward(self, x):
        return self.bn(self.drop(self.fc(x)))


class OptionalMaskModel(nn.Module):
    def forward(self, x, mask=None):
        if mask is not None:
            x = x * mask
        return x


class Combined(nn.Module):
    """Several problems at once: every one must be reported in the one run."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.calls = 0

    def forward(self, x):
        y = self.conv(x)
        gain = y.amax().item()  # MARK: combined-item
        y = y.view(int(y.size(0)), -1)  # MARK: combined-view
        self.calls = self.calls + 1  # MARK: combined-setattr
        m = torch.erfinv(torch.tanh(y) * 0.5)  # MARK: combined-erfinv
        return m * gain
