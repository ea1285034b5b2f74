"""One test per bug class the fuzzer found (each docstring says what the file once gave: an internal
error, a hang, a file ``check`` accepted but ``fix`` could not read), and for the reading checks added
with them. Every CLI call runs through the fuzz judge (fuzz_harness.judge_mutant)."""

from __future__ import annotations

import json
import os

import numpy as np
import onnx
import pytest
from fuzz_harness import judge_mutant, run_call
from mutator import MODEL, Mutant
from onnx import TensorProto, helper, numpy_helper

from trtready.cli.main import _system_error


def _model(nodes, initializers=(), *, x=("N", 4), y=("N", 4), opset=17) -> onnx.ModelProto:
    graph = helper.make_graph(
        nodes, "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, list(y))],
        list(initializers),
    )  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=8)


def _external(tensor: TensorProto, location: str, data: bytes, length: int | None = None) -> dict[str, bytes]:
    """Move ``tensor`` to external data ``location`` holding ``data``; returns the extra files."""
    for field in ("raw_data", "float_data", "int64_data"):
        tensor.ClearField(field)
    tensor.data_location = TensorProto.EXTERNAL
    entries = {"location": location, "offset": "0", **({"length": str(length)} if length is not None else {})}
    for key, value in entries.items():
        entry = tensor.external_data.add()
        entry.key, entry.value = key, value
    return {} if os.path.isabs(location) else {location: data}


def _judge(tmp_path, model: onnx.ModelProto | bytes, capsys, extras=None, **kwargs):
    data = model if isinstance(model, bytes) else model.SerializeToString()
    mutant = Mutant(0, "regression", "regression", "", {MODEL: data, **(extras or {})})
    calls = judge_mutant(mutant, tmp_path / "m", capsys=capsys, **kwargs)
    problems = [p for call in calls for p in call.problems]
    assert not problems, problems
    return calls


def _matmul(weight: TensorProto | None = None) -> onnx.ModelProto:
    w = weight or numpy_helper.from_array(np.ones((4, 4), np.float32), "w")
    return _model([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], [w])


@pytest.mark.parametrize("dtype", [1000, -1, 0])
def test_a_constant_of_an_unknown_type_is_refused_on_reading(tmp_path, capsys, dtype):
    """Was: check and fix 'internal error: ValueError: -1 is not a valid DataType' (rules reading the
    Constant's dtype lazily) and 'SerdeError' (fix writing the model for ONNX Runtime)."""
    value = numpy_helper.from_array(np.ones(4, np.float32))
    value.data_type = dtype
    model = _model([helper.make_node("Constant", [], ["k"], value=value), helper.make_node("Add", ["x", "k"], ["y"])])
    calls = _judge(tmp_path, model, capsys)
    assert [c.code for c in calls] == [2, 2, 2]
    assert f"data type {dtype}, which is not an ONNX type" in calls[0].stderr


@pytest.mark.parametrize("dims", [[2**32, 2**31], [2**62, 4], [4, 2**61]])
@pytest.mark.parametrize("length", [32, None])
def test_dims_claiming_2_63_elements_over_32_bytes_of_external_data_are_refused_by_check_too(tmp_path, capsys, dims, length):
    """Was: check accepted the file (exit 0); fix then failed with 'error: OSError' or blamed its own output
    ('fixed.onnx.data is truncated')."""
    weight = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=dims)
    extras = _external(weight, "w.bin", bytes(32), length)
    calls = _judge(tmp_path, _matmul(weight), capsys, extras)
    assert [c.code for c in calls] == [2, 2, 2]
    assert "truncated" in calls[0].stderr or "need" in calls[0].stderr
    assert not list((tmp_path / "m" / "out").iterdir())


def test_raw_data_of_the_wrong_length_is_refused(tmp_path, capsys):
    """Was: accepted by check and fix (exit 0) when too long; onnx.checker refuses only raw data that is too short."""
    weight = numpy_helper.from_array(np.ones((4, 4), np.float32), "w")
    weight.raw_data = weight.raw_data + bytes(7)  # the checker only refuses raw data that is too short
    calls = _judge(tmp_path, _matmul(weight), capsys)
    assert [c.code for c in calls] == [2, 2, 2]
    assert "has 71 bytes of raw data; its dims [4, 4] and type FLOAT need 64" in calls[0].stderr


@pytest.mark.parametrize("location", ["/etc/passwd", "../w.bin"])
def test_fix_refuses_external_data_outside_the_folder_and_check_reports_it(tmp_path, capsys, location):
    """Was: fix 'internal error: ValueError: ... path traversal attack' (onnx_ir refuses to read it)."""
    weight = TensorProto(name="w", data_type=TensorProto.UINT8, dims=[32])
    extras = _external(weight, location, bytes(32))
    model = _model([helper.make_node("Cast", ["w"], ["wf"], to=1), helper.make_node("Add", ["x", "wf"], ["y"])], [weight], x=("N", 32), y=("N", 32))
    calls = _judge(tmp_path, model, capsys, extras)
    assert [c.code for c in calls] == [1, 1, 2]
    assert "TRT003" in {f["rule_id"] for f in json.loads(calls[1].stdout)["findings"]}
    assert "fix reads weights only from the model's folder" in calls[2].stderr


