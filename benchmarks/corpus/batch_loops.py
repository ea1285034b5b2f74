"""Python loops over the batch (seed 000: parallelizable loops, ``len()``; seed 001: dynamic batch).

Tracing unrolls ``for i in range(x.shape[0])``, ``for i in range(len(x))``,
``for f in x`` and ``x.unbind(0)`` to the export batch. The contexts: per-image
YOLO box decoding, per-cloud point normalization, a Kalman predict over tracks,
per-frame embeddings, and seed 000's track-id assignment loop.
"""

from __future__ import annotations

import torch
from torch import nn

from ._data import generator, image, inputs, points, track_ids
from ._entry import Entry, conv_bn_act


class PerImageYoloDecode(nn.Module):
    """A YOLO head decoded image by image: ``for i in range(x.shape[0]): outs.append(decode(pred[i]))``."""

    def __init__(self, anchors: int = 2, classes: int = 3):
        super().__init__()
        self.na, self.no = anchors, classes + 5
        self.backbone = nn.Sequential(conv_bn_act(3, 16, 2), conv_bn_act(16, 32, 2), conv_bn_act(32, 32, 2))
        self.head = nn.Conv2d(32, anchors * self.no, 1)
        self.register_buffer("anchor_wh", torch.tensor([[10.0, 13.0], [33.0, 23.0]]))

    def decode(self, p):
        na, h, w = p.shape[0], p.shape[1], p.shape[2]
        gy, gx = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
        grid = torch.stack([gx, gy], -1).float()
        xy = (p[..., :2].sigmoid() * 2 - 0.5 + grid) * 8
        wh = (p[..., 2:4].sigmoid() * 2) ** 2 * self.anchor_wh.view(na, 1, 1, 2)
        return torch.cat([xy, wh, p[..., 4:].sigmoid()], -1).view(-1, self.no)

    def forward(self, images):
        x = self.head(self.backbone(images))
        b, _, h, w = x.shape
        pred = x.view(b, self.na, self.no, h, w).permute(0, 1, 3, 4, 2)
        outs = []
        for i in range(x.shape[0]):
            outs.append(self.decode(pred[i]))
        return torch.stack(outs)


class PointCloudNormalizer(nn.Module):
    """PointNet preprocessing, cloud by cloud: ``for i in range(len(points))`` centre and scale, then encode."""

    def __init__(self):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 64))
        self.cls = nn.Linear(64, 5)

    def forward(self, points):
        normalized = []
        for i in range(len(points)):
            xyz = points[i, :, :3]
            xyz = xyz - xyz.mean(dim=0)
            xyz = xyz / xyz.norm(dim=1).max()
            normalized.append(torch.cat([xyz, points[i, :, 3:]], dim=1))
        x = self.mlp(torch.stack(normalized)).max(dim=1).values
        return self.cls(x)


class KalmanPredict(nn.Module):
    """A tracker's constant-velocity Kalman predict, written over the tracks: ``for s, P in zip(states, covs)``."""

    def __init__(self, dt: float = 0.1):
        super().__init__()
        F_ = torch.eye(8)
        F_[:4, 4:] = dt * torch.eye(4)
        self.register_buffer("F", F_)
        self.register_buffer("Q", torch.diag(torch.tensor([1.0, 1.0, 1.0, 1.0, 10.0, 10.0, 10.0, 10.0])) * 1e-2)

    def forward(self, states, covariances):
        out_s, out_p = [], []
        for s, P in zip(states, covariances):
            out_s.append(self.F @ s)
            out_p.append(self.F @ P @ self.F.T + self.Q)
        return torch.stack(out_s), torch.stack(out_p)


class FrameEmbedder(nn.Module):
    """Per-frame embeddings with ``torch.stack([self.encode(f) for f in frames.unbind(0)])``."""

    def __init__(self):
        super().__init__()
        self.encode_net = nn.Sequential(conv_bn_act(3, 16, 2), conv_bn_act(16, 32, 2), nn.AdaptiveAvgPool2d(1))
        self.proj = nn.Linear(32, 16)

    def encode(self, frame):
        return self.proj(self.encode_net(frame[None]).flatten(1))[0]

    def forward(self, frames):
        return torch.nn.functional.normalize(torch.stack([self.encode(f) for f in frames.unbind(0)]), dim=-1)


class TrackIdAssignment(nn.Module):
    """Seed 000's ``funcA``: new tracks get consecutive ids in a loop over ``track_instances.shape[0]``."""

    def forward(self, track_ids, is_new, max_obj_id):
        track_ids = track_ids.clone()
        cond = is_new.long()
        for i in range(track_ids.shape[0]):
            track_ids[i] = max_obj_id[0] * cond[i] + track_ids[i] * (1 - cond[i])
            max_obj_id = (max_obj_id + 1) * cond[i] + max_obj_id * (1 - cond[i])
        return max_obj_id, track_ids


def track_state(batch: int, seed: int) -> tuple:
    """Kalman states (N, 8, 1) [x, y, w, h, vx, vy, vw, vh] in pixels and their covariances (N, 8, 8)."""
    gen = generator(seed, 5)
    pos = torch.rand(batch, 4, generator=gen) * torch.tensor([640.0, 480.0, 80.0, 160.0])
    vel = torch.randn(batch, 4, generator=gen) * 3
    a = torch.randn(batch, 8, 8, generator=gen) * 0.3
    return torch.cat([pos, vel], 1)[..., None], a @ a.transpose(1, 2) + torch.eye(8)


ENTRIES = [
    Entry("yolo_per_image_decode_loop", "batch_loop", PerImageYoloDecode, inputs(image(64)),
          "for i in range(x.shape[0]): outs.append(self.decode(pred[i]))", quick=True, tags=("pinned_batch",)),
    Entry("pointcloud_len_loop", "batch_loop", PointCloudNormalizer, inputs(points(128)),
          "for i in range(len(points)): centre and scale each cloud", tags=("len",)),
    Entry("kalman_predict_zip_loop", "batch_loop", KalmanPredict, track_state,
          "tracker: for s, P in zip(states, covariances): F @ s, F @ P @ F.T + Q"),
    Entry("frame_embed_unbind_loop", "batch_loop", FrameEmbedder, inputs(image(32)),
          "torch.stack([self.encode(f) for f in frames.unbind(0)])"),
    Entry("track_id_assign_loop", "batch_loop", TrackIdAssignment, track_ids,
          "seed 000 funcA: for i in range(track_instances.shape[0]) with int64 arithmetic", tags=("int64",)),
]
