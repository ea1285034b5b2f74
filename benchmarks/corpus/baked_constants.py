"""Tensor values turned into Python numbers (seed 000: "avoid .item()", ``len(tensor)``, built-ins).

Tracing records the example's value: a ``.item()`` normalization scale, a
``.item()`` detection count feeding ``topk``, an adaptive ``float(...)``
threshold, ``len(boxes)`` as a count, and ``lengths.tolist()`` splitting a
packed sequence batch.
"""

from __future__ import annotations

import torch
from torch import nn

from ._data import boxes, choice, features, generator, image, inputs, tokens
from ._entry import Entry, conv_bn_act


class ItemNormalizedEmbedding(nn.Module):
    """Features divided by their batch maximum taken with ``.item()``."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(conv_bn_act(3, 16, 2), conv_bn_act(16, 32, 2), nn.AdaptiveAvgPool2d(1))
        self.fc = nn.Linear(32, 10)

    def forward(self, images):
        h = self.features(images).flatten(1)
        scale = h.abs().max().item()
        return self.fc(h / scale)


class ItemCountTopK(nn.Module):
    """Keep as many proposals as pass the threshold: ``k = int((scores > t).sum().item()); scores.topk(k)``."""

    def __init__(self):
        super().__init__()
        self.score = nn.Sequential(nn.Linear(12, 16), nn.ReLU(), nn.Linear(16, 1))

    def forward(self, proposals):
        scores = self.score(proposals)[..., 0].sigmoid().flatten()
        k = int((scores > 0.45).sum().item())
        top, idx = scores.topk(k)
        return top, idx


class AdaptiveThresholdMask(nn.Module):
    """An adaptive foreground threshold taken as a Python float: ``thr = float(prob.mean())``."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(conv_bn_act(3, 16), nn.Conv2d(16, 1, 1))

    def forward(self, images):
        prob = self.net(images).sigmoid()
        thr = float(prob.mean())
        return prob * (prob > thr).float()


class LenNormalizedBoxStats(nn.Module):
    """Mean box size with the count taken as ``len(boxes)`` (seed 000's Example 1)."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, boxes):
        wh = boxes[..., 2:] - boxes[..., :2]
        mean_wh = wh.sum(0) / len(boxes)
        return self.fc(torch.cat([mean_wh, wh.amax(0)], -1)), boxes[:, :2] / mean_wh


class AnchorDecoder(nn.Module):
    """Anchors tiled per image with ``self.cell_anchors.repeat(len(images), 1, 1)`` before decoding deltas."""

    def __init__(self):
        super().__init__()
        ys, xs = torch.meshgrid(torch.arange(4.0), torch.arange(4.0), indexing="ij")
        ctr = torch.stack([xs, ys], -1).view(-1, 2) * 8 + 4
        self.register_buffer("cell_anchors", torch.cat([ctr - 6, ctr + 6], -1)[None])  # (1, 16, 4)
        self.net = nn.Sequential(conv_bn_act(3, 16, 2), conv_bn_act(16, 16, 2), conv_bn_act(16, 16, 2))
        self.deltas = nn.Conv2d(16, 4, 1)

    def forward(self, images):
        deltas = self.deltas(self.net(images)).flatten(2).transpose(1, 2)  # (B, 16, 4)
        anchors = self.cell_anchors.repeat(len(images), 1, 1)
        return anchors + deltas * 4


class FirstQueries(nn.Module):
    """A decoder over the first ``num_queries`` queries: ``queries[:, :int(num_queries)]`` (seed 000: dynamic slice)."""

    def __init__(self, dim: int = 16, max_queries: int = 8):
        super().__init__()
        self.queries = nn.Parameter(torch.randn(1, max_queries, dim))
        self.cross = nn.MultiheadAttention(dim, 2, batch_first=True)

    def forward(self, memory, num_queries):
        q = self.queries.expand(memory.shape[0], -1, -1)[:, : int(num_queries)]
        return self.cross(q, memory, memory, need_weights=False)[0]


class TrimToLongest(nn.Module):
    """A tagger that trims padding to the batch's longest sequence: ``input_ids[:, :attention_mask.sum(1).max()]``."""

    def __init__(self, vocab: int = 1000, dim: int = 16):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.tag = nn.Linear(dim, 5)

    def forward(self, input_ids, attention_mask):
        longest = attention_mask.sum(1).max()
        return self.tag(self.embed(input_ids[:, :longest])).log_softmax(-1)


class ArangeIndexSlice(nn.Module):
    """Seed 000's fix for a dynamic slice: ``index = torch.arange(dim); tensor[:, index]`` with ``dim`` a 0-d input."""

    def __init__(self, dim: int = 16):
        super().__init__()
        self.proj = nn.Linear(dim, dim)

    def forward(self, history, num_frames):
        index = torch.arange(num_frames)
        recent = history[:, index]
        return self.proj(recent).mean(1)


class PaddedUtterancePooling(nn.Module):
    """Mean over each utterance's valid frames: ``for f, n in zip(frames, lengths.tolist()): f[:n].mean(0)``."""

    def __init__(self, dim: int = 16):
        super().__init__()
        self.proj = nn.Linear(dim, dim)

    def forward(self, frames, lengths):
        h = self.proj(frames)
        return torch.stack([f[:n].mean(0) for f, n in zip(h, lengths.tolist())])


def padded_frames(batch: int, seed: int) -> tuple:
    """(B, 10, 16) zero-padded frame features and the (B,) valid lengths in [3, 10]."""
    gen = generator(seed, 10)
    lengths = torch.randint(3, 11, (batch,), generator=gen)
    frames = torch.randn(batch, 10, 16, generator=gen) * (torch.arange(10)[None, :, None] < lengths[:, None, None])
    return frames, lengths


def box_list(batch: int, seed: int) -> tuple:
    """``batch`` boxes (N, 4) of one image."""
    return (boxes(batch)(1, seed, 0)[0],)


ENTRIES = [
    Entry("item_scale_normalization", "item", ItemNormalizedEmbedding, inputs(image(32)),
          "scale = h.abs().max().item(); fc(h / scale)", quick=True),
    Entry("item_count_topk", "item", ItemCountTopK, inputs(features(16, 12)),
          "k = int((scores > 0.45).sum().item()); scores.topk(k)"),
    Entry("float_adaptive_threshold", "item", AdaptiveThresholdMask, inputs(image(32)),
          "thr = float(prob.mean()); prob * (prob > thr)"),
    Entry("len_box_count", "len", LenNormalizedBoxStats, box_list, "wh.sum(0) / len(boxes) over N boxes"),
    Entry("anchors_len_repeat", "len", AnchorDecoder, inputs(image(32)),
          "cell_anchors.repeat(len(images), 1, 1) + deltas"),
    Entry("decoder_int_query_slice", "dynamic_slice", FirstQueries, inputs(features(12, 16), choice([5, 2, 8, 3])),
          "queries[:, :int(num_queries)] with a 0-d input", tags=("item",)),
    Entry("tagger_trim_to_longest_slice", "dynamic_slice", TrimToLongest, inputs(*tokens(length=16)),
          "input_ids[:, :attention_mask.sum(1).max()]"),
    Entry("history_arange_index_slice", "dynamic_slice", ArangeIndexSlice,
          inputs(features(10, 16), choice([6, 3, 10, 4])), "seed 000: index = torch.arange(dim); t[:, index]"),
    Entry("tolist_utterance_lengths", "item", PaddedUtterancePooling, padded_frames,
          "[f[:n].mean(0) for f, n in zip(h, lengths.tolist())]"),
]