def test_names_that_are_not_utf8_are_refused_on_reading(tmp_path, capsys):
    """Was: fix 'internal error: SerdeError' (protobuf hands the name over as bytes; onnx_ir cannot write it)."""
    data = _matmul().SerializeToString().replace(b"\x1a\x02mm", b"\x1a\x02m\xd8")  # NodeProto.name = 'm\xd8'
    calls = _judge(tmp_path, data, capsys)
    assert [c.code for c in calls] == [2, 2, 2]
    assert "not UTF-8 (in NodeProto.name)" in calls[0].stderr


def test_a_loop_that_never_ends_stops_fix_in_time(tmp_path, capsys):
    """Was: fix hung (ONNX Runtime proving the fixes ran a Loop of 2**62 iterations)."""
    body = helper.make_graph(
        [helper.make_node("Add", ["acc_in", "x"], ["acc_out"]), helper.make_node("Identity", ["cond_in"], ["cond_out"])],
        "body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []), helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
         helper.make_tensor_value_info("acc_in", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []), helper.make_tensor_value_info("acc_out", TensorProto.FLOAT, ["N", 4])],
    )  # fmt: skip
    trips = numpy_helper.from_array(np.array(2**62, np.int64), "trips")
    go = numpy_helper.from_array(np.array(True), "go")
    model = _model([helper.make_node("Loop", ["trips", "go", "x"], ["y"], body=body)], [trips, go])
    calls = _judge(tmp_path, model, capsys, timeout=60, run_seconds=2)
    fix = calls[2]
    assert fix.code == 0 and fix.seconds < 30
    assert "stopped after 2 s" in fix.stdout


def test_hard_linked_external_data_is_refused_on_reading(tmp_path, capsys):
    """onnx_ir refuses to read such a file; trtready says so itself, also where onnx.checker (which
    refuses it too) is skipped because of a TRT003 location."""
    folder = tmp_path / "in"
    folder.mkdir()
    weight = numpy_helper.from_array(np.ones((4, 4), np.float32), "w")
    data = weight.raw_data
    _external(weight, "w.bin", data)
    (folder / "w.bin").write_bytes(data)
    os.link(folder / "w.bin", tmp_path / "another-name.bin")
    (folder / MODEL).write_bytes(_matmul(weight).SerializeToString())
    for argv in (["check", str(folder / MODEL)], ["fix", str(folder / MODEL), "-o", str(tmp_path / "f.onnx")]):
        call = run_call(argv, capsys=capsys)
        assert call.code == 2 and "has 2 hard links" in call.stderr and len(call.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "f.onnx").exists()


def test_external_data_of_a_subgraph_initializer_is_checked(tmp_path, capsys):
    """trtready checked the external data of the main graph's initializers and of Constant values only,
    leaving subgraph initializers to onnx.checker (skipped when a TRT003 location is present)."""
    inner = numpy_helper.from_array(np.ones(4, np.float32), "inner")
    _external(inner, "inner.bin", b"")
    branch = lambda name: helper.make_graph(  # noqa: E731
        [helper.make_node("Add", ["x", "inner"], [name])], name, [], [helper.make_tensor_value_info(name, TensorProto.FLOAT, ["N", 4])],
        [inner] if name == "t" else [numpy_helper.from_array(np.zeros(4, np.float32), "inner")],
    )  # fmt: skip
    go = numpy_helper.from_array(np.array(True), "go")
    model = _model([helper.make_node("If", ["go"], ["y"], then_branch=branch("t"), else_branch=branch("e"))], [go])
    calls = _judge(tmp_path, model, capsys)  # inner.bin is not written
    assert [c.code for c in calls] == [2, 2, 2]
    assert "external data file 'inner.bin'" in calls[0].stderr and "is missing" in calls[0].stderr


def test_an_os_error_without_errno_keeps_its_message():
    """Was: 'error: OSError' (onnx_ir raises OSError(message) for short external data: no strerror)."""
    assert _system_error(OSError("External data file 'w.bin' is shorter than expected")) == (
        "OSError: External data file 'w.bin' is shorter than expected"
    )
    assert _system_error(FileNotFoundError(2, "No such file or directory", "w.bin")) == "No such file or directory: w.bin"


def _loop_model(body_outputs: int) -> onnx.ModelProto:
    outputs = [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []), helper.make_tensor_value_info("acc_out", TensorProto.FLOAT, ["N", 4])]
    body = helper.make_graph(
        [helper.make_node("Add", ["acc_in", "x"], ["acc_out"]), helper.make_node("Identity", ["cond_in"], ["cond_out"])],
        "body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []), helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
         helper.make_tensor_value_info("acc_in", TensorProto.FLOAT, ["N", 4])],
        outputs[:body_outputs],
    )  # fmt: skip
    trips = numpy_helper.from_array(np.array(3, np.int64), "trips")
    go = numpy_helper.from_array(np.array(True), "go")
    return _model([helper.make_node("Loop", ["trips", "go", "x"], ["y"], name="loop", body=body)], [trips, go])


