"""Thresholding, boolean masks and bitwise ops (seed 000: NonZero, bool indexing, torch.where, bitwise ops,
empty tensors, dynamic-shape assignment, shape tensors from execution tensors).

``predictions[scores > t]``, ``torch.nonzero``, ``torch.where(cond)``,
``x[mask] = v``, ``A[mask] = B[mask]``, ``&``/``|``/``~`` on bool tensors and
``torch.arange(cond.sum())`` in detection post-processing, keypoint peak
picking, LiDAR range cropping, instance embeddings and tracker id bookkeeping,
next to the rewrites seed 000 suggests (top-k for NonZero, cumsum for ids).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ._data import boxes, features, generator, image, inputs, points, tokens, track_ids, uniform
from ._entry import Entry, conv_bn_act


class DenseDetector(nn.Module):
    """A tiny anchor-free detector producing (B, HW, 4 + 1 + classes) raw predictions."""

    def __init__(self, classes: int = 3):
        super().__init__()
        self.backbone = nn.Sequential(conv_bn_act(3, 16, 2), conv_bn_act(16, 32, 2), conv_bn_act(32, 32, 2))
        self.head = nn.Conv2d(32, 5 + classes, 1)

    def predictions(self, images):
        p = self.head(self.backbone(images)).flatten(2).transpose(1, 2)
        boxes = p[..., :4].sigmoid() * images.shape[-1]
        return torch.cat([boxes, p[..., 4:].sigmoid()], dim=-1)


class ThresholdDetections(DenseDetector):
    """``mask = confidence > threshold; detections = predictions[mask]``: seed 000's NonZero example."""

    threshold = 0.35

    def forward(self, images):
        pred = self.predictions(images)
        confidence = pred[..., 4] * pred[..., 5:].max(-1).values
        mask = confidence > self.threshold
        batch_index = torch.arange(pred.shape[0])[:, None].expand_as(mask)
        return torch.cat([batch_index[mask, None].float(), pred[mask][:, :4], confidence[mask, None]], dim=1)


class TopKDetections(DenseDetector):
    """Seed 000's replacement: ``torch.topk(confidence, k=mask.nonzero().shape[0])`` (sorted by score)."""

    threshold = 0.35

    def forward(self, images):
        pred = self.predictions(images)[0]  # a single-camera deployment: the first image
        confidence = pred[:, 4] * pred[:, 5:].max(-1).values
        mask = confidence > self.threshold
        scores, indices = torch.topk(input=confidence, k=mask.nonzero().shape[0])
        return pred[indices, :4], scores


class WhereIndexDetections(DenseDetector):
    """``b, i = torch.where(objectness > t)`` then ``boxes[b, i]``."""

    def forward(self, images):
        pred = self.predictions(images)
        b, i = torch.where(pred[..., 4] > 0.6)
        return torch.stack([b, i], 1), pred[b, i, :4]


class KeypointPeaks(nn.Module):
    """Bottom-up pose: peaks of the keypoint heatmaps as ``torch.nonzero(peaks > thr)`` coordinates."""

    def __init__(self, keypoints: int = 4):
        super().__init__()
        self.net = nn.Sequential(conv_bn_act(3, 16, 2), conv_bn_act(16, 16), nn.Conv2d(16, keypoints, 1))

    def forward(self, images):
        heat = self.net(images).sigmoid()
        peaks = heat * (F.max_pool2d(heat, 3, 1, 1) == heat).float()
        coords = torch.nonzero(peaks > 0.6)
        return coords, peaks[coords[:, 0], coords[:, 1], coords[:, 2], coords[:, 3]]


class LidarRangeCrop(nn.Module):
    """A point-cloud range filter with ``&`` on bool masks, ``pts[mask]`` and a per-sweep count."""

    def __init__(self, pc_range=(-40.0, -40.0, -3.0, 40.0, 40.0, 1.0)):
        super().__init__()
        self.register_buffer("pc_range", torch.tensor(pc_range))
        self.encode = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 16))

    def forward(self, points):
        r = self.pc_range
        mask = (points[..., 0] >= r[0]) & (points[..., 0] < r[3])
        mask = mask & (points[..., 1] >= r[1]) & (points[..., 1] < r[4])
        mask = mask & (points[..., 2] >= r[2]) & (points[..., 2] < r[5])
        kept = points[mask]
        return self.encode(kept), mask.sum(dim=1)


class ForegroundEmbeddings(nn.Module):
    """Instance segmentation: pixel embeddings of the foreground, ``emb.permute(0, 2, 3, 1)[fg]``."""

    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(conv_bn_act(3, 16, 2), conv_bn_act(16, 16))
        self.seg = nn.Conv2d(16, 3, 1)
        self.emb = nn.Conv2d(16, 8, 1)

    def forward(self, images):
        f = self.backbone(images)
        fg = self.seg(f).argmax(1) > 0
        return F.normalize(self.emb(f), dim=1).permute(0, 2, 3, 1)[fg]


