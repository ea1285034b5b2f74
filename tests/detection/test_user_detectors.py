"""Detectors users write themselves.

The doctor names per-image NMS post-processing (a Python loop over the images around
``torchvision.ops.batched_nms``, boolean-mask thresholds before it) at the line of the NMS call,
with the loop's and the mask's lines and the ``nms_fixed`` rewrite; and the rewritten detector
exports with a dynamic batch and fixed-size outputs, its ONNX Runtime detections matching the
original detector's eager ones image by image.
"""

from __future__ import annotations

import functools
import os

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

import trtready
from trtready.catalog import find_unit
from trtready.detection.compare import DetectionSpec, compare_detections
from trtready.detection.reference import pad_detections
from trtready.detection.scenes import scenes
from trtready.doctor import diagnose
from trtready.result import Severity

from . import user_detectors as models

MODELS = models.__file__
OUTPUTS = ("num_detections", "boxes", "scores", "labels")
K = models.FCOSHead.detections_per_img


def marker_line(name: str) -> int:
    """The line of ``user_detectors.py`` that ends with ``# MARK: name``."""
    with open(MODELS, encoding="utf-8") as source:
        for number, text in enumerate(source, start=1):
            if text.rstrip().endswith(f"# MARK: {name}"):
                return number
    raise AssertionError(f"no marker {name}")


@functools.cache
def diagnosis(builder: str, **attributes):
    model = getattr(models, builder)()
    for name, value in attributes.items():
        setattr(model, name, value)
    return diagnose(model, (scenes(2, models.IMAGE_SIZE, seed=5),))


def nms_findings(result) -> list:
    return [f for f in result.findings if f.rule_id == "DOC303"]


def at(result, marker: str):
    line = marker_line(marker)
    hits = [f for f in nms_findings(result) if f.source and f.source.line == line and os.path.samefile(f.source.file, MODELS)]
    assert hits, f"DOC303 not reported at line {line} ({marker}); got {[(f.rule_id, f.source) for f in result.findings]}"
    assert len(nms_findings(result)) == 1
    finding = hits[0]
    assert finding.stage == "doctor" and finding.name == "doctor.nms-postprocess"
    assert f"MARK: {marker}" in finding.source.code
    return finding


# -- the diagnosis ------------------------------------------------------------------------------------------------


def test_fcos_loop_over_images_is_an_error_at_the_nms_call():
    f = at(diagnosis("build_fcos_loop"), "fcos-nms")
    assert f.severity == Severity.ERROR
    assert "torchvision.ops.batched_nms runs once per image (2 calls at batch 2, 3 calls at batch 3)" in f.message
    assert f"loop at line {marker_line('fcos-loop')} (`for i in range(images.shape[0])`)" in f.message
    assert f"boolean-mask indexing at line {marker_line('fcos-mask')}" in f.message
    assert "torch.export cannot iterate over a symbolic batch" in f.message
    assert "no fixed size" in f.message
    assert "nms_fixed(" in f.fix and "iou_threshold=0.6" in f.fix  # the model's own threshold


def test_yolo_loop_over_a_tensor_is_an_error_at_the_nms_call():
    f = at(diagnosis("build_yolo_loop"), "yolo-nms")
    assert f.severity == Severity.ERROR
    assert f"loop at line {marker_line('yolo-loop')} (`for x in prediction`)" in f.message
    assert f"boolean-mask indexing at line {marker_line('yolo-mask')}" in f.message
    assert "iou_threshold=0.45" in f.fix


def test_centernet_loop_over_classes_keeps_the_batch_but_not_a_fixed_size():
    f = at(diagnosis("build_centernet_loop"), "centernet-nms")
    assert f.severity == Severity.WARNING  # the batch can stay dynamic; the results are variable-length
    loop = marker_line("centernet-loop")
    assert f"loop at line {loop} (`for c in range(self.num_classes)`) (4 calls at batch 2, 4 calls at batch 3)" in f.message
    assert "whatever the batch size" in f.message and "once per image" not in f.message
    assert f"torch.nonzero at line {marker_line('centernet-mask')}" in f.message
    assert "no fixed size" in f.message


