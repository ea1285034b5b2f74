"""``trtready demo``: export the built-in demo detector and show what trtready finds and does."""

from __future__ import annotations

import argparse

from .export_cmd import add_export_options, export_and_report

_HELP = "export the built-in demo model (offline, a few seconds) and show the findings"


def add_parser(sub, epilog: str) -> None:
    parser = sub.add_parser(
        "demo", help=_HELP, description=_HELP, epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-o", "--output", default="trtready-demo.onnx", help="output path (default trtready-demo.onnx)")
    add_export_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..demo import build_demo
    from ..loading import LoadedModel
    from ..report.console import console

    module, example = build_demo()
    if args.format == "text" and getattr(args, "verbosity", 0) >= 0:  # machine formats and -q: the report only
        console().print(
            "[bold]trtready demo[/]: a small detector (src/trtready/demo.py) with three patterns from the "
            "TensorRT guidance: view(int(x.size(0)), -1), squeeze on a dynamic axis, and score thresholding "
            "with a bool mask.\n"
        )
    return export_and_report(LoadedModel(module, "trtready-demo", example), args.output, args)
