"""Tensors built, split or indexed with a batch size turned into a Python int (seed 001, and seed 000's shape tensors).

``torch.zeros(int(b), ...)``, ``expand(int(x.shape[0]), ...)``, ``repeat``, ``arange``,
``ones``, ``split(int(b))`` and ``y[:int(b)]`` all bake the export batch into the
graph: a ViT class token, DETR's decoder queries and its sine positional mask,
CenterNet's top-k gather, a GRU track-state init, a stereo network splitting a
stacked batch, flip test-time augmentation and a retrieval head with a memory bank.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ._data import features, image, inputs
from ._entry import Entry, conv_bn_act


class ClsTokenViT(nn.Module):
    """ViT whose class token is ``self.cls_token.expand(int(x.shape[0]), -1, -1)``."""

    def __init__(self, dim: int = 48, classes: int = 10):
        super().__init__()
        self.patch = nn.Conv2d(3, dim, 8, 8)
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.pos = nn.Parameter(torch.randn(1, 17, dim) * 0.02)
        self.encoder = nn.TransformerEncoderLayer(dim, 4, dim * 2, dropout=0.0, batch_first=True, norm_first=True)
        self.head = nn.Linear(dim, classes)

    def forward(self, images):
        x = self.patch(images).flatten(2).transpose(1, 2)
        cls = self.cls_token.expand(int(x.shape[0]), -1, -1)
        x = torch.cat([cls, x], dim=1) + self.pos
        return self.head(self.encoder(x)[:, 0])


class DETRDecoder(nn.Module):
    """DETR's decoder input: ``query_embed.weight.unsqueeze(0).repeat(int(bs), 1, 1)``, ``torch.zeros(int(bs), ..)``."""

    def __init__(self, dim: int = 32, queries: int = 10, classes: int = 5):
        super().__init__()
        self.backbone = nn.Sequential(conv_bn_act(3, 16, 2), conv_bn_act(16, dim, 2))
        self.query_embed = nn.Embedding(queries, dim)
        self.cross = nn.MultiheadAttention(dim, 4, batch_first=True)
        self.ffn = nn.Sequential(nn.Linear(dim, dim * 2), nn.ReLU(), nn.Linear(dim * 2, dim))
        self.class_embed = nn.Linear(dim, classes + 1)
        self.bbox_embed = nn.Linear(dim, 4)

    def forward(self, images):
        memory = self.backbone(images).flatten(2).transpose(1, 2)
        bs = memory.shape[0]
        query_pos = self.query_embed.weight.unsqueeze(0).repeat(int(bs), 1, 1)
        tgt = torch.zeros(int(bs), query_pos.shape[1], memory.shape[2])
        hs = tgt + self.cross(tgt + query_pos, memory, memory, need_weights=False)[0]
        hs = hs + self.ffn(hs)
        return self.class_embed(hs), self.bbox_embed(hs).sigmoid()


