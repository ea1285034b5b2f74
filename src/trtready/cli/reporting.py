"""What every command that reports findings shares: ``--format``, ``--select``/``--ignore``,
``--fail-on``, ``-q``/``-v``, the one-line formats and the exit code.

Each command renders ``text`` and ``markdown`` its own way; ``concise``, ``github``,
``json`` and ``sarif`` are the same for all (see :func:`render_common`).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field

from ..errors import ExitCode
from ..options import FAIL_ON, CodeSelection
from ..result import Result, Severity
from ..verdict import verdict

__all__ = [
    "FORMATS",
    "ReportOptions",
    "add_report_options",
    "add_verbosity",
    "exit_code",
    "render_common",
    "select_findings",
]

FORMATS = ("text", "concise", "github", "json", "sarif", "markdown")
QUIET, NORMAL, VERBOSE = -1, 0, 1


def add_report_options(parser: argparse.ArgumentParser, *, destination: str = "stdout") -> None:
    """``--format``, ``--select``, ``--ignore``, ``--fail-on`` (and ``-q``/``-v``)."""
    parser.add_argument("--format", choices=FORMATS, default="text",
                        help=f"report format on {destination} (default: text): concise is one `file:line:col: CODE "
                        "message` line per finding, github GitHub Actions annotations")  # fmt: skip
    parser.add_argument("--select", action="append", metavar="CODES",
                        help="report only these codes: comma-separated codes, names or prefixes "
                        "(TRT2, DOC1, VER001, R006, dtype.); repeatable")  # fmt: skip
    parser.add_argument("--ignore", action="append", metavar="CODES",
                        help="leave these codes out of the report and the exit code (same forms as --select)")  # fmt: skip
    parser.add_argument("--fail-on", choices=FAIL_ON, default="error",
                        help="exit 1 when a finding of at least this severity remains (default: error)")  # fmt: skip
    add_verbosity(parser)


def add_verbosity(
    parser: argparse.ArgumentParser,
    *,
    quiet: str = "print only the verdict and errors",
    verbose: str = "print more detail (every attempt, pass and node)",
) -> None:
    """``-q``/``-v``, accepted before or after the command name (``argparse.SUPPRESS``: a
    subcommand that is not given the flag leaves the value the main parser read); ``quiet`` and
    ``verbose``: what they do for this command."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-q", "--quiet", dest="verbosity", action="store_const", const=QUIET, default=argparse.SUPPRESS,
                       help=quiet)  # fmt: skip
    group.add_argument("-v", "--verbose", dest="verbosity", action="store_const", const=VERBOSE, default=argparse.SUPPRESS,
                       help=verbose)  # fmt: skip


@dataclass(frozen=True)
class ReportOptions:
    """How a command reports: format, which codes, what fails the run, how much to say."""

    format: str = "text"
    codes: CodeSelection = field(default_factory=CodeSelection)
    fail_on: str = "error"
    verbosity: int = NORMAL

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> ReportOptions:
        return cls(
            format=getattr(args, "format", "text"),
            codes=CodeSelection.parse(getattr(args, "select", None), getattr(args, "ignore", None)),
            fail_on=getattr(args, "fail_on", "error"),
            verbosity=getattr(args, "verbosity", NORMAL),
        )

    @property
    def quiet(self) -> bool:
        return self.verbosity <= QUIET

    @property
    def verbose(self) -> bool:
        return self.verbosity >= VERBOSE


def select_findings(result: Result, codes: CodeSelection) -> Result:
    """Keep the findings ``codes`` selects (in place); the selectors are kept in ``result.options``."""
    if codes.active:
        result.findings = codes.apply(result.findings)
        result.options.update(select=list(codes.select) or None, ignore=list(codes.ignore) or None)
    return result


def exit_code(result: Result, fail_on: str = "error") -> int:
    """``result``'s exit code, with bit 1 set when a finding at least as severe as ``fail_on`` remains."""
    code = ExitCode(result.exit_code()) & ~ExitCode.FINDINGS
    if any(Severity.rank(f.severity) <= Severity.rank(fail_on) for f in result.findings):
        code |= ExitCode.FINDINGS
    return int(code)


def render_common(result: Result, fmt: str, options: ReportOptions) -> str | None:
    """``result`` in a format every command renders alike; None for ``text`` and ``markdown``."""
    if fmt in ("concise", "github"):
        from ..report.concise import concise_lines
        from ..report.github import github_lines

        lines = concise_lines(result) if fmt == "concise" else github_lines(result)
        return "\n".join(lines + ([] if options.quiet else [verdict(result)]))
    if fmt == "json":
        return result.to_json()
    if fmt == "sarif":
        from ..report.sarif import to_sarif

        return json.dumps(to_sarif(result), indent=2)
    return None
