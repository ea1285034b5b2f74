"""A file that declares no dtypes (TorchScript exports) is checked without running ONNX type inference:
the dtypes come from the ONNX op schemas (``trtready.dtype_propagation``), and ONNX shape inference
runs only when a rule asks for a shape the file does not declare.

Both must change nothing: the schemas give the dtype ONNX inference gives, for every op ONNX has
(its own node test models) and on real exports, and ``check`` finds what the check that always ran
ONNX inference first finds.
"""

from __future__ import annotations

import warnings

import onnx
import onnx_ir as ir
import pytest
from batch_models import PointGrid, RelPosAttention, YoloV8Head
from onnx import helper

from trtready import check
from trtready.dtype_propagation import propagate_dtypes
from trtready.ir import infer_types_and_shapes, iter_nodes
from trtready.onnx_file import read_onnx
from trtready.result import Severity
from trtready.rules import Context, select_rules
from trtready.trt_ops import load_release

torch = pytest.importorskip("torch")
nn = torch.nn


# -- dtypes: the schemas against ONNX inference ----------------------------------------------
def onnx_dtypes(proto: onnx.ModelProto) -> dict[str, int | None]:
    """The elem type ONNX inference gives each value (subgraphs included), as ``check`` ran it."""
    inferred = onnx.shape_inference.infer_shapes(proto, check_type=False, strict_mode=False, data_prop=True)
    found: dict[str, int | None] = {}
    graphs = [inferred.graph]
    while graphs:
        graph = graphs.pop()
        for info in [*graph.value_info, *graph.output]:
            kind = info.type
            found[info.name] = kind.tensor_type.elem_type or None if kind.HasField("tensor_type") else None
        for node in graph.node:
            for attr in node.attribute:
                graphs += [attr.g] if attr.type == onnx.AttributeProto.GRAPH else list(attr.graphs)
    return found


def propagated(proto: onnx.ModelProto) -> tuple[bool, dict[str, int | None]]:
    """``(every dtype decided, the dtype given to each named node output that declared none)``."""
    model = ir.serde.deserialize_model(proto)
    untyped = [v for _, node in iter_nodes(model.graph) for v in node.outputs if v.name and v.dtype is None]
    decided = propagate_dtypes(model)
    return decided, {v.name: int(v.dtype) if v.dtype is not None else None for v in untyped}


def wrong_dtypes(proto: onnx.ModelProto) -> tuple[bool, list[tuple[str, int | None, int | None]]]:
    """``(decided, [(value, given, ONNX inference's)])``: a dtype given must be ONNX inference's; when
    every one is decided, a value given none must get none from ONNX inference either."""
    decided, given = propagated(proto)
    expected = onnx_dtypes(proto)
    wrong = [(name, dtype, expected.get(name)) for name, dtype in given.items()
             if (dtype is not None or decided) and dtype != expected.get(name)]  # fmt: skip
    return decided, wrong


def _outputs_inside(model: onnx.ModelProto) -> onnx.ModelProto:
    """The model with each graph output passed through an Identity: the op's own outputs become
    values no one declares a type for, as inside a TorchScript export."""
    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    for output in copy.graph.output:
        copy.graph.node.append(helper.make_node("Identity", [output.name], [output.name + "_out"]))
        output.name += "_out"
    return copy


@pytest.fixture(scope="module")
def onnx_op_models():
    """Every node test model of the installed onnx package: every op, most of their attributes and
    types (and the function bodies of the ``_expanded`` ones: many ops, no value declared)."""
    from onnx.backend.test.case.node import collect_testcases

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cases = collect_testcases()
    standard = [case for case in cases if any(o.domain in ("", "ai.onnx") for o in case.model.opset_import)]
    return {case.name: _outputs_inside(case.model) for case in standard}  # the others cannot take an Identity


def test_every_onnx_op_gets_the_dtype_onnx_inference_gives(onnx_op_models):
    wrong, decided = {}, 0
    for name, proto in onnx_op_models.items():
        complete, found = wrong_dtypes(proto)
        decided += complete
        if found:
            wrong[name] = found
    assert not wrong, list(wrong.items())[:5]
    assert len(onnx_op_models) > 1000
    assert decided > 0.9 * len(onnx_op_models)  # ONNX inference is left only the exceptions (Loop, sequences...)


def test_what_the_schemas_cannot_tell_is_left_to_onnx_inference():
    """A Loop's outputs (its body types them), an op after an op ONNX knows nothing about."""
    loop = helper.make_graph(
        [helper.make_node("Identity", ["cond"], ["cond_out"]), helper.make_node("Add", ["acc", "acc"], ["next"])],
        "body",
        [helper.make_tensor_value_info("i", onnx.TensorProto.INT64, []), helper.make_tensor_value_info("cond", onnx.TensorProto.BOOL, []),
         helper.make_tensor_value_info("acc", onnx.TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("cond_out", onnx.TensorProto.BOOL, []), helper.make_tensor_value_info("next", onnx.TensorProto.FLOAT, [2])],
    )  # fmt: skip
    graph = helper.make_graph(
        [helper.make_node("Loop", ["n", "", "x"], ["total"], body=loop), helper.make_node("vendor.Mask", ["total"], ["mask"]),
         helper.make_node("Relu", ["mask"], ["y"])],
        "g", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [2]), helper.make_tensor_value_info("n", onnx.TensorProto.INT64, [])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [2])],
    )  # fmt: skip
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18), helper.make_opsetid("vendor", 1)])
    decided, given = propagated(proto)
    assert not decided and given == {"total": None, "mask": None}  # left alone: ONNX inference fills them
    assert wrong_dtypes(proto) == (False, [])


