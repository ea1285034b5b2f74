"""``trtready`` entry point: subcommands, one-line errors, exit codes.

Each subcommand lives in its own module with ``add_parser(subparsers)`` (which
sets ``func`` to a ``run(args) -> int``). This is the one place that turns a
:class:`~trtready.errors.UserError` into a message and an exit code.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import warnings
from importlib import import_module

from ..deferred_imports import defer_sympy
from ..errors import ExitCode, UserError, one_line
from .reporting import add_verbosity

COMMANDS = ("export", "demo", "check", "fix", "rules", "explain", "doctor")

EPILOG = """\
exit codes (bit flags, combined with |):
  0  success
  1  TensorRT error-level findings remain (--fail-on warning: warnings too)
  2  usage error: bad command line, bad spec, unreadable file
  4  verification failed: ONNX Runtime disagrees with PyTorch
  8  a stage failed: no exporter produced a model, or a write failed
130  interrupted (Ctrl-C or SIGTERM): temporary files removed, no output written
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trtready",
        description="Turn PyTorch models into verified, TensorRT-ready ONNX files.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_VersionAction, help="print the versions of trtready, torch, onnx, "
                        "onnxruntime, onnxscript and onnx_ir, and exit")  # fmt: skip
    add_verbosity(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = _command_module(name)
        if module is not None:
            module.add_parser(sub, EPILOG)
            if not any(a.dest == "verbosity" for a in sub.choices[name]._actions):
                add_verbosity(sub.choices[name])
    return parser


class _VersionAction(argparse.Action):
    """``--version``: the versions read from package metadata (no torch import), then exit 0."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        from ..versions import versions_text

        sys.stdout.write(versions_text() + "\n")
        parser.exit(0)


#: Commands that never import torch (nor sympy): see ``trtready.deferred_imports``.
LINT_COMMANDS = ("check", "rules", "explain")


def _command(argv: list[str]) -> str | None:
    """The subcommand named on the command line (its first word that is not an option)."""
    return next((word for word in argv if not word.startswith("-")), None)


def _command_module(name: str):
    try:
        return import_module(f"trtready.cli.{name}_cmd")
    except ModuleNotFoundError as exc:
        if exc.name == f"trtready.cli.{name}_cmd":
            return None
        raise


def main(argv: list[str] | None = None) -> int:
    from ..report.console import mark_command_start

    mark_command_start()
    if not os.environ.get("TRTREADY_DEBUG"):
        # Library warnings (deprecations, tracer notes) would bury the report; exporter
        # warnings are captured per attempt and shown in the summary instead.
        warnings.simplefilter("ignore")
        for noisy in ("onnx_ir", "onnxscript", "torch.onnx"):
            logging.getLogger(noisy).setLevel(logging.ERROR)
    if _command(sys.argv[1:] if argv is None else argv) in LINT_COMMANDS:
        defer_sympy()  # onnx_ir imports sympy, which these commands never use: 0.3-0.4 s saved
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return int(ExitCode.USAGE)
    on_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _interrupt) if on_main_thread else None  # clean up like Ctrl-C
    try:
        return int(args.func(args))
    except UserError as exc:
        _fail(f"error: {exc.message}", exc.hint)
        return int(ExitCode.USAGE)
    except KeyboardInterrupt:
        _fail("interrupted", None)
        return INTERRUPTED
    except (OSError, MemoryError) as exc:  # the machine or the input refused: a file, a path, a size
        _fail(f"error: {_system_error(exc)}", None)
        return int(ExitCode.USAGE)
    except Exception as exc:  # a bug in trtready: keep the traceback when asked
        if os.environ.get("TRTREADY_DEBUG"):
            raise
        _fail(f"internal error: {type(exc).__name__}: {exc}", "set TRTREADY_DEBUG=1 for the traceback and report it")
        return int(ExitCode.STAGE_FAILED)
    finally:
        if on_main_thread:
            signal.signal(signal.SIGTERM, previous)


INTERRUPTED = 130


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _system_error(exc: BaseException) -> str:
    if isinstance(exc, MemoryError):
        return "out of memory (a size in the input is too large)"
    where = f": {exc.filename}" if getattr(exc, "filename", None) else ""
    if isinstance(exc, OSError):  # strerror is None for an OSError raised with a message only
        return f"{exc.strerror}{where}" if exc.strerror else (one_line(exc) + where)
    return str(exc)


def _fail(message: str, hint: str | None) -> None:
    first = message.strip().splitlines()[0] if message.strip() else message
    print(first + (f" (hint: {hint})" if hint else ""), file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
