"""TRT101 ops.unsupported: an ONNX op the chosen TensorRT release cannot import."""

from __future__ import annotations

from ...catalog import references as refs
from ..base import Rule, Severity, describe
from ..context import STANDARD_DOMAINS
from .custom_domain import SHIPPED_PLUGINS

#: What to do in PyTorch for the unsupported ops PyTorch exports most often.
HINTS = {
    "Unique": "rewrite torch.unique with sort + diff + mask (torch_unique_trt in NVIDIA's export guidance; "
              "trtready export does it: rewrite R001)",
    "Compress": "bool-mask indexing x[mask]: index with long indices instead (index_bool2long_trt in NVIDIA's "
                "export guidance; trtready export does it: rewrite R006)",
    "Col2Im": "F.fold: rewrite with reshape/permute or a plugin",
    "DFT": "torch.fft: compute with MatMul against a DFT matrix, or use a plugin",
    "STFT": "torch.stft: frame with unfold/reshape and multiply by a DFT matrix",
    "Det": "torch.linalg.det: compute outside the engine or with a plugin",
    "MaxUnpool": "nn.MaxUnpool: use interpolation, or ScatterElements with explicit indices",
    "BitwiseAnd": "integer bit ops: use arithmetic, e.g. a & b -> (a * b) on 0/1 ints",
    "BitwiseOr": "integer bit ops: use arithmetic, e.g. a | b -> (a + b).clamp(max=1) on 0/1 ints",
    "BitwiseNot": "integer bit ops: use arithmetic, e.g. ~a -> 1 - a on 0/1 ints",
    "BitwiseXor": "integer bit ops: use arithmetic, e.g. (a - b).abs() on 0/1 ints",
    "BitShift": "integer shifts: multiply or floor-divide by powers of two",
    "SequenceConstruct": "lists of tensors: return a tuple or torch.stack/torch.cat them",
    "SplitToSequence": "lists of tensors: use torch.split with a fixed number of chunks",
    "ConcatFromSequence": "lists of tensors: torch.cat a Python list built in a plain for loop",
    "Bernoulli": "random sampling: draw with torch.rand and compare (RandomUniformLike + Less)",
    "Multinomial": "sampling: use argmax/TopK over logits plus noise, or sample outside the engine",
    "AffineGrid": "F.affine_grid: build the grid with torch.linspace/meshgrid and a matmul",
    "CenterCropPad": "use slicing and F.pad",
    "DynamicQuantizeLinear": "use static Q/DQ (QuantizeLinear/DequantizeLinear with fixed scales)",
}


def _model(body: str, inputs: str = "float[N,8] x", outputs: str = "float[N,8] y", opset: int = 17) -> str:
    return f"""
<ir_version: 8, opset_import: ["" : {opset}]>
g ({inputs}) => ({outputs}) {{
{body}
}}
"""


class UnsupportedOp(Rule):
    """A default-domain op that the TensorRT release marks unsupported (or does not list)."""

    id = "TRT101"
    name = "ops.unsupported"
    severity = Severity.ERROR
    references = (refs.ONNX_TRT_OPERATORS, refs.guidance("Unsupported Operators", "unsupported-operators"),
                  refs.TRT_PLUGINS)
    why = (
        "TensorRT has no per-op fallback: one node without an importer (and without a plugin of the same "
        "name) makes parsing fail (onnx-tensorrt ModelImporter parseNode). Support per release comes from "
        "onnx-tensorrt docs/operators.md; ops missing from the table are reported as warnings."
    )
    fix = (
        "Rewrite the PyTorch code with ops TensorRT supports (the message names a rewrite for common ops), "
        "or implement a TensorRT plugin named like the op and declare it: `trtready check --plugin OP`; from "
        "PyTorch, `trtready export --plugin-module PATH=Plugin` exports a submodule as one plugin node."
    )
    VALID = [
        _model("  y = Relu(x)"),
        (_model("  y = Unique(x)", outputs="float[M] y"), {"plugins": ["Unique"]}),
    ]
    INVALID = [
        _model("  y = Unique(x)", outputs="float[M] y"),
        _model("  y = BitwiseAnd(x, x)", inputs="int32[N,8] x", outputs="int32[N,8] y", opset=18),
        (_model("  y = Hardmax(x)"), {"trt": "8.6"}),
    ]

    def check(self, ctx):
        known = ctx.plugins | SHIPPED_PLUGINS.keys()  # TRT102 notes the shipped plugins
        missing = {op for op in ctx.op_types() if op not in known and ctx.trt.supports(op) is not True}
        if not missing:
            return
        for path, node in ctx.nodes:  # in graph order
            if node.op_type not in missing or node.domain not in STANDARD_DOMAINS:
                continue
            supported = ctx.trt.supports(node.op_type)
            if supported is False:
                yield self.finding(self._message(ctx, node, "is not supported by"), node, path)
            elif supported is None:
                yield self.finding(
                    self._message(ctx, node, "is not listed in the op table of"), node, path, severity=Severity.WARNING
                )

    @staticmethod
    def _message(ctx, node, verdict: str) -> str:
        hint = HINTS.get(node.op_type)
        text = f"{describe(node)} {verdict} TensorRT {ctx.trt.version}"
        return f"{text}; {hint}" if hint else text
