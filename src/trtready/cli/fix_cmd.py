"""``trtready fix IN.onnx -o OUT.onnx``: apply the autofixes, each proved in ONNX Runtime."""

from __future__ import annotations

import argparse

from ..trt_ops import DEFAULT_RELEASE, RELEASES

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
    parser = sub.add_parser(
        "fix", help="apply TensorRT fixes to an ONNX file", description=DESCRIPTION, epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    parser.add_argument("model", metavar="IN.onnx")
    parser.add_argument("-o", "--output", required=True, metavar="OUT.onnx")
    parser.add_argument("--trt", metavar="VERSION", help=f"TensorRT release: {', '.join(RELEASES)} (default {DEFAULT_RELEASE})")
    parser.add_argument("--skip", action="append", default=[], metavar="PASS", help="a fix to leave out, e.g. fix.reshape-allowzero")
    parser.add_argument("--input", action="append", default=[], metavar="NAME:2x3x224x224",
                        help="shape of an input with dynamic dims other than the batch (default 8 for those)")  # fmt: skip
    parser.add_argument("--overwrite", action="store_true", help="allow -o to be the input file")
    parser.add_argument("--json", metavar="PATH", help="write the result as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..fixing import fix
    from ..inputs import parse_input_spec
    from ..report.console import console
    from ..report.text import print_summary
    from .output import write_text_atomic

    shapes = {s.name: s.shape for s in map(parse_input_spec, args.input)}
    result = fix(args.model, args.output, trt=args.trt, skip=tuple(args.skip), shapes=shapes, overwrite=args.overwrite)
    print_summary(console(), result)
    if args.json:
        write_text_atomic(args.json, result.to_json())
    return result.exit_code()
