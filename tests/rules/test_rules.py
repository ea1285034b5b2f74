"""Every rule's VALID/INVALID examples are its tests; plus meta-tests on the rule set."""

from __future__ import annotations

import onnx
import onnx_ir as ir
import pytest

from trtready.errors import UserError
from trtready.result import Severity
from trtready.rules import all_rules, check_model, select_rules
from trtready.rules.base import example_parts
from trtready.trt_ops import DEFAULT_RELEASE, RELEASES, load_release

RULES = list(all_rules().values())


def _examples(kind: str):
    for rule in RULES:
        for i, example in enumerate(getattr(rule, kind)):
            yield pytest.param(rule, example, id=f"{rule.id}-{rule.name}-{kind}{i}")


def _run(rule, example):
    text, options = example_parts(example)
    model = ir.from_onnx_text(text)
    return model, [f for f in check_model(model, select=[rule.id], **options) if f.rule_id == rule.id]


@pytest.mark.parametrize(("rule", "example"), _examples("VALID"))
def test_valid_example_has_no_finding(rule, example):
    _, findings = _run(rule, example)
    assert findings == []


@pytest.mark.parametrize(("rule", "example"), _examples("INVALID"))
def test_invalid_example_has_a_finding(rule, example):
    _, findings = _run(rule, example)
    assert findings, "expected at least one finding"
    for finding in findings:
        assert finding.name == rule.name and finding.stage == "check"
        assert finding.severity in Severity.ORDER and finding.message and finding.fix


@pytest.mark.parametrize(("rule", "example"), [*_examples("VALID"), *_examples("INVALID")])
def test_example_passes_onnx_checker(rule, example):
    text, _ = example_parts(example)
    onnx.checker.check_model(ir.to_proto(ir.from_onnx_text(text)), full_check=False)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_is_documented(rule):
    assert rule.id.startswith("TRT") and rule.id[3:].isdigit()
    assert rule.name.count(".") == 1 and rule.name == rule.name.lower()
    assert rule.severity in Severity.ORDER
    assert len(rule.why) > 40 and len(rule.fix) > 20
    assert rule.VALID and rule.INVALID
    assert rule.summary()


def test_ids_and_names_are_unique():
    assert len({r.id for r in RULES}) == len(RULES)
    assert len({r.name for r in RULES}) == len(RULES)


def test_select_and_ignore_accept_ids_names_and_prefixes():
    by_id = {r.id: r for r in RULES}
    assert select_rules(["TRT101"]) == [by_id["TRT101"]]
    assert select_rules(["ops.unsupported"]) == [by_id["TRT101"]]
    assert {r.name.split(".")[0] for r in select_rules("dtype.")} == {"dtype"}
    assert all(r.id.startswith("TRT1") for r in select_rules(["trt1"]))
    assert by_id["TRT101"] not in select_rules(ignore=["ops."])
    with pytest.raises(UserError):
        select_rules(["nope.nothing"])


def test_findings_point_at_the_node_and_sort_errors_first():
    model = ir.from_onnx_text(
        """
        <ir_version: 8, opset_import: ["" : 17]>
        g (float[N,4] x) => (int64[M] y, float[N,4] z) {
          y = Unique <sorted = 1> (x)
          z = Relu(x)
        }
        """
    )
    list(model.graph)[0].name = "/backbone/Unique"
    findings = check_model(model)
    assert findings and findings[0].severity == Severity.ERROR
    unsupported = [f for f in findings if f.rule_id == "TRT101"]
    assert unsupported[0].node == "/backbone/Unique" and unsupported[0].op_type == "Unique"
    assert unsupported[0].graph_path == "main" and unsupported[0].source is not None


def test_load_release_versions_and_opset_ranges():
    assert RELEASES == ("8.6", "9.3", "10.1", "11.1") and DEFAULT_RELEASE == "11.1"
    assert load_release(None) is load_release("11.1")
    assert {v: load_release(v).opset_range for v in RELEASES} == {
        "8.6": (9, 17),
        "9.3": (9, 19),
        "10.1": (9, 20),
        "11.1": (9, 24),
    }
    newest = load_release()
    assert newest.supports("Conv") is True and newest.supports("Unique") is False
    assert newest.supports("NotAnOp") is None and "INT64" in newest.types("Add")
    assert "3840" in newest.restrictions("TopK")


@pytest.mark.parametrize(
    ("asked", "table", "opset"),
    [("10", "10.1", 18), ("10.0", "10.1", 18), ("10.3", "10.1", 18), ("11", "11.1", 18), ("12.0", "11.1", 18),
     ("9", "9.3", 18), ("8.5", "8.6", 17), ("7.0", "8.6", 17), ("8.6", "8.6", 17), ("TensorRT 10.1", "10.1", 18)],
)  # fmt: skip
def test_any_release_is_read_against_the_nearest_table(asked, table, opset):
    release = load_release(asked)
    assert (release.version, release.export_opset) == (table, opset)
    if table == asked.split()[-1]:
        assert release.note is None
    else:
        assert release.note.startswith(f"TensorRT {asked} is checked against the parser table of TensorRT {table}")


@pytest.mark.parametrize("text", ["seven", "10.x", " ", "10..1"])
def test_text_that_is_no_release_is_a_user_error(text):
    with pytest.raises(UserError) as info:
        load_release(text)
    assert info.value.message == f"'{text}' is not a TensorRT release"
    assert "10.3" in info.value.hint
