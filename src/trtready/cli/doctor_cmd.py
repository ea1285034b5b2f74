"""``trtready doctor SPEC``: everything between a PyTorch model and a clean ONNX file, in one run."""

from __future__ import annotations

import argparse

from ..result import Result
from ..verdict import verdict
from .check_cmd import render
from .output import write_stdout, write_text_atomic
from .reporting import (
    ReportOptions,
    add_report_options,
    exit_code,
    render_common,
    select_findings,
)

DESCRIPTION = """\
Diagnose a PyTorch model for both ONNX exporters (TorchScript-based and torch.export-based)
without exporting it: operators with no ONNX translation, data-dependent control flow and
values, batch sizes frozen into the graph, state mutated in forward, numpy constants,
Tensor.data, training-mode modules and non-tensor outputs. Every finding names the source
line to edit and the rewrite. Runs on CPU in about the time of two exports.
Exit code 1 when error findings are present.
"""


def add_parser(subparsers, epilog: str) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "doctor",
        help="list everything that will stop or spoil the ONNX export, at your source lines",
        description=DESCRIPTION,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("spec", metavar="SPEC", help="file.py:factory, pkg.mod:factory, torchvision:NAME, model.pt, program.pt2")
    parser.add_argument("--input", action="append", default=[], metavar="NAME:SHAPE[:DTYPE]",
                        help="an example input, e.g. images:2x3x224x224 (repeatable; default: the spec's own example)")
    parser.add_argument("--batch-dim", type=int, default=0, metavar="N", help="the batch axis of the inputs (default 0)")
    parser.add_argument("--opset", type=int, default=18, help="ONNX opset to check operators against (default 18)")
    parser.add_argument("--allow-pickle", action="store_true", help="allow loading pickled .pt models you trust")
    add_report_options(parser, destination="stdout or -o FILE")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE (atomically) instead of stdout")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from ..doctor import diagnose
    from ..loading import load_spec
    from .export_cmd import _example

    from ..report.console import progress_status

    report = ReportOptions.from_args(args)  # unknown codes fail before the model is loaded
    with progress_status(quiet=report.quiet) as say:
        say(f"loading {args.spec}")
        loaded = load_spec(args.spec, allow_pickle=args.allow_pickle)
        example_args, kwargs, _ = _example(loaded, args.input)
        say("diagnosing: tracing at two batch sizes, torch.export with a dynamic batch, an eager run")
        result = diagnose(loaded.module, example_args, kwargs, batch_dim=args.batch_dim, opset=args.opset, name=loaded.name)
    select_findings(result, report.codes)
    text = _render(result, report)
    if args.output:
        write_text_atomic(args.output, text)
        write_stdout(f"{verdict(result)}; report written to {args.output}")
    elif text.strip():
        write_stdout(text.rstrip("\n"))
    return exit_code(result, report.fail_on)


def _render(result: Result, report: ReportOptions) -> str:
    if report.format == "text" and report.quiet:
        return verdict(result)
    if report.format in ("concise", "github"):
        return render_common(result, report.format, report)
    return render_doctor(result, report.format, verbose=report.verbose)


def render_doctor(result: Result, fmt: str, *, verbose: bool = False) -> str:
    """The doctor's report in ``fmt``: its own text and markdown; the other formats as check renders them."""
    from ..report.doctor import doctor_markdown, doctor_text

    if fmt == "markdown":
        return doctor_markdown(result)
    if fmt == "text":
        return doctor_text(result, verbose=verbose)
    return render(result, fmt)
