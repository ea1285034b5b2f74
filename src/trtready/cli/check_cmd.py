"""``trtready check MODEL.onnx [MORE.onnx | DIR ...]``: will TensorRT accept these ONNX files?"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..errors import UserError
from ..result import Result, Severity
from ..trt_ops import DEFAULT_RELEASE, RELEASES
from ..verdict import total_verdict, verdict
from .output import write_stdout, write_text_atomic
from .reporting import (
    FORMATS,
    ReportOptions,
    add_report_options,
    exit_code,
    render_common,
    select_findings,
)

__all__ = ["FORMATS", "add_parser", "render", "run"]

DESCRIPTION = """\
Check ONNX files against the TensorRT ONNX parser of one release and list what
it would refuse (errors), what builds but is slow or fragile (warnings) and notes.
Findings name the ONNX node and, for models exported with the dynamo exporter,
the PyTorch source line. Several files or directories (every *.onnx under them,
sorted) make one report. Exit code 1 when error findings remain (see --fail-on).
"""


def add_parser(subparsers, epilog: str) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "check",
        help="check ONNX files against TensorRT",
        description=DESCRIPTION,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("model", nargs="+", metavar="MODEL.onnx", help="ONNX files or directories (external data is read from each file's directory)")
    parser.add_argument("--trt", metavar="VERSION", help=f"TensorRT release: {', '.join(RELEASES)} (default {DEFAULT_RELEASE})")
    parser.add_argument("--plugin", action="append", default=[], metavar="OP", help="an op type you provide a TensorRT plugin for (repeatable)")
    add_report_options(parser, destination="stdout or -o FILE")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE (atomically) instead of stdout")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    options = ReportOptions.from_args(args)  # unknown codes fail before any file is read
    results = [select_findings(r, options.codes) for r in _check(args)]
    several = len(results) > 1 or any(Path(p).is_dir() for p in args.model)
    if args.output:
        write_text_atomic(args.output, render_many(results, options.format, options, several))
        write_stdout(f"{_summary(results, several)}; report written to {args.output}")
    elif options.format == "text" and not options.quiet:
        _print_text(results, options, several)
    else:
        text = render_many(results, options.format, options, several)
        if text:
            write_stdout(text)
    return _worst(exit_code(r, options.fail_on) for r in results)


def _check(args: argparse.Namespace) -> list[Result]:
    from ..check_paths import check_files, onnx_files

    paths = onnx_files(args.model)
    if args.output and any(Path(args.output).resolve() == p.resolve() for p in paths):
        raise UserError(f"refusing to overwrite the model {args.output} with the report", hint="choose another -o FILE")
    if len(paths) == 1 and not Path(args.model[0]).is_dir():
        from ..checking import check

        return [check(paths[0], trt=args.trt, plugins=args.plugin)]  # an unreadable file is a usage error
    return check_files(paths, trt=args.trt, plugins=args.plugin)


def render(result: Result, fmt: str, options: ReportOptions | None = None) -> str:
    """The report of one ``result`` in format ``fmt`` (one of FORMATS), as text."""
    return render_many([result], fmt, options or ReportOptions(format=fmt), several=False)


def render_many(results: list[Result], fmt: str, options: ReportOptions, several: bool) -> str:
    """One report over ``results``; with ``several``, JSON is a list and SARIF one run over every file."""
    if not several:
        return _render_one(results[0], fmt, options)
    if fmt == "json":
        return json.dumps([r.to_dict() for r in results], indent=2, default=str)
    if fmt == "sarif":
        from ..report.sarif import to_sarif
        from ..report.sarif_merge import merge_sarif

        return json.dumps(merge_sarif([to_sarif(r) for r in results], [r.model for r in results]), indent=2)
    if fmt == "markdown":
        parts = [f"# trtready check: {len(results)} files", "", f"**{total_verdict(results)}**", ""]
        return "\n".join(parts + [_render_one(r, fmt, options) for r in results])
    if fmt == "text":
        if options.quiet:
            return "\n".join([f"{r.model}: {verdict(r)}" for r in results])
        return "\n".join([_render_one(r, fmt, options) for r in results] + [total_verdict(results)])
    lines = [_render_unreadable(r, fmt) if r.errors else render_common(r, fmt, _quiet(options)) for r in results]
    return "\n".join([line for line in lines if line] + ([] if options.quiet else [total_verdict(results)]))


def _render_one(result: Result, fmt: str, options: ReportOptions) -> str:
    if result.errors:
        return _render_unreadable(result, fmt)
    if fmt == "markdown":
        from ..report.markdown import findings_markdown

        return findings_markdown(result)
    if fmt == "text":
        from ..report.findings_table import findings_text

        return verdict(result) if options.quiet else findings_text(result, verbose=options.verbose)
    return render_common(result, fmt, options) or ""


def _render_unreadable(result: Result, fmt: str) -> str:
    from ..report.github import escape_data, escape_property

    if fmt == "github":
        return f"::error file={escape_property(result.model or '-')},title=unreadable::{escape_data(result.errors[0])}"
    if fmt == "concise":
        return f"{result.model}:1:1: error: {result.errors[0]}"
    return f"{result.model}: error: {result.errors[0]}"


def _print_text(results: list[Result], options: ReportOptions, several: bool) -> None:
    from rich.text import Text

    from ..report.console import console
    from ..report.findings_table import print_findings

    out = console()
    for index, result in enumerate(results):
        if index:
            out.print()
        if result.errors:
            out.print(Text(_render_unreadable(result, "text"), style="bold red"))
        else:
            print_findings(result, out, verbose=options.verbose)
    if several:
        out.print(Text(total_verdict(results), style="bold"))


def _summary(results: list[Result], several: bool) -> str:
    return total_verdict(results) if several else verdict(results[0])


def _quiet(options: ReportOptions) -> ReportOptions:
    """Per-file lines without each file's verdict (the total line follows)."""
    return ReportOptions(options.format, options.codes, options.fail_on, verbosity=-1)


def _worst(codes) -> int:
    worst = 0
    for code in codes:
        worst |= code
    return worst
