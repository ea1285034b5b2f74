"""``trtready export SPEC -o OUT``: export, simplify, check, verify, report."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..errors import InputSpecError, UserError
from .reporting import (
    ReportOptions,
    add_report_options,
    exit_code,
    render_common,
    select_findings,
)

_HELP = "export a PyTorch model to a verified, TensorRT-ready ONNX file"
_SPEC_HELP = (
    "the model: path/file.py:factory, pkg.module:factory (the factory returns a module or a "
    "(module, example_args) pair), torchvision:NAME (random weights), model.pt (TorchScript) "
    "or program.pt2 (ExportedProgram)"
)


def add_parser(sub, epilog: str) -> None:
    parser = sub.add_parser(
        "export", help=_HELP, description=_HELP, epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("spec", metavar="SPEC", help=_SPEC_HELP)
    parser.add_argument("-o", "--output", default=None, help="output .onnx path (default: <model>.onnx)")
    add_export_options(parser)
    parser.set_defaults(func=run)


def add_export_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by ``export`` and ``demo``."""
    parser.add_argument("--input", action="append", default=[], metavar="NAME:2x3x224x224[:dtype]",
                        help="an example input (repeat for several); needed when the spec gives none")  # fmt: skip
    parser.add_argument("--exporter", choices=("auto", "torchscript", "dynamo"), default="auto",
                        help="which torch.onnx exporter to use (default: try both as needed, keep the best)")  # fmt: skip
    parser.add_argument("--opset", type=int, default=None, help="ONNX opset (default 18, or the newest the --trt release reads: 17 for 8.6)")
    parser.add_argument("--no-dynamic-batch", action="store_true", help="keep every dimension static")
    parser.add_argument("--batch-dim", type=int, default=0, help="which axis is the batch (default 0)")
    parser.add_argument("--verify-batches", type=_sizes, default=None, metavar="1,2,3",
                        help="batch sizes to verify at (default: the export batch, 1, an odd size above and the "
                        "largest size of the printed TensorRT profile)")  # fmt: skip
    parser.add_argument("--verify-data", default=None, metavar="FILE",
                        help="verify on your own data: .npz or .pt file of arrays named after the inputs "
                        "(loaded without running code); rows are drawn from it at every batch size")  # fmt: skip
    parser.add_argument("--static-batches", type=_sizes, default=None, metavar="1,4,8",
                        help="write one static-batch file per size instead of one dynamic file")  # fmt: skip
    parser.add_argument("--no-verify", action="store_true", help="skip the ONNX Runtime comparison")
    parser.add_argument("--no-fix", action="store_true", help="skip the ONNX-level fixes")
    parser.add_argument("--no-rewrites", action="store_true", help="skip the PyTorch-level rewrites")
    parser.add_argument("--disable-rewrite", action="append", default=[], metavar="ID",
                        help="leave out one PyTorch-level rewrite, e.g. R001 (repeatable)")  # fmt: skip
    parser.add_argument("--enable-rewrite", action="append", default=[], metavar="ID",
                        help="turn on an opt-in rewrite, e.g. R010 torch.where -> arithmetic (repeatable)")  # fmt: skip
    add_skip_fix(parser)
    parser.add_argument("--atol", type=float, default=None, help="absolute tolerance (default 1e-4)")
    parser.add_argument("--rtol", type=float, default=None, help="relative tolerance, global and per element (default 1e-3)")
    parser.add_argument("--trt", default=None, help="TensorRT release to check against (default: newest)")
    parser.add_argument("--plugin-module", action="append", default=[], metavar="PATH=Plugin[:ver[:ns]]",
                        help="export submodule PATH (or a torch.* function) as TensorRT plugin node "
                        "trt.plugins::Plugin (repeatable)")  # fmt: skip
    parser.add_argument("--detections", type=int, default=None, metavar="K",
                        help="detectors: rows per image in the fixed-size outputs (default: the model's own)")  # fmt: skip
    parser.add_argument("--nms", default="onnx", metavar="onnx|plugin",
                        help="detectors: NMS as ONNX NonMaxSuppression (default) or NVIDIA's EfficientNMS_TRT plugin")  # fmt: skip
    parser.add_argument("--allow-pickle", action="store_true",
                        help="load .pt files with full pickle (only for files you trust)")  # fmt: skip
    parser.add_argument("--json", default=None, metavar="PATH", help="write the result as JSON")
    parser.add_argument("--report", default=None, metavar="PATH.md", help="write a markdown report")
    add_report_options(parser)


def add_skip_fix(parser: argparse.ArgumentParser) -> None:
    """``--skip-fix PASS`` (``export``, ``demo``, ``fix``); ``--skip`` is its old name in ``fix``, kept hidden."""
    parser.add_argument("--skip-fix", action="append", default=[], metavar="PASS",
                        help="leave out one ONNX-level fix, e.g. fix.reshape-allowzero (repeatable; "
                        "`trtready fix --help` lists them)")  # fmt: skip


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes like 1,4,8, got '{text}'") from None
    if not sizes or any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(f"batch sizes must be >= 1, got '{text}'")
    return sizes


