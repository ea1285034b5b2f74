"""The batch size pinned by ``int(...)`` in view/reshape (torchpipe's dynamic-batch guide, seed 001).

``int(x.size(0))`` turns the traced batch into a Python constant, so a graph
exported at batch 2 reshapes to 2 rows whatever it is fed. Each model below is
the construct as it appears in real code: an SE block, a YOLOX-style
conv-classifier, a ViT attention, a keypoint soft-argmax, StreamPETR's
reference-point update, a VAE decoder and a transformer written sequence-first.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ._data import features, image, inputs, tokens, uniform
from ._entry import Entry, conv_bn_act


class ConvClassifierHead(nn.Module):
    """YOLOX-style global head: pooled features viewed as a 1x1 map (``x.view(int(x.size(0)), -1, 1, 1)``)."""

    def __init__(self, classes: int = 10):
        super().__init__()
        self.backbone = nn.Sequential(conv_bn_act(3, 16, 2), conv_bn_act(16, 32, 2), conv_bn_act(32, 64, 2))
        self.classifier = nn.Conv2d(64, classes, 1)

    def forward(self, images):
        x = self.backbone(images)
        x = F.adaptive_avg_pool2d(x, 1)
        x = x.view(int(x.size(0)), -1, 1, 1)
        return self.classifier(x).flatten(1)


class SqueezeExcite(nn.Module):
    """Squeeze-and-excitation written the way many repos do: ``x.mean((2,3)).view(int(b), c)``."""

    def __init__(self, channels: int, reduction: int = 4):
        super().__init__()
        self.fc = nn.Sequential(
            nn.Linear(channels, channels // reduction), nn.ReLU(inplace=True),
            nn.Linear(channels // reduction, channels), nn.Sigmoid(),
        )  # fmt: skip

    def forward(self, x):
        b, c, _, _ = x.size()
        y = x.mean((2, 3)).view(int(b), c)
        y = self.fc(y).view(int(b), c, 1, 1)
        return x * y


class SEResNetStage(nn.Module):
    """Two residual blocks with SE and a linear classifier."""

    def __init__(self, classes: int = 10):
        super().__init__()
        self.stem = conv_bn_act(3, 32, 2)
        self.blocks = nn.ModuleList([nn.Sequential(conv_bn_act(32, 32), conv_bn_act(32, 32, act=nn.Identity),
                                                   SqueezeExcite(32)) for _ in range(2)])  # fmt: skip
        self.fc = nn.Linear(32, classes)

    def forward(self, images):
        x = self.stem(images)
        for block in self.blocks:
            x = F.relu(x + block(x))
        return self.fc(x.mean((2, 3)))


class VGGClassifier(nn.Module):
    """A VGG-style net flattening with ``x.reshape(int(x.size(0)), -1)`` before its MLP head."""

    def __init__(self, classes: int = 10):
        super().__init__()
        self.features = nn.Sequential(
            conv_bn_act(3, 16), nn.MaxPool2d(2), conv_bn_act(16, 32), nn.MaxPool2d(2),
            conv_bn_act(32, 32), nn.AdaptiveAvgPool2d(4),
        )  # fmt: skip
        self.head = nn.Sequential(nn.Linear(32 * 16, 64), nn.ReLU(), nn.Dropout(0.5), nn.Linear(64, classes))

    def forward(self, images):
        x = self.features(images)
        x = x.reshape(int(x.size(0)), -1)
        return self.head(x)


class PatchAttention(nn.Module):
    """timm-style multi-head self-attention with ``reshape(int(B), N, 3, heads, C // heads)``."""

    def __init__(self, dim: int = 64, heads: int = 4):
        super().__init__()
        self.heads, self.scale = heads, (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(int(B), N, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        attn = (q @ k.transpose(-2, -1) * self.scale).softmax(dim=-1)
        x = (attn @ v).transpose(1, 2).reshape(int(B), N, C)
        return self.proj(x)


class TinyViT(nn.Module):
    """Patch embedding, two pre-norm attention blocks, mean-pooled classifier."""

    def __init__(self, dim: int = 64, classes: int = 10):
        super().__init__()
        self.patch = nn.Conv2d(3, dim, 8, 8)
        self.pos = nn.Parameter(torch.randn(1, 16, dim) * 0.02)
        self.blocks = nn.ModuleList([PatchAttention(dim) for _ in range(2)])
        self.norms = nn.ModuleList([nn.LayerNorm(dim) for _ in range(2)])
        self.head = nn.Linear(dim, classes)

    def forward(self, images):
        x = self.patch(images).flatten(2).transpose(1, 2) + self.pos
        for norm, block in zip(self.norms, self.blocks):
            x = x + block(norm(x))
        return self.head(x.mean(1))


class SoftArgmaxKeypoints(nn.Module):
    """Integral-pose keypoint head: ``heat.reshape(int(b), k, -1).softmax(-1)`` then expected x, y."""

    def __init__(self, keypoints: int = 8):
        super().__init__()
        self.k = keypoints
        self.backbone = nn.Sequential(conv_bn_act(3, 16, 2), conv_bn_act(16, 32, 2), conv_bn_act(32, 32))
        self.heatmap = nn.Conv2d(32, keypoints, 1)

    def forward(self, images):
        heat = self.heatmap(self.backbone(images))
        b, _, h, w = heat.shape
        prob = heat.reshape(int(b), self.k, -1).softmax(dim=-1).reshape(int(b), self.k, h, w)
        xs = torch.linspace(0, 1, w, device=heat.device)
        ys = torch.linspace(0, 1, h, device=heat.device)
        x = (prob.sum(dim=2) * xs).sum(dim=-1)
        y = (prob.sum(dim=3) * ys).sum(dim=-1)
        return torch.stack([x, y], dim=-1)


class ReferencePointPropagation(nn.Module):
    """StreamPETR's memory update: ``(1.0 - x).view(B, 1, 1) * pseudo_reference_points`` with ``B = int(...)``.

    ``x`` is the per-sample fraction of the memory that is stale (0 after a scene cut).
    """

    def __init__(self, queries: int = 32):
        super().__init__()
        self.pseudo_reference_points = nn.Parameter(torch.rand(1, queries, 3))
        self.embed = nn.Sequential(nn.Linear(3, 32), nn.ReLU(), nn.Linear(32, 32))

    def forward(self, reference_points, stale):
        B = int(reference_points.size(0))
        update = (1.0 - stale).view(B, 1, 1) * self.pseudo_reference_points
        points = reference_points * stale.view(B, 1, 1) + update
        return points, self.embed(points)


class VAEDecoder(nn.Module):
    """A VAE decoder with two successive views of the latent: ``z.view(b, -1).view(b, 32, 4, 4)``."""

    def __init__(self, latent: int = 16):
        super().__init__()
        self.fc = nn.Linear(latent, 32 * 16)
        self.up = nn.Sequential(
            nn.ConvTranspose2d(32, 16, 4, 2, 1), nn.ReLU(), nn.ConvTranspose2d(16, 3, 4, 2, 1), nn.Tanh()
        )

    def forward(self, z):
        b = int(z.size(0))
        h = self.fc(z.view(b, -1)).view(b, 32, 4, 4)
        return self.up(h)


class SeqFirstEncoderLayer(nn.Module):
    """fairseq-style attention on (T, B, C) with the batch at dim 1: ``view(T, int(bsz) * heads, d)``."""

    def __init__(self, dim: int = 32, heads: int = 4):
        super().__init__()
        self.heads, self.head_dim = heads, dim // heads
        self.in_proj = nn.Linear(dim, 3 * dim)
        self.out_proj = nn.Linear(dim, dim)
        self.norm = nn.LayerNorm(dim)
        self.embed = nn.Embedding(500, dim)

    def forward(self, ids):
        x = self.embed(ids).transpose(0, 1)  # (T, B, C)
        tgt_len, bsz, dim = x.size()
        q, k, v = self.in_proj(x).chunk(3, dim=-1)
        q = q.contiguous().view(tgt_len, int(bsz) * self.heads, self.head_dim).transpose(0, 1)
        k = k.contiguous().view(-1, int(bsz) * self.heads, self.head_dim).transpose(0, 1)
        v = v.contiguous().view(-1, int(bsz) * self.heads, self.head_dim).transpose(0, 1)
        attn = torch.bmm(q, k.transpose(1, 2)).div(self.head_dim**0.5).softmax(dim=-1)
        out = torch.bmm(attn, v).transpose(0, 1).contiguous().view(tgt_len, int(bsz), dim)
        return self.norm(x + self.out_proj(out)).transpose(0, 1)


ENTRIES = [
    Entry("yolox_int_view_head", "pinned_batch", ConvClassifierHead, inputs(image(64)),
          "x.view(int(x.size(0)), -1, 1, 1) before a 1x1-conv classifier (YOLOX)", quick=True),
    Entry("se_block_int_view", "pinned_batch", SEResNetStage, inputs(image(48)),
          "SE block: y = x.mean((2,3)).view(int(b), c); fc(y).view(int(b), c, 1, 1)"),
    Entry("vgg_int_reshape", "pinned_batch", VGGClassifier, inputs(image(32)),
          "x.reshape(int(x.size(0)), -1) before the MLP head"),
    Entry("vit_attention_int_reshape", "pinned_batch", TinyViT, inputs(image(32)),
          "attention qkv.reshape(int(B), N, 3, heads, C // heads)"),
    Entry("keypoint_softargmax_int_reshape", "pinned_batch", SoftArgmaxKeypoints, inputs(image(64)),
          "keypoint heatmaps heat.reshape(int(b), k, -1).softmax(-1)"),
    Entry("streampetr_reference_update", "pinned_batch", ReferencePointPropagation,
          inputs(features(32, 3), uniform()), "(1.0 - x).view(B, 1, 1) * pseudo_reference_points, B = int(size)",
          tags=("device_indexing",)),
    Entry("vae_decoder_two_views", "pinned_batch", VAEDecoder, inputs(features(16)),
          "two successive views z.view(b, -1) -> .view(b, 32, 4, 4), b = int(z.size(0))"),
    Entry("seq_first_attention_int_bsz", "pinned_batch", SeqFirstEncoderLayer, inputs(tokens(length=12, vocab=500)[0]),
          "batch at dim 1: q.view(T, int(bsz) * heads, d) (fairseq multi-head attention)"),
]
