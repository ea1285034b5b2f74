"""Ops TensorRT's ONNX parser lacks or restricts (seed 000: torch.unique, atan2; plus fold, unique_consecutive,
MaxPool indices, antialiased resize, volumetric grid_sample, matrix inverse, bucketize).

Each op in the contexts it really appears in (segmentation post-processing,
voxelization, 3-D box headings, optical-flow visualisation, patch-based
restoration, overlap-add audio, CTC decoding, SegNet, BEV depth bins), next to
seed 000's TensorRT-friendly rewrites of unique and atan2.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ._data import depth, features, generator, image, inputs, points, waveform
from ._entry import Entry, conv_bn_act


class PresentClasses(nn.Module):
    """Segmentation post-processing listing the classes in the batch: ``torch.unique(pred)``."""

    def __init__(self, classes: int = 6):
        super().__init__()
        self.net = nn.Sequential(conv_bn_act(3, 16, 2), conv_bn_act(16, 16), nn.Conv2d(16, classes, 1))

    def forward(self, images):
        pred = self.net(images).argmax(1)
        return pred, torch.unique(pred)


class DetectionClassHistogram(nn.Module):
    """Per-class detection counts: ``torch.unique(labels, return_counts=True)``."""

    def __init__(self, classes: int = 5):
        super().__init__()
        self.head = nn.Sequential(nn.Linear(12, 32), nn.ReLU(), nn.Linear(32, classes))

    def forward(self, roi_features):
        labels = self.head(roi_features).argmax(-1)
        return torch.unique(labels, return_counts=True)


class Voxelizer(nn.Module):
    """Dynamic voxelization: ``torch.unique(coords, dim=0, return_inverse=True)`` then a per-voxel mean."""

    def __init__(self, voxel: float = 8.0, grid_min: float = -64.0):
        super().__init__()
        self.voxel, self.grid_min = voxel, grid_min
        self.pfn = nn.Linear(4, 16)

    def forward(self, points):
        pts = points[0]  # one sweep per call, as in most LiDAR pipelines
        coords = ((pts[:, :2] - self.grid_min) / self.voxel).floor().long()
        voxels, inverse = torch.unique(coords, dim=0, return_inverse=True)
        feats = self.pfn(pts)
        sums = torch.zeros(voxels.shape[0], feats.shape[1]).index_add(0, inverse, feats)
        counts = torch.zeros(voxels.shape[0]).index_add(0, inverse, torch.ones(pts.shape[0]))
        return voxels, sums / counts[:, None]


class SortDiffUnique(nn.Module):
    """Seed 000's ``torch_unique_trt``: sort, difference, keep the non-zero steps (the classes present)."""

    def __init__(self, classes: int = 6):
        super().__init__()
        self.net = nn.Sequential(conv_bn_act(3, 16, 2), nn.Conv2d(16, classes, 1))

    @staticmethod
    def unique_trt(tensor):
        sorted_tensor, _ = torch.sort(tensor)
        diff = torch.ones_like(sorted_tensor)
        diff[1:] = sorted_tensor[1:] - sorted_tensor[:-1]
        return sorted_tensor[diff != 0]

    def forward(self, images):
        return self.unique_trt(self.net(images).argmax(1).flatten())


