"""``trtready check`` over several files and directories: one report, every file in JSON and SARIF,
the worst exit code, and a file that cannot be read reported without stopping the others."""

from __future__ import annotations

import json
import shutil

import pytest

from trtready.check_paths import onnx_files

from . import onnx_files as make
from .runners import run_main


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """``models/`` with a clean file, a refused one one level down, and a text file that is not a model."""
    root = tmp_path_factory.mktemp("many")
    models = root / "models"
    (models / "heads").mkdir(parents=True)
    make.clean(models)
    make.mask_torchscript(models / "heads")
    (models / "README.txt").write_text("not a model")
    return root


def test_directory_is_every_onnx_file_under_it_sorted(tree):
    found = onnx_files([tree / "models"])
    assert [p.relative_to(tree / "models").as_posix() for p in found] == ["clean.onnx", "heads/mask_ts.onnx"]


def test_one_text_report_over_all_files_with_the_worst_exit_code(capsys, tree, monkeypatch):
    monkeypatch.chdir(tree)
    done = run_main(capsys, "check", "models")
    assert done.code == 1  # the clean file alone exits 0; the refused one 1
    assert "Checked models/clean.onnx" in done.out and "Checked models/heads/mask_ts.onnx" in done.out
    assert done.out.strip().splitlines()[-1].startswith("2 files checked: 1 refused by TensorRT; 1 error")
    quiet = run_main(capsys, "check", "models", "-q").out.splitlines()
    assert quiet[0] == "models/clean.onnx: TensorRT 11.1 should accept this model"
    assert quiet[1].startswith("models/heads/mask_ts.onnx: TensorRT 11.1 will refuse this model")


def test_json_is_a_list_with_every_file(capsys, tree, monkeypatch):
    monkeypatch.chdir(tree)
    data = json.loads(
        run_main(capsys, "check", "models/heads/mask_ts.onnx", "models/clean.onnx", "--format", "json").out
    )
    assert [d["model"] for d in data] == ["models/heads/mask_ts.onnx", "models/clean.onnx"]  # the order given
    assert [d["exit_code"] for d in data] == [1, 0] and all(d["schema"] == "trtready.result/1" for d in data)
    single = json.loads(run_main(capsys, "check", "models/clean.onnx", "--format", "json").out)
    assert isinstance(single, dict)  # one file named: one Result, as before


def test_sarif_is_one_run_listing_every_file(capsys, tree, monkeypatch):
    monkeypatch.chdir(tree)
    log = json.loads(run_main(capsys, "check", "models", "--format", "sarif").out)
    assert len(log["runs"]) == 1
    run = log["runs"][0]
    assert [a["location"]["uri"] for a in run["artifacts"]] == ["models/clean.onnx", "models/heads/mask_ts.onnx"]
    rules = run["tool"]["driver"]["rules"]
    assert run["results"] and all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in run["results"])
    located = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert located == {"models/heads/mask_ts.onnx"}


def test_concise_lines_of_every_file_then_a_total(capsys, tree, monkeypatch):
    monkeypatch.chdir(tree)
    lines = run_main(capsys, "check", "models", "--format", "concise").out.splitlines()
    assert all(line.startswith("models/heads/mask_ts.onnx:1:1: TRT") for line in lines[:-1])
    assert lines[-1].startswith("2 files checked")


def test_an_unreadable_file_among_several_is_reported_and_the_others_checked(capsys, tree, tmp_path, monkeypatch):
    shutil.copytree(tree / "models", tmp_path / "models")
    (tmp_path / "models" / "broken.onnx").write_bytes(b"\x08\x07 not a protobuf model")
    monkeypatch.chdir(tmp_path)
    done = run_main(capsys, "check", "models", "--format", "json")
    data = json.loads(done.out)
    assert [d["model"] for d in data] == ["models/broken.onnx", "models/clean.onnx", "models/heads/mask_ts.onnx"]
    assert data[0]["errors"] and not data[0]["findings"] and data[2]["findings"]
    assert done.code == 1 | 2  # findings in one file, a file that cannot be read


@pytest.mark.parametrize("args, message", [
    (["nowhere.onnx"], "no such file or directory: nowhere.onnx"),
    (["empty"], "no .onnx files under empty"),
])  # fmt: skip
def test_missing_paths_and_empty_directories_are_one_line_errors(capsys, tmp_path, monkeypatch, args, message):
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path)
    done = run_main(capsys, "check", *args)
    assert done.code == 2 and done.err.startswith(f"error: {message}") and done.err.count("\n") == 1


def test_report_file_cannot_overwrite_any_checked_model(capsys, tree, monkeypatch):
    monkeypatch.chdir(tree)
    done = run_main(capsys, "check", "models", "-o", "models/clean.onnx")
    assert done.code == 2 and "refusing to overwrite" in done.err


def test_public_api_checks_a_directory_one_result_per_file(tree):
    import trtready

    results = trtready.check_files([tree / "models"], trt="10.1")
    assert [r.model for r in results] == [str(p) for p in onnx_files([tree / "models"])]
    assert [r.exit_code() for r in results] == [0, 1] and all(r.options["trt"] == "10.1" for r in results)
