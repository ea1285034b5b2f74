"""One SARIF log for several checked files: one run, every file's results and every file listed.

GitHub code scanning takes one run per tool and category in an upload, so the
per-file logs of :func:`trtready.report.sarif.to_sarif` are merged into one run:
the rules of all runs (by id, indexes recomputed), the results of all runs, and
``artifacts`` naming every file checked, also those with no finding.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

__all__ = ["merge_sarif"]


def merge_sarif(logs: list[dict[str, Any]], files: list[str], root: Path | None = None) -> dict[str, Any]:
    """``logs`` (one per file of ``files``, each with one run or more) as one log with one run."""
    merged = copy.deepcopy(logs[0])
    run = merged["runs"][0]
    rules = run["tool"]["driver"].setdefault("rules", [])
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    results = []
    for log in logs:
        for other in log["runs"]:
            for rule in other["tool"]["driver"].get("rules", []):
                if rule["id"] not in index:
                    index[rule["id"]] = len(rules)
                    rules.append(rule)
            results += [_reindexed(entry, index) for entry in other.get("results", [])]
    run["results"] = results
    run["artifacts"] = [_artifact(file, root or Path.cwd()) for file in files]
    properties = run.setdefault("properties", {})
    properties.pop("model", None)
    properties["models"] = list(files)
    merged["runs"] = [run]
    return merged


def _reindexed(entry: dict[str, Any], index: dict[str, int]) -> dict[str, Any]:
    entry = dict(entry)
    entry.pop("ruleIndex", None)
    if entry.get("ruleId") in index:
        entry["ruleIndex"] = index[entry["ruleId"]]
    return entry


def _artifact(file: str, root: Path) -> dict[str, Any]:
    path = Path(file).resolve()
    try:
        location = {"uri": path.relative_to(root.resolve()).as_posix(), "uriBaseId": "%SRCROOT%"}
    except ValueError:
        location = {"uri": path.as_uri()}
    return {"location": location, "roles": ["analysisTarget"]}
