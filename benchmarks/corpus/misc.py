"""Seed 000's miscellany: instance-state updates, constant-folding device pitfalls, in-place slice updates,
``zeros_like(t[0])``, Flatten/Unflatten, list comprehensions and deep copies inside ``forward``.

The contexts: a frame counter in a video model, StreamPETR's ``pc_range``
de-normalization and memory update, a positional-embedding cache, an
``nn.Unflatten`` decoder, an FPN built with a comprehension and a
``copy.deepcopy`` of a list of anchors.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from ._data import features, image, inputs, uniform
from ._entry import Entry, conv_bn_act


class FrameCounterSmoother(nn.Module):
    """A video smoother that updates its own state: ``self.frames += 1`` (seed 000: pass state in and out)."""

    def __init__(self):
        super().__init__()
        self.register_buffer("frames", torch.zeros(()))
        self.net = nn.Sequential(conv_bn_act(3, 8), nn.Conv2d(8, 3, 3, padding=1))

    def forward(self, frame):
        self.frames += 1
        momentum = 1.0 / (self.frames + 1.0)
        return frame + momentum * self.net(frame)


class PreviousEmbeddingSmoother(nn.Module):
    """A re-ID head keeping its last output on ``self``: ``if self.prev is not None: emb = norm(emb + self.prev)``."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 16))
        self.prev = None

    def forward(self, detections):
        emb = F.normalize(self.embed(detections), dim=-1)
        if self.prev is not None:
            emb = F.normalize(emb + self.prev, dim=-1)
        self.prev = emb.detach()
        return emb


class OnlineFeatureNormalizer(nn.Module):
    """Online normalization in eval: ``self.running_mean.mul_(0.9).add_(0.1 * x.mean(0))`` on every call."""

    def __init__(self, dim: int = 12):
        super().__init__()
        self.register_buffer("running_mean", torch.zeros(dim))
        self.fc = nn.Linear(dim, 4)

    def forward(self, x):
        self.running_mean.mul_(0.9).add_(0.1 * x.mean(0))
        return self.fc(x - self.running_mean)


class PcRangeDenormalize(nn.Module):
    """StreamPETR reference points: ``points * (pc_range[3:6] - pc_range[0:3]) + pc_range[0:3]``."""

    def __init__(self):
        super().__init__()
        self.register_buffer("pc_range", torch.tensor([-51.2, -51.2, -5.0, 51.2, 51.2, 3.0]))
        self.embed = nn.Sequential(nn.Linear(3, 32), nn.ReLU(), nn.Linear(32, 8))

    def forward(self, reference_points):
        points = reference_points * (self.pc_range[3:6] - self.pc_range[0:3]) + self.pc_range[0:3]
        return points, self.embed(points / 51.2)


class MemoryPropagation(nn.Module):
    """StreamPETR's memory: ``memory[:, :self.num_propagated] = memory[:, :self.num_propagated] + update`` in place."""

    num_propagated = 8

    def __init__(self):
        super().__init__()
        self.update_net = nn.Linear(3, 3)

    def forward(self, memory_reference_point, ego_delta):
        memory = memory_reference_point.clone()
        update = self.update_net(ego_delta)[:, None, :].expand(-1, self.num_propagated, -1)
        memory[:, : self.num_propagated] = memory[:, : self.num_propagated] + update
        return memory


class ZerosLikeRowEmbedding(nn.Module):
    """Seed 000's ``torch.zeros_like(t[0])`` quirk: a per-row zero template taken from the first sample."""

    def __init__(self):
        super().__init__()
        self.row = nn.Linear(16, 16)

    def forward(self, tokens):
        template = torch.zeros_like(tokens[0])
        x = tokens + template
        return self.row(x) + torch.zeros_like(tokens)[0]


class UnflattenDecoder(nn.Module):
    """An autoencoder with ``nn.Flatten`` / ``nn.Unflatten(1, (16, 4, 4))`` around its bottleneck."""

    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(conv_bn_act(3, 16, 2), conv_bn_act(16, 16, 2), nn.AdaptiveAvgPool2d(4), nn.Flatten(),
                                 nn.Linear(256, 32))  # fmt: skip
        self.dec = nn.Sequential(nn.Linear(32, 256), nn.Unflatten(1, (16, 4, 4)), nn.ConvTranspose2d(16, 3, 4, 4))

    def forward(self, images):
        return self.dec(self.enc(images))


class ComprehensionFPN(nn.Module):
    """An FPN whose laterals, top-down sums and copies of anchors are built with comprehensions and ``deepcopy``."""

    def __init__(self):
        super().__init__()
        self.stages = nn.ModuleList([conv_bn_act(3, 16, 2), conv_bn_act(16, 24, 2), conv_bn_act(24, 32, 2)])
        self.laterals = nn.ModuleList([nn.Conv2d(c, 16, 1) for c in (16, 24, 32)])
        self.anchors = [torch.tensor([8.0, 8.0]), torch.tensor([16.0, 16.0]), torch.tensor([32.0, 32.0])]
        self.head = nn.Conv2d(16, 4, 3, padding=1)

    def forward(self, images):
        feats, x = [], images
        for stage in self.stages:
            x = stage(x)
            feats.append(x)
        lat = [conv(f) for conv, f in zip(self.laterals, feats)]
        for i in range(len(lat) - 1, 0, -1):
            lat[i - 1] = lat[i - 1] + F.interpolate(lat[i], size=lat[i - 1].shape[-2:], mode="nearest")
        anchors = copy.deepcopy(self.anchors)
        return [self.head(p) * a.mean() / 32 for p, a in zip(lat, anchors)]


ENTRIES = [
    Entry("video_frame_counter_state", "stateful", FrameCounterSmoother, inputs(image(32)),
          "self.frames += 1 inside forward (buffer mutation)"),
    Entry("reid_previous_output_attribute", "stateful", PreviousEmbeddingSmoother, inputs(features(16)),
          "self.prev = emb.detach(); if self.prev is not None: ..."),
    Entry("online_normalizer_buffer_update", "stateful", OnlineFeatureNormalizer, inputs(features(12)),
          "self.running_mean.mul_(0.9).add_(0.1 * x.mean(0)) in eval"),
    Entry("streampetr_pc_range_slices", "misc", PcRangeDenormalize, inputs(uniform(32, 3)),
          "points * (pc_range[3:6] - pc_range[0:3]) + pc_range[0:3]", tags=("device_indexing",)),
    Entry("streampetr_memory_inplace_slice", "misc", MemoryPropagation, inputs(features(24, 3), features(3)),
          "memory[:, :n] = memory[:, :n] + update (index_put on a slice)", tags=("device_indexing", "masked_assign")),
    Entry("zeros_like_first_row", "misc", ZerosLikeRowEmbedding, inputs(features(16)),
          "torch.zeros_like(t[0]) vs torch.zeros_like(t)[0]"),
    Entry("autoencoder_unflatten", "misc", UnflattenDecoder, inputs(image(32)),
          "nn.Flatten / nn.Unflatten(1, (16, 4, 4))"),
    Entry("fpn_comprehension_deepcopy", "misc", ComprehensionFPN, inputs(image(64)),
          "list comprehensions, reversed range(len(lat)), copy.deepcopy(anchors)"),
]
