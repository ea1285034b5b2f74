"""``nms_fixed(..., plugin=True)``: one EfficientNMS_TRT node, run on the CPU by ONNX Runtime around a
reference of the plugin, and known to the checker as a plugin TensorRT ships."""

from __future__ import annotations

import warnings

import numpy as np
import onnx
import onnx_ir as ir
import onnxruntime as ort
import pytest
import torch
import torchvision
from torch import nn

import trtready
from trtready.detection.compare import DetectionSpec, compare_detections
from trtready.detection.nms import nms_fixed
from trtready.detection.plugin import (
    EFFICIENT_NMS,
    EFFICIENT_NMS_README,
    SELECTED_BOXES,
    EfficientNMSAttributes,
    efficient_nms_semantics,
)
from trtready.detection.plugin_reference import (
    PluginSession,
    describe_plugin_proof,
    has_plugin_nodes,
    run_plugin_model,
)
from trtready.verify.session import open_session
from trtready.detection.scenes import scenes
from trtready.plugins import PLUGIN_DOMAIN
from trtready.result import Severity

SIZE = (32, 32)
K = 60
IOU, SCORE = 0.5, 0.3
LABELS = (2, 5, 9)
OUTPUTS = ["num_detections", "boxes", "scores", "labels"]


class TinyDetector(nn.Module):
    """An anchor-free head on a stride-4 grid: a box per cell (or per cell and class), class scores."""

    def __init__(self, plugin: bool, per_class_boxes: bool = False) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.plugin, self.per_class = plugin, per_class_boxes
        classes = len(LABELS)
        self.body = nn.Sequential(nn.Conv2d(3, 16, 3, stride=2, padding=1), nn.ReLU(), nn.Conv2d(16, 16, 3, stride=2, padding=1), nn.ReLU())
        self.box = nn.Conv2d(16, 4 * (classes if per_class_boxes else 1), 1)
        self.cls = nn.Conv2d(16, classes, 1)
        with torch.no_grad():  # scores spread around the threshold
            self.cls.weight.mul_(80.0)

    def forward(self, images):
        features = self.body(images)
        b, _, h, w = features.shape
        ys, xs = torch.meshgrid(torch.arange(h) * 4.0 + 2, torch.arange(w) * 4.0 + 2, indexing="ij")
        centers = torch.stack([xs, ys], -1).reshape(1, h * w, 1, 2)
        deltas = self.box(features).flatten(2).transpose(1, 2).reshape(b, h * w, -1, 4)
        boxes = torch.cat([centers - 6 * deltas[..., :2].exp(), centers + 6 * deltas[..., 2:].exp()], -1)
        boxes = boxes.transpose(1, 2) if self.per_class else boxes[:, :, 0]  # [B, G, N, 4] or [B, N, 4]
        scores = self.cls(features).flatten(2).sigmoid()  # [B, G, N]
        return nms_fixed(boxes, scores, iou_threshold=IOU, score_threshold=SCORE, max_detections=K,
                         group_labels=LABELS, plugin=self.plugin)  # fmt: skip


def _export(model: nn.Module, path) -> str:
    dynamic = {name: {0: "batch"} for name in ["images", *OUTPUTS]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (scenes(2, SIZE, seed=1),), str(path), dynamo=False, opset_version=17,
                          input_names=["images"], output_names=OUTPUTS, dynamic_axes=dynamic)  # fmt: skip
    return str(path)


def _spec() -> DetectionSpec:
    return DetectionSpec(names=tuple(OUTPUTS), image_size=SIZE, iou_threshold=IOU, max_detections=K)


def _as_dict(outputs) -> dict:
    return {name: np.asarray(value.detach() if isinstance(value, torch.Tensor) else value) for name, value in zip(OUTPUTS, outputs)}


def _assert_same_detections(got, expected, batch: int) -> None:
    rows = compare_detections(_spec(), batch, _as_dict(got), _as_dict(expected), rtol=1e-4)
    assert rows and all(row.status == "pass" for row in rows), [(row.status, row.message) for row in rows]


