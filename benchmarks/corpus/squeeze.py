"""``squeeze`` / ``unsqueeze`` (seed 000: "squeeze inserts an If ... IIfConditionalOutputLayer").

Squeezing a size-1 axis by index, by negative index, twice in a row, with no
index at all, and the matching unsqueezes: keypoint heatmaps, YOLO objectness,
an SE block, PointNet's global feature, BERT's extended attention mask, a
keyword-spotting audio net, and an age regressor that squeezes every axis.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ._data import image, inputs, points, tokens, waveform
from ._entry import Entry, conv_bn_act


class CenterHeatmap(nn.Module):
    """A single-class centre heatmap (B, 1, H, W) returned as (B, H, W) with ``squeeze(1)``."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(conv_bn_act(3, 16, 2), conv_bn_act(16, 16), nn.Conv2d(16, 1, 1))

    def forward(self, images):
        heat = self.net(images).sigmoid()
        peaks = (F.max_pool2d(heat, 3, 1, 1) == heat).float() * heat
        return peaks.squeeze(1)


class ObjectnessHead(nn.Module):
    """YOLO objectness sliced to width 1 and ``squeeze(-1)``-ed, classes kept."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(conv_bn_act(3, 16, 2), conv_bn_act(16, 32, 2))
        self.head = nn.Conv2d(32, 8, 1)

    def forward(self, images):
        pred = self.head(self.features(images)).flatten(2).transpose(1, 2)  # (B, HW, 8)
        objectness = pred[..., 4:5].sigmoid().squeeze(-1)
        scores = pred[..., 5:].softmax(-1) * objectness.unsqueeze(-1)
        return objectness, scores


class SqueezeUnsqueezeSE(nn.Module):
    """SE with ``pool(x).squeeze(-1).squeeze(-1)`` and ``fc(y).unsqueeze(-1).unsqueeze(-1)``."""

    def __init__(self, channels: int = 32):
        super().__init__()
        self.stem = nn.Sequential(conv_bn_act(3, channels, 2), conv_bn_act(channels, channels))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Sequential(nn.Linear(channels, 8), nn.ReLU(), nn.Linear(8, channels), nn.Hardsigmoid())
        self.out = nn.Conv2d(channels, 4, 1)

    def forward(self, images):
        x = self.stem(images)
        y = self.pool(x).squeeze(-1).squeeze(-1)
        y = self.fc(y).unsqueeze(-1).unsqueeze(-1)
        return self.out(x * y)


class PointNetClassifier(nn.Module):
    """PointNet with an input transform (``bmm``) and ``max(2, keepdim=True)[0].squeeze(2)`` pooling."""

    def __init__(self, classes: int = 6):
        super().__init__()
        self.stn = nn.Sequential(nn.Conv1d(3, 32, 1), nn.ReLU(), nn.Conv1d(32, 64, 1), nn.ReLU())
        self.stn_fc = nn.Linear(64, 9)
        self.encoder = nn.Sequential(nn.Conv1d(4, 64, 1), nn.BatchNorm1d(64), nn.ReLU(), nn.Conv1d(64, 128, 1))
        self.cls = nn.Sequential(nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, classes))

    def forward(self, points):
        x = points.transpose(1, 2)  # (B, 4, N)
        xyz = x[:, :3] / 50.0
        t = self.stn(xyz).max(2, keepdim=True)[0].squeeze(2)
        transform = self.stn_fc(t).view(-1, 3, 3) + torch.eye(3)
        xyz = torch.bmm(transform, xyz)
        feat = self.encoder(torch.cat([xyz, x[:, 3:]], 1))
        return self.cls(feat.max(2, keepdim=True)[0].squeeze(2))


class TextClassifierMask(nn.Module):
    """BERT's extended mask: ``(1.0 - mask.unsqueeze(1).unsqueeze(2).float()) * -10000.0``."""

    def __init__(self, vocab: int = 1000, dim: int = 32):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.cls = nn.Linear(dim, 3)
        self.heads = 4

    def forward(self, input_ids, attention_mask):
        x = self.embed(input_ids)
        b, n, d = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        extended = (1.0 - attention_mask.unsqueeze(1).unsqueeze(2).float()) * -10000.0
        attn = (q @ k.transpose(-1, -2) / (d // self.heads) ** 0.5 + extended).softmax(-1)
        x = (attn @ v).transpose(1, 2).reshape(b, n, d)
        pooled = (x * attention_mask.unsqueeze(-1)).sum(1) / attention_mask.sum(1, keepdim=True)
        return self.cls(pooled)


class KeywordSpotter(nn.Module):
    """A 1-D conv keyword spotter: ``wave.unsqueeze(1)`` in, ``pool(x).squeeze(-1)`` out."""

    def __init__(self, classes: int = 12):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(1, 16, 80, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.MaxPool1d(4),
            nn.Conv1d(16, 32, 3), nn.BatchNorm1d(32), nn.ReLU(),
        )  # fmt: skip
        self.pool = nn.AdaptiveAvgPool1d(1)
        self.fc = nn.Conv1d(32, classes, 1)

    def forward(self, waveform):
        x = self.net(waveform.unsqueeze(1))
        return self.fc(self.pool(x)).squeeze(-1).log_softmax(-1)


class AgeRegressor(nn.Module):
    """An age regressor returning ``self.fc(x).squeeze()``: at batch 1 that also drops the batch axis."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(conv_bn_act(3, 16, 2), conv_bn_act(16, 32, 2), nn.AdaptiveAvgPool2d(1))
        self.fc = nn.Linear(32, 1)

    def forward(self, faces):
        x = self.features(faces).flatten(1)
        return 18 + 60 * self.fc(x).sigmoid().squeeze()


ENTRIES = [
    Entry("centernet_heatmap_squeeze1", "squeeze", CenterHeatmap, inputs(image(48)),
          "keypoint/centre heatmap peaks.squeeze(1)", quick=True),
    Entry("yolo_objectness_squeeze_last", "squeeze", ObjectnessHead, inputs(image(48)),
          "pred[..., 4:5].sigmoid().squeeze(-1), then .unsqueeze(-1)"),
    Entry("se_double_squeeze_unsqueeze", "squeeze", SqueezeUnsqueezeSE, inputs(image(32)),
          "SE: pool(x).squeeze(-1).squeeze(-1) ... fc(y).unsqueeze(-1).unsqueeze(-1)"),
    Entry("pointnet_max_squeeze2", "squeeze", PointNetClassifier, inputs(points(128)),
          "PointNet: conv(x).max(2, keepdim=True)[0].squeeze(2), STN bmm"),
    Entry("bert_mask_double_unsqueeze", "squeeze", TextClassifierMask, inputs(*tokens(length=16, vocab=1000)),
          "extended mask (1 - mask.unsqueeze(1).unsqueeze(2).float()) * -1e4"),
    Entry("kws_audio_unsqueeze_squeeze", "squeeze", KeywordSpotter, inputs(waveform(1600)),
          "audio: conv1d(wave.unsqueeze(1)) ... pool(x).squeeze(-1)"),
    Entry("age_regressor_squeeze_all", "squeeze", AgeRegressor, inputs(image(32)),
          "head(x).squeeze() with no dim: also squeezes the batch at batch 1"),
]
