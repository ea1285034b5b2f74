"""Compare fixed-size detections with PyTorch's, image by image.

Rows are matched, not compared by position: a row of the file matches a row of the reference
with the same label, a score within tolerance and a box within tolerance. What may differ
without being wrong (the tool says how many such rows it left out):

- **near-tied cut-off**: a row one side has and the other lacks, when the other side is full
  (``K`` rows) and its lowest score is within ``TIE`` of the row's (it was the K+1-th there);
- **near-tied suppression**: a row may differ from the other side's row of the same label
  when their scores are within ``tie`` of each other and their boxes overlap by more than the
  NMS threshold (which of two near-equal, overlapping boxes survives is then a matter of
  rounding);
- rows past ``num_detections`` are padding and are not compared.

- **drift**: up to ``DRIFT_SHARE`` of the rows may differ without a near tie in sight, when a
  decision upstream of the output (which proposals a region proposal network keeps, an IoU at the
  NMS threshold) went the other way under ONNX Runtime's float rounding; the row says so.

Extra per-detection outputs (masks, keypoint heatmaps) are compared on the matched rows.
Torch-free (numpy only), so the checker's verification path stays light.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..result import VerifyRow
from ..verify.compare import compare_output

__all__ = ["DetectionSpec", "compare_detections"]

BOX_TOLERANCE = 1e-3  # of the image's larger side, plus rtol of the value
SCORE_ATOL = 1e-4
TIE = 1e-4  # scores closer than this are treated as tied
# masks and heatmaps: RoIAlign of features that already carry ONNX Runtime's float rounding, then a
# random-weight head of several layers; measured on Mask R-CNN (ResNet-50 FPN, 800 px): up to 2.4e-3
# on probabilities, relative error 1.6e-4. A wrong mask (another class, box, or shift) is off by 0.1-1.
EXTRA_ATOL, EXTRA_RTOL = 1e-2, 1e-2
# discrete decisions upstream of the output (which proposals survive a region proposal network's
# ranking and NMS, an IoU at the NMS threshold) flip under float rounding without any near tie in the
# output; measured: 0-3 of 300 on Faster R-CNN MobileNetV3-FPN at 800 px. A wrong file moves most rows.
DRIFT_SHARE = 0.02
TWIN_SHARE = 0.01  # near-tied twin swaps are rare: more than this share of the rows (and more than one) fails


@dataclass(frozen=True)
class DetectionSpec:
    """Which outputs are detections: ``names[0]`` the counts, then boxes, scores, labels, extras.

    ``extras_at(images, boxes, labels)``: the reference's extras (masks, heatmaps) computed at the
    file's boxes (see :class:`~trtready.detection.reference.ExtrasAtBoxes`); without it, extras are
    compared with the reference's own rows."""

    names: tuple[str, ...]
    image_size: tuple[int, int]
    iou_threshold: float
    max_detections: int
    extras_at: Callable | None = field(default=None, compare=False, repr=False)

    @property
    def extras(self) -> tuple[str, ...]:
        return self.names[4:]


def compare_detections(spec: DetectionSpec, batch: int, got: dict, ref: dict, *, rtol: float, images=None) -> list[VerifyRow]:
    """One row per detection output for one case (all images of the batch, ``images`` when the
    spec recomputes extras at the file's boxes)."""
    num_g, num_r = np.asarray(got[spec.names[0]]).reshape(-1), np.asarray(ref[spec.names[0]]).reshape(-1)
    if num_g.shape != num_r.shape:
        return [_row(spec.names[0], batch, "fail", f"{num_g.size} images in the file's output, {num_r.size} in PyTorch's")]
    outcomes = [_match_image(spec, got, ref, i, int(num_g[i]), int(num_r[i]), rtol) for i in range(num_r.size)]
    rows = [_summary_row(spec, batch, outcomes, num_r)]
    if spec.extras and spec.extras_at is not None and images is not None:
        at_boxes = spec.extras_at(images, np.asarray(got[spec.names[1]]), np.asarray(got[spec.names[3]]))
        rows += [_extra_row(spec, batch, name, outcomes, got, at_boxes, rtol, same_rows=True) for name in spec.extras]
    else:
        rows += [_extra_row(spec, batch, name, outcomes, got, ref, rtol) for name in spec.extras]
    return rows


@dataclass
class _Outcome:
    image: int
    matched: list[tuple[int, int]]  # (file row, reference row)
    scores: list[float]  # PyTorch's scores of the matched rows
    ties: int  # rows near the cut-off
    twins: list[str]  # rows that differ from an overlapping, near-tied row of the other side
    problems: list[str]


