"""``check`` SARIF declares every rule it reports: on a file per INVALID example of every rule,
and on one merged log over a directory of them (through the real entry point)."""

from __future__ import annotations

import json

import onnx_ir as ir
import pytest
from sarif_declared import assert_every_result_declared

from trtready.checking import check
from trtready.report.sarif import to_sarif
from trtready.rules import all_rules
from trtready.rules.base import example_parts


@pytest.fixture(scope="module")
def invalid_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("invalid")
    for rule in all_rules().values():
        for i, example in enumerate(rule.INVALID):
            text, options = example_parts(example)
            if not options:  # release or file-size options are not what a file on disk carries
                ir.save(ir.from_onnx_text(text), folder / f"{rule.id}_{i}.onnx")
    return folder


def test_each_file(invalid_files):
    reported = set()
    for path in sorted(invalid_files.glob("*.onnx")):
        log = to_sarif(check(path), root=invalid_files)
        assert assert_every_result_declared(log) > 0, path.name
        reported |= {entry["ruleId"] for entry in log["runs"][0]["results"]}
    assert len(reported) >= 25


def test_a_directory_as_one_log(run_cli, invalid_files):
    done = run_cli("check", invalid_files, "--format", "sarif")
    assert done.returncode == 1, done.stderr
    assert assert_every_result_declared(json.loads(done.stdout)) > 30
