"""What makes ``check`` fast must not change what it finds.

- shape inference is skipped when a file already declares every dtype and shape (dynamo exports);
- a file's parsed protobuf is handed to inference instead of serialising the model again, and
  left as it was read (the model's tensors wrap it);
- the garbage collector is paused while a graph is read and checked, then put back as it was;
- the lint commands defer importing sympy, which onnx_ir imports and checking never uses.
Measured: ``benchmarks/check_speed.py``.
"""

from __future__ import annotations

import gc
import subprocess
import sys
import warnings

import numpy as np
import onnx
import onnx_ir as ir
import pytest
from onnx import TensorProto, helper

from trtready.checking import check
from trtready.errors import ModelFileError
from trtready.ir import infer_types_and_shapes
from trtready.onnx_file import read_onnx
from trtready.rules import check_model

torch = pytest.importorskip("torch")


class DtypeTrouble(torch.nn.Module):
    """FP64 math (TRT401) and an INT64 MatMul (TRT402)."""

    def forward(self, x):
        wide = x.double().exp().float()
        counts = x.long() @ torch.ones(4, 4, dtype=torch.long)
        return wide + counts.float()


@pytest.fixture(scope="module")
def dynamo_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("fast") / "dtype_trouble.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(
            DtypeTrouble().eval(), (torch.randn(2, 4),), dynamo=True, opset_version=18,
            dynamic_shapes=({0: torch.export.Dim("batch")},), verbose=False,
        )  # fmt: skip
    program.save(str(path))
    return path


def _findings(result_or_list):
    findings = getattr(result_or_list, "findings", result_or_list)
    return sorted((f.rule_id, f.node or "", f.message) for f in findings)


def test_a_fully_declared_file_skips_inference_and_finds_the_same(dynamo_file, tmp_path):
    declared = read_onnx(dynamo_file)
    assert declared.proto.graph.value_info  # the dynamo exporter declares every intermediate value
    assert set(infer_types_and_shapes(declared.model)) == {"x"}  # nothing to infer: inputs only
    bare = onnx.load(dynamo_file)
    del bare.graph.value_info[:]  # as the TorchScript exporter writes files
    onnx.save(bare, tmp_path / "bare.onnx")
    assert len(infer_types_and_shapes(read_onnx(tmp_path / "bare.onnx").model)) > 1  # inference ran
    found = _findings(check(dynamo_file, trt="10.1"))
    assert {"TRT401", "TRT402"} <= {rule for rule, _, _ in found}
    assert _findings(check(tmp_path / "bare.onnx", trt="10.1")) == found


def _untyped_file(path):
    """No value_info (inference has to run), a weight past the size inference is spared, and a
    NonZero on a comparison (BOOL, known only by inference) feeding a Reshape."""
    weight = helper.make_tensor("w", TensorProto.FLOAT, [64, 64], np.random.default_rng(0).random(4096).astype(np.float32))
    nodes = [
        helper.make_node("MatMul", ["x", "w"], ["h"]),
        helper.make_node("Relu", ["h"], ["r"]),
        helper.make_node("Greater", ["r", "zero"], ["mask"]),
        helper.make_node("NonZero", ["mask"], ["idx"]),
        helper.make_node("Reshape", ["idx", "shape"], ["flat"]),
    ]
    graph = helper.make_graph(
        nodes, "untyped",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 64])],
        [helper.make_tensor_value_info("flat", TensorProto.INT64, ["n"]), helper.make_tensor_value_info("r", TensorProto.FLOAT, ["batch", 64])],
        [weight, helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0]), helper.make_tensor("shape", TensorProto.INT64, [1], [-1])],
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    onnx.save(model, path)
    return path


def test_the_file_proto_feeds_inference_and_is_left_as_read(tmp_path):
    path = _untyped_file(tmp_path / "untyped.onnx")
    onnx_file = read_onnx(path)
    before = onnx_file.proto.SerializeToString()
    from_file = check_model(onnx_file.model, trt="10.1", proto=onnx_file.proto)
    assert onnx_file.proto.SerializeToString() == before  # inference worked on a copy without the weight
    weight = onnx_file.model.graph.initializers["w"].const_value.numpy()
    assert weight.shape == (64, 64) and np.array_equal(weight, onnx.numpy_helper.to_array(onnx.load(path).graph.initializer[0]))
    by_name = {v.name: v for node in onnx_file.model.graph for v in node.outputs}
    assert by_name["mask"].dtype == ir.DataType.BOOL  # filled in by inference, from the file's proto
    assert "TRT403" in {f.rule_id for f in from_file}  # NonZero on BOOL
    serialised_again = check_model(ir.load(path), trt="10.1")  # no proto: the model is serialised for inference
    assert _findings(from_file) == _findings(serialised_again)


def test_checking_puts_the_garbage_collector_back_as_it_was(tmp_path):
    path = _untyped_file(tmp_path / "untyped.onnx")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not an onnx file")
    was = gc.isenabled()
    try:
        for enabled in (True, False):
            gc.enable() if enabled else gc.disable()
            check(path)
            assert gc.isenabled() is enabled
            with pytest.raises(ModelFileError):
                check(bad)
            assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()


def test_what_a_paused_collector_let_pile_up_is_not_walked_at_once_and_frozen_objects_stay_frozen(tmp_path):
    """The objects a check made go to the oldest generation (no young collection walks them all when
    the collector comes back); objects a program froze on purpose (before a fork) stay frozen."""
    from trtready.gc_pause import paused_gc

    gc.collect()
    with paused_gc():
        made = [[i] for i in range(50_000)]
    assert gc.isenabled() and gc.get_count()[0] < 1_000  # not 50k objects waiting in the young generation
    assert gc.is_tracked(made[-1])
    frozen = [{"kept": i} for i in range(100)]
    gc.freeze()
    try:
        count = gc.get_freeze_count()
        check(_untyped_file(tmp_path / "untyped.onnx"))
        after = gc.get_freeze_count()  # a frozen object freed meanwhile leaves it (a few do)
        assert count - 100 <= after <= count and after >= len(frozen)  # neither unfrozen nor grown by the check
    finally:
        gc.unfreeze()


DEFERRED = """
import sys
from trtready.cli.main import main
from trtready.deferred_imports import is_deferred
code = main(sys.argv[1:])
deferred = is_deferred("sympy") and is_deferred("onnx_ir._symbolic_shapes")
import onnx_ir
grown = str((onnx_ir.SymbolicDim("batch") * 2 + 1).value)  # onnx_ir's sympy arithmetic still works
import sympy
print("DEFERRED:", deferred, "EXIT:", code, "DIM:", grown, "REAL:", not is_deferred("sympy") and hasattr(sympy, "Symbol"))
"""


@pytest.mark.parametrize("command", [["check"], ["rules"], ["explain", "TRT207"]])
def test_lint_commands_never_execute_sympy(tmp_path, command):
    args = command + ([str(_untyped_file(tmp_path / "m.onnx")), "--trt", "10.1"] if command == ["check"] else [])
    proc = subprocess.run([sys.executable, "-c", DEFERRED, *args], capture_output=True, text=True, timeout=120)
    last = proc.stdout.strip().splitlines()[-1]
    expected_exit = 1 if command == ["check"] else 0  # the file has a TRT403 error
    assert last == f"DEFERRED: True EXIT: {expected_exit} DIM: 2*batch + 1 REAL: True", proc.stderr[-2000:]