def _match_image(spec: DetectionSpec, got, ref, image: int, n_got: int, n_ref: int, rtol: float) -> _Outcome:
    boxes_g, scores_g, labels_g = (np.asarray(got[n])[image] for n in spec.names[1:4])
    boxes_r, scores_r, labels_r = (np.asarray(ref[n])[image] for n in spec.names[1:4])
    extent = float(max(spec.image_size))
    free = set(range(n_got))
    matched, unmatched_ref = [], []
    for r in range(n_ref):
        hit = next((g for g in sorted(free) if labels_g[g] == labels_r[r]
                    and abs(scores_g[g] - scores_r[r]) <= SCORE_ATOL + rtol * abs(scores_r[r])
                    and np.all(np.abs(boxes_g[g] - boxes_r[r]) <= BOX_TOLERANCE * extent + rtol * np.abs(boxes_r[r]))), None)  # fmt: skip
        if hit is None:
            unmatched_ref.append(r)
        else:
            free.discard(hit)
            matched.append((hit, r))
    cut_g = scores_g[:n_got].min() if n_got == spec.max_detections else None  # lowest kept score of a full side
    cut_r = scores_r[:n_ref].min() if n_ref == spec.max_detections else None
    problems, twins, ties = [], [], 0
    for side, rows, scores, labels, boxes, cut, other in (
        ("PyTorch", unmatched_ref, scores_r, labels_r, boxes_r, cut_g, (sorted(free), scores_g, labels_g, boxes_g)),
        ("the file", sorted(free), scores_g, labels_g, boxes_g, cut_r, (unmatched_ref, scores_r, labels_r, boxes_r)),
    ):
        for row in rows:
            what = (f"image {image}: {side} has a detection the other lacks (label {int(labels[row])}, "
                    f"score {float(scores[row]):.4g}, box {np.round(boxes[row], 1).tolist()})")  # fmt: skip
            if _near_cut(scores[row], cut):
                ties += 1
            elif _near_tied_twin(scores[row], labels[row], boxes[row], other, spec.iou_threshold):
                twins.append(what)
            else:
                problems.append(what)
    return _Outcome(image, matched, [float(scores_r[r]) for _, r in matched], ties, twins, problems)


def _near_cut(score: float, cut: float | None) -> bool:
    return cut is not None and abs(score - cut) <= TIE


def _near_tied_twin(score, label, box, other, iou_threshold: float) -> bool:
    rows, scores, labels, boxes = other
    return any(labels[o] == label and abs(scores[o] - score) <= TIE and _iou(boxes[o], box) > iou_threshold for o in rows)


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def _summary_row(spec: DetectionSpec, batch: int, outcomes: list[_Outcome], num_r: np.ndarray) -> VerifyRow:
    name = "+".join(spec.names[:4])
    matched = sum(len(o.matched) for o in outcomes)
    twins = [t for o in outcomes for t in o.twins]
    ties = sum(o.ties for o in outcomes) + len(twins)
    problems = [p for o in outcomes for p in o.problems]
    swaps = (len(twins) + 1) // 2  # a swap shows on both sides
    if swaps > max(1, TWIN_SHARE * (matched + swaps)):  # rounding picks the other twin now and then, not often
        problems += twins
    counts = ", ".join(str(int(n)) for n in num_r)
    tied = f"; {ties} near-tied rows left out (scores within {TIE:g} of the cut-off or of an overlapping twin)" if ties else ""
    flips = (len(problems) + 1) // 2  # a decision that went the other way drops one row and brings another
    if problems and flips > DRIFT_SHARE * (matched + flips):
        return _row(name, batch, "fail", f"{len(problems)} detections differ: {problems[0]}" + tied)
    if problems:
        tied += (f"; {len(problems)} rows differ ({flips} decisions of {matched + flips}, within the {DRIFT_SHARE:.0%} "
                 f"that float rounding flips upstream: {problems[0]})")  # fmt: skip
    if not matched:
        why = "PyTorch made no detections on these images" if not num_r.any() else f"all {ties} detections are near-tied"
        return _row(name, batch, "degenerate", f"{why}: parity proves little")
    if matched > 1 and len({round(s, 6) for o in outcomes for s in o.scores}) == 1:
        return _row(name, batch, "degenerate", "every detection has the same score: parity proves little")
    return _row(name, batch, "pass", f"{matched} detections matched image by image (PyTorch: {counts} per image){tied}")


def _extra_row(spec: DetectionSpec, batch: int, name: str, outcomes: list[_Outcome], got, ref, rtol: float,
               same_rows: bool = False) -> VerifyRow:
    """The extra output on the matched detections; ``same_rows``: ``ref`` was computed at the file's
    own boxes, row for row."""
    pairs = [(o.image, g, g if same_rows else r) for o in outcomes for g, r in o.matched]
    if not pairs:
        return _row(name, batch, "degenerate", "no matched detections to compare")
    mine = np.stack([np.asarray(got[name])[i, g] for i, g, _ in pairs])
    theirs = np.stack([np.asarray(ref[name])[i, r] for i, _, r in pairs])
    row = compare_output(name, batch, mine, theirs, atol=EXTRA_ATOL, rtol=max(rtol, EXTRA_RTOL), batch_dim=None)
    how = "the model's own heads run at the file's boxes" if same_rows else "PyTorch's rows"
    row.message = f"on the {len(pairs)} matched detections, against {how}" + (f"; {row.message}" if row.message else "")
    return row


def _row(name: str, batch: int, status: str, message: str) -> VerifyRow:
    return VerifyRow(batch=batch, output=name, status=status, message=message)