class SinePositionEmbedding(nn.Module):
    """DETR's sine position encoding from a ``torch.ones(int(b), h, w)`` not-padded mask."""

    def __init__(self, dim: int = 32, temperature: float = 10000.0):
        super().__init__()
        self.half, self.temperature = dim // 2, temperature
        self.backbone = nn.Sequential(conv_bn_act(3, 16, 2), conv_bn_act(16, dim, 2))
        self.head = nn.Conv2d(dim, 8, 1)

    def forward(self, images):
        x = self.backbone(images)
        b, _, h, w = x.shape
        not_mask = torch.ones(int(b), h, w, device=x.device)
        y_embed = not_mask.cumsum(1, dtype=torch.float32) / h * 2 * math.pi
        x_embed = not_mask.cumsum(2, dtype=torch.float32) / w * 2 * math.pi
        dim_t = self.temperature ** (2 * (torch.arange(self.half, dtype=torch.float32) // 2) / self.half)
        pos_x = x_embed[:, :, :, None] / dim_t
        pos_y = y_embed[:, :, :, None] / dim_t
        pos_x = torch.stack((pos_x[:, :, :, 0::2].sin(), pos_x[:, :, :, 1::2].cos()), dim=4).flatten(3)
        pos_y = torch.stack((pos_y[:, :, :, 0::2].sin(), pos_y[:, :, :, 1::2].cos()), dim=4).flatten(3)
        pos = torch.cat((pos_y, pos_x), dim=3).permute(0, 3, 1, 2)
        return self.head(x + pos)


class CenterNetDecode(nn.Module):
    """CenterNet decoding: top-k peaks gathered with ``torch.arange(int(b)).view(-1, 1).expand(-1, k)``."""

    def __init__(self, classes: int = 3, k: int = 12):
        super().__init__()
        self.k = k
        self.backbone = nn.Sequential(conv_bn_act(3, 16, 2), conv_bn_act(16, 32, 2), conv_bn_act(32, 32))
        self.heat = nn.Conv2d(32, classes, 1)
        self.wh = nn.Conv2d(32, 2, 1)

    def forward(self, images):
        f = self.backbone(images)
        heat = self.heat(f).sigmoid()
        hmax = F.max_pool2d(heat, 3, stride=1, padding=1)
        heat = heat * (hmax == heat).float()
        b, c, h, w = heat.shape
        scores, inds = heat.view(b, -1).topk(self.k)
        inds = inds % (h * w)
        batch_idx = torch.arange(int(b)).view(-1, 1).expand(-1, self.k)
        wh = self.wh(f).flatten(2).transpose(1, 2)[batch_idx, inds]
        centers = torch.stack([inds % w, inds // w], dim=-1).float()
        return scores, torch.cat([centers - wh / 2, centers + wh / 2], dim=-1)


class TrackGRU(nn.Module):
    """A track-embedding GRU whose initial state is ``torch.zeros(1, int(x.size(0)), hidden)``."""

    def __init__(self, feat: int = 16, hidden: int = 32):
        super().__init__()
        self.hidden = hidden
        self.gru = nn.GRU(feat, hidden, batch_first=True)
        self.out = nn.Linear(hidden, 4)

    def forward(self, track_features):
        h0 = torch.zeros(1, int(track_features.size(0)), self.hidden)
        seq, last = self.gru(track_features, h0)
        return self.out(seq[:, -1]), last[0]


class StereoCorrelation(nn.Module):
    """A stereo net: both views in one backbone batch, then ``split(int(left.size(0)), dim=0)``."""

    def __init__(self, max_disp: int = 6):
        super().__init__()
        self.max_disp = max_disp
        self.backbone = nn.Sequential(conv_bn_act(3, 16, 2), conv_bn_act(16, 16, 2))
        self.refine = nn.Conv2d(max_disp, max_disp, 3, padding=1)

    def forward(self, left, right):
        feats = self.backbone(torch.cat([left, right], dim=0))
        fl, fr = feats.split(int(left.size(0)), dim=0)
        cost = [(fl * fr).mean(1)]
        for d in range(1, self.max_disp):
            cost.append(F.pad((fl[..., d:] * fr[..., :-d]).mean(1), (d, 0)))
        prob = self.refine(torch.stack(cost, 1)).softmax(1)
        disp = torch.arange(self.max_disp, dtype=prob.dtype).view(1, -1, 1, 1)
        return (prob * disp).sum(1)


class FlipTTASegmenter(nn.Module):
    """Horizontal-flip test-time augmentation: ``y[:int(b)]`` and ``y[int(b):]`` of the stacked batch."""

    def __init__(self, classes: int = 4):
        super().__init__()
        self.net = nn.Sequential(conv_bn_act(3, 16), conv_bn_act(16, 16), nn.Conv2d(16, classes, 1))

    def forward(self, images):
        b = int(images.size(0))
        y = self.net(torch.cat([images, images.flip(-1)], dim=0))
        return ((y[:b] + y[b:].flip(-1)) / 2).softmax(1)


class MemoryBankRetrieval(nn.Module):
    """Re-ID retrieval: the batch stacked onto a memory bank, scored with ``feats[:int(b)] @ feats.T``."""

    def __init__(self, dim: int = 32, bank: int = 16):
        super().__init__()
        self.embed = nn.Sequential(nn.Linear(24, 64), nn.ReLU(), nn.Linear(64, dim))
        self.register_buffer("bank", F.normalize(torch.randn(bank, dim), dim=1))

    def forward(self, descriptors):
        b = int(descriptors.size(0))
        feats = torch.cat([F.normalize(self.embed(descriptors), dim=1), self.bank], dim=0)
        sim = feats[:b] @ feats.t()
        return sim.softmax(dim=1)


ENTRIES = [
    Entry("vit_cls_token_int_expand", "batch_built", ClsTokenViT, inputs(image(32)),
          "cls_token.expand(int(x.shape[0]), -1, -1)", quick=True),
    Entry("detr_queries_int_repeat_zeros", "batch_built", DETRDecoder, inputs(image(32)),
          "query_embed.weight.unsqueeze(0).repeat(int(bs), 1, 1); torch.zeros(int(bs), nq, d)"),
    Entry("detr_sine_pos_int_ones", "batch_built", SinePositionEmbedding, inputs(image(32)),
          "not_mask = torch.ones(int(b), h, w).cumsum(...) sine position encoding"),
    Entry("centernet_int_arange_gather", "batch_built", CenterNetDecode, inputs(image(64)),
          "feat[torch.arange(int(b)).view(-1, 1).expand(-1, k), topk_inds]"),
    Entry("tracker_gru_int_zeros_state", "batch_built", TrackGRU, inputs(features(6, 16)),
          "h0 = torch.zeros(1, int(x.size(0)), hidden) for nn.GRU"),
    Entry("stereo_int_split", "batch_built", StereoCorrelation, inputs(image(32), image(32)),
          "feats.split(int(left.size(0)), dim=0) after a shared backbone"),
    Entry("flip_tta_int_slice", "batch_built", FlipTTASegmenter, inputs(image(32)),
          "flip TTA: (y[:int(b)] + y[int(b):].flip(-1)) / 2", tags=("pinned_batch",)),
    Entry("reid_memory_bank_int_slice", "batch_built", MemoryBankRetrieval, inputs(features(24)),
          "feats[:int(b)] @ feats.t() over batch + memory bank"),
]
