"""Math valid only on the model's real input domain (where made-up verification data breaks the reference).

``log1p(depth)`` on non-negative depth, ``rsqrt`` of sensor variances,
``log`` of upstream probabilities, a log-mel of a power spectrogram, class-id
and boolean-mask inputs, and a BatchNorm network whose output depends on the
data distribution (EfficientNet-like, statistics calibrated on real images).
A tool that verifies on inputs outside this domain compares NaNs or garbage.
"""

from __future__ import annotations

import torch
from torch import nn

from ._data import depth, generator, image, inputs, probabilities, tokens, waveform
from ._entry import Entry, conv_bn_act


class DepthEncoder(nn.Module):
    """An RGB-D fusion stem that compresses metric depth with ``torch.log1p(depth)``."""

    def __init__(self):
        super().__init__()
        self.depth_stem = nn.Sequential(nn.Conv2d(1, 8, 3, 2, 1), nn.ReLU(), nn.Conv2d(8, 16, 3, 2, 1), nn.ReLU())
        self.head = nn.Conv2d(16, 4, 1)

    def forward(self, depth):
        valid = (depth > 0).float()
        return self.head(self.depth_stem(torch.log1p(depth) * valid))


class InverseVarianceFusion(nn.Module):
    """Radar/camera depth fusion weighted by ``torch.rsqrt(variance)`` of each sensor's estimate."""

    def __init__(self):
        super().__init__()
        self.refine = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 1, 3, padding=1))

    def forward(self, depth_a, var_a, depth_b, var_b):
        wa, wb = torch.rsqrt(var_a + 1e-3), torch.rsqrt(var_b + 1e-3)
        fused = (wa * depth_a + wb * depth_b) / (wa + wb)
        return fused + self.refine(torch.cat([fused, torch.log(var_a + 1e-3), torch.log(var_b + 1e-3)], 1))


class EnsembleUncertainty(nn.Module):
    """Re-ranking from an upstream classifier's probabilities: entropy ``-(p * p.log()).sum(-1)`` and a calibrator."""

    def __init__(self, classes: int = 10):
        super().__init__()
        self.temperature = nn.Parameter(torch.tensor(1.5))
        self.calib = nn.Linear(classes + 1, classes)

    def forward(self, probs):
        entropy = -(probs * probs.log()).sum(-1, keepdim=True)
        logits = probs.log() / self.temperature
        return self.calib(torch.cat([logits, entropy], -1)).softmax(-1)