@pytest.fixture(scope="module", params=[False, True], ids=["shared-boxes", "per-class-boxes"])
def files(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("plugin")
    plugin = TinyDetector(plugin=True, per_class_boxes=request.param).eval()
    onnx_nms = TinyDetector(plugin=False, per_class_boxes=request.param).eval()
    return plugin, _export(plugin, folder / "plugin.onnx"), _export(onnx_nms, folder / "onnx_nms.onnx")


# -- the exported file -----------------------------------------------------------------------------
def test_plugin_mode_exports_one_efficient_nms_node_with_a_dynamic_batch(files):
    _, plugin_path, _ = files
    model = onnx.load(plugin_path)
    ops = [node.op_type for node in model.graph.node]
    nodes = [node for node in model.graph.node if node.op_type == EFFICIENT_NMS]
    assert len(nodes) == 1 and nodes[0].domain == PLUGIN_DOMAIN
    assert not {"NonMaxSuppression", "NonZero", "If", "Loop", "TopK"} & set(ops)
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in nodes[0].attribute}
    assert attrs["plugin_version"] == b"1" and attrs["max_output_boxes"] == K and attrs["background_class"] == -1
    assert attrs["score_threshold"] == pytest.approx(SCORE) and attrs["iou_threshold"] == pytest.approx(IOU)
    assert [i.type.tensor_type.shape.dim[0].dim_param for i in model.graph.input] == ["batch"]
    shapes = {o.name: [d.dim_param or d.dim_value for d in o.type.tensor_type.shape.dim] for o in model.graph.output}
    assert shapes == {"num_detections": ["batch"], "boxes": ["batch", K, 4], "scores": ["batch", K], "labels": ["batch", K]}


def test_onnx_runtime_alone_cannot_run_the_plugin_file(files):
    with pytest.raises(Exception, match="EfficientNMS_TRT"):
        ort.InferenceSession(files[1], providers=["CPUExecutionProvider"])


# -- running it: ONNX Runtime around the reference ------------------------------------------------
@pytest.mark.parametrize("batch", [1, 3])
def test_plugin_file_gives_the_eager_model_and_the_onnx_nms_file_detections(files, batch):
    module, plugin_path, onnx_nms_path = files
    images = scenes(batch, SIZE, seed=10 + batch)
    got = run_plugin_model(plugin_path, {"images": images.numpy()})
    with torch.no_grad():
        eager = module(images)
    assert int(np.asarray(got[0]).sum()) >= 3 * batch, "too few detections to prove anything"
    _assert_same_detections(got, eager, batch)
    onnx_nms = ort.InferenceSession(onnx_nms_path, providers=["CPUExecutionProvider"]).run(None, {"images": images.numpy()})
    _assert_same_detections(got, onnx_nms, batch)
    assert [a.dtype for a in got] == [np.int32, np.float32, np.float32, np.int64]
    assert set(np.unique(got[3])) <= {-1, *LABELS}


def test_plugin_session_runs_like_an_inference_session(files):
    _, plugin_path, _ = files
    session = PluginSession(plugin_path)
    assert [i.name for i in session.get_inputs()] == ["images"]
    images = scenes(2, SIZE, seed=4).numpy()
    labels, num = session.run(["labels", "num_detections"], {"images": images})
    full = session.run(None, {"images": images})
    assert np.array_equal(num, full[0]) and np.array_equal(labels, full[3])


def test_open_session_falls_back_to_the_reference_only_for_plugin_files(files):
    _, plugin_path, onnx_nms_path = files
    assert isinstance(open_session(onnx_nms_path), ort.InferenceSession)
    session = open_session(plugin_path)
    assert isinstance(session, PluginSession)
    images = scenes(2, SIZE, seed=5).numpy()
    with_options = session.run(None, {"images": images}, ort.RunOptions())  # as the fix runner calls it
    assert all(np.array_equal(a, b) for a, b in zip(with_options, run_plugin_model(plugin_path, {"images": images})))


