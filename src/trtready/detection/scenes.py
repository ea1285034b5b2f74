"""Synthetic street-like scenes for detectors: a smooth background with coloured boxes and
discs at random places and scales (values in 0..1), so that features, and the detections of a
calibrated random-weight detector, vary from image to image."""

from __future__ import annotations

import torch


def scenes(batch: int, size: tuple[int, int] = (320, 320), *, seed: int = 0, objects: int = 6) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    h, w = size
    ys = torch.linspace(0, 1, h).view(1, h, 1)
    xs = torch.linspace(0, 1, w).view(1, 1, w)
    images = []
    for _ in range(batch):
        tilt = torch.rand(3, 1, 1, generator=gen)
        image = 0.3 + 0.4 * tilt * ys + 0.2 * (1 - tilt) * xs
        for _ in range(objects):
            cy, cx = torch.rand(2, generator=gen).tolist()
            sy, sx = (0.05 + 0.25 * torch.rand(2, generator=gen)).tolist()
            colour = torch.rand(3, 1, 1, generator=gen)
            inside = ((ys - cy).abs() < sy) & ((xs - cx).abs() < sx)
            if torch.rand(1, generator=gen).item() < 0.5:
                inside = ((ys - cy) / sy) ** 2 + ((xs - cx) / sx) ** 2 < 1
            image = torch.where(inside, colour.expand(3, h, w), image)
        noise = 0.02 * torch.randn(3, h, w, generator=gen)
        images.append((image + noise).clamp(0, 1))
    return torch.stack(images)
