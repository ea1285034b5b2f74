"""Control flow decided by inputs (seed 000: dynamic if-else, dynamic loop counts, scripted loops).

Loops whose trip count is a 0-d input (``range(int(iters))``, ``range(n.item())``,
a ``@torch.jit.script`` loop), branches on a 0-d scene-change flag or frame index
(BEVFormer's ``prev_bev``, a tracker's first frame, MOTR's track reset whose
branches differ in shape), a branch on image statistics, and the vectorized
forms seed 000 recommends, which every exporter should get right.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ._data import choice, features, generator, image, inputs, normalize, pixels
from ._entry import Entry, conv_bn_act


class IterativeDepthRefiner(nn.Module):
    """RAFT-style refinement: ``for _ in range(int(iters))`` conv-GRU updates of a depth estimate."""

    def __init__(self, ch: int = 16):
        super().__init__()
        self.encoder = nn.Sequential(conv_bn_act(3, ch, 2), conv_bn_act(ch, ch))
        self.gates = nn.Conv2d(2 * ch + 1, 2 * ch, 3, padding=1)
        self.cand = nn.Conv2d(2 * ch + 1, ch, 3, padding=1)
        self.delta = nn.Conv2d(ch, 1, 3, padding=1)

    def forward(self, images, iters):
        ctx = self.encoder(images)
        h = torch.tanh(ctx)
        depth = torch.ones_like(ctx[:, :1])
        for _ in range(int(iters)):
            x = torch.cat([h, ctx, depth], 1)
            z, r = torch.sigmoid(self.gates(x)).chunk(2, 1)
            q = torch.tanh(self.cand(torch.cat([r * h, ctx, depth], 1)))
            h = (1 - z) * h + z * q
            depth = depth + 0.1 * torch.tanh(self.delta(h))
        return depth


class DenoisingSampler(nn.Module):
    """A few-step diffusion sampler: ``for t in range(num_steps.item())`` with a sinusoidal time embedding."""

    def __init__(self, dim: int = 32):
        super().__init__()
        self.dim = dim
        self.eps = nn.Sequential(nn.Linear(2 * dim, 64), nn.SiLU(), nn.Linear(64, dim))

    def time_embedding(self, t: int, batch: int) -> torch.Tensor:
        freqs = torch.exp(-math.log(1000.0) * torch.arange(self.dim // 2) / (self.dim // 2))
        angles = t * freqs
        return torch.cat([angles.sin(), angles.cos()]).expand(batch, -1)

    def forward(self, latents, num_steps):
        x = latents
        steps = num_steps.item()
        for t in range(steps):
            eps = self.eps(torch.cat([x, self.time_embedding(steps - t, x.shape[0])], -1))
            x = x - eps / steps
        return x


@torch.jit.script
def _recurrent_steps(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, num_loops: torch.Tensor):
    for _ in range(int(num_loops)):
        x = torch.tanh(F.linear(x, weight, bias)) + x
    return x


class ScriptedLoopModel(nn.Module):
    """Seed 000's recommended form: the dynamic loop in a ``@torch.jit.script`` function."""

    def __init__(self, dim: int = 24):
        super().__init__()
        self.inp = nn.Linear(16, dim)
        self.step = nn.Linear(dim, dim)
        self.out = nn.Linear(dim, 4)

    def forward(self, x, num_loops):
        h = self.inp(x)
        h = _recurrent_steps(h, self.step.weight * 0.3, self.step.bias, num_loops)
        return self.out(h)


class BEVTemporalFusion(nn.Module):
    """BEVFormer's temporal step: ``if not use_prev_bev: prev_bev = torch.zeros_like(bev)`` on a 0-d flag."""

    def __init__(self, ch: int = 16):
        super().__init__()
        self.fuse = nn.Sequential(nn.Conv2d(2 * ch, ch, 3, padding=1), nn.ReLU(), nn.Conv2d(ch, ch, 3, padding=1))

    def forward(self, bev, prev_bev, use_prev_bev):
        if not use_prev_bev:
            prev_bev = torch.zeros_like(bev)
        return bev + self.fuse(torch.cat([bev, prev_bev], 1))


