"""The SARIF invariant every command's log keeps: each result's ``ruleId`` names a rule the
driver declares, and its ``ruleIndex`` points at that rule."""

from __future__ import annotations

from typing import Any


def assert_every_result_declared(log: dict[str, Any]) -> int:
    """Check every run of ``log``; returns the number of results checked."""
    checked = 0
    for run in log["runs"]:
        rules = run["tool"]["driver"]["rules"]
        ids = [rule["id"] for rule in rules]
        assert len(ids) == len(set(ids)), "a rule is declared twice"
        for rule in rules:
            assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"] and rule["help"]["text"]
        for entry in run["results"]:
            assert entry["ruleId"] in ids, f"{entry['ruleId']} is reported but not declared"
            assert rules[entry["ruleIndex"]]["id"] == entry["ruleId"]
            checked += 1
    return checked
