"""``trtready rules``: every code trtready can print, one line each, grouped by kind (or the catalog as JSON)."""

from __future__ import annotations

import argparse
import json

from ..catalog import KINDS, Kind, all_units
from ..trt_ops import DEFAULT_RELEASE, RELEASES, load_release
from .output import write_stdout

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
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    release = load_release(args.trt)
    units = [u for u in all_units() if not args.kind or u.kind in args.kind]
    if args.format == "json":
        write_stdout(json.dumps({"trt": release.version, "units": [u.to_dict() for u in units]}, indent=2))
        return 0
    _print_table(units, release.version)
    return 0


def _print_table(units, version: str) -> None:
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
    console.print("`trtready explain CODE` shows why, how to fix, the sources and examples.", style="dim")
