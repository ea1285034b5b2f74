"""docs/rules.md is generated from the catalog (every kind of code) and must be up to date."""

from __future__ import annotations

from pathlib import Path

from trtready.catalog import Kind, all_units
from trtready.rules import all_rules
from trtready.rules.docs import anchor, render

DOCS = Path(__file__).resolve().parents[2] / "docs" / "rules.md"


def test_rules_md_is_up_to_date():
    assert DOCS.exists(), "run: python -m trtready.rules.docs"
    assert DOCS.read_text(encoding="utf-8") == render(), "docs/rules.md is stale: run python -m trtready.rules.docs"


def test_every_code_has_a_section_and_a_row_linking_to_it():
    text = render()
    for unit in all_units():
        assert f"\n## {unit.id}\n" in text and f"`{unit.name}`" in text
        assert f"[{unit.id}](#{anchor(unit.id)})" in text
        for ref in unit.references:
            assert ref.url in text
    for kind in Kind.ORDER:
        assert f"## {Kind.TITLES[kind]}" in text


def test_every_rule_example_is_shown():
    text = render()
    for rule in all_rules().values():
        assert rule.INVALID and rule.VALID
    assert text.count("\nFlagged") >= sum(len(r.INVALID) for r in all_rules().values())


def test_anchors_are_githubs():
    assert anchor("TRT101") == "trt101" and anchor("fix.unpin-batch") == "fixunpin-batch"
