"""The catalog holds every code the tool can print, each with what a user needs to act on it."""

from __future__ import annotations

import re

import pytest

from trtready.catalog import KINDS, Kind, all_units, find_unit, unit_of
from trtready.errors import UserError
from trtready.result import Severity

UNITS = all_units()
IDS = [u.id for u in UNITS]


def test_ids_and_names_are_unique_across_kinds():
    keys = [key.lower() for unit in UNITS for key in {unit.id, unit.name}]
    assert len(keys) == len(set(keys))


def test_every_rule_check_and_pass_class_is_in_the_catalog():
    from trtready.doctor.checks import CHECKS
    from trtready.passes.catalog import ALL_PASSES
    from trtready.rules import all_rules

    for rule in all_rules().values():
        unit = unit_of(rule.id)
        assert (unit.kind, unit.name, unit.severity, unit.why, unit.fix) == (Kind.RULE, rule.name, rule.severity, rule.why, rule.fix)
    for check in CHECKS:
        unit = unit_of(check.id)
        assert (unit.kind, unit.name, unit.severity, unit.why, unit.fix) == (Kind.DOCTOR, check.name, check.severity, check.why, check.fix)
    for cls in ALL_PASSES:
        assert unit_of(cls.name).kind == Kind.FIX and unit_of(cls.name).summary == cls.description


def test_codes_recorded_outside_those_classes_are_in_the_catalog():
    """The torch side (rewrites, verification, re-trace, export) takes its codes from the catalog."""
    pytest.importorskip("torch")
    from trtready.exporters.retrace import PASS_NAME
    from trtready.rewrites import ALL_REWRITES
    from trtready.verify.paths import TRACED_FIX, TRACED_RULE_ID, TRACED_RULE_NAME
    from trtready.verify.pinned import FIX, RULE_ID, RULE_NAME

    for rewrite in ALL_REWRITES:
        unit = unit_of(rewrite.id)
        assert (unit.kind, unit.name) == (Kind.REWRITE, rewrite.name)
        assert rewrite.why in unit.why and (rewrite.caveat in unit.why)
        assert dict(unit.details)["opt-in"] == ("yes" if rewrite.opt_in else "no")
    assert (unit_of(RULE_ID).name, unit_of(RULE_ID).fix) == (RULE_NAME, FIX)
    assert (unit_of(TRACED_RULE_ID).name, unit_of(TRACED_RULE_ID).fix) == (TRACED_RULE_NAME, TRACED_FIX)
    assert unit_of(PASS_NAME).kind == Kind.FIX
    assert {"VER002", "DOC900"} <= set(IDS)  # recorded by export itself


def test_kinds_come_in_catalog_order():
    order = [KINDS.index(u.kind) for u in UNITS]
    assert order == sorted(order) and set(order) == set(range(len(KINDS)))


@pytest.mark.parametrize("unit", UNITS, ids=IDS)
def test_unit_is_complete(unit):
    assert unit.kind in KINDS and unit.severity in Severity.ORDER
    assert unit.summary and "\n" not in unit.summary and "``" not in unit.summary
    assert len(unit.why) > 40 and len(unit.fix) > 20
    assert unit.references, "cite at least one public source"
    for ref in unit.references:
        assert ref.name and re.fullmatch(r"https://[^\s]+", ref.url), ref
    if unit.kind == Kind.RULE:
        assert any(e.title.startswith("Flagged") for e in unit.examples)
        assert any(e.title.startswith("Not flagged") for e in unit.examples)
    if unit.kind == Kind.REWRITE:
        assert [e.language for e in unit.examples] == ["python", "python"]


@pytest.mark.parametrize("unit", UNITS, ids=IDS)
def test_found_by_id_or_name_in_any_case(unit):
    for key in (unit.id, unit.id.lower(), unit.id.upper(), unit.name, unit.name.upper()):
        assert find_unit(key) is unit


@pytest.mark.parametrize("key", ["unpin-batch", " r003 ", "unique-sort"])
def test_names_without_their_prefix_are_found(key):
    assert find_unit(key).id in ("fix.unpin-batch", "R003", "R001")


@pytest.mark.parametrize(("typo", "suggested"), [("TRT20", "TRT207"), ("DOC30", "DOC301"), ("fix.unpin", "fix.unpin-batch"),
                                                 ("VER01", "VER001"), ("shape.nonzer", "shape.nonzero")])  # fmt: skip
def test_unknown_code_is_a_user_error_with_a_suggestion(typo, suggested):
    with pytest.raises(UserError) as info:
        find_unit(typo)
    assert typo in info.value.message
    assert info.value.hint.startswith("did you mean") and suggested in info.value.hint


def test_to_dict_is_json_ready():
    import json

    data = json.loads(json.dumps([u.to_dict() for u in UNITS]))
    assert [d["id"] for d in data] == IDS
    assert all(d["references"] and d["why"] and d["fix"] for d in data)