class BoxHeadingHead(nn.Module):
    """A 3-D detection head regressing (sin, cos) of the yaw: ``torch.atan2(sin, cos)``."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 8, 1))

    def forward(self, bev_features):
        out = self.net(bev_features)
        yaw = torch.atan2(out[:, 6], out[:, 7])
        return torch.cat([out[:, :6], yaw[:, None]], 1)


class FlowToHSV(nn.Module):
    """Optical-flow visualisation: magnitude and ``torch.atan2(v, u)`` direction to an HSV-like image."""

    def __init__(self):
        super().__init__()
        self.flow = nn.Sequential(conv_bn_act(6, 16), nn.Conv2d(16, 2, 3, padding=1))

    def forward(self, frame0, frame1):
        flow = self.flow(torch.cat([frame0, frame1], 1))
        u, v = flow[:, 0], flow[:, 1]
        angle = torch.atan2(v, u) / (2 * math.pi) + 0.5
        magnitude = torch.sqrt(u * u + v * v)
        value = magnitude / (magnitude.amax((1, 2), keepdim=True) + 1e-6)
        return torch.stack([angle, torch.ones_like(angle), value], 1)


class LimbOrientation(nn.Module):
    """Pose post-processing: limb angles ``torch.atan2(dy, dx)`` between regressed keypoints."""

    limbs = ((0, 1), (1, 2), (2, 3), (1, 4))

    def __init__(self):
        super().__init__()
        self.regress = nn.Sequential(conv_bn_act(3, 8, 2), nn.Flatten(), nn.Linear(8 * 8 * 8, 10))

    def forward(self, crops):
        kpts = self.regress(crops).view(-1, 5, 2)
        a = kpts[:, [i for i, _ in self.limbs]]
        b = kpts[:, [j for _, j in self.limbs]]
        d = b - a
        return torch.atan2(d[..., 1], d[..., 0])


def torch_atan2_trt(y, x):
    """Seed 000's TensorRT-friendly atan2 (quadrant-corrected atan)."""
    eps = 1e-8
    atan = torch.atan(y / (x + eps))
    x_eq_0, x_gt_0, x_ls_0 = x == 0, x > 0, x < 0
    y_ge_0, y_gt_0, y_ls_0 = y >= 0, y > 0, y < 0
    pi_div_2 = torch.ones_like(atan) * (math.pi / 2)
    negative_pi_div_2 = torch.ones_like(atan) * (-math.pi / 2)
    atan2 = (
        negative_pi_div_2 * (x_eq_0 & y_ls_0).int()
        + pi_div_2 * (x_eq_0 & y_gt_0).int()
        + (atan - math.pi) * (x_ls_0 & y_ls_0).int()
        + (atan + math.pi) * (x_ls_0 & y_ge_0).int()
        + atan * x_gt_0.int()
    )
    return atan2.float()


class BoxHeadingHeadTRT(BoxHeadingHead):
    """The heading head with seed 000's atan2 rewrite."""

    def forward(self, bev_features):
        out = self.net(bev_features)
        yaw = torch_atan2_trt(out[:, 6], out[:, 7])
        return torch.cat([out[:, :6], yaw[:, None]], 1)


class PatchDenoiser(nn.Module):
    """Patch-based restoration: ``F.unfold`` overlapping patches, an MLP, ``F.fold`` back, divided by coverage."""

    def __init__(self, k: int = 8, stride: int = 4):
        super().__init__()
        self.k, self.stride = k, stride
        self.mlp = nn.Sequential(nn.Linear(3 * k * k, 64), nn.GELU(), nn.Linear(64, 3 * k * k))

    def forward(self, images):
        size = images.shape[-2:]
        patches = F.unfold(images, self.k, stride=self.stride)
        patches = patches + self.mlp(patches.transpose(1, 2)).transpose(1, 2)
        out = F.fold(patches, size, self.k, stride=self.stride)
        coverage = F.fold(torch.ones_like(patches), size, self.k, stride=self.stride)
        return out / coverage


class OverlapAddVocoder(nn.Module):
    """A frame-wise vocoder: per-frame waveforms overlap-added with ``nn.Fold((1, length), (1, frame), stride=hop)``."""

    def __init__(self, frame: int = 64, hop: int = 32, frames: int = 49):
        super().__init__()
        length = hop * (frames - 1) + frame
        self.frames, self.frame, self.hop = frames, frame, hop
        self.analysis = nn.Conv1d(1, 16, frame, hop)
        self.synthesis = nn.Conv1d(16, frame, 1)
        self.fold = nn.Fold((1, length), (1, frame), stride=(1, hop))
        self.register_buffer("window", torch.hann_window(frame, periodic=True)[:, None])

    def forward(self, waveform):
        h = torch.tanh(self.analysis(waveform[:, None, :]))  # (B, 16, frames)
        frames = self.synthesis(h) * self.window
        return self.fold(frames).flatten(1)