def test_an_nms_call_on_no_candidates_still_counts():
    """With a threshold nothing clears, batched_nms returns early on empty inputs: still one call per image."""
    f = at(diagnosis("build_fcos_loop", score_thresh=1.5), "fcos-nms")
    assert f.severity == Severity.ERROR and "runs once per image" in f.message


def test_the_rewrite_is_not_flagged():
    result = diagnosis("build_fcos_fixed")
    assert nms_findings(result) == []  # nms_fixed's own eager NMS is trtready's, not the user's
    assert not [f for f in result.findings if f.op_type == "aten::__and__"]  # `mask & mask` has a TorchScript symbolic


def test_a_classifier_is_not_flagged():
    assert nms_findings(diagnosis("build_classifier")) == []


def test_the_check_is_in_the_catalog():
    unit = find_unit("doctor.nms-postprocess")
    assert unit.id == "DOC303" and unit.kind == "doctor" and unit.severity == Severity.ERROR
    assert "nms_fixed(" in unit.fix and "batched_nms" in unit.why
    assert any("onnx-tensorrt" in ref.url for ref in unit.references)


# -- the rewritten detector exports -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    path = tmp_path_factory.mktemp("fcos") / "fcos.onnx"
    result = trtready.export(models.build_fcos_fixed(), (scenes(2, models.IMAGE_SIZE, seed=11),), path,
                             output_names=list(OUTPUTS))  # fmt: skip
    return result, path


def test_export_is_verified_with_a_dynamic_batch_and_fixed_size_outputs(exported):
    result, path = exported
    assert result, trtready.summary(result)
    model = onnx.load(path)
    shapes = {o.name: [d.dim_param or d.dim_value for d in o.type.tensor_type.shape.dim] for o in model.graph.output}
    batch = shapes["num_detections"][0]
    assert isinstance(batch, str) and batch  # symbolic
    assert shapes == {"num_detections": [batch], "boxes": [batch, K, 4], "scores": [batch, K], "labels": [batch, K]}


def test_export_has_no_control_flow_or_nonzero(exported):
    _, path = exported
    ops = [node.op_type for node in onnx.load(path).graph.node]
    assert not {"If", "Loop", "NonZero", "Scan"} & set(ops)
    assert ops.count("NonMaxSuppression") == 1 and "TopK" in ops


@pytest.fixture(scope="module")
def detections(exported):
    """ONNX Runtime's and the loop detector's (padded) detections at batches 1, 2 and 3."""
    _, path = exported
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    loop = models.build_fcos_loop()
    runs = {}
    for batch in (1, 2, 3):
        images = scenes(batch, models.IMAGE_SIZE, seed=100 + batch)
        got = dict(zip(OUTPUTS, session.run(list(OUTPUTS), {session.get_inputs()[0].name: images.numpy()})))
        with torch.no_grad():
            ref = dict(zip(OUTPUTS, (t.numpy() for t in pad_detections(loop(images), K, OUTPUTS))))
        runs[batch] = got, ref
    return runs


@pytest.mark.parametrize("batch", [1, 2, 3])
def test_onnx_runtime_matches_the_loop_detector_image_by_image(detections, batch):
    got, ref = detections[batch]
    spec = DetectionSpec(names=OUTPUTS, image_size=models.IMAGE_SIZE, iou_threshold=models.FCOSHead.nms_thresh, max_detections=K)
    rows = compare_detections(spec, batch, got, ref, rtol=1e-3)
    assert [r.status for r in rows] == ["pass"], [r.message for r in rows]
    assert got["num_detections"].dtype == np.int32 and got["labels"].dtype == np.int64
    assert (got["labels"][np.arange(K)[None] >= got["num_detections"][:, None]] == -1).all()  # padding


def test_the_comparison_covers_the_cut_off_and_short_lists(detections):
    counts = np.concatenate([ref["num_detections"] for _, ref in detections.values()])
    assert (counts == K).any() and ((counts > 0) & (counts < K)).any(), counts
