"""TRT002 model.over-2gb: a model of 2 GiB or more stored without external data."""

from __future__ import annotations

import onnx_ir as ir

from ...catalog import references as refs
from ...ir import TWO_GB, tensor_nbytes
from ..base import Rule, Severity

_MODEL = """
<ir_version: 8, opset_import: ["" : 17]>
g (float[N,4] x) => (float[N,4] y) <float[4] bias = {1.0, 2.0, 3.0, 4.0}> {
  y = Add(x, bias)
}
"""


class Over2GB(Rule):
    """The .onnx file (or its in-memory weights) reaches 2 GiB and no weight is stored as external data."""

    id = "TRT002"
    name = "model.over-2gb"
    severity = Severity.ERROR
    references = (refs.ONNX_TRT_PROTO_UTILS, refs.ONNX_EXTERNAL_DATA)
    why = (
        "TensorRT's parser deserialises the .onnx protobuf with a total-bytes limit of INT_MAX "
        "(about 2 GiB; onnx-tensorrt onnxProtoUtils.hpp). Larger weights must be stored as ONNX "
        "external data next to the .onnx file."
    )
    fix = (
        "Save the weights as external data: torch.onnx.export(..., external_data=True) with the dynamo "
        "exporter, onnx.save_model(model, path, save_as_external_data=True), or trtready's writer, which "
        "switches to external data automatically past 2 GiB."
    )
    VALID = [(_MODEL, {"file_size": 4096})]
    INVALID = [(_MODEL, {"file_size": 3 * 2**30})]

    def check(self, ctx):
        tensors = [v.const_value for v in ctx.graph.initializers.values() if v.const_value is not None]
        if any(isinstance(t, ir.ExternalTensor) for t in tensors):
            return
        size = ctx.file_size if ctx.file_size is not None else sum(map(tensor_nbytes, tensors))
        if size >= TWO_GB:
            where = "the file is" if ctx.file_size is not None else "the weights are"
            yield self.finding(f"{where} {size / 2**30:.2f} GiB with no external data; TensorRT cannot read it")
