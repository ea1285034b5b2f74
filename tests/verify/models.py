"""Models whose verification is easy to get wrong, each in the shape users write it.

The first group comes from NVIDIA's TensorRT ONNX export guidance (a loop whose
count is a 0-d input, a branch on a scene-change flag, an if-else whose branches
differ in shape): a trace bakes one path, so a verifier that never varies those
inputs calls a wrong file right. The second group must verify (a verifier fed
with white noise cries wolf on them).
"""

import torch
from torch import nn


class RefineLoop(nn.Module):
    """Iterative refinement whose number of steps is a 0-d input."""

    def __init__(self):
        super().__init__()
        self.step = nn.Linear(8, 8)

    def forward(self, x, num_iters):
        for _ in range(num_iters):
            x = torch.tanh(self.step(x))
        return x


class BevFusion(nn.Module):
    """Fuses the previous BEV map unless the scene changed (a 0-d bool flag)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, bev, prev_bev, scene_changed):
        if scene_changed:  # DATA-BRANCH
            prev_bev = torch.zeros_like(prev_bev)
        return self.conv(bev + prev_bev)


class TrackSwitch(nn.Module):
    """Keeps live tracks or falls back to a shorter set of empty ones (shapes differ)."""

    def forward(self, tracks, empty_tracks, changed):
        out = tracks if changed.item() > 0 else empty_tracks
        return out.sum(1)


class ThresholdGate(nn.Module):
    """Mutes saturated sensor readings: data-dependent, and ordinary inputs never cross the gate."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 6)

    def forward(self, x):
        y = self.fc(x)
        if x.abs().mean() > 100.0:  # GATE-LINE
            y = y * 0
        return y


class DepthEncoder(nn.Module):
    """log1p of a non-negative depth map with an RGB image (white noise makes NaN here)."""

    def __init__(self):
        super().__init__()
        self.rgb = nn.Conv2d(3, 8, 3, padding=1)
        self.depth = nn.Conv2d(1, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)

    def forward(self, image, depth):
        return self.bn(torch.relu(self.rgb(image)) + self.depth(torch.log1p(depth))).mean((2, 3))


class TokenClassifier(nn.Module):
    """Token ids and an attention mask: ids must stay in the vocabulary, the mask a mask."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(50, 16)
        self.out = nn.Linear(16, 3)

    def forward(self, ids, mask):
        h = self.emb(ids) * mask.unsqueeze(-1).float()
        return self.out(h.sum(1) / mask.float().sum(1, keepdim=True).clamp(min=1))


class NoisyHead(nn.Module):
    """Dropout left active in eval (F.dropout with training=True): PyTorch differs from itself."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        return nn.functional.dropout(self.fc(x), 0.5, training=True)


class WithAux(nn.Module):
    """Returns a dict with an entry that is None at inference."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(5, 3)

    def forward(self, x):
        return {"logits": self.fc(x), "aux_loss": None}
