"""``trtready doctor SPEC``: everything between a PyTorch model and a clean ONNX file, in one run."""

from __future__ import annotations

import argparse
import io
import json

from ..result import Result, Severity
from .check_cmd import FORMATS, render
from .output import write_stdout, write_text_atomic

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
    parser.add_argument("--format", choices=FORMATS, default="text", help="report format (default: text)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE (atomically) instead of stdout")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from ..doctor import diagnose
    from ..loading import load_spec
    from .export_cmd import _example

    loaded = load_spec(args.spec, allow_pickle=args.allow_pickle)
    example_args, kwargs, _ = _example(loaded, args.input)
    result = diagnose(loaded.module, example_args, kwargs, batch_dim=args.batch_dim, opset=args.opset, name=loaded.name)
    text = render_doctor(result, args.format)
    if args.output:
        write_text_atomic(args.output, text)
        write_stdout(f"{verdict(result)}; report written to {args.output}")
    else:
        write_stdout(text.rstrip("\n"))
    return result.exit_code()


def verdict(result: Result) -> str:
    counts = ", ".join(f"{result.count(s)} {s}{'s' if result.count(s) != 1 else ''}" for s in Severity.ORDER if result.count(s))
    if not result.findings:
        return "No problems found for either exporter"
    return f"{len(result.findings)} finding(s) for {result.model}: {counts}"


def render_doctor(result: Result, fmt: str) -> str:
    """The doctor's report in ``fmt``: check's formats, with the doctor's heading and a fix per finding."""
    if fmt in ("json", "sarif"):
        text = render(result, fmt)
        return _sarif_rules(text) if fmt == "sarif" else text
    if fmt == "markdown":
        body = render(result, "markdown").splitlines()
        lines = [f"## trtready doctor: `{result.model}`", "", f"**{verdict(result)}**", ""] + body[4:]
        if result.findings:
            lines += ["### Fixes", ""] + [f"- `{f.rule_id}` {_where(f)}: {f.fix}" for f in result.findings] + [""]
        return "\n".join(lines)
    return _text(result)


def _where(finding) -> str:
    source = finding.source
    if source and source.file and source.line:
        return f"{source.file}:{source.line}"
    return source.module if source and source.module else "model"


def _text(result: Result) -> str:
    from rich.console import Console

    from ..report.findings_table import PLAIN_WIDTH, findings_table
    from ..report.groups import group_findings

    buffer = io.StringIO()
    console = Console(file=buffer, width=PLAIN_WIDTH, color_system=None, force_terminal=False)
    console.print(f"Doctor's report for {result.model} (both exporters; {result.seconds:.1f}s)")
    groups = group_findings(result.findings)
    if groups:
        console.print(findings_table(groups))
        console.print("Fixes:")
        for f in result.findings:
            console.print(f"  {f.rule_id} {_where(f)}: {f.fix}", soft_wrap=True)
    for error in result.errors:
        console.print(f"note: {error}")
    console.print(verdict(result))
    return buffer.getvalue()


def _sarif_rules(text: str) -> str:
    """Add the doctor's checks to the SARIF driver so that results point at described rules."""
    from ..doctor import all_checks

    log = json.loads(text)
    driver = log["runs"][0]["tool"]["driver"]
    rules = driver.setdefault("rules", [])
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    for check in all_checks():
        if check.id not in index:
            index[check.id] = len(rules)
            rules.append({
                "id": check.id, "name": check.name,
                "shortDescription": {"text": check.name}, "fullDescription": {"text": check.why},
                "help": {"text": check.fix, "markdown": check.fix},
                "defaultConfiguration": {"level": {"error": "error", "warning": "warning"}.get(check.severity, "note")},
                "properties": {"tags": ["doctor", "pytorch"]},
            })  # fmt: skip
    for entry in log["runs"][0]["results"]:
        if entry["ruleId"] in index:
            entry["ruleIndex"] = index[entry["ruleId"]]
    return json.dumps(log, indent=2)
