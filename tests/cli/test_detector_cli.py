"""``trtready export torchvision:<detector>`` as a user runs it: trtready builds the model (random
weights, calibrated on the example images), exports fixed-size detections, verifies them."""

from __future__ import annotations

import json

import onnx

from .runners import run_in


def test_export_a_torchvision_detector_with_k_rows(tmp_path):
    done = run_in(tmp_path, "export", "torchvision:ssdlite320_mobilenet_v3_large", "-o", "det.onnx",
                  "--detections", "50", "--verify-batches", "2,1,3", "--json", "r.json")  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads((tmp_path / "r.json").read_text())
    rows = [r for r in result["verification"] if r["output"].startswith("num_detections")]
    assert sorted(r["batch"] for r in rows) == [1, 2, 3] and all(r["status"] == "pass" for r in rows), rows
    assert any("K = 50 rows per image" in note for note in result["notes"])
    outputs = {o.name: [d.dim_param or d.dim_value for d in o.type.tensor_type.shape.dim]
               for o in onnx.load(str(tmp_path / "det.onnx")).graph.output}  # fmt: skip
    assert outputs["boxes"][1:] == [50, 4] and outputs["scores"][1:] == [50]
    assert isinstance(outputs["num_detections"][0], str)
    assert "trtexec --onnx=det.onnx" in done.stdout
