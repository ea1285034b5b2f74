"""Detectors end to end: trtready against the plain exporters on torchvision's detection models.

    nice -n 10 python benchmarks/detectors.py --out detectors.json     # the six detectors, 512x512
    python benchmarks/detectors.py --only fasterrcnn --size 320         # a subset, smaller images
    python benchmarks/detectors.py --report detectors.json             # the table of a saved run

Each model is torchvision's, random weights, calibrated on synthetic scenes so that it detects
(``trtready.detection.calibrate``: batch norms re-estimated, class scores spread over the
threshold). Tools, each in a forked child with a timeout:

- ``torchscript``: ``torch.onnx.export(model, ([image],), dynamo=False)``, the way torchvision
  documents it (one image per call; the file takes one image);
- ``dynamo``: the same with ``dynamo=True``;
- ``trtready``: ``trtready.export(model, images, path, trt="10.1")``, as a user calls it.

Every file is judged the same way here, without trtready's own verifier: ONNX Runtime on fresh
scenes (other seeds than the export's) at batches 1, 2 and 3 (a file that takes one image is run
once per image and counts as having no batch), each image's detections matched against the eager
model's (same label, box IoU >= 0.98, score within 1e-3; rows past ``num_detections`` ignored;
a row missing on one side when the other is full and its last score is within 1e-4 is a tie;
at most 2% of the decisions flipped otherwise, for float rounding upstream); If/Loop/NonZero counted outside NonMaxSuppression;
``trtready.check(path, trt="10.1")`` errors. READY: exported, a batch that really varies (1, 2, 3),
fixed-size outputs, no If/Loop/NonZero, verified at every batch, no TensorRT errors.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import one_line, run_forked

MODELS = (
    "fasterrcnn_mobilenet_v3_large_fpn", "retinanet_resnet50_fpn", "fcos_resnet50_fpn",
    "ssdlite320_mobilenet_v3_large", "maskrcnn_resnet50_fpn", "keypointrcnn_resnet50_fpn",
)  # fmt: skip
TOOLS = ("torchscript", "dynamo", "trtready")
BATCHES = (1, 2, 3)
CONTROL_FLOW = ("If", "Loop", "NonZero")
IOU_MATCH, SCORE_MATCH, FLIP_SHARE, TIE = 0.98, 1e-3, 0.02, 1e-4
BOX_ATOL = 1e-3  # of the image size: the same box when IoU cannot tell (zero area)


def build(name: str, size: int):
    import torch
    import torchvision

    from trtready.detection.calibrate import calibrate_detector
    from trtready.detection.scenes import scenes

    torch.manual_seed(0)
    model = torchvision.models.get_model(name, weights=None, weights_backbone=None)
    return calibrate_detector(model, scenes(4, (size, size), seed=1))


def export_tool(tool: str, name: str, size: int, path: str) -> dict:
    import torch

    from trtready.detection.scenes import scenes

    model = build(name, size)
    images = scenes(2, (size, size), seed=2)
    started = time.perf_counter()
    if tool == "trtready":
        import trtready

        result = trtready.export(model, images, path, trt="10.1")
        own = "verified" if result else "not verified: " + "; ".join(
            f"batch {r.batch} {r.output}: {r.message}" for r in result.verification if not r.passed)[:600]
    else:
        with torch.no_grad():
            torch.onnx.export(model, ([images[0]],), path, dynamo=tool == "dynamo", opset_version=17,
                              input_names=["image"])  # fmt: skip
        own = None
    return {"seconds": time.perf_counter() - started, "own_verdict": own}


def judge(name: str, size: int, path: str) -> dict:
    import onnx
    import torch

    import trtready
    from trtready.detection.scenes import scenes

    model = build(name, size)
    graph = onnx.load(path, load_external_data=False).graph
    ops = [n.op_type for n in graph.node]
    inputs = [i for i in graph.input if i.name not in {t.name for t in graph.initializer}]
    batched = len(inputs[0].type.tensor_type.shape.dim) == 4
    row = {
        "nodes": len(ops), "control_flow": {op: ops.count(op) for op in CONTROL_FLOW},
        "nms": ops.count("NonMaxSuppression"), "batched_input": batched,
        "fixed_size": all(all(d.dim_value or d.dim_param == _batch_name(inputs[0]) for d in o.type.tensor_type.shape.dim)
                          for o in graph.output),
        "trt_errors": sum(f.severity == "error" for f in trtready.check(path, trt="10.1").findings),
    }  # fmt: skip
    session = _session(path)
    verified = {}
    for batch in BATCHES:
        images = scenes(batch, (size, size), seed=100 + batch)
        with torch.no_grad():
            expected = model(list(images))
        got = _run_batched(session, images) if batched else _run_per_image(session, images)
        verified[batch] = _match(got, expected, _k(model), size)
    row["verified"] = verified
    return row


def _k(model) -> int:
    """Detections per image: an image with that many was cut there."""
    return model.roi_heads.detections_per_img if hasattr(model, "roi_heads") else model.detections_per_img


def _batch_name(value) -> str:
    return value.type.tensor_type.shape.dim[0].dim_param


def _session(path: str):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def _run_batched(session, images) -> list[dict]:
    names = [o.name for o in session.get_outputs()]
    out = dict(zip(names, session.run(None, {session.get_inputs()[0].name: images.numpy()})))
    return [{k: out[k][i][: int(out["num_detections"][i])] for k in ("boxes", "scores", "labels")} for i in range(len(images))]


def _run_per_image(session, images) -> list[dict]:
    found = []
    for image in images:
        boxes, labels, scores = session.run(None, {session.get_inputs()[0].name: image.numpy()})[:3]  # torchvision's order
        found.append({"boxes": boxes, "scores": scores, "labels": labels})
    return found


def _match(got: list[dict], expected: list[dict], k: int | None, size: int) -> dict:
    """Per image, greedy: same label, the same box (IoU >= 0.98, or every coordinate within 1e-3 of
    the image size: random weights give zero-area boxes, whose IoU says nothing), score within 1e-3;
    a row one side lacks because the other side is full (``k`` rows) and its last score ties with
    it is a tie, not a miss."""
    rows = unmatched = ties = 0
    for mine, theirs in zip(got, expected):
        ref = {key: theirs[key].numpy() for key in ("boxes", "scores", "labels")}
        free = list(range(len(mine["scores"])))
        rows += len(ref["scores"])
        missing = []
        for j in range(len(ref["scores"])):
            hit = next((i for i in free if int(mine["labels"][i]) == int(ref["labels"][j])
                        and abs(float(mine["scores"][i]) - float(ref["scores"][j])) <= SCORE_MATCH
                        and _same_box(mine["boxes"][i], ref["boxes"][j], size)), None)  # fmt: skip
            if hit is None:
                missing.append(float(ref["scores"][j]))
            else:
                free.remove(hit)
        extra = [float(mine["scores"][i]) for i in free]
        for scores, other in ((missing, mine["scores"]), (extra, ref["scores"])):
            full = k is not None and len(other) == k
            tied = [s for s in scores if full and abs(s - float(min(other))) <= TIE]
            ties += len(tied)
            unmatched += len(scores) - len(tied)
    ok = rows > 0 and (unmatched + 1) // 2 <= FLIP_SHARE * rows  # a flipped decision drops a row and brings one
    return {"ok": ok, "detections": rows, "unmatched": unmatched, "ties": ties}


def _same_box(a, b, size: int) -> bool:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return _iou(a, b) >= IOU_MATCH or float(np.abs(a - b).max()) <= BOX_ATOL * size


def _iou(a, b) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
    return float(w * h / union) if union > 0 else float(np.allclose(a, b))


def ready(row: dict) -> bool:
    return bool(row.get("exported") and row.get("batched_input") and row.get("fixed_size")
                and not any(row.get("control_flow", {}).values()) and row.get("trt_errors") == 0
                and all(v["ok"] for v in row.get("verified", {}).values()) and len(row.get("verified", {})) == len(BATCHES))  # fmt: skip


def run(models, tools, size: int, timeout: float) -> list[dict]:
    rows = []
    for name in models:
        for tool in tools:
            row = {"model": name, "tool": tool}
            with tempfile.TemporaryDirectory(prefix="trtready-det-") as tmp:
                path = str(Path(tmp) / f"{tool}.onnx")
                try:
                    row.update(run_forked(export_tool, tool, name, size, path, timeout=timeout), exported=True)
                    row.update(run_forked(judge, name, size, path, timeout=timeout))
                except (RuntimeError, TimeoutError) as exc:
                    row.setdefault("exported", False)
                    row["error"] = one_line(exc)
            row["ready"] = ready(row)
            rows.append(row)
            print(_line(row), flush=True)
    return rows


def _line(row: dict) -> str:
    if not row.get("exported"):
        return f"{row['model']:36} {row['tool']:12} no file: {row.get('error', '')[:90]}"
    verified = ",".join(f"{b}:{'ok' if v['ok'] else 'FAIL'}" for b, v in row.get("verified", {}).items())
    flow = "/".join(str(row.get("control_flow", {}).get(op, "?")) for op in CONTROL_FLOW)
    return (f"{row['model']:36} {row['tool']:12} {'READY' if row['ready'] else 'not ready':10} "
            f"batch={'yes' if row.get('batched_input') else 'no ':3} fixed={'yes' if row.get('fixed_size') else 'no ':3} "
            f"If/Loop/NonZero={flow:8} TRT errors={row.get('trt_errors', '?')} verified {verified or '-'} "
            f"nodes={row.get('nodes', '?')} {row.get('seconds', 0):.0f}s" + (f" error: {row['error'][:60]}" if row.get("error") else ""))  # fmt: skip


def report(rows: list[dict]) -> None:
    print("\n| model | " + " | ".join(TOOLS) + " |\n|---|" + "---|" * len(TOOLS))
    for name in dict.fromkeys(r["model"] for r in rows):
        cells = []
        for tool in TOOLS:
            row = next((r for r in rows if r["model"] == name and r["tool"] == tool), None)
            cells.append("-" if row is None else "READY" if row["ready"] else ("no file" if not row.get("exported") else "not ready"))
        print(f"| {name} | " + " | ".join(cells) + " |")
    for tool in TOOLS:
        n = sum(r["ready"] for r in rows if r["tool"] == tool)
        print(f"{tool}: {n} of {len({r['model'] for r in rows})} READY")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="", help="comma-separated substrings of model names")
    parser.add_argument("--tools", default=",".join(TOOLS))
    parser.add_argument("--size", type=int, default=512, help="image side (default 512)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per tool and step")
    parser.add_argument("--out", default=None, help="write the rows as JSON")
    parser.add_argument("--report", default=None, help="print the table of a saved run")
    opts = parser.parse_args()
    if opts.report:
        report(json.loads(Path(opts.report).read_text()))
        return 0
    keys = [k for k in opts.only.split(",") if k]
    models = [m for m in MODELS if not keys or any(k in m for k in keys)]
    started = time.perf_counter()
    rows = run(models, [t for t in opts.tools.split(",") if t], opts.size, opts.timeout)
    if opts.out:
        Path(opts.out).write_text(json.dumps(rows, indent=1))
    report(rows)
    print(f"{time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
