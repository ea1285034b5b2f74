"""DoubleToFloatPass: run FP64 parts of the model in FP32.

TensorRT has no FP64 (TRT401). ``.double()`` in PyTorch, numpy float64
constants and ``dtype=torch.float64`` leave DOUBLE tensors in the export. The
pass, in the main graph and every subgraph:

* converts DOUBLE initializers and DOUBLE tensor attributes (Constant
  ``value``, ConstantOfShape ``value``...) to FLOAT;
* turns ``Cast(to=DOUBLE)`` into ``Cast(to=FLOAT)`` and ``dtype=DOUBLE``
  attributes (RandomNormal, EyeLike...) into FLOAT;
* retypes every DOUBLE value, graph inputs and outputs included. A DOUBLE graph
  input becomes a FLOAT input (no Cast is inserted): callers must then feed
  float32, which is what TensorRT bindings take anyway.

Limits: not bit-exact. Results match to FP32 precision (about 1e-7 relative per
op); values beyond +-3.4e38 become +-inf, and code that relied on FP64 range or
precision (large sums, ill-conditioned math) can differ more. Changed nodes are
stamped.
"""

from __future__ import annotations

import copy

import numpy as np
import onnx_ir as ir
import onnx_ir.passes

from ..graph.traversal import all_graphs
from .base import FixPass, stamp

__all__ = ["UNFIXABLE_EXAMPLES", "DoubleToFloatPass"]

_HEADER = '<ir_version: 8, opset_import: ["" : 17]>'
_DOUBLE, _FLOAT = ir.DataType.DOUBLE, ir.DataType.FLOAT
UNFIXABLE_EXAMPLES: list[tuple[str, int, str]] = []


class DoubleToFloatPass(FixPass):
    """Convert DOUBLE initializers, constants, casts and values to FLOAT."""

    name = "fix.double-to-float"
    fixes = ("TRT401",)
    description = "Turn FP64 (DOUBLE) initializers, constants, Casts and values into FP32."
    EXAMPLES = [
        f"""{_HEADER}
g (float[N,3] x) => (float[N,3] y) <double[3] w = {{0.5, 1.5, 2.5}}> {{
  x64 = Cast <to = 11> (x)
  k = Constant <value = double {{1.5}}> ()
  s = Mul(x64, k)
  t = Add(s, w)
  e = Exp(t)
  y = Cast <to = 1> (e)
}}""",
    ]

    def call(self, model: ir.Model) -> onnx_ir.passes.PassResult:
        modified = False
        for graph in all_graphs(model.graph):
            for name, value in list(graph.initializers.items()):
                if value.const_value is not None and value.const_value.dtype == _DOUBLE:
                    array = value.const_value.numpy().astype(np.float32)
                    value.const_value = ir.tensor(array, name=name)
                    value.type = ir.TensorType(_FLOAT)  # a new type object: a copy of the model may share the old
                    modified = True
            for value in graph.inputs:
                modified |= _retype(value)
            for node in graph:
                changed = any([_convert_attributes(node)] + [_retype(v) for v in node.outputs])
                if changed:
                    stamp(node, self.name)
                    modified = True
        return onnx_ir.passes.PassResult(model, modified)


def _retype(value: ir.Value) -> bool:
    if value.dtype == _DOUBLE:
        retyped = copy.deepcopy(value.type)  # a new type object: a copy of the model may share this one
        retyped.dtype = _FLOAT
        value.type = retyped
        return True
    return False


def _convert_attributes(node: ir.Node) -> bool:
    changed = False
    for name, attr in list(node.attributes.items()):
        if attr.type == ir.AttributeType.TENSOR and attr.value.dtype == _DOUBLE:
            array = attr.value.numpy().astype(np.float32)
            node.attributes[name] = ir.AttrTensor(name, ir.tensor(array, name=attr.value.name))
            changed = True
        elif attr.type == ir.AttributeType.INT and name in ("to", "dtype") and attr.value == _DOUBLE:
            node.attributes[name] = ir.AttrInt64(name, int(_FLOAT))
            changed = True
    return changed
