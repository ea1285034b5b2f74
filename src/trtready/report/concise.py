"""``--format concise``: one ``path:line:col: CODE message`` line per finding, as ruff prints.

Lines are written as they are (never wrapped, whatever the terminal width), so an
editor or terminal can open each one at its place. See :mod:`.positions` for where
a finding without a source line points.
"""

from __future__ import annotations

from ..result import Finding, Result
from .positions import fallback_path, position

__all__ = ["concise_line", "concise_lines"]


def concise_lines(result: Result) -> list[str]:
    fallback = fallback_path(result)
    return [concise_line(finding, fallback) for finding in result.findings]


def concise_line(finding: Finding, fallback: str) -> str:
    return f"{position(finding, fallback)}: {finding.rule_id} {_one_line(finding.message)}"


def _one_line(text: str) -> str:
    return " ".join(text.split())
