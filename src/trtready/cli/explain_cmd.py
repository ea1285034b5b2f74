"""``trtready explain CODE``: why a code exists, how to act on it, its sources and examples."""

from __future__ import annotations

import argparse

from rich.console import Console

from ..catalog import find_unit
from ..rules.docs import unit_section


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
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from rich.markdown import Markdown  # markdown-it and its rules: 0.05-0.1 s every command would pay

    Console().print(Markdown(unit_section(find_unit(args.rule))))
    return 0