class SegmentationUnpatchify(nn.Module):
    """SETR-style head mapping token logits back to pixels with a non-overlapping ``F.fold``."""

    def __init__(self, patch: int = 4, classes: int = 3, dim: int = 32):
        super().__init__()
        self.patch, self.classes = patch, classes
        self.embed = nn.Conv2d(3, dim, patch, patch)
        self.mixer = nn.TransformerEncoderLayer(dim, 4, dim * 2, dropout=0.0, batch_first=True)
        self.decode = nn.Linear(dim, classes * patch * patch)

    def forward(self, images):
        size = images.shape[-2:]
        tokens = self.mixer(self.embed(images).flatten(2).transpose(1, 2))
        cols = self.decode(tokens).transpose(1, 2)  # (B, classes * p * p, L)
        return F.fold(cols, size, self.patch, stride=self.patch)


class CTCGreedyDecoder(nn.Module):
    """Speech recognition: best path, ``torch.unique_consecutive``, blanks dropped."""

    def __init__(self, vocab: int = 8, blank: int = 0):
        super().__init__()
        self.blank = blank
        self.encoder = nn.Sequential(nn.Conv1d(1, 16, 64, 32), nn.ReLU(), nn.Conv1d(16, vocab, 3, padding=1))

    def forward(self, waveform):
        logits = self.encoder(waveform[:, None]).transpose(1, 2)
        best_path = logits.argmax(-1)[0]  # a single utterance per request
        collapsed = torch.unique_consecutive(best_path)
        return logits.log_softmax(-1), collapsed[collapsed != self.blank]


class LaneRunLengths(nn.Module):
    """Row-anchor lane detection: run lengths of the lane index along each row, ``unique_consecutive(counts)``."""

    def __init__(self, lanes: int = 3):
        super().__init__()
        self.net = nn.Sequential(conv_bn_act(3, 16, 2), conv_bn_act(16, 16, 2), nn.Conv2d(16, lanes + 1, 1))

    def forward(self, images):
        row_lane = self.net(images).argmax(1)[0, 4]  # one row of the first image
        values, counts = torch.unique_consecutive(row_lane, return_counts=True)
        return values, counts


class SortedTrackIdDedup(nn.Module):
    """Association bookkeeping: ids of matched tracks sorted and deduplicated with ``unique_consecutive(dim=0)``."""

    def __init__(self, tracks: int = 10):
        super().__init__()
        self.register_buffer("track_embed", F.normalize(torch.randn(tracks, 16), dim=1))

    def forward(self, det_embed):
        sim = F.normalize(det_embed, dim=1) @ self.track_embed.T
        best = sim.argmax(1)
        ids, _ = torch.sort(best)
        return torch.unique_consecutive(ids, dim=0), sim


class SegNetUnpool(nn.Module):
    """SegNet: ``MaxPool2d(return_indices=True)`` in the encoder, ``MaxUnpool2d`` with those indices in the decoder."""

    def __init__(self, classes: int = 4):
        super().__init__()
        self.enc = conv_bn_act(3, 16)
        self.pool = nn.MaxPool2d(2, 2, return_indices=True)
        self.mid = conv_bn_act(16, 16)
        self.unpool = nn.MaxUnpool2d(2, 2)
        self.dec = nn.Conv2d(16, classes, 3, padding=1)

    def forward(self, images):
        x, indices = self.pool(self.enc(images))
        return self.dec(self.unpool(self.mid(x), indices, output_size=images.shape[-2:]))


