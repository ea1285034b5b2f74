"""Realistic inputs for the corpus: every generator takes ``(batch, seed)`` and is deterministic.

Each corpus entry's ``data(batch, seed)`` is built from these, so the independent
verifier feeds every model values from its true input domain: images normalized
per channel, non-negative depth, token ids inside the vocabulary with real
padding, point clouds in a LiDAR-like range, and 0-d loop counts and flags whose
value changes from seed to seed (``choice``), so that a graph which baked the
example's value in is caught.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F

__all__ = [
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "Data",
    "boxes",
    "choice",
    "depth",
    "features",
    "generator",
    "image",
    "inputs",
    "normalize",
    "pixels",
    "points",
    "probabilities",
    "tokens",
    "track_ids",
    "uniform",
    "unit_vectors",
    "waveform",
]

Data = Callable[[int, int], tuple]  # (batch, seed) -> the model's positional inputs

IMAGENET_MEAN = torch.tensor([0.485, 0.456, 0.406])
IMAGENET_STD = torch.tensor([0.229, 0.224, 0.225])


def generator(seed: int, salt: int = 0) -> torch.Generator:
    """A CPU generator for ``seed``; ``salt`` decorrelates the inputs of one call."""
    return torch.Generator().manual_seed(1_000_003 * seed + 7919 * salt + 17)


def inputs(*makers: Callable[[int, int, int], torch.Tensor]) -> Data:
    """Combine per-input makers ``(batch, seed, salt) -> Tensor`` into a ``data(batch, seed)``."""

    def data(batch: int, seed: int) -> tuple:
        return tuple(make(batch, seed, salt) for salt, make in enumerate(makers))

    return data


# -- pictures ------------------------------------------------------------------


def pixels(batch: int, gen: torch.Generator, size: int | tuple[int, int], channels: int = 3) -> torch.Tensor:
    """Natural-looking pixels in [0, 1]: a smooth random field plus a little texture."""
    h, w = (size, size) if isinstance(size, int) else size
    coarse = torch.rand(batch, channels, max(2, h // 8), max(2, w // 8), generator=gen)
    smooth = F.interpolate(coarse, size=(h, w), mode="bilinear", align_corners=False)
    texture = torch.rand(batch, channels, h, w, generator=gen)
    return (0.85 * smooth + 0.15 * texture).clamp(0.0, 1.0)


def image(size: int | tuple[int, int] = 64, channels: int = 3, normalized: bool = True):
    """An image normalized per channel with the ImageNet mean and std (grayscale: their averages).

    ``normalized=False``: the pixels in [0, 1], for models that normalize internally (torchvision detectors).
    """

    def make(batch: int, seed: int, salt: int) -> torch.Tensor:
        x = pixels(batch, generator(seed, salt), size, channels)
        return normalize(x) if normalized else x

    return make


def normalize(x: torch.Tensor, mean: torch.Tensor = IMAGENET_MEAN, std: torch.Tensor = IMAGENET_STD) -> torch.Tensor:
    """Pixels in [0, 1] (B, C, H, W) normalized per channel (the mean's and std's averages if C != len(mean))."""
    channels = x.shape[1]
    if channels != len(mean):
        mean, std = mean.mean().repeat(channels), std.mean().repeat(channels)
    return (x - mean.view(1, -1, 1, 1)) / std.view(1, -1, 1, 1)


def depth(size: int = 48, max_range: float = 60.0, invalid: float = 0.05):
    """A metric depth map (B, 1, H, W) in metres: non-negative, with ``invalid`` of the pixels at 0."""

    def make(batch: int, seed: int, salt: int) -> torch.Tensor:
        gen = generator(seed, salt)
        field = pixels(batch, gen, size, channels=1)
        metres = 0.3 + max_range * field.pow(2)
        holes = torch.rand(batch, 1, size, size, generator=gen) < invalid
        return metres.masked_fill(holes, 0.0)

    return make


def waveform(samples: int = 1600, sample_rate: int = 16000):
    """Mono audio (B, samples) in [-1, 1]: a few harmonics with noise, like a voiced segment."""

    def make(batch: int, seed: int, salt: int) -> torch.Tensor:
        gen = generator(seed, salt)
        t = torch.arange(samples) / sample_rate
        f0 = 100 + 200 * torch.rand(batch, 1, generator=gen)
        wave = sum(torch.sin(2 * torch.pi * f0 * k * t) / k for k in (1, 2, 3))
        wave = wave + 0.05 * torch.randn(batch, samples, generator=gen)
        return 0.4 * wave / wave.abs().amax(dim=1, keepdim=True)

    return make


# -- sequences -----------------------------------------------------------------


def tokens(length: int = 16, vocab: int = 1000, pad_id: int = 0, first_id: int = 4, mask_dtype=torch.int64):
    """``(ids, mask)`` makers: ids in [first_id, vocab), each row padded with ``pad_id`` after a random length.

    Returns two makers sharing the row lengths: use ``*tokens(...)`` inside ``inputs``.
    """

    def lengths(batch: int, seed: int) -> torch.Tensor:
        gen = generator(seed, 99)
        return torch.randint(max(2, length // 2), length + 1, (batch,), generator=gen)

    def ids(batch: int, seed: int, salt: int) -> torch.Tensor:
        gen = generator(seed, salt)
        body = torch.randint(first_id, vocab, (batch, length), generator=gen)
        keep = torch.arange(length)[None, :] < lengths(batch, seed)[:, None]
        return body.masked_fill(~keep, pad_id)

    def mask(batch: int, seed: int, salt: int) -> torch.Tensor:
        return (torch.arange(length)[None, :] < lengths(batch, seed)[:, None]).to(mask_dtype)

    return ids, mask


def features(*shape: int, scale: float = 1.0):
    """Generic activations (B, *shape) ~ N(0, scale^2), e.g. tracker embeddings or sensor features."""

    def make(batch: int, seed: int, salt: int) -> torch.Tensor:
        return scale * torch.randn(batch, *shape, generator=generator(seed, salt))

    return make


def uniform(*shape: int, low: float = 0.0, high: float = 1.0):
    """(B, *shape) uniform in [low, high): fractions, timestamps offsets, scores from upstream."""

    def make(batch: int, seed: int, salt: int) -> torch.Tensor:
        return low + (high - low) * torch.rand(batch, *shape, generator=generator(seed, salt))

    return make


def probabilities(*shape: int, dim: int = -1):
    """Softmax outputs of an upstream model (B, *shape): positive, summing to 1 along ``dim``."""

    def make(batch: int, seed: int, salt: int) -> torch.Tensor:
        logits = 2.0 * torch.randn(batch, *shape, generator=generator(seed, salt))
        return logits.softmax(dim=dim)

    return make


def unit_vectors(n: int, dim: int = 3):
    """(B, n, dim) unit vectors (surface normals, ray directions): cosines between them stay in [-1, 1]."""

    def make(batch: int, seed: int, salt: int) -> torch.Tensor:
        v = torch.randn(batch, n, dim, generator=generator(seed, salt))
        return F.normalize(v, dim=-1)

    return make


# -- 3-D and detection -----------------------------------------------------------


def points(n: int = 256, xy_range: float = 60.0, z_range: tuple[float, float] = (-4.0, 3.0)):
    """A LiDAR sweep (B, n, 4): x, y in [-xy_range, xy_range] m, z in ``z_range``, intensity in [0, 1].

    The range is wider than the detectors' crop, so range filters keep some points and drop others.
    """

    def make(batch: int, seed: int, salt: int) -> torch.Tensor:
        gen = generator(seed, salt)
        xy = (torch.rand(batch, n, 2, generator=gen) * 2 - 1) * xy_range
        z = z_range[0] + (z_range[1] - z_range[0]) * torch.rand(batch, n, 1, generator=gen)
        intensity = torch.rand(batch, n, 1, generator=gen)
        return torch.cat([xy, z, intensity], dim=-1)

    return make


def boxes(n: int = 32, size: int = 64):
    """(B, n, 4) boxes in pixels, x1 < x2 and y1 < y2 inside a ``size`` x ``size`` image."""

    def make(batch: int, seed: int, salt: int) -> torch.Tensor:
        gen = generator(seed, salt)
        centre = torch.rand(batch, n, 2, generator=gen) * size
        half = (0.05 + 0.2 * torch.rand(batch, n, 2, generator=gen)) * size
        return torch.cat([(centre - half).clamp(0, size), (centre + half).clamp(0, size)], dim=-1)

    return make


def track_ids(batch: int, seed: int) -> tuple:
    """``(ids, is_new, max_obj_id)``: N tracks, about a third new (id -1), the next free id >= every id."""
    gen = generator(seed, 6)
    is_new = torch.rand(batch, generator=gen) < 0.35
    ids = torch.randperm(50, generator=gen)[:batch]
    max_obj_id = ids.max().reshape(1) + 1
    return ids.masked_fill(is_new, -1), is_new, max_obj_id


# -- 0-d controls ------------------------------------------------------------------


def choice(values: Sequence, dtype=torch.int64):
    """A 0-d tensor taking ``values[seed % len(values)]``: loop counts, flags, frame indices.

    Seed 0 (the export example) gets ``values[0]``; the verifier's seeds 1, 2, 3 walk
    through the others, so a graph that baked the example's value in is caught.
    """

    def make(batch: int, seed: int, salt: int) -> torch.Tensor:
        return torch.tensor(values[seed % len(values)], dtype=dtype)

    return make
