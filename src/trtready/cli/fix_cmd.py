"""``trtready fix IN.onnx -o OUT.onnx``: apply the autofixes, each proved in ONNX Runtime."""

from __future__ import annotations

import argparse

from ..trt_ops import DEFAULT_RELEASE, RELEASES
from .export_cmd import add_skip_fix, report_result
from .reporting import ReportOptions, add_report_options, select_findings

DESCRIPTION = """\
Apply trtready's ONNX-level fixes (fold squeeze-generated If nodes, constant axes,
allowzero on Reshape, un-pin a batch baked into shape constants, DOUBLE to FLOAT,
INT64 to INT32 where the release needs it, collapse GroupNorm, fold shape
arithmetic) to any ONNX file. Each fix runs on a copy and is kept only when
ONNX Runtime gives the same outputs before and after, on random inputs at two
batch sizes. Findings left afterwards are listed with why they were not fixed
and the manual rewrite.
"""


def add_parser(sub, epilog: str) -> None:
    from ..passes.catalog import ALL_PASSES

    parser = sub.add_parser(
        "fix", help="apply TensorRT fixes to an ONNX file", description=DESCRIPTION,
        epilog=f"fixes: {', '.join(p.name for p in ALL_PASSES)}\n\n{epilog}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    parser.add_argument("model", metavar="IN.onnx")
    parser.add_argument("-o", "--output", required=True, metavar="OUT.onnx")
    parser.add_argument("--trt", metavar="VERSION", help=f"TensorRT release: {', '.join(RELEASES)} (default {DEFAULT_RELEASE})")
    add_skip_fix(parser)
    parser.add_argument("--skip", action="append", dest="skip_fix", help=argparse.SUPPRESS)  # the old name of --skip-fix
    parser.add_argument("--input", action="append", default=[], metavar="NAME:2x3x224x224",
                        help="shape of an input with dynamic dims other than the batch (default 8 for those)")  # fmt: skip
    parser.add_argument("--overwrite", action="store_true", help="allow -o to be the input file")
    parser.add_argument("--json", metavar="PATH", help="write the result as JSON")
    parser.add_argument("--report", metavar="PATH.md", help="write a markdown report")
    add_report_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..fixing import fix
    from ..inputs import parse_input_spec
    from ..options import FixSelection
    from ..report.console import progress_status
    from .export_cmd import _check_side_outputs

    report = ReportOptions.from_args(args)
    FixSelection(skip=tuple(args.skip_fix))  # unknown names fail before any work, with the closest one
    _check_side_outputs(args)
    shapes = {s.name: s.shape for s in map(parse_input_spec, args.input)}
    with progress_status(quiet=report.quiet) as say:
        result = fix(args.model, args.output, trt=args.trt, skip=tuple(args.skip_fix), shapes=shapes, overwrite=args.overwrite, progress=say)
    return report_result(select_findings(result, report.codes), report, json_path=args.json, markdown_path=args.report)