class VectorizedBEVFusion(BEVTemporalFusion):
    """The same fusion vectorized as seed 000 recommends: ``zeros * (1 - flag) + prev * flag``."""

    def forward(self, bev, prev_bev, use_prev_bev):
        flag = use_prev_bev.float()
        prev_bev = torch.zeros_like(bev) * (1 - flag) + prev_bev * flag
        return bev + self.fuse(torch.cat([bev, prev_bev], 1))


class FirstFrameMemory(nn.Module):
    """A video segmenter that initializes its memory on the first frame: ``if frame_idx == 0:``."""

    def __init__(self, ch: int = 16):
        super().__init__()
        self.encoder = nn.Sequential(conv_bn_act(3, ch, 2), conv_bn_act(ch, ch))
        self.init_memory = nn.Conv2d(ch, ch, 1)
        self.read = nn.Conv2d(2 * ch, 3, 3, padding=1)

    def forward(self, frame, memory, frame_idx):
        key = self.encoder(frame)
        if frame_idx == 0:
            memory = self.init_memory(key)
        return self.read(torch.cat([key, memory], 1)).softmax(1)


class HiddenStateReset(nn.Module):
    """A tracker GRU cell whose state is reset with ``torch.where(scene_changed, h0, state)`` on a 0-d flag."""

    def __init__(self, dim: int = 32):
        super().__init__()
        self.h0 = nn.Parameter(torch.randn(1, dim) * 0.1)
        self.cell = nn.GRUCell(16, dim)
        self.out = nn.Linear(dim, 4)

    def forward(self, detections, state, scene_changed):
        state = torch.where(scene_changed.bool(), self.h0.expand_as(state), state)
        state = self.cell(detections, state)
        return self.out(state), state


class TrackQueryReset(nn.Module):
    """MOTR-style: ``if scene_changed: tracks = self.init_queries else: tracks = prev_tracks``; the rows differ."""

    def __init__(self, dim: int = 16, init_queries: int = 3):
        super().__init__()
        self.init_queries = nn.Parameter(torch.randn(init_queries, dim))
        self.update = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, dim))
        self.score = nn.Linear(dim, 1)

    def forward(self, prev_tracks, scene_changed):
        if scene_changed:
            tracks = self.init_queries
        else:
            tracks = prev_tracks
        tracks = tracks + self.update(tracks)
        return tracks, self.score(tracks).sigmoid()


class TrackPadOrCrop(nn.Module):
    """A tracker keeping exactly ``max_tracks`` queries: ``if n < max_tracks: pad with empty queries else: crop``."""

    def __init__(self, dim: int = 16, max_tracks: int = 4):
        super().__init__()
        self.max_tracks = max_tracks
        self.empty_query = nn.Parameter(torch.randn(1, dim))
        self.mix = nn.TransformerEncoderLayer(dim, 4, 32, dropout=0.0, batch_first=True)

    def forward(self, track_queries):
        n = track_queries.shape[0]
        if n < self.max_tracks:
            tracks = torch.cat([track_queries, self.empty_query.expand(self.max_tracks - n, -1)], 0)
        else:
            tracks = track_queries[: self.max_tracks]
        return self.mix(tracks[None])[0]


class VectorizedTrackReset(nn.Module):
    """Seed 000's special case 2 vectorized: pad the shorter branch with -10**4, blend by the flag, drop the padding."""

    special = -(10.0**4)

    def __init__(self, dim: int = 16):
        super().__init__()
        self.empty_track_instances = nn.Parameter(torch.randn(1, dim))
        self.update = nn.Linear(dim, dim)

    def forward(self, test_track_instances, scene_token_changed):
        empty = self.empty_track_instances
        pad = torch.ones(test_track_instances.shape[0] - empty.shape[0], empty.shape[1]) * self.special
        padded_empty = torch.cat([empty, pad], dim=0)
        flag = scene_token_changed.float()
        track_instances = padded_empty * flag + test_track_instances * (1 - flag)
        index = track_instances[:, 0] != self.special
        return self.update(track_instances[index])


