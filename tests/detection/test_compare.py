"""Per-image matching of detections: right files pass (whatever the row order, near-tied rows
left out), wrong files fail, and comparisons that prove nothing say so."""

from __future__ import annotations

import numpy as np

from trtready.detection.compare import DetectionSpec, compare_detections

NAMES = ("num_detections", "boxes", "scores", "labels")
SPEC = DetectionSpec(NAMES, (100, 100), iou_threshold=0.5, max_detections=4)


def _dets(rows: list[list[tuple]], k: int = 4) -> dict:
    """rows per image: (score, label, x1, y1, x2, y2)."""
    out = {"num_detections": np.array([len(r) for r in rows], np.int32),
           "boxes": np.zeros((len(rows), k, 4), np.float32), "scores": np.zeros((len(rows), k), np.float32),
           "labels": np.full((len(rows), k), -1, np.int64)}  # fmt: skip
    for i, image in enumerate(rows):
        for j, (score, label, *box) in enumerate(image):
            out["scores"][i, j], out["labels"][i, j], out["boxes"][i, j] = score, label, box
    return out


A = (0.9, 1, 10, 10, 30, 30)
B = (0.8, 2, 50, 50, 70, 80)
C = (0.7, 1, 60, 0, 90, 20)
D = (0.6, 3, 0, 60, 20, 90)


def _status(got, ref):
    rows = compare_detections(SPEC, len(ref["num_detections"]), got, ref, rtol=1e-3)
    return rows[0].status, rows[0].message


def test_same_detections_pass():
    assert _status(_dets([[A, B], [C]]), _dets([[A, B], [C]]))[0] == "pass"


def test_row_order_within_an_image_does_not_matter():
    assert _status(_dets([[B, A]]), _dets([[A, B]]))[0] == "pass"


def test_a_missing_detection_fails_and_says_which():
    status, message = _status(_dets([[A]]), _dets([[A, B]]))
    assert status == "fail" and "label 2" in message and "image 0" in message


def test_boxes_decoded_wrong_fail():
    """Every box off by 5 px, scores and labels right (a wrong box decoding): not ties."""
    shifted = [(s, label, x1 + 5, y1, x2 + 5, y2) for s, label, x1, y1, x2, y2 in (A, B, C)]
    status, message = _status(_dets([shifted]), _dets([[A, B, C]]))
    assert status == "fail" and "differ" in message


def test_a_wrong_label_fails():
    relabelled = (0.8, 4, 50, 50, 70, 80)
    assert _status(_dets([[A, relabelled]]), _dets([[A, B]]))[0] == "fail"


def test_detections_swapped_between_images_fail():
    assert _status(_dets([[B], [A]]), _dets([[A], [B]]))[0] == "fail"


def test_near_tied_cut_off_is_a_tie_not_a_failure():
    """K = 4 rows kept; the 4th place is a near tie between two different boxes."""
    d_tied = (0.6 + 5e-6, 2, 0, 0, 5, 5)
    status, message = _status(_dets([[A, B, C, d_tied]]), _dets([[A, B, C, D]]))
    assert status == "pass" and "near-tied" in message


def test_a_real_difference_at_the_cut_off_fails():
    lower = (0.3, 2, 0, 0, 5, 5)
    status, _ = _status(_dets([[A, B, C, lower]]), _dets([[A, B, C, D]]))
    assert status == "fail"


def test_near_tied_overlapping_twins_are_a_tie():
    """Two overlapping boxes of one class with near-equal scores: either may survive NMS."""
    twin = (0.9 - 5e-6, 1, 11, 11, 31, 31)
    status, message = _status(_dets([[twin, B]]), _dets([[A, B]]))
    assert status == "pass" and "near-tied" in message


def test_no_detections_anywhere_is_degenerate():
    assert _status(_dets([[], []]), _dets([[], []]))[0] == "degenerate"


def test_one_score_for_every_detection_is_degenerate():
    same = [(0.5, 1, 10, 10, 30, 30), (0.5, 2, 50, 50, 70, 80)]
    assert _status(_dets([same]), _dets([same]))[0] == "degenerate"


def test_extra_outputs_are_compared_on_matched_rows():
    spec = DetectionSpec((*NAMES, "masks"), (100, 100), 0.5, 4)
    ref, got = _dets([[A, B]]), _dets([[B, A]])
    ref["masks"] = np.random.default_rng(0).random((1, 4, 3, 3)).astype(np.float32)
    got["masks"] = ref["masks"][:, [1, 0, 2, 3]].copy()
    rows = compare_detections(spec, 1, got, ref, rtol=1e-3)
    assert [r.status for r in rows] == ["pass", "pass"]
    got["masks"][0, 0] += 0.5
    assert compare_detections(spec, 1, got, ref, rtol=1e-3)[1].status == "fail"


def _many(count: int, seed: int = 0) -> list[tuple]:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(count):
        x, y = rng.random(2) * 900
        rows.append((0.9 - i * 0.005, int(rng.integers(1, 5)), x, y, x + 20 + rng.random() * 50, y + 20 + rng.random() * 50))
    return rows


def test_a_rare_flip_upstream_is_drift_not_failure_and_many_flips_fail():
    spec = DetectionSpec(NAMES, (1000, 1000), 0.5, 150)
    ref_rows = _many(100)
    one_flip = ref_rows[:-1] + [(0.4, 3, 5, 5, 40, 40)]  # the last row replaced by another detection
    rows = compare_detections(spec, 1, _dets([one_flip], 150), _dets([ref_rows], 150), rtol=1e-3)
    assert rows[0].status == "pass" and "rows differ" in rows[0].message
    ten_flips = ref_rows[:-10] + [(0.3 - i * 0.01, 3, 5 + i, 5, 40 + i, 40) for i in range(10)]
    rows = compare_detections(spec, 1, _dets([ten_flips], 150), _dets([ref_rows], 150), rtol=1e-3)
    assert rows[0].status == "fail"