def test_a_file_that_is_only_the_plugin_matches_torchvision_per_image():
    gen = torch.Generator().manual_seed(3)
    corner = torch.rand(2, 100, 2, generator=gen) * 50
    boxes = torch.cat([corner, corner + 5 + torch.rand(2, 100, 2, generator=gen) * 20], -1)
    scores = torch.rand(2, 100, 3, generator=gen)
    num, out_boxes, out_scores, classes = run_plugin_model(_text_model("TRT", EFFICIENT_NMS), {"boxes": boxes.numpy(), "scores": scores.numpy()})
    for b in range(2):
        anchor, cls = torch.nonzero(scores[b] >= 0.25, as_tuple=True)
        keep = torchvision.ops.batched_nms(boxes[b, anchor], scores[b, anchor, cls], cls, 0.5)[:10]
        assert num[b, 0] == len(keep) == 10
        assert np.array_equal(out_boxes[b], boxes[b, anchor[keep]].numpy())
        assert np.array_equal(out_scores[b], scores[b, anchor[keep], cls[keep]].numpy())
        assert np.array_equal(classes[b], cls[keep].numpy().astype(np.int32))


def _edited(path: str, tmp_path, **attributes) -> str:
    model = onnx.load(path)
    node = next(n for n in model.graph.node if n.op_type == EFFICIENT_NMS)
    for attr in node.attribute:
        if attr.name in attributes:
            attr.f = attributes[attr.name]
    out = tmp_path / "edited.onnx"
    onnx.save(model, out)
    return str(out)


def test_the_reference_honours_the_node_attributes(files, tmp_path):
    module, plugin_path, _ = files
    images = scenes(3, SIZE, seed=21)
    with torch.no_grad():
        eager = module(images)
    feeds = {"images": images.numpy()}
    strict_iou = run_plugin_model(_edited(plugin_path, tmp_path, iou_threshold=0.05), feeds)
    rows = compare_detections(_spec(), 3, _as_dict(strict_iou), _as_dict(eager), rtol=1e-4)
    assert any(row.status == "fail" for row in rows)
    assert (strict_iou[0] <= eager[0].numpy()).all() and (strict_iou[0] < eager[0].numpy()).any()
    high_score = run_plugin_model(_edited(plugin_path, tmp_path, score_threshold=0.6), feeds)
    assert (high_score[0] < eager[0].numpy()).any() and (high_score[2][high_score[3] >= 0] >= 0.6).all()


def test_has_plugin_nodes_and_the_proof_sentence(files):
    _, plugin_path, onnx_nms_path = files
    assert has_plugin_nodes(plugin_path) and not has_plugin_nodes(onnx_nms_path)
    sentence = describe_plugin_proof(plugin_path)
    assert "EfficientNMS_TRT" in sentence and "ONNX Runtime" in sentence and EFFICIENT_NMS_README in sentence
    assert describe_plugin_proof(onnx_nms_path) == "the whole graph ran in ONNX Runtime"


# -- the plugin's semantics, on hand-made boxes -----------------------------------------------------
def _run(boxes, scores, **attrs):
    fields = {"score_threshold": 0.1, "iou_threshold": 0.5, "max_output_boxes": 4, **attrs}
    num, out_boxes, out_scores, classes = efficient_nms_semantics(
        torch.tensor(boxes, dtype=torch.float32)[None], torch.tensor(scores, dtype=torch.float32)[None],
        EfficientNMSAttributes(**fields),
    )  # fmt: skip
    return int(num[0, 0]), out_boxes[0], out_scores[0], classes[0]


def test_an_iou_equal_to_the_threshold_suppresses():
    boxes = [[0, 0, 3, 1], [1, 0, 4, 1]]  # intersection 2, union 4: IoU 0.5 exactly
    assert _run(boxes, [[0.9], [0.8]], iou_threshold=0.5)[0] == 1
    assert _run(boxes, [[0.9], [0.8]], iou_threshold=0.51)[0] == 2


def test_classes_background_agnostic_and_corner_order():
    boxes = [[0, 0, 10, 10], [10, 10, 0, 0], [20, 20, 30, 30]]  # box 1 is box 0 with its corners swapped
    scores = [[0.9, 0.2], [0.2, 0.8], [0.5, 0.6]]
    num, out_boxes, out_scores, classes = _run(boxes, scores, max_output_boxes=6)
    assert num == 4 and classes[:num].tolist() == [0, 1, 1, 0]  # box 1 survives in its own class only
    assert out_scores[:num].tolist() == pytest.approx([0.9, 0.8, 0.6, 0.5])
    assert out_boxes[1].tolist() == [10, 10, 0, 0]  # written as given
    assert _run(boxes, scores, max_output_boxes=6, class_agnostic=True)[0] == 2  # swapped corners still overlap
    num, _, _, classes = _run(boxes, scores, max_output_boxes=6, background_class=0)
    assert num == 2 and classes[:num].tolist() == [1, 1]


