"""``trtready check MODEL.onnx``: will TensorRT accept this ONNX file?"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..checking import check, verdict
from ..errors import UserError
from ..report.findings_table import findings_text, print_findings
from ..report.markdown import findings_markdown
from ..report.sarif import to_sarif
from ..result import Result
from ..trt_ops import DEFAULT_RELEASE, RELEASES
from .output import write_stdout, write_text_atomic

FORMATS = ("text", "json", "sarif", "markdown")

DESCRIPTION = """\
Check an ONNX file against the TensorRT ONNX parser of one release and list what
it would refuse (errors), what builds but is slow or fragile (warnings) and notes.
Findings name the ONNX node and, for models exported with the dynamo exporter,
the PyTorch source line. Exit code 1 when error findings remain.
"""


def add_parser(subparsers, epilog: str) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "check",
        help="check an ONNX file against TensorRT",
        description=DESCRIPTION,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("model", metavar="MODEL.onnx", help="the ONNX file (external data is read from its directory)")
    parser.add_argument("--trt", metavar="VERSION", help=f"TensorRT release: {', '.join(RELEASES)} (default {DEFAULT_RELEASE})")
    parser.add_argument("--plugin", action="append", default=[], metavar="OP", help="an op type you provide a TensorRT plugin for (repeatable)")
    parser.add_argument("--select", metavar="IDS", help="only these rules: comma-separated ids, names or prefixes (TRT1, dtype.)")
    parser.add_argument("--ignore", metavar="IDS", help="skip these rules: comma-separated ids, names or prefixes")
    parser.add_argument("--format", choices=FORMATS, default="text", help="report format (default: text)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE (atomically) instead of stdout")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    if args.output and Path(args.output).resolve() == Path(args.model).resolve():
        raise UserError(f"refusing to overwrite the model {args.model} with the report", hint="choose another -o FILE")
    result = check(args.model, trt=args.trt, plugins=args.plugin, select=args.select, ignore=args.ignore)
    if args.output:
        write_text_atomic(args.output, render(result, args.format))
        write_stdout(f"{verdict(result)}; report written to {args.output}")
    elif args.format == "text":
        print_findings(result)
    else:
        write_stdout(render(result, args.format))
    return result.exit_code()


def render(result: Result, fmt: str) -> str:
    """The report of ``result`` in format ``fmt`` (one of FORMATS), as text."""
    if fmt == "json":
        return result.to_json()
    if fmt == "sarif":
        return json.dumps(to_sarif(result), indent=2)
    if fmt == "markdown":
        return findings_markdown(result)
    return findings_text(result)
