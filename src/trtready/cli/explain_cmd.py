"""``trtready explain CODE``: why a code exists, how to act on it, its sources and examples.

``-q``: the code's one-line summary and its fix, as plain text; ``-v``: also the codes related to it
(the fixes and rewrites that act on a finding, the findings a fix or rewrite acts on)."""

from __future__ import annotations

import argparse

from rich.console import Console

from ..catalog import Unit, find_unit
from ..rules.docs import related_section, unit_section
from .output import write_stdout
from .reporting import NORMAL, QUIET, VERBOSE, add_verbosity


def add_parser(subparsers, epilog: str) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "explain",
        help="explain one code (rule, doctor check, verification finding, rewrite or fix)",
        description="Show why a code exists, how to fix what it flags (or what the rewrite or fix does), "
        "its public sources and examples. Any code trtready prints: TRT204, DOC301, VER001, R003, "
        "fix.unpin-batch, or a name such as shape.nonzero; any case.",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("rule", metavar="CODE", help="a code (TRT204, DOC301, VER001, R003, fix.unpin-batch) or name (shape.nonzero)")
    add_verbosity(parser, quiet="print the summary and the fix only, as plain text",
                  verbose="also list the related codes (the fixes and rewrites that act on it, or what it acts on)")  # fmt: skip
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    unit = find_unit(args.rule)
    verbosity = getattr(args, "verbosity", NORMAL)
    if verbosity <= QUIET:
        write_stdout(brief(unit))
        return 0
    from rich.markdown import Markdown  # markdown-it and its rules: 0.05-0.1 s every command would pay

    related = related_section(unit) if verbosity >= VERBOSE else ""
    Console().print(Markdown(unit_section(unit) + ("\n" + related if related else "")))
    return 0


def brief(unit: Unit) -> str:
    """``ID name (severity): summary`` and ``Fix: ...``, plain text."""
    return f"{unit.id} {unit.name} ({unit.severity}): {unit.summary}\nFix: {unit.fix}"
