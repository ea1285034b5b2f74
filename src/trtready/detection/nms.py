"""Non-maximum suppression with fixed-size outputs, exported to ops TensorRT runs natively.

``nms_fixed`` replaces the usual post-processing tail of a detector, per image
``keep = batched_nms(boxes[s > t], s[s > t], labels, iou)[:K]`` and a list of
variable-length results, with batched tensors of fixed shape:
``num_detections [B]``, ``boxes [B, K, 4]``, ``scores [B, K]``, ``labels [B, K]``, rows
past ``num_detections`` zero (labels -1).

In the ONNX file the suppression itself is one ``NonMaxSuppression`` node (TensorRT's
parser maps it to its NMS layer, natively since 8.5: onnx-tensorrt's operator docs,
https://github.com/onnx/onnx-tensorrt/blob/main/docs/operators.md); the score threshold is
its ``score_threshold`` input and a mask, never a NonZero; the ranking after it is a scatter
into a dense score table and one ``TopK`` (K < 3840, TensorRT's limit). With
``plugin=True`` the whole tail is one ``EfficientNMS_TRT`` node instead (NVIDIA's plugin,
https://github.com/NVIDIA/TensorRT/tree/main/plugin/efficientNMSPlugin), which ONNX Runtime
cannot run: see :mod:`trtready.detection.plugin_reference`.

Groups: NMS runs within a group (a class) only. ``scores`` is ``[B, G, N]``; ``boxes`` is
``[B, N, 4]`` (one box per candidate, shared by the groups, as in RetinaNet or FCOS) or
``[B, G, N, 4]`` (a box per group, as Faster R-CNN regresses one per class). The label of a
kept row is ``group_labels[g]`` (default ``g``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import torch
import torchvision
from torch import Tensor

from .limits import TOPK_LIMIT

__all__ = ["TOPK_LIMIT", "index_divmod", "nms_fixed", "onnx_nms", "static_size"]
NMS_OPSET = 11


@torch.library.custom_op("trtready::non_max_suppression", mutates_args=())
def onnx_nms(boxes: Tensor, scores: Tensor, max_per_group: int, iou_threshold: float, score_threshold: float) -> Tensor:
    """ONNX ``NonMaxSuppression``: boxes ``[B, N, 4]`` corners, scores ``[B, G, N]`` ->
    ``[M, 3]`` int64 rows ``(b, g, n)`` of the kept candidates (score above the threshold,
    at most ``max_per_group`` per group, greedily by score)."""
    rows = []
    for b in range(scores.shape[0]):
        for g in range(scores.shape[1]):
            above = torch.nonzero(scores[b, g] > score_threshold).flatten()
            keep = above[torchvision.ops.nms(boxes[b, above], scores[b, g, above], iou_threshold)[:max_per_group]]
            rows.append(torch.stack([torch.full_like(keep, b), torch.full_like(keep, g), keep], 1))
    return torch.cat(rows) if rows else boxes.new_zeros((0, 3), dtype=torch.int64)


@onnx_nms.register_fake
def _onnx_nms_fake(boxes, scores, max_per_group, iou_threshold, score_threshold):
    return boxes.new_empty((torch.library.get_ctx().new_dynamic_size(), 3), dtype=torch.int64)


def _onnx_nms_symbolic(g, boxes, scores, max_per_group, iou_threshold, score_threshold):
    from torch.onnx import symbolic_helper as sh

    def const(value, dtype):
        return g.op("Constant", value_t=torch.tensor([value], dtype=dtype))

    return g.op(
        "NonMaxSuppression", boxes, scores,
        const(sh._get_const(max_per_group, "i", "max_per_group"), torch.int64),
        const(sh._get_const(iou_threshold, "f", "iou_threshold"), torch.float32),
        const(sh._get_const(score_threshold, "f", "score_threshold"), torch.float32),
    )  # fmt: skip


torch.onnx.register_custom_op_symbolic("trtready::non_max_suppression", _onnx_nms_symbolic, NMS_OPSET)


def nms_fixed(
    boxes: Tensor,
    scores: Tensor,
    *,
    iou_threshold: float,
    score_threshold: float,
    max_detections: int,
    group_labels: Sequence[int] | Tensor | None = None,
    valid: Tensor | None = None,
    plugin: bool = False,
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Per-group NMS, then the ``max_detections`` best rows of each image, padded.

    Returns ``(num_detections [B] int32, boxes [B, K, 4], scores [B, K], labels [B, K] int64)``,
    rows sorted by score. ``valid`` (``[B, G, N]`` or broadcastable, bool): candidates that may
    be kept at all (a threshold applied before, a padded proposal); the others never are.
    """
    with warnings.catch_warnings():  # shapes and labels read here are the model's constants, not data
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        return _nms_fixed(boxes, scores, iou_threshold, score_threshold, max_detections, group_labels, valid, plugin)


