"""TRT003 model.external-data-path: external weights at a path TensorRT refuses to open."""

from __future__ import annotations

from ...catalog import references as refs
from ...graph.external_data import external_locations, location_problem
from ..base import Rule, Severity

_MODEL = """
<ir_version: 8, opset_import: ["" : 17]>
g (float[N,4] x) => (float[N,4] y) <float[4] bias = {1.0, 2.0, 3.0, 4.0}> {
  y = Add(x, bias)
}
"""


class ExternalDataPath(Rule):
    """An external-data location is absolute or climbs out of the model's directory."""

    id = "TRT003"
    name = "model.external-data-path"
    severity = Severity.ERROR
    references = (refs.ONNX_TRT_WEIGHTS, refs.ONNX_EXTERNAL_DATA)
    why = (
        "TensorRT resolves each external tensor's `location` relative to the directory of the .onnx "
        "file and rejects locations containing '../' (onnx-tensorrt WeightsContext::parseExternalWeights); "
        "an absolute location also ties the model to one machine."
    )
    fix = (
        "Keep the weights file next to the .onnx file and store a bare relative name, e.g. "
        "onnx.save_model(model, 'out/model.onnx', save_as_external_data=True, location='model.onnx.data')."
    )
    VALID = [(_MODEL, {"external_data_paths": ["model.onnx.data", "weights/layer1.bin"]})]
    INVALID = [
        (_MODEL, {"external_data_paths": ["/data/weights/model.onnx.data"]}),
        (_MODEL, {"external_data_paths": ["../model.onnx.data"]}),
    ]

    def check(self, ctx):
        for location in sorted(set(ctx.external_data_paths) | external_locations(ctx.graph)):
            problem = location_problem(location)
            if problem:
                yield self.finding(f"external data location '{location}' is {problem}")
