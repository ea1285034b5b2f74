"""``trtready.checking.check`` on real exported models and on files it must refuse."""

from __future__ import annotations

from pathlib import Path

import bad_files
import check_models
import onnx_ir as ir
import pytest

from trtready.checking import check, verdict
from trtready.errors import ModelFileError, UserError
from trtready.trt_ops import load_release


def rules_at(result, op_type: str) -> set[str]:
    return {f.rule_id for f in result.findings if f.op_type == op_type}


def test_squeeze_on_dynamic_axis_is_an_if_with_ranks_that_differ(squeeze_onnx):
    result = check(squeeze_onnx)
    assert {"TRT301", "TRT303"} <= rules_at(result, "If")
    assert result.exit_code() == 1
    assert result.command == "check" and result.model == str(squeeze_onnx)


def test_unique_is_unsupported(unique_onnx):
    result = check(unique_onnx)
    assert rules_at(result, "Unique") == {"TRT101"}
    assert not check(unique_onnx, plugins=["Unique"]).findings


def test_bool_mask_indexing(mask_onnx):
    result = check(mask_onnx)
    assert "TRT205" in rules_at(result, "GatherND")
    assert "TRT403" in rules_at(result, "NonZero")


def test_dynamo_findings_point_at_the_python_line(dynamo_mask_onnx):
    result = check(dynamo_mask_onnx)
    expected_line = check_models.line_of(check_models.BoolMask, "x[x > 0]")
    located = [f for f in result.findings if f.source and f.source.line]
    assert {f.rule_id for f in located} >= {"TRT205", "TRT403"}
    for finding in located:
        assert Path(finding.source.file).resolve() == Path(check_models.__file__).resolve()
        assert finding.source.line == expected_line


def test_fasterrcnn_nonzero_findings_name_modules(fasterrcnn_onnx):
    result = check(fasterrcnn_onnx)
    assert {"TRT204", "TRT403"} <= rules_at(result, "NonZero")
    assert not {"TRT101", "TRT102", "TRT001"} & {f.rule_id for f in result.findings}
    modules = {f.source.module for f in result.findings if f.op_type == "NonZero" and f.source}
    assert {"rpn", "roi_heads"} <= modules


def test_select_ignore_and_release_are_recorded(mask_onnx):
    result = check(mask_onnx, trt="10.1", select="shape.", ignore=["TRT204"])
    assert {f.rule_id for f in result.findings} == {"TRT205"}
    assert result.options == {"trt": "10.1", "plugins": [], "select": ["shape."], "ignore": ["TRT204"]}


def test_in_memory_model(mask_onnx):
    result = check(ir.load(mask_onnx))
    assert "TRT205" in {f.rule_id for f in result.findings}


def test_verdict_lines(mask_onnx, clean_onnx):
    assert verdict(check(mask_onnx, trt="11.1")) == "TensorRT 11.1 will refuse this model: 1 error, 1 warning"
    assert verdict(check(clean_onnx)) .startswith("TensorRT 11.1 should accept this model")
    assert verdict(check(mask_onnx, select="TRT205")) == "TensorRT 11.1 should accept this model (1 warning)"


def test_external_data_is_read_and_counted(tmp_path):
    path = bad_files.with_external_data(tmp_path)
    result = check(path)
    assert result.findings == []


def test_external_data_outside_the_directory_is_a_finding(tmp_path):
    result = check(bad_files.external_data_outside(tmp_path))
    assert [f.rule_id for f in result.findings] == ["TRT003"]


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda d, src: bad_files.text_file(d), "cannot read"),
        (bad_files.truncated, "cannot read"),
        (lambda d, src: bad_files.missing_external_data(d), "is missing"),
        (lambda d, src: bad_files.truncated_external_data(d), "is truncated"),
        (lambda d, src: bad_files.checker_failure(d), "fails the ONNX checker"),
        (lambda d, src: d / "absent.onnx", "no such ONNX file"),
    ],
    ids=["text-file", "truncated", "missing-external-data", "short-external-data", "checker", "absent"],
)
def test_unreadable_files_raise_one_line_model_file_errors(tmp_path, mask_onnx, make, message):
    with pytest.raises(ModelFileError) as info:
        check(make(tmp_path, mask_onnx))
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_a_release_without_a_table_is_checked_against_the_nearest_and_says_so(mask_onnx):
    result = check(mask_onnx, trt="10.3")
    assert result.options["trt"] == "10.1"
    assert result.notes == [load_release("10.3").note]
    assert {f.rule_id for f in result.findings} == {f.rule_id for f in check(mask_onnx, trt="10.1").findings}
    assert check(mask_onnx, trt="10.1").notes == []


def test_unknown_release_and_selector(mask_onnx):
    with pytest.raises(UserError, match="is not a TensorRT release"):
        check(mask_onnx, trt="v-next")
    with pytest.raises(UserError, match="no rule matches"):
        check(mask_onnx, select="NOPE")