def _nms_fixed(boxes, scores, iou_threshold, score_threshold, max_detections, group_labels, valid, plugin):
    per_group = boxes.dim() == 4
    _check_shapes(boxes, scores, per_group)
    groups, count = static_size(scores, 1), static_size(scores, 2)
    if valid is not None:
        scores = torch.where(valid, scores, torch.full_like(scores, score_threshold - 1.0))  # below: never kept
    labels = _group_labels(group_labels, groups, scores.device)
    if plugin:
        from .plugin import efficient_nms

        return efficient_nms(boxes, scores, iou_threshold, score_threshold, max_detections, labels)
    if per_group:  # each (image, group) is its own NMS batch entry: its own box set
        selected = onnx_nms(boxes.flatten(0, 1), scores.flatten(0, 1).unsqueeze(1), max_detections, iou_threshold, score_threshold)
        flat_index = selected[:, 0] * count + selected[:, 2]
    else:
        selected = onnx_nms(boxes, scores, max_detections, iou_threshold, score_threshold)
        flat_index = (selected[:, 0] * groups + selected[:, 1]) * count + selected[:, 2]
    return _top_rows(boxes, scores, flat_index, labels, max_detections)


def _check_shapes(boxes: Tensor, scores: Tensor, per_group: bool) -> None:
    if scores.dim() != 3 or boxes.shape[-1] != 4 or boxes.dim() not in (3, 4):
        raise ValueError(f"nms_fixed: boxes [B, N, 4] or [B, G, N, 4] and scores [B, G, N] expected, "
                         f"got {list(boxes.shape)} and {list(scores.shape)}")  # fmt: skip
    expected = scores.shape if per_group else scores.shape[::2]
    if tuple(boxes.shape[:-1]) != tuple(expected):
        raise ValueError(f"nms_fixed: boxes {list(boxes.shape)} do not match scores {list(scores.shape)}")


def _group_labels(group_labels, groups: int, device) -> Tensor:
    if group_labels is None:
        return torch.arange(groups, device=device)
    labels = torch.as_tensor(group_labels, dtype=torch.int64, device=device)
    if labels.shape != (groups,):
        raise ValueError(f"nms_fixed: {labels.numel()} group labels for {groups} groups")
    return labels


def static_size(tensor: Tensor, dim: int) -> int:
    """``tensor.shape[dim]`` as a constant of the trace (a tracer records every size as computed from
    the input's shape; these are fixed by the model, and TopK's K and the outputs' row count must be
    constants: TensorRT sizes the output from them)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        return int(tensor.shape[dim])


def index_divmod(index: Tensor, divisor: int) -> tuple[Tensor, Tensor]:
    """Quotient and remainder of non-negative indices, as truncating division: ``//`` and ``%`` export
    with a sign correction (an Equal of two BOOL tensors, which TensorRT refuses) they do not need."""
    quotient = torch.div(index, divisor, rounding_mode="trunc")
    return quotient, index - quotient * divisor


def _top_rows(boxes: Tensor, scores: Tensor, flat_index: Tensor, labels: Tensor, k: int):
    """The kept candidates' scores scattered into a table of -inf, the ``k`` best of each image."""
    groups, count = static_size(scores, 1), static_size(scores, 2)
    flat_scores = scores.reshape(-1)
    table = torch.full_like(flat_scores, float("-inf")).scatter(0, flat_index, flat_scores.gather(0, flat_index))
    table = table.reshape(-1, groups * count)
    k_taken = min(k, groups * count)
    top_scores, top_index = table.topk(k_taken, dim=1)
    kept = top_scores > float("-inf")
    group, candidate = index_divmod(top_index, count)
    if boxes.dim() == 4:
        box_rows = boxes.reshape(-1, groups * count, 4).gather(1, top_index.unsqueeze(-1).expand(-1, -1, 4))
    else:
        box_rows = boxes.gather(1, candidate.unsqueeze(-1).expand(-1, -1, 4))
    out_boxes = torch.where(kept.unsqueeze(-1), box_rows, torch.zeros_like(box_rows))
    out_scores = torch.where(kept, top_scores, torch.zeros_like(top_scores))
    out_labels = torch.where(kept, labels[group], torch.full_like(group, -1))
    num = kept.to(torch.int32).sum(1, dtype=torch.int32)
    if k_taken < k:  # fewer candidates than rows: pad
        pad = k - k_taken
        out_boxes = torch.nn.functional.pad(out_boxes, (0, 0, 0, pad))
        out_scores = torch.nn.functional.pad(out_scores, (0, pad))
        out_labels = torch.nn.functional.pad(out_labels, (0, pad), value=-1)
    return num, out_boxes, out_scores, out_labels