class ScoreSuppression(DenseDetector):
    """Low scores zeroed in place with boolean indexing: ``scores[scores < t] = 0.0``."""

    def forward(self, images):
        scores = self.predictions(images)[..., 5:] * 1.0
        scores[scores < 0.3] = 0.0
        return scores


class EmptyMaskAssign(nn.Module):
    """Seed 000's empty-tensor assignment: ``x1[index] = torch.ones_like(x1[index]) * assigned_value``."""

    def __init__(self):
        super().__init__()
        self.refine = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 4))

    def forward(self, boxes, ages):
        stale = ages > 0.9  # often empty: few tracks are that old
        boxes = boxes.clone()
        boxes[stale] = torch.ones_like(boxes[stale]) * -1.0
        return boxes + self.refine(boxes / 64.0)


class TrackUpdateMasked(nn.Module):
    """A tracker's update: ``tracks[matched] = detections[matched]`` (seed 000's dynamic-shape assignment)."""

    def __init__(self, dim: int = 8):
        super().__init__()
        self.motion = nn.Linear(dim, dim)

    def forward(self, tracks, detections, match_scores):
        matched = match_scores > 0.5
        tracks = self.motion(tracks)
        tracks[matched] = detections[matched]
        return tracks


class BoxValidity(nn.Module):
    """Box filtering with ``&``, ``|`` and ``~`` on bool tensors; returns the mask and the kept boxes zeroed out."""

    def __init__(self, min_size: float = 4.0, image_size: float = 64.0):
        super().__init__()
        self.min_size, self.image_size = min_size, image_size
        self.score = nn.Linear(4, 1)

    def forward(self, boxes):
        w = boxes[..., 2] - boxes[..., 0]
        h = boxes[..., 3] - boxes[..., 1]
        outside = (boxes[..., 0] <= 0) | (boxes[..., 1] <= 0) | (boxes[..., 2] >= self.image_size)
        confident = self.score(boxes / self.image_size)[..., 0].sigmoid() > 0.6
        valid = ((w > self.min_size) & (h > self.min_size) & ~outside) | confident
        return valid, boxes * valid[..., None].float()


class SegmentationIgnore(nn.Module):
    """Semantic segmentation post-processing: ``torch.where(confidence > 0.3, labels, ignore_index)``."""

    def __init__(self, classes: int = 5, ignore_index: int = 255):
        super().__init__()
        self.ignore_index = ignore_index
        self.net = nn.Sequential(conv_bn_act(3, 16), conv_bn_act(16, 16), nn.Conv2d(16, classes, 1))

    def forward(self, images):
        prob = self.net(images).softmax(1)
        confidence, labels = prob.max(1)
        return torch.where(confidence > 0.3, labels, torch.full_like(labels, self.ignore_index))


class NewTrackIdsArange(nn.Module):
    """Seed 000's ``funcB``: ``ids[cond] = torch.arange(cond.nonzero().shape[0]) + max_obj_id[0]``."""

    def forward(self, track_ids, is_new, max_obj_id):
        track_ids = track_ids.clone()
        track_ids[is_new] = torch.arange(is_new.nonzero().shape[0], dtype=track_ids.dtype) + max_obj_id[0]
        return max_obj_id + is_new.long().sum(), track_ids


class NewTrackIdsSumArange(nn.Module):
    """The same with the count taken from the data: ``torch.arange(cond.sum())`` (an execution tensor as shape)."""

    def forward(self, track_ids, is_new, max_obj_id):
        count = is_new.sum()
        new_ids = torch.arange(count, dtype=track_ids.dtype) + max_obj_id[0]
        out = track_ids.clone()
        out[is_new] = new_ids
        return max_obj_id + count, out


class NewTrackIdsCumsum(nn.Module):
    """Seed 000's cherry-picking form: ``ids * ~cond + cond * (cond.cumsum(0) - 1 + max_obj_id)``: no NonZero."""

    def forward(self, track_ids, is_new, max_obj_id):
        cond = is_new.int()
        new_ids = cond.cumsum(0, dtype=torch.int32) - 1 + max_obj_id.int()
        ids = track_ids.int() * (1 - cond) + new_ids * cond
        return max_obj_id + cond.sum(), ids


class BoolToLongIndex(nn.Module):
    """Seed 000's ``index_bool2long_trt``: a bool index turned into a long one before gathering track features."""

    def __init__(self, dim: int = 16):
        super().__init__()
        self.proj = nn.Linear(dim, dim)

    @staticmethod
    def index_bool2long(bool_index):
        long_index = bool_index.long()
        long_index = torch.arange(1, long_index.shape[0] + 1, device=long_index.device) * long_index
        long_index = long_index[long_index.nonzero(as_tuple=True)[0]]
        return long_index - torch.ones_like(long_index)

    def forward(self, track_features, track_scores):
        alive = track_scores > 0.25
        return self.proj(track_features[self.index_bool2long(alive)])


