"""torchvision's detection models export with fixed-size outputs and a dynamic batch, NMS as ONNX
NonMaxSuppression, no If/Loop/NonZero, and ONNX Runtime's detections match torchvision's own eager
post-processing image by image at batches 1, 2 and 3."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

import trtready
from trtready.detection.compare import DetectionSpec, compare_detections
from trtready.detection.reference import PaddedReference
from trtready.detection.scenes import scenes

from .builds import BUILDS, SIZE, calibrated

FORBIDDEN = {"If", "Loop", "NonZero"}
EXTRA_OUTPUT = {"mask_rcnn": "masks", "keypoint_rcnn": "keypoint_heatmaps"}


def _dims(value_info) -> list:
    return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]


SLOW = {"retinanet", "fcos", "keypoint_rcnn"}  # ResNet-18 FPNs, and a second RoI head: minutes each on 2 cores


@pytest.fixture(scope="module", params=[pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in sorted(BUILDS)])
def exported(request, tmp_path_factory):
    name = request.param
    model = calibrated(name)
    path = tmp_path_factory.mktemp(name) / f"{name}.onnx"
    images = lambda batch: (scenes(batch, SIZE, seed=40 + batch),)  # noqa: E731 - the user's own images
    result = trtready.export(model, scenes(2, SIZE, seed=5), path, verify_batches=[2, 1, 3], verify_inputs=images)
    return name, model, path, result


def test_verified_image_by_image_at_batches_1_2_3(exported):
    name, _, _, result = exported
    assert result, trtready.summary(result)
    rows = [r for r in result.verification if r.output.startswith("num_detections")]
    # rows resampled from the example may hold nothing this small model detects: "degenerate", said so
    assert all(r.status in ("pass", "degenerate") for r in rows), [(r.batch, r.status, r.message) for r in rows]
    passed = {r.batch for r in rows if r.status == "pass" and "matched image by image" in r.message}
    assert passed == {1, 2, 3}, [(r.batch, r.status, r.message) for r in rows]
    if name in EXTRA_OUTPUT:
        extra = [r for r in result.verification if r.output == EXTRA_OUTPUT[name]]
        assert extra and all(r.status == "pass" for r in extra), [(r.status, r.message) for r in extra]


def test_fixed_size_outputs_and_no_data_dependent_control_flow(exported):
    name, model, path, _ = exported
    graph = onnx.load(str(path)).graph
    ops = {n.op_type for n in graph.node}
    assert not ops & FORBIDDEN
    assert "NonMaxSuppression" in ops
    outputs = {o.name: _dims(o) for o in graph.outputs} if hasattr(graph, "outputs") else {o.name: _dims(o) for o in graph.output}
    k = model.roi_heads.detections_per_img if hasattr(model, "roi_heads") else model.detections_per_img
    batch = outputs["num_detections"][0]
    assert isinstance(batch, str) and batch  # symbolic
    assert outputs["boxes"] == [batch, k, 4]
    assert outputs["scores"] == outputs["labels"] == [batch, k]
    if name in EXTRA_OUTPUT:
        assert outputs[EXTRA_OUTPUT[name]][:2] == [batch, k]
    errors = [f for f in trtready.check(path).findings if f.severity == "error"]  # the release it was made for
    assert not errors, [(f.rule_id, f.message) for f in errors]


def test_another_batch_and_other_images_still_match(exported):
    """Batch 5 on fresh scenes: not among the verified cases."""
    name, model, path, _ = exported
    images = scenes(5, SIZE, seed=99)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    got = dict(zip(names, session.run(None, {session.get_inputs()[0].name: images.numpy()})))
    with torch.no_grad():
        ref = dict(zip(names, (t.numpy() for t in PaddedReference(model, got["boxes"].shape[1], tuple(names))(images))))
    iou = model.roi_heads.nms_thresh if hasattr(model, "roi_heads") else model.nms_thresh
    spec = DetectionSpec(tuple(names), SIZE, iou, got["boxes"].shape[1])
    rows = compare_detections(spec, 5, got, ref, rtol=1e-3)
    assert all(r.status == "pass" for r in rows), [(r.output, r.message) for r in rows]
    assert np.asarray(got["num_detections"]).sum() > 0