def test_a_loop_body_that_does_not_match_its_node_is_refused_on_reading(tmp_path, capsys):
    """Was: check and fix 'internal error: IndexError' (rule control.loop-trip-count read the body's
    condition output, which onnx.checker does not require)."""
    calls = _judge(tmp_path, _loop_model(0), capsys)
    assert [c.code for c in calls] == [2, 2, 2]
    assert "but its body reads 3 inputs and returns 0 (expected 3 and 2)" in calls[0].stderr


def test_the_rules_take_an_in_memory_loop_body_without_outputs():
    import onnx_ir as ir

    from trtready.checking import check

    model = ir.from_proto(_loop_model(0))
    assert not [f for f in check(model).findings if f.rule_id.startswith("TRT5")]


def test_an_if_whose_branch_returns_another_count_is_refused_on_reading(tmp_path, capsys):
    """Was: accepted by check (exit 0) although ONNX Runtime and TensorRT refuse it, as for the Loop above."""
    branch = lambda outputs: helper.make_graph(  # noqa: E731
        [helper.make_node("Identity", ["x"], [f"o{i}"]) for i in range(outputs)], "b", [],
        [helper.make_tensor_value_info(f"o{i}", TensorProto.FLOAT, ["N", 4]) for i in range(outputs)],
    )  # fmt: skip
    go = numpy_helper.from_array(np.array(True), "go")
    model = _model([helper.make_node("If", ["go"], ["y"], name="if", then_branch=branch(1), else_branch=branch(2))], [go])
    calls = _judge(tmp_path, model, capsys)
    assert [c.code for c in calls] == [2, 2, 2]
    assert "If 'if'" in calls[0].stderr and "has 1 outputs but its else_branch returns 2" in calls[0].stderr


def test_a_string_tensor_in_external_data_is_refused_on_reading(tmp_path, capsys):
    """Was: check and fix 'internal error: TypeError: Bitwidth not available for ONNX data type: STRING'
    (onnx_ir cannot size an external STRING tensor)."""
    weight = numpy_helper.from_array(np.ones((4, 4), np.float32), "w")
    extras = _external(weight, "w.bin", weight.raw_data)
    weight.data_type = TensorProto.STRING
    calls = _judge(tmp_path, _matmul(weight), capsys, extras)
    assert [c.code for c in calls] == [2, 2, 2]
    assert "STRING tensor stored as external data" in calls[0].stderr


def test_a_string_initializer_is_sized_without_error(tmp_path, capsys):
    """Inline STRING initializers are fine (check and fix); tensor_nbytes sizes any tensor."""
    import onnx_ir as ir

    from trtready.ir import tensor_nbytes

    labels = helper.make_tensor("labels", TensorProto.STRING, [2], [b"cat", b"dog"])
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"]), helper.make_node("Identity", ["labels"], ["names"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4]), helper.make_tensor_value_info("names", TensorProto.STRING, [2])],
        [labels],
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    assert [c.code for c in _judge(tmp_path, model, capsys)] == [0, 0, 0]
    external = ir.ExternalTensor("l.bin", 0, None, ir.DataType.STRING, shape=ir.Shape([3]), name="l")
    assert tensor_nbytes(external) == 3 and tensor_nbytes(None) == 0


def test_an_input_without_element_type_is_no_internal_error(tmp_path, capsys):
    """Was: fix 'internal error: TypeError: Numpy does not support ONNX data type: UNDEFINED' (random inputs)."""
    model = _model([helper.make_node("Relu", ["x"], ["y"])])
    model.graph.input[0].type.tensor_type.elem_type = 0
    calls = _judge(tmp_path, model, capsys)
    assert calls[2].code == 2 and "input 'x' has element type UNDEFINED" in calls[2].stderr


def test_groupnorm_allocates_nothing_for_an_absurd_channel_dim():
    """The identity scale/bias of a collapsed GroupNorm were allocated from the declared channel dim
    (np.ones(2**40)): sizes from the file are capped before allocation."""
    import onnx_ir as ir

    from trtready.passes.groupnorm import CollapseGroupNormPass

    c = 2**40
    text = f"""<ir_version: 10, opset_import: ["" : 21]>
g (float[N,{c},3,3] x, float[{c},1,1] gamma, float[{c},1,1] beta) => (float[N,{c},3,3] y)
  <int64[3] grouped = {{0, 2, -1}}, float[2] ones = {{1.0, 1.0}}, float[2] zeros = {{0.0, 0.0}}> {{
  xg = Reshape(x, grouped)
  normed = InstanceNormalization <epsilon = 0.001> (xg, ones, zeros)
  shape = Shape(x)
  back = Reshape(normed, shape)
  scaled = Mul(back, gamma)
  y = Add(scaled, beta)
}}"""
    model = ir.from_proto(onnx.parser.parse_model(text))
    assert not CollapseGroupNormPass()(model).modified