class LowLightEnhancer(nn.Module):
    """A pre-processing net that brightens dark batches: ``if images.mean() < self.dark_level:``."""

    def __init__(self, dark_level: float = -1.0):
        super().__init__()
        self.dark_level = dark_level
        self.enhance = nn.Sequential(conv_bn_act(3, 8), nn.Conv2d(8, 3, 3, padding=1))
        self.detector = nn.Sequential(conv_bn_act(3, 16, 2), nn.Conv2d(16, 4, 1))

    def forward(self, images):
        if images.mean() < self.dark_level:
            images = images + torch.tanh(self.enhance(images))
        return self.detector(images)


def day_or_night(size: int = 32):
    """Normalized camera frames, dark ("night", pixels x 0.25) on odd seeds: the example is a day batch."""

    def make(batch: int, seed: int, salt: int) -> torch.Tensor:
        return normalize(pixels(batch, generator(seed, salt), size) * (0.25 if seed % 2 else 1.0))

    return make


ENTRIES = [
    Entry("raft_refine_int_iters_input", "loop_count_input", IterativeDepthRefiner,
          inputs(image(32), choice([3, 1, 4, 2])), "for _ in range(int(iters)): conv-GRU update (0-d iters)",
          quick=True),
    Entry("diffusion_item_steps_input", "loop_count_input", DenoisingSampler,
          inputs(features(32), choice([4, 2, 5, 3])), "for t in range(num_steps.item()) denoising steps",
          tags=("item",)),
    Entry("scripted_loop_count_input", "loop_count_input", ScriptedLoopModel,
          inputs(features(16), choice([3, 1, 5, 2])), "seed 000: @torch.jit.script loop over int(num_loops)"),
    Entry("bevformer_prev_bev_flag_if", "flag_branch", BEVTemporalFusion,
          inputs(features(16, 8, 8), features(16, 8, 8), choice([1, 0])),
          "if not use_prev_bev: prev_bev = zeros_like(bev) (0-d flag)", quick=True),
    Entry("bevformer_prev_bev_vectorized", "control", VectorizedBEVFusion,
          inputs(features(16, 8, 8), features(16, 8, 8), choice([1, 0])),
          "seed 000's fix: zeros * (1 - flag) + prev_bev * flag", tags=("flag_branch",)),
    Entry("video_first_frame_index_if", "flag_branch", FirstFrameMemory,
          inputs(image(32), features(16, 16, 16), choice([0, 3, 1, 7])), "if frame_idx == 0: initialize memory"),
    Entry("tracker_reset_where_flag", "flag_branch", HiddenStateReset,
          inputs(features(16), features(32), choice([False, True], torch.bool)),
          "torch.where(scene_changed.bool(), h0.expand_as(state), state)", tags=("where",)),
    Entry("motr_reset_branch_shapes_differ", "branch_shapes", TrackQueryReset,
          inputs(features(16), choice([0, 1, 0, 1])),
          "if scene_changed: tracks = init_queries (3 rows) else: prev_tracks (N rows)", tags=("flag_branch",)),
    Entry("tracker_pad_or_crop_shape_branch", "branch_shapes", TrackPadOrCrop, inputs(features(16)),
          "if n < max_tracks: cat([q, empty.expand(max_tracks - n, -1)]) else: q[:max_tracks]"),
    Entry("motr_reset_vectorized_padding", "branch_shapes", VectorizedTrackReset,
          inputs(features(16), choice([0, 1, 0, 1])),
          "seed 000: pad with -10**4, padded * flag + test * (1 - flag), rows != -10**4", tags=("flag_branch",)),
    Entry("low_light_data_branch", "data_branch", LowLightEnhancer, inputs(day_or_night(32)),
          "if images.mean() < dark_level: enhance (night batches on odd seeds)"),
]
