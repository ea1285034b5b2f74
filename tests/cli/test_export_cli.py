"""``trtready export`` and ``trtready demo`` end to end, and every bad-input case."""

import json
from pathlib import Path

import pytest
import torch

MODELS = Path(__file__).resolve().parents[1] / "export" / "models.py"


def test_export_torchvision_resnet18_writes_verified_file_and_json(run_cli, tmp_path):
    proc = run_cli("export", "torchvision:resnet18", "-o", "r18.onnx", "--json", "r.json", "--report", "r.md")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["ok"] and data["written"] and data["verified"]
    batches = {row["batch"] for row in data["verification"] if row["status"] == "pass"}
    assert batches == {1, 2, 3, 8}
    assert (tmp_path / "r18.onnx").is_file()
    assert "trtexec --onnx=r18.onnx" in proc.stdout
    assert "verification" in (tmp_path / "r.md").read_text().lower()


def test_export_file_factory_with_input_option(run_cli, tmp_path):
    proc = run_cli("export", f"{MODELS}:build_conv", "-o", "conv.onnx", "--input", "x:2x3x8x8")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "conv.onnx").is_file()


def test_pinned_model_without_fixes_fails_verification_at_its_line(run_cli, tmp_path):
    proc = run_cli("export", f"{MODELS}:build_pinned", "-o", "p.onnx", "--exporter", "torchscript", "--no-fix")
    assert proc.returncode & 4, proc.stdout
    assert "VER001" in proc.stdout and "models.py:" in proc.stdout


def test_pinned_model_is_unpinned_and_verified_by_default(run_cli, tmp_path):
    proc = run_cli("export", f"{MODELS}:build_pinned", "-o", "p.onnx", "--exporter", "torchscript", "--json", "p.json")
    assert proc.returncode == 0, proc.stdout
    data = json.loads((tmp_path / "p.json").read_text())
    applied = [p["name"] for p in data["passes"] if p["modified"] and not p["rolled_back"]]
    assert "fix.unpin-batch" in applied
    assert {r["batch"] for r in data["verification"] if r["status"] == "pass"} == {1, 2, 3, 8}


def test_static_batches_option(run_cli, tmp_path):
    proc = run_cli("export", f"{MODELS}:build_conv", "-o", "c.onnx", "--input", "x:1x3x8x8", "--static-batches", "1,3")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "c_b1.onnx").is_file() and (tmp_path / "c_b3.onnx").is_file()


def test_demo_runs_offline_and_shows_findings(run_cli, tmp_path):
    proc = run_cli("demo", "-o", "demo.onnx", "--json", "demo.json")
    data = json.loads((tmp_path / "demo.json").read_text())
    assert (tmp_path / "demo.onnx").is_file()
    applied = {p["name"] for p in data["passes"] if p["modified"] and not p["rolled_back"]}
    # the three seed patterns: rewritten in PyTorch (squeeze, bool mask) or fixed in ONNX (pinned batch)
    assert {"rewrite.squeeze-index", "rewrite.bool-index-long", "fix.unpin-batch"} <= applied
    assert data["verified"] and {r["batch"] for r in data["verification"]} == {1, 2, 3, 8}
    assert "TRT205" in {f["rule_id"] for f in data["findings"]}  # NonZero stays: data-dependent output size
    assert proc.returncode == data["exit_code"] == 0


def _corrupt_pt(tmp_path):
    (tmp_path / "bad.pt").write_bytes(b"\x80\x04this is not a model")
    return "bad.pt"


def _state_dict_pt(tmp_path):
    torch.save({"w": torch.rand(2)}, tmp_path / "sd.pt")
    return "sd.pt"