def run(args: argparse.Namespace) -> int:
    from ..loading import load_spec
    from ..timing import timed
    from ..options import DetectionOptions, FixSelection
    from ..report.console import progress_status

    report = ReportOptions.from_args(args)  # an unknown --select/--ignore code fails before the model is loaded
    FixSelection(skip=tuple(args.skip_fix))  # so does an unknown --skip-fix name
    DetectionOptions(args.detections, args.nms)  # and --detections / --nms
    steps: dict[str, float] = {}
    with progress_status(quiet=report.quiet) as say, timed(steps, "load"):
        say(f"loading {args.spec}")
        loaded = load_spec(args.spec, allow_pickle=args.allow_pickle)
    output = args.output or f"{_stem(loaded.name)}.onnx"
    return export_and_report(loaded, output, args, steps=steps)


def export_and_report(loaded, output: str, args: argparse.Namespace, *, steps: dict[str, float] | None = None) -> int:
    """Run the export with a progress display, print the summary, write --json/--report."""
    from .. import api
    from ..plugins import parse_plugin_option
    from ..report.console import progress_status
    from ..timing import timed

    report = ReportOptions.from_args(args)  # unknown codes fail before the export starts
    example_args, kwargs, names = _example(loaded, args.input)
    _check_side_outputs(args)
    options = dict(
        kwargs=kwargs, input_names=names, dynamic_batch=not args.no_dynamic_batch, batch_dim=args.batch_dim,
        exporter=args.exporter, opset=args.opset, verify=not args.no_verify, verify_batches=args.verify_batches,
        static_batches=args.static_batches, trt=args.trt, name=loaded.name,
        plugins=dict(parse_plugin_option(p) for p in args.plugin_module),
        fix=not args.no_fix, skip_fixes=tuple(args.skip_fix), rewrites=not args.no_rewrites,
        disable_rewrites=tuple(args.disable_rewrite), enable_rewrites=tuple(args.enable_rewrite),
        verify_data=args.verify_data, verify_inputs=loaded.verify_inputs,
        detections=args.detections, nms=args.nms,
    )  # fmt: skip
    options.update({k: getattr(args, k) for k in ("atol", "rtol") if getattr(args, k) is not None})
    steps = dict(steps or {})
    with progress_status(quiet=report.quiet) as say:
        if loaded.prepare is not None:
            say(f"calibrating {loaded.name} (random weights) on the example images")
            with timed(steps, "calibrate"):
                loaded.prepare(example_args)
        result = api.export(loaded.module, example_args, output, progress=say, **options)
    result.seconds += sum(steps.values())
    result.steps = steps | result.steps  # the command's own steps first: load, calibrate
    return report_result(select_findings(result, report.codes), report, json_path=args.json, markdown_path=args.report)


def report_result(result, report: ReportOptions, *, json_path: str | None = None, markdown_path: str | None = None) -> int:
    """Print ``result`` of ``export``/``fix`` in the asked format, write --json/--report, return the exit code."""
    from ..report.console import console
    from ..report.markdown_export import export_markdown
    from ..report.text import print_summary, verdict_text
    from .output import write_stdout, write_text_atomic

    if report.format == "text":
        if report.quiet:  # the verdict, and the stage failures that explain it
            for error in result.errors:
                console().print(f"error: {error}", style="red", markup=False)
            console().print(verdict_text(result))
        else:
            print_summary(console(), result, verbose=report.verbose)
    else:
        text = export_markdown(result) if report.format == "markdown" else render_common(result, report.format, report)
        if text:
            write_stdout(text)
    if json_path:
        write_text_atomic(json_path, result.to_json())
    if markdown_path:
        write_text_atomic(markdown_path, export_markdown(result))
    return exit_code(result, report.fail_on)


def _example(loaded, input_specs: list[str]):
    from ..inputs import parse_input_spec

    if input_specs:
        import torch

        specs = [parse_input_spec(s) for s in input_specs]
        gen = torch.Generator().manual_seed(0)
        return tuple(s.make(gen) for s in specs), {}, [s.name for s in specs]
    if loaded.args is None and not loaded.kwargs:
        raise InputSpecError(
            f"'{loaded.name}' comes without example inputs", hint="give them with --input NAME:2x3x224x224"
        )
    return loaded.args or (), loaded.kwargs, None


def _check_side_outputs(args) -> None:
    for path in (args.json, args.report):
        if path and not _dir_writable(Path(path)):
            raise UserError(f"cannot write {path}", hint="check that its directory exists and is writable")


def _dir_writable(path: Path) -> bool:
    directory = path.parent if str(path.parent) else Path(".")
    return directory.is_dir() and os.access(directory, os.W_OK) and not path.is_dir()


def _stem(name: str) -> str:
    base = name.split(":")[-1]
    return Path(base).stem or "model"