class AntialiasThumbnail(nn.Module):
    """A thumbnail branch downscaled with ``F.interpolate(..., antialias=True)`` before a classifier."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(conv_bn_act(3, 16), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 5))

    def forward(self, images):
        small = F.interpolate(images, scale_factor=0.5, mode="bilinear", antialias=True, align_corners=False)
        return self.net(small)


class VolumeWarp(nn.Module):
    """Occupancy flow: a 3-D feature volume warped by a predicted flow with a 5-D ``F.grid_sample``."""

    def __init__(self, ch: int = 4):
        super().__init__()
        self.flow = nn.Conv3d(ch, 3, 3, padding=1)

    def forward(self, volume):
        b, _, d, h, w = volume.shape
        base = torch.stack(torch.meshgrid(torch.linspace(-1, 1, d), torch.linspace(-1, 1, h),
                                          torch.linspace(-1, 1, w), indexing="ij")[::-1], -1)  # fmt: skip
        grid = base[None] + 0.1 * torch.tanh(self.flow(volume)).permute(0, 2, 3, 4, 1)
        return F.grid_sample(volume, grid, align_corners=True)


class DepthUnprojection(nn.Module):
    """Pseudo-LiDAR: pixels lifted to 3-D with ``torch.inverse(K)`` of the per-sample camera intrinsics."""

    def __init__(self, size: int = 16):
        super().__init__()
        ys, xs = torch.meshgrid(torch.arange(size, dtype=torch.float32), torch.arange(size, dtype=torch.float32),
                                indexing="ij")  # fmt: skip
        self.register_buffer("pix", torch.stack([xs, ys, torch.ones_like(xs)]).view(3, -1))

    def forward(self, intrinsics, depth):
        rays = torch.inverse(intrinsics) @ self.pix
        return rays * depth.flatten(1)[:, None]


class DepthBins(nn.Module):
    """LSS-style depth discretization: ``torch.bucketize(depth, bin_edges)`` then a one-hot depth distribution."""

    def __init__(self, bins: int = 12, max_depth: float = 60.0):
        super().__init__()
        self.bins = bins
        self.register_buffer("edges", torch.linspace(0.0, max_depth, bins + 1)[1:-1])

    def forward(self, depth):
        index = torch.bucketize(depth[:, 0], self.edges)
        return F.one_hot(index, self.bins).permute(0, 3, 1, 2).float()


class STFTSpectrogram(nn.Module):
    """An audio classifier computing its features in the graph: ``torch.stft(..., return_complex=True).abs()``."""

    def __init__(self, n_fft: int = 128, hop: int = 64):
        super().__init__()
        self.n_fft, self.hop = n_fft, hop
        self.register_buffer("window", torch.hann_window(n_fft))
        self.net = nn.Sequential(nn.Conv1d(n_fft // 2 + 1, 32, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool1d(1),
                                 nn.Flatten(), nn.Linear(32, 6))  # fmt: skip

    def forward(self, waveform):
        spec = torch.stft(waveform, self.n_fft, self.hop, window=self.window, return_complex=True)
        return self.net(torch.log1p(spec.abs()))


class FFTLowPass(nn.Module):
    """Frequency-domain denoising: ``torch.fft.rfft2``, a learned low-pass gain, ``torch.fft.irfft2``."""

    def __init__(self, size: int = 32):
        super().__init__()
        self.size = size
        self.gain = nn.Parameter(torch.rand(1, 3, size, size // 2 + 1))

    def forward(self, images):
        spectrum = torch.fft.rfft2(images)
        return torch.fft.irfft2(spectrum * self.gain, s=(self.size, self.size))


class RotaryAttention(nn.Module):
    """LLaMA's rotary embedding: ``torch.view_as_complex`` of query/key pairs times ``torch.polar`` frequencies."""

    def __init__(self, dim: int = 32, heads: int = 4, max_len: int = 16):
        super().__init__()
        self.heads, self.hd = heads, dim // heads
        freqs = 1.0 / (10000 ** (torch.arange(0, self.hd, 2).float() / self.hd))
        angles = torch.outer(torch.arange(max_len).float(), freqs)
        self.register_buffer("freqs_cis", torch.polar(torch.ones_like(angles), angles))
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)

    def rotate(self, x):
        xc = torch.view_as_complex(x.float().reshape(*x.shape[:-1], -1, 2))
        return torch.view_as_real(xc * self.freqs_cis[: x.shape[1], None, :]).flatten(3)

    def forward(self, x):
        b, n, d = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, self.hd).unbind(2)
        q, k = self.rotate(q).transpose(1, 2), self.rotate(k).transpose(1, 2)
        attn = (q @ k.transpose(-1, -2) / self.hd**0.5).softmax(-1)
        return self.out((attn @ v.transpose(1, 2)).transpose(1, 2).reshape(b, n, d))


def intrinsics_and_depth(batch: int, seed: int) -> tuple:
    """Per-sample pinhole intrinsics (focal 10-20 px, centre near the middle) and a 16 x 16 depth map in metres."""
    gen = generator(seed, 3)
    f = 10 + 10 * torch.rand(batch, generator=gen)
    c = 8 + torch.randn(batch, 2, generator=gen)
    k = torch.zeros(batch, 3, 3)
    k[:, 0, 0], k[:, 1, 1], k[:, 0, 2], k[:, 1, 2], k[:, 2, 2] = f, f, c[:, 0], c[:, 1], 1.0
    return k, depth(16)(batch, seed, 4)