def test_center_size_coding_and_score_activation():
    num, out_boxes, out_scores, _ = _run([[5, 5, 4, 2]], [[0.0]], box_coding=1, score_activation=True, score_threshold=0.4)
    assert num == 1 and out_boxes[0].tolist() == [3, 4, 7, 6] and out_scores[0].item() == pytest.approx(0.5)
    assert _run([[5, 5, 4, 2]], [[0.0]], score_activation=True, score_threshold=0.6)[0] == 0


def test_only_the_highest_4096_scores_go_through_nms():
    count = SELECTED_BOXES + 50
    corners = torch.arange(count, dtype=torch.float32).view(-1, 1) * 2
    boxes = torch.cat([corners, torch.zeros_like(corners), corners + 1, torch.ones_like(corners)], 1)  # disjoint
    scores = torch.linspace(0.9, 0.2, count).view(-1, 1)
    num, _, out_scores, _ = _run(boxes.tolist(), scores.tolist(), max_output_boxes=count)
    assert num == SELECTED_BOXES and out_scores[num - 1] == pytest.approx(scores[SELECTED_BOXES - 1, 0].item())


def test_the_dense_path_keeps_low_scores_and_nms_fixed_pads_them_again():
    boxes = torch.tensor([[[0, 0, 4, 4], [10, 10, 14, 14], [20, 20, 24, 24]]], dtype=torch.float32)
    scores = torch.tensor([[[0.5, 0.0005, 0.3]]])  # [B, G, N]
    attrs = EfficientNMSAttributes(score_threshold=0.001, iou_threshold=0.5, max_output_boxes=3)
    num, _, plugin_scores, _ = efficient_nms_semantics(boxes, scores.transpose(1, 2), attrs)
    assert int(num[0, 0]) == 3 and plugin_scores[0, 2].item() == -32768.0  # what the plugin writes
    plugin = nms_fixed(boxes, scores, iou_threshold=0.5, score_threshold=0.001, max_detections=3, plugin=True)
    plain = nms_fixed(boxes, scores, iou_threshold=0.5, score_threshold=0.001, max_detections=3)
    for got, expected in zip(plugin, plain):
        assert torch.equal(got, expected)
    assert plugin[0].tolist() == [2] and plugin[3].tolist() == [[0, 0, -1]]


# -- the checker ----------------------------------------------------------------------------------------
def test_check_notes_the_shipped_plugin_instead_of_refusing_it(files):
    result = trtready.check(files[1])
    assert not [f for f in result.findings if f.severity == Severity.ERROR], result.findings
    notes = [f for f in result.findings if f.rule_id == "TRT102"]
    assert len(notes) == 1 and notes[0].severity == Severity.INFO
    assert "libnvinfer_plugin" in notes[0].message and EFFICIENT_NMS_README in notes[0].message
    assert not [f for f in trtready.check(files[1], plugins=[EFFICIENT_NMS]).findings if f.rule_id == "TRT102"]


def _text_model(domain: str, op: str) -> ir.Model:
    qualified = f"{domain}.{op}" if domain else op
    imports = f', "{domain}" : 1' if domain else ""
    return ir.from_onnx_text(f"""
<ir_version: 8, opset_import: ["" : 17{imports}]>
g (float[N,100,4] boxes, float[N,100,3] scores) => (int32[N,1] num, float[N,10,4] b, float[N,10] s, int32[N,10] c) {{
  num, b, s, c = {qualified} <max_output_boxes = 10, score_threshold = 0.25, iou_threshold = 0.5> (boxes, scores)
}}
""")


@pytest.mark.parametrize("domain", ["", "TRT"])
def test_check_knows_efficient_nms_in_any_domain_but_not_other_plugins(domain):
    findings = trtready.check(_text_model(domain, EFFICIENT_NMS)).findings
    assert [(f.rule_id, f.severity) for f in findings if f.rule_id in ("TRT101", "TRT102")] == [("TRT102", Severity.INFO)]
    other = trtready.check(_text_model(domain, "MyNMS_TRT")).findings
    assert [f for f in other if f.rule_id in ("TRT101", "TRT102") and f.severity != Severity.INFO]
