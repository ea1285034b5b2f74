"""``trtready rules``: the checker's rules, one line each."""

from __future__ import annotations

import argparse

from rich import box
from rich.console import Console
from rich.table import Table

from ..report.findings_table import STYLES
from ..rules import all_rules
from ..trt_ops import DEFAULT_RELEASE, RELEASES, load_release


def add_parser(subparsers, epilog: str) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "rules",
        help="list the checker's rules",
        description="List every TensorRT rule `trtready check` applies: id, name, severity and what it flags.",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--trt", metavar="VERSION", help=f"TensorRT release the rules are read against: {', '.join(RELEASES)} (default {DEFAULT_RELEASE})")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    release = load_release(args.trt)
    rules = list(all_rules().values())
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, title=f"{len(rules)} rules, checked against TensorRT {release.version}", title_justify="left")
    table.add_column("Id", no_wrap=True)
    table.add_column("Name", no_wrap=True)
    table.add_column("Severity", no_wrap=True)
    table.add_column("What it flags", ratio=1)
    for rule in rules:
        table.add_row(rule.id, rule.name, f"[{STYLES.get(rule.severity, '')}]{rule.severity}[/]", rule.summary())
    console = Console()
    console.print(table)
    console.print("`trtready explain ID` shows why a rule exists, how to fix what it flags, and examples.", style="dim")
    return 0
