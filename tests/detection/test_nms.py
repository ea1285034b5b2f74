"""nms_fixed: the same detections as torchvision's per-image ``batched_nms(...)[:K]``, in eager and
in ONNX Runtime after a dynamic-batch export, as one NonMaxSuppression and one TopK."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
import torchvision
from torch import nn

from trtready.detection.compare import DetectionSpec, compare_detections
from trtready.detection.nms import nms_fixed

NAMES = ("num_detections", "boxes", "scores", "labels")
IOU, THRESHOLD = 0.5, 0.3


def _boxes(*shape: int, seed: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    corner = torch.rand(*shape, 2, generator=gen) * 80
    return torch.cat([corner, corner + 4 + torch.rand(*shape, 2, generator=gen) * 30], -1)


class Shared(nn.Module):
    """One box per candidate, scored for every class (RetinaNet-like)."""

    def __init__(self, k: int) -> None:
        super().__init__()
        self.k = k

    def forward(self, boxes, scores):
        return nms_fixed(boxes, scores, iou_threshold=IOU, score_threshold=THRESHOLD, max_detections=self.k,
                         group_labels=torch.arange(1, scores.shape[1] + 1))  # fmt: skip


class PerClass(Shared):
    """A box per class per candidate (Faster R-CNN-like)."""


def _reference(boxes, scores, k: int, per_class: bool) -> tuple:
    """torchvision, image by image: threshold, batched_nms by class, keep[:k], padded."""
    out = {n: [] for n in NAMES}
    for b in range(scores.shape[0]):
        cls, idx = torch.nonzero(scores[b] > THRESHOLD, as_tuple=True)
        cand = boxes[b, cls, idx] if per_class else boxes[b, idx]
        s = scores[b, cls, idx]
        keep = torchvision.ops.batched_nms(cand, s, cls, IOU)[:k]
        n = len(keep)
        out["num_detections"].append(n)
        out["boxes"].append(torch.cat([cand[keep], torch.zeros(k - n, 4)]))
        out["scores"].append(torch.cat([s[keep], torch.zeros(k - n)]))
        out["labels"].append(torch.cat([cls[keep] + 1, torch.full((k - n,), -1)]))
    return {n: np.asarray(torch.stack(v) if n != "num_detections" else torch.tensor(v, dtype=torch.int32)) for n, v in out.items()}


def _check(got: dict, ref: dict, k: int) -> None:
    rows = compare_detections(DetectionSpec(NAMES, (120, 120), IOU, k), len(ref["num_detections"]), got, ref, rtol=1e-5)
    assert rows[0].status == "pass", rows[0].message


CASES = [(Shared, 20, False), (Shared, 400, False), (PerClass, 15, True)]  # K above the candidates: padded


@pytest.mark.parametrize(("module", "k", "per_class"), CASES)
def test_eager_matches_torchvision_per_image(module, k, per_class):
    boxes = _boxes(3, 5, 60, seed=1) if per_class else _boxes(3, 60, seed=1)
    scores = torch.rand(3, 5, 60, generator=torch.Generator().manual_seed(2))
    got = dict(zip(NAMES, (t.numpy() for t in module(k)(boxes, scores))))
    _check(got, _reference(boxes, scores, k, per_class), k)


@pytest.mark.parametrize(("module", "k", "per_class"), CASES)
def test_onnx_runtime_matches_at_other_batches(tmp_path, module, k, per_class):
    make = (lambda b, s: _boxes(b, 5, 60, seed=s)) if per_class else (lambda b, s: _boxes(b, 60, seed=s))
    path = tmp_path / "nms.onnx"
    example = (make(2, 1), torch.rand(2, 5, 60, generator=torch.Generator().manual_seed(2)))
    torch.onnx.export(module(k), example, str(path), dynamo=False, opset_version=17, input_names=["candidates", "candidate_scores"],
                      output_names=list(NAMES), dynamic_axes={n: {0: "batch"} for n in ("candidates", "candidate_scores", *NAMES)})  # fmt: skip
    graph = onnx.load(str(path)).graph
    ops = [n.op_type for n in graph.node]
    assert ops.count("NonMaxSuppression") == 1 and ops.count("TopK") == 1
    assert not {"If", "Loop", "NonZero"} & set(ops)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for batch in (1, 4):
        boxes, scores = make(batch, 10 + batch), torch.rand(batch, 5, 60, generator=torch.Generator().manual_seed(batch))
        got = dict(zip(NAMES, session.run(None, {"candidates": boxes.numpy(), "candidate_scores": scores.numpy()})))
        assert got["boxes"].shape == (batch, k, 4)
        _check(got, _reference(boxes, scores, k, per_class), k)


def test_valid_mask_keeps_candidates_out():
    boxes, scores = _boxes(2, 30, seed=3), torch.rand(2, 2, 30, generator=torch.Generator().manual_seed(4))
    valid = torch.zeros(2, 2, 30, dtype=torch.bool)
    valid[:, :, :10] = True
    num, _, out_scores, labels = nms_fixed(boxes, scores, iou_threshold=IOU, score_threshold=THRESHOLD,
                                           max_detections=30, valid=valid)  # fmt: skip
    kept_scores = set(out_scores[out_scores > 0].tolist())
    allowed = set(scores[:, :, :10][scores[:, :, :10] > THRESHOLD].tolist())
    assert kept_scores and kept_scores <= allowed
    assert (labels[:, num.max():] == -1).all()


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="do not match"):
        nms_fixed(_boxes(2, 30, seed=0), torch.rand(2, 3, 31), iou_threshold=IOU, score_threshold=0.1, max_detections=5)


def test_the_torch_export_based_exporter_translates_the_nms_op_too(tmp_path):
    from trtready.detection.dynamo_ops import translations

    example = (_boxes(2, 60, seed=1), torch.rand(2, 5, 60, generator=torch.Generator().manual_seed(2)))
    batch = torch.export.Dim.AUTO
    program = torch.onnx.export(Shared(20), example, dynamo=True, dynamic_shapes=({0: batch}, {0: batch}),
                                custom_translation_table=translations(), input_names=["candidates", "candidate_scores"],
                                output_names=list(NAMES))  # fmt: skip
    path = tmp_path / "nms.onnx"
    program.save(str(path))
    ops = [n.op_type for n in onnx.load(str(path)).graph.node]
    assert ops.count("NonMaxSuppression") == 1 and not {"If", "Loop", "NonZero"} & set(ops)
    boxes, scores = _boxes(3, 60, seed=7), torch.rand(3, 5, 60, generator=torch.Generator().manual_seed(8))
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = dict(zip(NAMES, session.run(None, {"candidates": boxes.numpy(), "candidate_scores": scores.numpy()})))
    _check(got, _reference(boxes, scores, 20, False), 20)
