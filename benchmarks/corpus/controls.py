"""Clean controls: ordinary dynamic-batch code every exporter should get right and TensorRT should accept.

A plain CNN, an MLP, a pre-norm transformer block, a small U-Net, an LSTM
tagger and a PointNet that flattens with ``flatten(1)`` (torchpipe's fix).
"""

from __future__ import annotations

import torch
from torch import nn

from ._data import features, image, inputs, points, tokens
from ._entry import Entry, conv_bn_act


class PlainCNN(nn.Module):
    """ResNet-ish: conv stages, a residual add, global pooling, ``torch.flatten(x, 1)``, linear."""

    def __init__(self, classes: int = 10):
        super().__init__()
        self.stem = conv_bn_act(3, 16, 2)
        self.block = nn.Sequential(conv_bn_act(16, 16), conv_bn_act(16, 16, act=nn.Identity))
        self.down = conv_bn_act(16, 32, 2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, classes)

    def forward(self, images):
        x = self.stem(images)
        x = torch.relu(x + self.block(x))
        return self.fc(torch.flatten(self.pool(self.down(x)), 1))


class TabularMLP(nn.Module):
    """An MLP over standardized tabular features with LayerNorm, GELU and dropout."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(20, 64), nn.LayerNorm(64), nn.GELU(), nn.Dropout(0.1), nn.Linear(64, 32),
                                 nn.GELU(), nn.Linear(32, 3))  # fmt: skip

    def forward(self, x):
        return self.net(x)


class TransformerBlock(nn.Module):
    """A pre-norm transformer block on token ids with an additive float padding mask."""

    def __init__(self, vocab: int = 1000, dim: int = 32, heads: int = 4):
        super().__init__()
        self.heads, self.dim = heads, dim
        self.embed = nn.Embedding(vocab, dim)
        self.pos = nn.Parameter(torch.randn(1, 16, dim) * 0.02)
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))
        self.out = nn.Linear(dim, 2)

    def forward(self, input_ids, attention_mask):
        x = self.embed(input_ids) + self.pos
        q, k, v = self.qkv(self.norm1(x)).unflatten(-1, (3, self.heads, -1)).permute(2, 0, 3, 1, 4)
        bias = (1.0 - attention_mask[:, None, None, :].float()) * -1e4
        attn = (q @ k.transpose(-1, -2) * (self.dim // self.heads) ** -0.5 + bias).softmax(-1)
        x = x + self.proj((attn @ v).transpose(1, 2).flatten(2))
        x = x + self.mlp(self.norm2(x))
        return self.out(x)


class TinyUNet(nn.Module):
    """A two-level U-Net: strided convs down, transposed conv up, skip concatenation."""

    def __init__(self, classes: int = 3):
        super().__init__()
        self.enc1 = conv_bn_act(3, 16)
        self.enc2 = conv_bn_act(16, 32, 2)
        self.up = nn.ConvTranspose2d(32, 16, 2, 2)
        self.dec = conv_bn_act(32, 16)
        self.out = nn.Conv2d(16, classes, 1)

    def forward(self, images):
        e1 = self.enc1(images)
        d = self.dec(torch.cat([e1, self.up(self.enc2(e1))], 1))
        return self.out(d)


class LSTMTagger(nn.Module):
    """A bidirectional LSTM sequence tagger over sensor features (batch_first)."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(8, 16, batch_first=True, bidirectional=True)
        self.out = nn.Linear(32, 4)

    def forward(self, sequence):
        return self.out(self.lstm(sequence)[0]).log_softmax(-1)


class PointNetFlatten(nn.Module):
    """PointNet with max pooling and ``flatten(1)``: no squeeze, no int(size)."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Conv1d(4, 32, 1), nn.ReLU(), nn.Conv1d(32, 64, 1))
        self.cls = nn.Linear(64, 5)

    def forward(self, points):
        x = self.encoder(points.transpose(1, 2) / torch.tensor([50.0, 50.0, 3.0, 1.0])[:, None])
        return self.cls(torch.amax(x, dim=2, keepdim=True).flatten(1))


ENTRIES = [
    Entry("control_plain_cnn", "control", PlainCNN, inputs(image(32)), "conv/bn/residual/pool/flatten(1)/linear",
          quick=True),
    Entry("control_mlp", "control", TabularMLP, inputs(features(20)), "Linear/LayerNorm/GELU MLP"),
    Entry("control_transformer_block", "control", TransformerBlock, inputs(*tokens(length=16)),
          "pre-norm attention block with an additive padding mask"),
    Entry("control_unet", "control", TinyUNet, inputs(image(32)), "U-Net with transposed conv and skip concat"),
    Entry("control_lstm_tagger", "control", LSTMTagger, inputs(features(12, 8)), "bidirectional LSTM, batch_first"),
    Entry("control_pointnet_flatten", "control", PointNetFlatten, inputs(points(128)),
          "PointNet amax(2, keepdim=True).flatten(1)"),
]
