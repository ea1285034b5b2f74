"""``--format github``: GitHub Actions workflow commands, one annotation per finding.

``::error file=model.py,line=12,col=9,title=TRT205::message%0Afix: ...`` shows the
finding on that line of the pull request. Errors are ``error``, warnings ``warning``,
notes ``notice``. A finding without a source line annotates the file as a whole
(no line). Escaping follows GitHub's rules (actions/toolkit ``command.ts``): ``%``,
``\\r`` and ``\\n`` in the message; also ``:`` and ``,`` in properties.
"""

from __future__ import annotations

from ..result import Finding, Result, Severity
from .positions import fallback_path, position

__all__ = ["escape_data", "escape_property", "github_line", "github_lines"]

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def github_lines(result: Result) -> list[str]:
    fallback = fallback_path(result)
    return [github_line(finding, fallback) for finding in result.findings]


def github_line(finding: Finding, fallback: str) -> str:
    where = position(finding, fallback)
    properties = {"file": where.path}
    if where.in_source:
        properties |= {"line": str(where.line), "col": str(where.column)}
    properties["title"] = finding.rule_id
    fields = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    message = finding.message + (f"\nfix: {finding.fix}" if finding.fix else "")
    return f"::{LEVELS.get(finding.severity, 'warning')} {fields}::{escape_data(message)}"


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
