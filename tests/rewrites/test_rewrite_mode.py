"""Selecting rewrites, counting what fired, pointing at the user's source line, and the forked child."""

from __future__ import annotations

import pickle
import warnings

import pytest
import torch

from trtready.errors import UserError
from trtready.exporters.isolate import run_isolated
from trtready.result import PassRecord
from trtready.rewrites import ALL_REWRITES, apply_to_module, find_rewrite, rewrite_context, select_rewrites

from .helpers import op_types

DEFAULT = {r.id for r in ALL_REWRITES if not r.opt_in}
OPT_IN = {r.id for r in ALL_REWRITES if r.opt_in}


def ids(rewrites):
    return {r.id for r in rewrites}


def test_opt_in_set():
    assert OPT_IN == {"R004", "R005", "R010"}


def test_selection_by_id_and_name():
    assert ids(select_rewrites()) == DEFAULT
    assert ids(select_rewrites(enabled={"R001", "rewrite.where-arith"})) == {"R001", "R010"}
    assert ids(select_rewrites(enabled="r002")) == {"R002"}
    assert ids(select_rewrites(disabled=["R001", "rewrite.atan2-atan"])) == DEFAULT - {"R001", "R002"}
    assert ids(select_rewrites(opt_in=["where-arith"])) == DEFAULT | {"R010"}
    assert ids(select_rewrites(enabled={"R001"}, disabled={"R001"})) == set()
    assert find_rewrite("unique-sort").id == "R001" and find_rewrite("nope") is None


def test_unknown_rewrite_is_a_user_error():
    with pytest.raises(UserError, match="unknown rewrite 'R999'"):
        select_rewrites(disabled=["R999"])


def test_disabled_rewrite_does_not_fire():
    x = torch.tensor([2.0, 1.0, 2.0])
    with rewrite_context(disabled={"rewrite.unique-sort"}) as mode:
        torch.unique(x)
    assert mode.fired == {}
    with rewrite_context() as mode:
        torch.where(x > 1, x, -x)  # opt-in: off by default
    assert mode.fired == {}


class Detector(torch.nn.Module):
    def forward(self, x):
        labels = torch.unique(x[:, 0])  # the line the report must name
        keep = x[:, 1] > 0
        return labels, x[keep], torch.unique(x[:, 1])


UNIQUE_LINE = Detector.forward.__code__.co_firstlineno + 1


def test_fired_counts_and_source_location():
    model = Detector()
    with apply_to_module(model) as mode:
        model(torch.randn(6, 3))
    assert mode.fired == {"R001": 2, "R006": 1} and mode.calls == 1
    loc = mode.locations["R001"]
    assert loc.file == __file__ and loc.line == UNIQUE_LINE and loc.function == "forward"
    assert "torch.unique(x[:, 0])" in loc.code
    fired = {f.id: f for f in mode.summary()}
    # both lines it rewrote, so the report names each place the user wrote torch.unique
    assert fired["R001"].message() == f"rewrote torch.unique at {__file__}:{UNIQUE_LINE}, {__file__}:{UNIQUE_LINE + 2} (2 calls)"
    assert fired["R006"].target == "x[bool_mask]"
    record = fired["R001"].pass_record()
    assert isinstance(record, PassRecord) and record.name == "rewrite.unique-sort" and record.modified
    pickle.loads(pickle.dumps(mode.summary()))  # crosses the fork


def test_location_of_a_torch_module_call_is_the_user_line():
    fold = torch.nn.Fold((4, 4), 2, stride=2)

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fold = fold

        def forward(self, x):
            return self.fold(x)

    model = Model()
    with apply_to_module(model) as mode:
        model(torch.randn(1, 4, 4))
    assert mode.locations["R007"].line == Model.forward.__code__.co_firstlineno + 1
    assert mode.first_target["R007"] == "torch.nn.functional.fold"


def test_apply_to_module_resets_counts_per_call_and_restores_forward():
    model = Detector()
    original = model.forward
    with apply_to_module(model) as mode:
        model(torch.randn(4, 3))
        model(torch.randn(4, 3))
        assert mode.calls == 2 and mode.fired["R001"] == 2
    assert "forward" not in model.__dict__ and model.forward == original
    with rewrite_context() as outer:
        model(torch.randn(4, 3))
    assert outer.fired["R001"] == 2
    assert torch._C._len_torch_function_stack() == 0  # no mode left behind


def test_apply_to_module_keeps_an_instance_forward():
    model = Detector()
    model.forward = lambda x: torch.unique(x)
    with apply_to_module(model) as mode:
        model(torch.tensor([1.0, 1.0]))
    assert mode.fired == {"R001": 1}
    assert "forward" in model.__dict__ and model(torch.tensor([2.0, 2.0])).tolist() == [2.0]


def test_script_module_is_left_alone():
    scripted = torch.jit.script(torch.nn.Identity())
    with apply_to_module(scripted) as mode:
        scripted(torch.ones(1))
    assert mode.fired == {} and mode.calls == 0


def _export_in_child(model, example, path, exporter):
    """What trtready's attempt function does in the forked child: export under the rewrites, return what fired."""
    with apply_to_module(model.module if hasattr(model, "module") else model) as mode:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if exporter == "torchscript":
                torch.onnx.export(model, example, path, dynamo=False, opset_version=18)
            else:
                torch.onnx.export(model, example, dynamo=True, opset_version=18, verbose=False).save(path)
    return [f for f in mode.summary()]


class Wrapper(torch.nn.Module):  # like FlatModel: the user's module is ``.module``
    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, *tensors):
        return tuple(self.module(*tensors))


@pytest.mark.parametrize("exporter", ["torchscript", "dynamo"])
def test_counts_come_back_from_the_forked_child(exporter, tmp_path):
    import onnx

    model = Wrapper(Detector())
    path = str(tmp_path / "m.onnx")
    fired = run_isolated(_export_in_child, model, (torch.randn(6, 3),), path, exporter)
    assert {f.id: f.count for f in fired} == {"R001": 2, "R006": 1}
    assert fired[0].source.line == UNIQUE_LINE
    assert "forward" not in model.module.__dict__  # the parent never saw the patch
    ops = op_types(onnx.load(path))
    assert "Unique" not in ops and "GatherND" not in ops
