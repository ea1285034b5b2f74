"""Bad input, for every command: one line on stderr, exit 2, no traceback, no output file, no code run."""

import io
import zipfile

import numpy as np
import onnx
import pytest
import torch
from onnx import TensorProto
from onnx import helper as h
from onnx import numpy_helper

from trtready.report.console import PROGRESS_LINE

_MODEL_PY = """
import torch
class Double(torch.nn.Module):
    def forward(self, x):
        return x * 2
class NoInputs(torch.nn.Module):
    def forward(self):
        return torch.ones(2)
def build():
    return Double(), (torch.rand(2, 3),)
def no_inputs():
    return NoInputs(), ()
"""


def _save(path, nodes, inputs, initializers=(), **kwargs):
    y = h.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])
    graph = h.make_graph(nodes, "g", inputs, [y], initializer=list(initializers))
    onnx.save(h.make_model(graph, opset_imports=[h.make_opsetid("", 17)]), path, **kwargs)


def _x(dims):
    return h.make_tensor_value_info("x", TensorProto.FLOAT, dims)


@pytest.fixture
def files(tmp_path):
    (tmp_path / "m.py").write_text(_MODEL_PY)
    _save(tmp_path / "ok.onnx", [h.make_node("Relu", ["x"], ["y"])], [_x(["N", 4])])
    _save(tmp_path / "cast1000.onnx", [h.make_node("Cast", ["x"], ["c"], to=1000), h.make_node("Relu", ["x"], ["y"])], [_x(["N", 4])])
    _save(tmp_path / "negdim.onnx", [h.make_node("Relu", ["x"], ["y"])], [_x([-7, 4])])
    _save(tmp_path / "hugedim.onnx", [h.make_node("Relu", ["x"], ["y"])], [_x([2**31, 4])])
    (tmp_path / "outdir").mkdir()
    return tmp_path


def _evil_pt2(tmp_path):
    """A .pt2 whose pickled sample inputs create a file when unpickled."""

    class Double(torch.nn.Module):
        def forward(self, x):
            return x * 2

    torch.export.save(torch.export.export(Double(), (torch.rand(2, 3),)), tmp_path / "good.pt2")
    marker = tmp_path / "PWNED"
    payload = io.BytesIO()
    torch.save(((_Evil(str(marker)),), {}), payload)
    with zipfile.ZipFile(tmp_path / "good.pt2") as src, zipfile.ZipFile(tmp_path / "evil.pt2", "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            dst.writestr(item, payload.getvalue() if "sample_inputs" in item.filename else data)
    return marker


class _Evil:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


BAD = {
    "fix -o missing dir": ("fix", "ok.onnx", "-o", "/nonexistent_dir/x.onnx"),
    "fix -o /proc": ("fix", "ok.onnx", "-o", "/proc/x.onnx"),
    "fix -o a directory": ("fix", "ok.onnx", "-o", "outdir"),
    "fix unknown pass": ("fix", "ok.onnx", "-o", "f.onnx", "--skip", "fix.allowzero"),
    "fix negative dim": ("fix", "negdim.onnx", "-o", "f.onnx"),
    "fix huge dim": ("fix", "hugedim.onnx", "-o", "f.onnx"),
    "check -o /proc": ("check", "ok.onnx", "-o", "/proc/r.json"),
    "doctor -o /proc": ("doctor", "m.py:build", "-o", "/proc/r.txt"),
    "doctor no inputs": ("doctor", "m.py:no_inputs"),
    "doctor opset 99": ("doctor", "m.py:build", "--opset", "99"),
    "doctor batch dim 5": ("doctor", "m.py:build", "--batch-dim", "5"),
    "export zero size": ("export", "m.py:build", "-o", "f.onnx", "--input", "x:0x3"),
    "export huge input": ("export", "m.py:build", "-o", "f.onnx", "--input", "x:100000x3x224x224"),
    "export --detections on a non-detector": ("export", "m.py:build", "-o", "f.onnx", "--detections", "10"),
    "export --nms plugin on a non-detector": ("export", "m.py:build", "-o", "f.onnx", "--nms", "plugin"),
    "export --detections past TopK's limit": ("export", "m.py:build", "-o", "f.onnx", "--detections", "5000"),
    "export --detections 0": ("export", "m.py:build", "-o", "f.onnx", "--detections", "0"),
    "export --nms unknown": ("export", "m.py:build", "-o", "f.onnx", "--nms", "fast"),
}


@pytest.mark.parametrize("args", BAD.values(), ids=BAD.keys())
def test_bad_input_is_one_line_and_exit_2(files, run_cli, args):
    done = run_cli(*args)
    assert done.returncode == 2, done.stderr
    assert len(_messages(done.stderr)) == 1 and "Traceback" not in done.stderr, done.stderr
    assert "internal error" not in done.stderr
    assert not (files / "f.onnx").exists()


def _messages(stderr: str) -> list[str]:
    """stderr without the progress lines of steps that ran over a second (``[  1.2s] loading ...``)."""
    return [line for line in stderr.strip().splitlines() if not PROGRESS_LINE.match(line)]


def test_an_unknown_cast_type_is_no_internal_error(files, run_cli):
    for args in (("check", "cast1000.onnx"), ("fix", "cast1000.onnx", "-o", "c.onnx")):
        done = run_cli(*args)
        assert done.returncode in (0, 1, 2) and "internal error" not in done.stderr, done.stderr


@pytest.mark.parametrize("command", ["export", "doctor"])
def test_a_pt2_file_runs_no_code_without_allow_pickle(tmp_path, run_cli, command):
    marker = _evil_pt2(tmp_path)
    args = (command, "evil.pt2") + (("-o", "e.onnx") if command == "export" else ())
    done = run_cli(*args)
    assert done.returncode == 2 and "--allow-pickle" in done.stderr, done.stderr
    assert len(_messages(done.stderr)) == 1
    assert not marker.exists(), "unpickling ran code from the file"


def test_fix_takes_external_data_along(tmp_path, run_cli):
    (tmp_path / "ext").mkdir()
    (tmp_path / "out").mkdir()
    w = numpy_helper.from_array(np.random.default_rng(0).random((4, 4), dtype=np.float32), "w")
    _save(tmp_path / "ext" / "m.onnx", [h.make_node("MatMul", ["x", "w"], ["y"])], [_x(["N", 4])], [w],
          save_as_external_data=True, location="m.onnx.data", size_threshold=0)  # fmt: skip
    done = run_cli("fix", "ext/m.onnx", "-o", "out/m.onnx")
    assert done.returncode == 0, done.stderr
    (tmp_path / "ext" / "m.onnx.data").unlink()  # the written file must not need the input's data
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["m.onnx", "m.onnx.data"]
    assert run_cli("check", "out/m.onnx").returncode == 0
