"""Each planted pattern is reported once, at its marked line, with what happens in each exporter."""

from __future__ import annotations

import copy
import functools
import os

import pytest
import torch

from trtready.doctor import diagnose
from trtready.result import Severity

from . import models
from .conftest import MODELS, marker_line


@functools.cache
def diagnosis(name: str, *shape: int):
    model = getattr(models, name)()
    return diagnose(model, (torch.rand(*shape) - 0.3,))


def at(result, rule_id: str, marker: str):
    line = marker_line(marker)
    hits = [
        f for f in result.findings
        if f.rule_id == rule_id and f.source and f.source.line == line
        and os.path.samefile(f.source.file, MODELS)
    ]  # fmt: skip
    assert hits, f"{rule_id} not reported at line {line} ({marker}); got {[(f.rule_id, f.source) for f in result.findings]}"
    finding = hits[0]
    assert finding.stage == "doctor" and finding.fix and finding.name.startswith("doctor.")
    assert finding.source.code and f"MARK: {marker}" in finding.source.code
    return finding


def ids(result) -> set[str]:
    return {f.rule_id for f in result.findings}


def test_item_is_a_python_value():
    f = at(diagnosis("ItemModel", 2, 4), "DOC201", "item")
    assert "TorchScript exporter" in f.message and "torch.export exporter" in f.message


def test_if_on_tensor_is_a_tensor_branch():
    f = at(diagnosis("BranchModel", 2, 4), "DOC202", "branch")
    assert f.severity == Severity.ERROR
    assert "GuardOnDataDependentSymNode" in f.message  # torch.export fails right there
    assert "torch.where" in f.fix


def test_view_int_size_freezes_the_batch():
    result = diagnosis("FlattenIntModel", 2, 3, 8, 8)
    f = at(result, "DOC301", "view-int")
    assert "at batch 2" in f.message and "at batch 3" in f.message
    assert "specializes the batch" in f.message  # torch.export's guard points at the same line
    assert "flatten(1)" in f.fix
    assert "DOC201" not in ids(result)  # the batch finding explains that line


def test_zeros_from_len_freezes_the_batch():
    at(diagnosis("ZerosModel", 2, 4), "DOC301", "zeros-len")


def test_state_mutation_in_forward():
    result = diagnosis("CounterModel", 2, 4)
    at(result, "DOC401", "setattr")
    f = at(result, "DOC401", "buffer")
    assert "total" in f.message


def test_numpy_becomes_a_constant():
    result = diagnosis("NumpyModel", 2, 4)
    at(result, "DOC402", "numpy")
    assert not {"DOC301", "DOC201"} & ids(result)


def test_tensor_data():
    at(diagnosis("DataModel", 2, 4), "DOC403", "data")


def test_inplace_on_shape_value():
    at(diagnosis("ShapeInplaceModel", 2, 4), "DOC404", "shape-inplace")


def test_unconvertible_ops_in_both_exporters_all_at_once():
    result = diagnosis("BothUnsupportedModel", 2, 4)
    for marker, name in (("inv", "linalg_inv"), ("erfinv", "erfinv")):
        f = at(result, "DOC101", marker)
        assert f.severity == Severity.ERROR and f.message.startswith(name)
        assert "TorchScript exporter: no symbolic" in f.message
        assert "torch.export exporter: no ONNX function" in f.message


def test_unconvertible_in_torchscript_only():
    f = at(diagnosis("TorchScriptOnlyModel", 2, 4), "DOC101", "logaddexp")
    assert "TorchScript exporter: no symbolic for aten::logaddexp" in f.message
    assert "torch.export exporter: translates it" in f.message
    assert "log1p" in f.fix


def test_unconvertible_in_torch_export_only():
    f = at(diagnosis("DynamoOnlyModel", 2, 5, 3), "DOC101", "cdist")
    assert "TorchScript exporter: translates it" in f.message
    assert "_cdist_forward" in f.message


@functools.cache
def _exports(marker: str, exporter: str, opset: int) -> bool:
    """Whether ``exporter`` really exports the one op of ``OP_SAMPLES[marker]``."""
    import io
    import warnings

    class One(torch.nn.Module):
        def forward(self, x):
            return models.OP_SAMPLES[marker](x)

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(One(), (torch.rand(2, 4),), io.BytesIO(), dynamo=exporter == "dynamo",
                              opset_version=opset, **({"verbose": False} if exporter == "dynamo" else {}))  # fmt: skip
    except Exception:  # noqa: BLE001 - any failure to export is the ground truth here
        return False
    return True


