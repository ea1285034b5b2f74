"""``trtready rules``: every code trtready can print, one line each, grouped by kind (or the catalog as JSON).

``-q``: the codes only, one per line (for scripts: ``trtready rules -q --kind rule``); ``-v``: each
kind's fixes in full below its table."""

from __future__ import annotations

import argparse
import json

from ..catalog import KINDS, Kind, all_units
from ..trt_ops import DEFAULT_RELEASE, RELEASES, load_release
from .output import write_stdout
from .reporting import NORMAL, QUIET, VERBOSE, add_verbosity

FORMATS = ("text", "json")


def add_parser(subparsers, epilog: str) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "rules",
        help="list every code: checker rules, doctor checks, verification, rewrites, fixes",
        description="List every code trtready can print: the TensorRT rules `trtready check` applies (TRT*), "
        "the doctor's checks (DOC*), verification findings (VER*), the torch-level rewrites of export (R0xx) "
        "and the ONNX fixes (fix.*), with severity and what each one is about.",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--trt", metavar="VERSION", help=f"TensorRT release the rules are read against: {', '.join(RELEASES)} (default {DEFAULT_RELEASE})")
    parser.add_argument("--kind", choices=KINDS, action="append", help="only this kind (repeatable; default: all)")
    parser.add_argument("--format", choices=FORMATS, default="text", help="text (default) or json (the whole catalog)")
    add_verbosity(parser, quiet="print the codes only, one per line", verbose="print each code's fix in full below its table")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    release = load_release(args.trt)
    units = [u for u in all_units() if not args.kind or u.kind in args.kind]
    if args.format == "json":
        write_stdout(json.dumps({"trt": release.version, "units": [u.to_dict() for u in units]}, indent=2))
        return 0
    verbosity = getattr(args, "verbosity", NORMAL)
    if verbosity <= QUIET:
        write_stdout("\n".join(u.id for u in units))
        return 0
    _print_table(units, release.version, fixes=verbosity >= VERBOSE)
    return 0


#: What a unit's ``fix`` says, by kind: how to fix a finding, or how to run or leave out what the tool does.
_FIX_TITLES = {Kind.REWRITE: "How to run or leave out", Kind.FIX: "How to run or leave out"}


def _print_table(units, version: str, *, fixes: bool = False) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from ..report.findings_table import STYLES

    console = Console()
    for kind in Kind.ORDER:
        of_kind = [u for u in units if u.kind == kind]
        if not of_kind:
            continue
        title = Kind.TITLES[kind] + (f", read against TensorRT {version}" if kind == Kind.RULE else "")
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False, title=f"{title}: {len(of_kind)}", title_justify="left")
        for column in ("Code", "Name", "Severity"):
            table.add_column(column, no_wrap=True)
        table.add_column("What", ratio=1)
        for unit in of_kind:
            table.add_row(unit.id, unit.name, Text(unit.severity, style=STYLES.get(unit.severity, "")), Text(unit.summary))
        console.print(table)
        if fixes:
            console.print(f"{_FIX_TITLES.get(kind, 'Fixes')}:")
            console.print(_fixes_grid(of_kind))
            console.print()
    console.print("`trtready explain CODE` shows why, how to fix, the sources and examples.", style="dim")


def _fixes_grid(units):
    """Each unit's fix in full, wrapped beside its code (never cut)."""
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 1), pad_edge=True)
    grid.add_column(no_wrap=True)
    grid.add_column(ratio=1)
    for unit in units:
        grid.add_row(f"  {unit.id}", Text(unit.fix))
    return grid
