"""docs/rules.md is generated from the rule classes and must be up to date."""

from __future__ import annotations

from pathlib import Path

from trtready.rules import all_rules
from trtready.rules.docs import render

DOCS = Path(__file__).resolve().parents[2] / "docs" / "rules.md"


def test_rules_md_is_up_to_date():
    assert DOCS.exists(), "run: python -m trtready.rules.docs"
    assert DOCS.read_text(encoding="utf-8") == render(), "docs/rules.md is stale: run python -m trtready.rules.docs"


def test_every_rule_has_a_section():
    text = render()
    for rule in all_rules().values():
        assert f"## {rule.id}" in text and f"`{rule.name}`" in text