BAD = {
    "unknown spec": (lambda t: ["export", "nonsense"], "cannot understand model spec"),
    "unknown torchvision model": (lambda t: ["export", "torchvision:resnet9000"], "unknown torchvision model"),
    "missing file": (lambda t: ["export", "nowhere.py:build"], "no such file"),
    "missing factory": (lambda t: ["export", f"{MODELS}:build_nothing"], "not found"),
    "factory raises": (lambda t: ["export", f"{MODELS}:build_raising"], "cannot build this model"),
    "no example inputs": (lambda t: ["export", f"{MODELS}:build_conv"], "without example inputs"),
    "bad --input": (lambda t: ["export", f"{MODELS}:build_conv", "--input", "x:2by3"], "bad --input"),
    "shapes rejected": (lambda t: ["export", f"{MODELS}:build_conv", "--input", "x:2x5x8x8"], "the model raised"),
    "non-tensor output": (lambda t: ["export", f"{MODELS}:build_strings"], "returns a str"),
    "unwritable output": (lambda t: ["export", f"{MODELS}:build_pinned", "-o", "/proc/x/y.onnx"], "does not exist"),
    "corrupt .pt": (lambda t: ["export", _corrupt_pt(t)], "cannot load"),
    "state dict .pt": (lambda t: ["export", _state_dict_pt(t)], "not a model"),
    "not a trt release": (lambda t: ["export", f"{MODELS}:build_pinned", "--trt", "latest"], "is not a TensorRT release"),
    "opset past the release": (lambda t: ["export", f"{MODELS}:build_pinned", "--trt", "8.6", "--opset", "18"], "newer than TensorRT 8.6"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_gives_one_line_and_exit_2(run_cli, tmp_path, case):
    make_args, expected = BAD[case]
    before = set(tmp_path.iterdir())
    proc = run_cli(*make_args(tmp_path))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip() and not ln.startswith("[")]
    assert len(lines) == 1, proc.stderr
    assert expected in lines[0] and "Traceback" not in proc.stderr
    assert not [p for p in set(tmp_path.iterdir()) - before if p.suffix == ".onnx"]


def test_torchscript_pt_is_scripted_and_exported(run_cli, tmp_path):
    from tests.export.models import NeedsThreeChannels

    torch.jit.script(NeedsThreeChannels()).save(str(tmp_path / "m.pt"))
    proc = run_cli("export", "m.pt", "-o", "m.onnx", "--input", "x:2x3x8x8", "--json", "m.json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads((tmp_path / "m.json").read_text())
    assert [a["exporter"] for a in data["attempts"]] == ["torchscript"]  # torch.export cannot take a ScriptModule
    assert data["verified"]


def test_exported_program_pt2_brings_its_example(run_cli, tmp_path):
    from tests.export.models import NeedsThreeChannels

    batch = torch.export.Dim("batch", min=1, max=64)
    program = torch.export.export(NeedsThreeChannels(), (torch.rand(2, 3, 8, 8),), dynamic_shapes=({0: batch},))
    torch.export.save(program, str(tmp_path / "m.pt2"))
    proc = run_cli("export", "m.pt2", "-o", "m.onnx", "--json", "m.json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads((tmp_path / "m.json").read_text())["verified"]


def test_plugin_module_option(run_cli, tmp_path):
    proc = run_cli("export", f"{MODELS}:build_plugin_model", "-o", "p.onnx", "--plugin-module", "head=MyHead:1",
                   "--json", "p.json")  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads((tmp_path / "p.json").read_text())
    assert data["chosen"] == "torchscript" and "VER002" in {f["rule_id"] for f in data["findings"]}
    check = run_cli("check", "p.onnx", "--plugin", "MyHead")
    assert check.returncode == 0, check.stdout


def test_trt_release_drives_the_opset_and_an_untabled_release_is_named(run_cli, tmp_path):
    import onnx

    proc = run_cli("export", f"{MODELS}:build_conv", "-o", "c86.onnx", "--input", "x:2x3x8x8", "--trt", "8.5", "--json", "c.json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    opsets = {o.domain: o.version for o in onnx.load(tmp_path / "c86.onnx").opset_import}
    assert opsets[""] == 17  # TensorRT 8.6's parser reads up to opset 17: exported with it, no finding to act on
    data = json.loads((tmp_path / "c.json").read_text())
    assert data["options"]["trt"] == "8.6" and data["options"]["opset"] == 17
    assert any("TensorRT 8.5 is checked against the parser table of TensorRT 8.6" in n for n in data["notes"])
    assert not any(f["rule_id"] == "TRT001" for f in data["findings"])


def test_written_files_honour_the_umask(run_cli, tmp_path):
    import os
    import stat

    proc = run_cli("export", f"{MODELS}:build_conv", "-o", "m.onnx", "--input", "x:2x3x8x8", "--json", "m.json", "--report", "m.md")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    mask = os.umask(0)
    os.umask(mask)
    for name in ("m.onnx", "m.json", "m.md"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o666 & ~mask, name