class LogMelFrontend(nn.Module):
    """An audio tagger on a power spectrogram input: mel projection then ``torch.log(mel + 1e-6)``."""

    def __init__(self, freq: int = 65, mels: int = 16, classes: int = 6):
        super().__init__()
        self.mel = nn.Parameter(torch.rand(mels, freq) / freq)
        self.net = nn.Sequential(nn.Conv1d(mels, 32, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool1d(1), nn.Flatten(),
                                 nn.Linear(32, classes))  # fmt: skip

    def forward(self, power):
        mel = torch.einsum("mf,bft->bmt", self.mel.abs(), power)
        return self.net(torch.log(mel + 1e-6))


class ConditionalDecoder(nn.Module):
    """A class-conditional generator: ``nn.Embedding(classes)(labels)`` (labels must be valid class ids)."""

    def __init__(self, classes: int = 10, latent: int = 16):
        super().__init__()
        self.label_embed = nn.Embedding(classes, latent)
        self.fc = nn.Linear(latent, 16 * 4 * 4)
        self.up = nn.Sequential(nn.ConvTranspose2d(16, 8, 4, 2, 1), nn.ReLU(), nn.ConvTranspose2d(8, 3, 4, 2, 1))

    def forward(self, z, labels):
        h = self.fc(z * self.label_embed(labels)).view(-1, 16, 4, 4)
        return torch.tanh(self.up(h))


class KeyPaddingEncoder(nn.Module):
    """A transformer encoder layer with a boolean ``src_key_padding_mask`` input (True = padding)."""

    def __init__(self, vocab: int = 1000, dim: int = 32):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.layer = nn.TransformerEncoderLayer(dim, 4, 64, dropout=0.0, batch_first=True)
        self.out = nn.Linear(dim, 2)

    def forward(self, input_ids, padding_mask):
        x = self.layer(self.embed(input_ids), src_key_padding_mask=padding_mask)
        keep = (~padding_mask).float()[..., None]
        return self.out((x * keep).sum(1) / keep.sum(1))


class MBConv(nn.Module):
    """EfficientNet's inverted bottleneck: expand, depthwise, squeeze-excite, project (+ residual)."""

    def __init__(self, cin: int, cout: int, stride: int, expand: int = 4):
        super().__init__()
        mid = cin * expand
        self.residual = stride == 1 and cin == cout
        self.expand = conv_bn_act(cin, mid, k=1, act=nn.SiLU)
        self.dw = nn.Sequential(nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False), nn.BatchNorm2d(mid),
                                nn.SiLU())  # fmt: skip
        self.se = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(mid, mid // 4, 1), nn.SiLU(),
                                nn.Conv2d(mid // 4, mid, 1), nn.Sigmoid())  # fmt: skip
        self.project = nn.Sequential(nn.Conv2d(mid, cout, 1, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        h = self.dw(self.expand(x))
        h = self.project(h * self.se(h))
        return x + h if self.residual else h


class TinyEfficientNet(nn.Module):
    """An EfficientNet-like classifier; its BatchNorm statistics are calibrated on realistic images."""

    def __init__(self, classes: int = 10):
        super().__init__()
        self.stem = conv_bn_act(3, 16, 2, act=nn.SiLU)
        self.blocks = nn.Sequential(MBConv(16, 16, 1), MBConv(16, 24, 2), MBConv(24, 24, 1), MBConv(24, 40, 2))
        self.head = nn.Sequential(conv_bn_act(40, 64, k=1, act=nn.SiLU), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                  nn.Dropout(0.2), nn.Linear(64, classes))  # fmt: skip

    def forward(self, images):
        return self.head(self.blocks(self.stem(images)))


def fusion_inputs(batch: int, seed: int) -> tuple:
    """Two depth estimates (m) of one scene and their non-negative variances (grow with depth)."""
    gen = generator(seed, 11)
    truth = depth(16, invalid=0.0)(batch, seed, 0)
    var_a = (0.05 * truth) ** 2 * (0.5 + torch.rand(truth.shape, generator=gen))
    var_b = (0.1 + 0.02 * truth) ** 2 * (0.5 + torch.rand(truth.shape, generator=gen))
    noisy_a = truth + var_a.sqrt() * torch.randn(truth.shape, generator=gen)
    noisy_b = truth + var_b.sqrt() * torch.randn(truth.shape, generator=gen)
    return noisy_a, var_a, noisy_b, var_b


def power_spectrogram(batch: int, seed: int) -> tuple:
    """|STFT|^2 of realistic audio (B, 65 bins, 24 frames): non-negative, spanning decades."""
    wave = waveform(128 * 12)(batch, seed, 0)
    spec = torch.stft(wave, 128, 64, window=torch.hann_window(128), return_complex=True)
    return (spec.abs() ** 2 + 1e-8,)


def latents_and_labels(batch: int, seed: int) -> tuple:
    """Gaussian latents and class ids in [0, 10)."""
    gen = generator(seed, 12)
    return torch.randn(batch, 16, generator=gen), torch.randint(0, 10, (batch,), generator=gen)


_ids, _keep = tokens(length=12, mask_dtype=torch.bool)


ENTRIES = [
    Entry("rgbd_log1p_depth", "input_domain", DepthEncoder, inputs(depth(32)),
          "torch.log1p(depth) on metric depth >= 0 (zeros = no return)", quick=True),
    Entry("depth_fusion_rsqrt_variance", "input_domain", InverseVarianceFusion, fusion_inputs,
          "torch.rsqrt(var + eps), log(var) on sensor variances >= 0"),
    Entry("ensemble_entropy_log_probs", "input_domain", EnsembleUncertainty, inputs(probabilities(10)),
          "-(p * p.log()).sum(-1) on upstream softmax probabilities"),
    Entry("audio_log_mel_power", "input_domain", LogMelFrontend, power_spectrogram,
          "torch.log(mel @ power + 1e-6) on a power spectrogram"),
    Entry("conditional_decoder_class_ids", "input_domain", ConditionalDecoder, latents_and_labels,
          "nn.Embedding(10)(labels) with labels in [0, 10)"),
    Entry("encoder_bool_padding_mask", "input_domain", KeyPaddingEncoder,
          inputs(_ids, lambda b, s, salt: ~_keep(b, s, salt)),
          "TransformerEncoderLayer(src_key_padding_mask=bool mask)"),
    Entry("efficientnet_bn_calibrated", "bn_distribution", TinyEfficientNet, inputs(image(64)),
          "MBConv + SE + BatchNorm; running stats calibrated on normalized images"),
]