class CaptionDecoderMask(nn.Module):
    """A caption decoder's self-attention mask: ``causal[None] | (tgt_in == self.eos_id)[:, None, :]``."""

    def __init__(self, vocab: int = 1000, dim: int = 32, eos_id: int = 0):
        super().__init__()
        self.eos_id = eos_id
        self.embed = nn.Embedding(vocab, dim)
        self.attn = nn.MultiheadAttention(dim, 4, batch_first=True)
        self.lm_head = nn.Linear(dim, vocab)

    def forward(self, tgt_in):
        n = tgt_in.shape[1]
        tgt_padding_mask = tgt_in == self.eos_id
        causal = torch.ones(n, n, dtype=torch.bool).triu(1)
        blocked = causal[None] | tgt_padding_mask[:, None, :]
        x = self.embed(tgt_in)
        bias = torch.zeros(blocked.shape).masked_fill(blocked, float("-inf"))
        x = x + self.attn(x, x, x, attn_mask=bias.repeat_interleave(4, dim=0), need_weights=False)[0]
        return self.lm_head(x).log_softmax(-1)


def detections_and_ages(batch: int, seed: int) -> tuple:
    """(B, 16, 4) pixel boxes and the age of each track in [0, 1] (1 = about to be dropped)."""
    return boxes(16)(batch, seed, 0), torch.rand(batch, 16, generator=generator(seed, 1))


def tracks_and_detections(batch: int, seed: int) -> tuple:
    """(B, 12, 8) track states, matching detections (close to them) and match scores in [0, 1]."""
    gen = generator(seed, 2)
    tracks = torch.randn(batch, 12, 8, generator=gen)
    detections = tracks + 0.1 * torch.randn(batch, 12, 8, generator=gen)
    return tracks, detections, torch.rand(batch, 12, generator=gen)


ENTRIES = [
    Entry("detect_threshold_bool_index", "nonzero", ThresholdDetections, inputs(image(64)),
          "mask = confidence > threshold; predictions[mask]", quick=True, tags=("empty",)),
    Entry("detect_topk_nonzero_count", "nonzero", TopKDetections, inputs(image(64)),
          "seed 000: torch.topk(confidence, k=mask.nonzero().shape[0])"),
    Entry("detect_where_single_arg", "nonzero", WhereIndexDetections, inputs(image(64)),
          "b, i = torch.where(objectness > t); boxes[b, i]", tags=("where",)),
    Entry("keypoint_peaks_nonzero", "nonzero", KeypointPeaks, inputs(image(48)),
          "pose peaks: torch.nonzero(peaks > thr) and their values", tags=("empty",)),
    Entry("lidar_range_bitwise_mask", "bool_mask", LidarRangeCrop, inputs(points(256)),
          "(x >= r0) & (x < r3) & ... ; points[mask]; mask.sum(1)", tags=("bitwise",)),
    Entry("instance_fg_embedding_mask", "bool_mask", ForegroundEmbeddings, inputs(image(32)),
          "emb.permute(0, 2, 3, 1)[seg.argmax(1) > 0]", tags=("nonzero",)),
    Entry("score_suppress_mask_assign", "bool_mask", ScoreSuppression, inputs(image(64)),
          "scores[scores < 0.3] = 0.0 (index_put with a bool mask)", tags=("masked_assign",)),
    Entry("empty_mask_ones_like_assign", "bool_mask", EmptyMaskAssign, detections_and_ages,
          "seed 000: x1[index] = torch.ones_like(x1[index]) * v, index often empty", tags=("empty", "masked_assign")),
    Entry("tracker_masked_copy", "bool_mask", TrackUpdateMasked, tracks_and_detections,
          "seed 000: tracks[matched] = detections[matched]", tags=("masked_assign",)),
    Entry("box_validity_bitwise", "bitwise", BoxValidity, inputs(boxes(24)),
          "((w > m) & (h > m) & ~outside) | confident, bool output"),
    Entry("caption_decoder_bitwise_mask", "bitwise", CaptionDecoderMask, inputs(tokens(length=12)[0]),
          "torchpipe: tgt_padding_mask = (tgt_in == eos_id); causal | padding"),
    Entry("seg_ignore_where", "where", SegmentationIgnore, inputs(image(32)),
          "torch.where(conf > 0.3, labels, full_like(labels, 255))"),
    Entry("track_ids_arange_nonzero", "shape_tensor", NewTrackIdsArange, track_ids,
          "seed 000 funcB: ids[cond] = arange(cond.nonzero().shape[0]) + max_obj_id[0]", tags=("nonzero",)),
    Entry("track_ids_arange_sum", "shape_tensor", NewTrackIdsSumArange, track_ids,
          "torch.arange(cond.sum()) (execution tensor used as a shape)"),
    Entry("track_ids_cumsum_vectorized", "shape_tensor", NewTrackIdsCumsum, track_ids,
          "seed 000: ~cond * ids + cond * (cond.cumsum(0) - 1 + max_obj_id)"),
    Entry("track_bool2long_index", "bool_mask", BoolToLongIndex, inputs(features(16), uniform()),
          "seed 000 index_bool2long_trt: arange * mask, nonzero, gather"),
]