# -- real TorchScript exports --------------------------------------------------------------------
class ScriptedKeep(nn.Module):
    """A scripted branch that builds a bool mask and lists it (If branches declare no dtype)."""

    def forward(self, x):
        if bool(x.mean() > 0.0):
            keep = x > 0.5
            return keep.nonzero()
        return torch.zeros(0, 2, dtype=torch.long)


class EncoderBlock(nn.Module):
    """Pre-norm attention with a causal mask and a GELU MLP (LayerNormalization, Where, Softmax, Erf...)."""

    def __init__(self, dim=16):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv, self.mlp = nn.Linear(dim, 3 * dim), nn.Sequential(nn.Linear(dim, 32), nn.GELU(), nn.Linear(32, dim))

    def forward(self, x):
        q, k, v = self.qkv(self.norm1(x)).chunk(3, -1)
        n = x.shape[1]
        causal = torch.ones(n, n, dtype=torch.bool).triu(1)
        scores = (q @ k.transpose(1, 2)).masked_fill(causal, float("-inf")).softmax(-1)
        x = x + scores @ v
        return x + self.mlp(self.norm2(x))


class Recurrent(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm, self.gru = nn.LSTM(8, 16, batch_first=True), nn.GRU(16, 8, batch_first=True)

    def forward(self, x):
        return self.gru(self.lstm(x)[0])[0]


class NormsAndResize(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv, self.norm = nn.Conv2d(3, 8, 3, padding=1), nn.GroupNorm(2, 8)

    def forward(self, x):
        y = nn.functional.interpolate(self.norm(self.conv(x)), scale_factor=2.0, mode="bilinear")
        return y.flatten(2).topk(3, dim=-1).indices.to(torch.int32), y.clamp(0, 1).argmax(1)


#: name: (module, example, input name, dynamic axes, script it)
EXPORTS = {
    "yolov8-head": (lambda: YoloV8Head(), (2, 3, 64, 64), "images", {0: "batch"}, False),
    "yolov8-head-pinned": (lambda: YoloV8Head(pin_batch=True), (2, 3, 64, 64), "images", {0: "batch"}, False),
    "relpos-attention": (RelPosAttention, (2, 10, 16), "x", {0: "batch", 1: "seq"}, False),
    "point-grid": (PointGrid, (2, 10, 3), "points", {0: "batch", 1: "n"}, False),
    "encoder-block": (EncoderBlock, (2, 5, 16), "x", {0: "batch", 1: "seq"}, False),
    "recurrent": (Recurrent, (2, 5, 8), "x", {0: "batch"}, False),
    "norms-and-resize": (NormsAndResize, (2, 3, 8, 8), "x", {0: "batch"}, False),
    "scripted-branch": (ScriptedKeep, (4, 2), "x", {0: "batch"}, True),
}


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    folder = tmp_path_factory.mktemp("exports")
    paths = {}
    for name, (build, shape, input_name, axes, script) in EXPORTS.items():
        module = build().eval()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(torch.jit.script(module) if script else module, (torch.rand(*shape),), folder / f"{name}.onnx",
                              dynamo=False, opset_version=18, input_names=[input_name], dynamic_axes={input_name: axes})  # fmt: skip
        paths[name] = folder / f"{name}.onnx"
    return paths


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_a_torchscript_export_needs_no_onnx_type_inference(exports, name):
    proto = onnx.load(exports[name])
    assert not proto.graph.value_info  # nothing declared inside the graph
    decided, given = propagated(proto)
    assert decided and len(given) > 5 and None not in given.values()
    assert wrong_dtypes(proto) == (True, [])


def findings_with_onnx_inference(path, trt: str) -> list[tuple]:
    """What ``check`` found when it ran ONNX type and shape inference on every file first."""
    onnx_file = read_onnx(path)
    shapes = infer_types_and_shapes(onnx_file.model, proto=onnx_file.proto)
    ctx = Context(onnx_file.model, load_release(trt), inferred_shapes=shapes, file_size=onnx_file.file_size)
    findings = [finding for rule in select_rules() for finding in rule().check(ctx)]
    findings.sort(key=lambda f: (Severity.rank(f.severity), f.rule_id))
    return [_row(f) for f in findings]


def _row(finding) -> tuple:
    return finding.rule_id, finding.severity, finding.node, finding.graph_path, finding.message


@pytest.mark.parametrize("trt", ["8.6", "11.1"])
@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_check_finds_what_the_check_with_onnx_inference_found(exports, name, trt):
    assert [_row(f) for f in check(exports[name], trt=trt).findings] == findings_with_onnx_inference(exports[name], trt)


def test_onnx_shape_inference_runs_only_when_a_rule_needs_a_shape(exports, monkeypatch):
    runs = []
    real = onnx.shape_inference.infer_shapes
    monkeypatch.setattr(onnx.shape_inference, "infer_shapes", lambda *args, **kwargs: runs.append(1) or real(*args, **kwargs))
    found = check(exports["scripted-branch"], trt="11.1").findings  # dtype rules only: no shape asked for
    assert runs == [] and {"TRT403"} <= {f.rule_id for f in found}
    pinned = check(exports["yolov8-head-pinned"], trt="11.1").findings  # TRT207 follows the batch: shapes
    assert runs == [1] and [f.rule_id for f in pinned].count("TRT207") == 3