ENTRIES = [
    Entry("seg_present_classes_unique", "unique", PresentClasses, inputs(image(32)), "torch.unique(pred)",
          quick=True),
    Entry("det_class_counts_unique", "unique", DetectionClassHistogram, inputs(features(6, 12)),
          "torch.unique(labels, return_counts=True)"),
    Entry("voxelize_unique_dim_inverse", "unique", Voxelizer, inputs(points(128)),
          "torch.unique(coords, dim=0, return_inverse=True) + index_add mean", tags=("int64",)),
    Entry("seg_unique_sort_diff_rewrite", "unique", SortDiffUnique, inputs(image(32)),
          "seed 000's torch_unique_trt: sort, diff, sorted[diff != 0]", tags=("nonzero",)),
    Entry("det3d_heading_atan2", "atan2", BoxHeadingHead, inputs(features(16, 8, 8)),
          "3-D box yaw = torch.atan2(sin, cos)"),
    Entry("flow_hsv_atan2", "atan2", FlowToHSV, inputs(image(32), image(32)),
          "optical flow direction torch.atan2(v, u)"),
    Entry("pose_limb_atan2", "atan2", LimbOrientation, inputs(image(16)),
          "limb angle torch.atan2(dy, dx) between keypoints"),
    Entry("det3d_heading_atan2_rewrite", "atan2", BoxHeadingHeadTRT, inputs(features(16, 8, 8)),
          "seed 000's torch_atan2_trt quadrant-corrected atan", tags=("bitwise",)),
    Entry("patch_denoise_unfold_fold", "fold", PatchDenoiser, inputs(image(32)),
          "F.unfold -> MLP -> F.fold / F.fold(ones) (overlapping patches)"),
    Entry("vocoder_overlap_add_fold", "fold", OverlapAddVocoder, inputs(waveform(1600)),
          "nn.Fold((1, L), (1, frame), stride=(1, hop)) overlap-add"),
    Entry("setr_unpatchify_fold", "fold", SegmentationUnpatchify, inputs(image(32)),
          "F.fold(cols, size, p, stride=p) unpatchify"),
    Entry("ctc_greedy_unique_consecutive", "unique_consecutive", CTCGreedyDecoder, inputs(waveform(1600)),
          "CTC: unique_consecutive(argmax path), drop blanks"),
    Entry("lane_run_length_unique_consecutive", "unique_consecutive", LaneRunLengths, inputs(image(64)),
          "unique_consecutive(row, return_counts=True)"),
    Entry("track_id_dedup_unique_consecutive", "unique_consecutive", SortedTrackIdDedup, inputs(features(16)),
          "torch.unique_consecutive(sorted ids, dim=0)"),
    Entry("audio_stft_complex_abs", "complex", STFTSpectrogram, inputs(waveform(1600)),
          "torch.stft(..., return_complex=True).abs()"),
    Entry("fft_lowpass_rfft2", "complex", FFTLowPass, inputs(image(32)), "torch.fft.rfft2 * gain -> irfft2"),
    Entry("llama_rotary_view_as_complex", "complex", RotaryAttention, inputs(features(16, 32)),
          "RoPE: view_as_complex(x) * polar(1, angles), view_as_real"),
    Entry("segnet_maxpool_indices_unpool", "restricted_op", SegNetUnpool, inputs(image(32)),
          "MaxPool2d(return_indices=True) + MaxUnpool2d"),
    Entry("thumbnail_antialias_resize", "restricted_op", AntialiasThumbnail, inputs(image(32)),
          "F.interpolate(scale_factor=0.5, antialias=True)"),
    Entry("occupancy_grid_sample_5d", "restricted_op", VolumeWarp, inputs(features(4, 6, 8, 8)),
          "5-D F.grid_sample warping a feature volume"),
    Entry("pseudo_lidar_matrix_inverse", "restricted_op", DepthUnprojection, intrinsics_and_depth,
          "torch.inverse(K) @ pixels * depth"),
    Entry("lss_depth_bucketize", "restricted_op", DepthBins, inputs(depth(32)),
          "torch.bucketize(depth, edges) -> one-hot depth bins"),
]