def test_unconvertible_op_claims_match_the_exporters():
    """DOC101 says an exporter cannot translate an op exactly when a one-op export with it fails:
    ``torch.round`` is translated by both (the TorchScript symbolic is registered at opset 11, which a
    registry asked before any export did not know), ``trunc`` by torch.export only, ``linalg.inv`` by neither."""
    result = diagnosis("OpSupportModel", 2, 4)
    opset = result.options["opset"]
    claims = {}
    for marker in models.OP_SAMPLES:
        line = marker_line(marker)
        found = [f.message for f in result.findings if f.rule_id == "DOC101" and f.source and f.source.line == line]
        says = found[0] if found else ""
        claims[marker] = ("TorchScript exporter: no symbolic" in says, "torch.export exporter: no ONNX function" in says)
        truth = (not _exports(marker, "torchscript", opset), not _exports(marker, "dynamo", opset))
        assert claims[marker] == truth, (marker, says)
    assert claims["op-round"] == (False, False) and claims["op-inv"] == (True, True)
    assert claims["op-trunc"] == (True, False)


def test_unconvertible_op_names_its_module():
    f = at(diagnosis("NestedUnsupported", 2, 4), "DOC101", "nested-i0")
    assert f.source.module == "head"


def test_dict_output_is_flattened_and_none_dropped():
    result = diagnosis("DictOutputModel", 2, 4)
    messages = " ".join(f.message for f in result.findings if f.rule_id == "DOC501")
    assert "logits, extra.mask" in messages
    assert "extra.note" in messages and "None" in messages


def test_string_output_is_refused():
    result = diagnosis("StringOutputModel", 2, 4)
    errors = [f for f in result.findings if f.rule_id == "DOC501" and f.severity == Severity.ERROR]
    assert errors and "1 (str)" in errors[0].message


def test_training_mode_is_reported_and_model_left_alone():
    model = models.DropoutModel()  # training mode, as built
    result = diagnose(model, (torch.rand(4, 4),))
    notes = [f for f in result.findings if f.rule_id == "DOC405"]
    assert notes and "drop (Dropout)" in notes[0].message and "bn (BatchNorm1d)" in notes[0].message
    assert notes[0].severity == Severity.INFO
    assert model.training and model.drop.training  # diagnosing did not switch the caller's model to eval


def test_none_input():
    model = models.OptionalMaskModel()
    result = diagnose(model, (torch.rand(2, 4),), {"mask": None})
    notes = [f for f in result.findings if f.rule_id == "DOC406"]
    assert notes and "mask" in notes[0].message


def test_combined_model_reports_everything_in_one_run():
    result = diagnosis("Combined", 2, 3, 6, 6)
    at(result, "DOC201", "combined-item")
    at(result, "DOC301", "combined-view")
    at(result, "DOC401", "combined-setattr")
    f = at(result, "DOC101", "combined-erfinv")
    assert "TorchScript exporter: no symbolic" in f.message
    assert result.command == "doctor" and result.exit_code() & 1


def test_diagnosis_never_changes_the_model():
    model = models.CounterModel()
    before = copy.deepcopy(model.state_dict())
    attrs = dict(vars(model))
    diagnose(model, (torch.rand(2, 4),))
    assert model.steps == 0 and vars(model).keys() == attrs.keys()
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), key
    assert model.training  # not switched to eval either


def test_result_serialises():
    result = diagnosis("Combined", 2, 3, 6, 6)
    data = result.to_dict()
    assert data["command"] == "doctor" and data["findings"][0]["stage"] == "doctor"


# -- no false alarms on clean, real models ---------------------------------------------------


def _clean(model, shape=(2, 3, 224, 224)):
    result = diagnose(model.eval(), (torch.rand(*shape),))
    assert not result.findings, [(f.rule_id, f.source, f.message[:120]) for f in result.findings]
    assert not result.errors, result.errors
    return result


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v3_small"])
def test_torchvision_models_are_clean(name):
    """As ``trtready doctor torchvision:NAME`` loads them: the tool builds them, in eval mode (no DOC405)."""
    pytest.importorskip("torchvision")
    from trtready.loading import load_spec

    loaded = load_spec(f"torchvision:{name}")
    assert not loaded.module.training
    result = diagnose(loaded.module, loaded.args)
    assert not result.findings, [(f.rule_id, f.source, f.message[:120]) for f in result.findings]
    assert not result.errors, result.errors


def test_timm_model_is_clean():
    timm = pytest.importorskip("timm")
    _clean(timm.create_model("resnet18", pretrained=False), (2, 3, 160, 160))
