"""The pass catalog: every pass listed once, documented, wired as the autofix of the rules it fixes."""

from __future__ import annotations

import importlib
import pkgutil

import onnx_ir as ir
import pytest

import trtready.passes as passes_pkg
from trtready.passes import default_passes
from trtready.passes.base import FixPass
from trtready.passes.catalog import ALL_PASSES, autofix_of, fixing_passes
from trtready.passes.fold_shapes import FoldShapeArithmeticPass
from trtready.passes.int64_to_int32 import Int64ToInt32Pass
from trtready.rules import all_rules

_NOT_PASSES = {"base", "runner", "feeds", "catalog", "rewriting"}


def test_every_pass_module_is_in_the_catalog():
    found = []
    for info in pkgutil.iter_modules(passes_pkg.__path__):
        if info.name.startswith("_") or info.name in _NOT_PASSES:
            continue
        module = importlib.import_module(f"trtready.passes.{info.name}")
        found += [o for o in vars(module).values() if isinstance(o, type) and issubclass(o, FixPass)
                  and o is not FixPass and o.__module__ == module.__name__]  # fmt: skip
    assert sorted(c.__name__ for c in found) == sorted(c.__name__ for c in ALL_PASSES)
    assert len(set(ALL_PASSES)) == len(ALL_PASSES)


@pytest.mark.parametrize("pass_cls", ALL_PASSES, ids=lambda c: c.__name__)
def test_pass_is_documented(pass_cls):
    rules = all_rules()
    assert pass_cls.name.startswith("fix.") and pass_cls.__name__.endswith("Pass")
    assert pass_cls.fixes and all(r in rules for r in pass_cls.fixes)
    assert pass_cls.description and pass_cls.EXAMPLES and len(pass_cls.__module__ and pass_cls.__doc__ or "") > 10
    module = importlib.import_module(pass_cls.__module__)
    assert len(module.__doc__) > 300 and isinstance(module.UNFIXABLE_EXAMPLES, list)
    for example in pass_cls.EXAMPLES:
        ir.from_onnx_text(example)


def test_autofix_of_a_rule_is_the_first_pass_that_fixes_it():
    """Rules name no pass: a pass declares the rule ids it ``fixes`` and the catalog looks it up."""
    rules = all_rules()
    for cls in ALL_PASSES:
        for rule_id in cls.fixes:
            assert autofix_of(rule_id) is fixing_passes(rule_id)[0] and cls in fixing_passes(rule_id)
    assert autofix_of("TRT202") is FoldShapeArithmeticPass  # TRT202 has two fixes: the one that runs first
    assert autofix_of("TRT402") is Int64ToInt32Pass
    assert autofix_of("TRT101") is None and "TRT101" in rules
    assert not any(hasattr(rule, "autofix") for rule in rules.values())


def test_default_passes_builds_every_pass_in_order():
    built = default_passes(export_batch=2)
    assert [type(p) for p in built] == ALL_PASSES
    assert next(p for p in built if p.name == "fix.unpin-batch").export_batch == 2


@pytest.mark.parametrize("pass_cls", ALL_PASSES, ids=lambda c: c.__name__)
def test_examples_of_other_passes_survive_the_whole_chain(pass_cls):
    """Every pass runs (possibly doing nothing) on every other pass's examples, and the result is valid."""
    import onnx

    for example in pass_cls.EXAMPLES:
        model = ir.from_onnx_text(example)
        for fix in default_passes():
            model = fix(model).model
        onnx.checker.check_model(ir.to_proto(model), full_check=True)
