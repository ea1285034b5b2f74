"""Run trtready's CLI on a mutant in a forked child and judge what it did.

Each call is ``trtready.cli.main.main(argv)`` in-process in a child forked from
the caller (no new interpreter), with:

- a time bound: the parent kills the child after ``timeout`` seconds (a hang);
  inside, ``fix`` stops an ONNX Runtime run after ``run_seconds`` (its own
  bound, ``trtready.passes.runner.RUN_SECONDS``, lowered so that a model that
  never ends costs seconds, not minutes);
- a memory bound: ``RLIMIT_AS`` in the child, ``memory`` bytes above what the
  caller had mapped, so an allocation sized by the file fails fast instead of
  swapping the machine;
- stdout and stderr captured at both levels: Python's ``sys.stdout``/``sys.stderr``
  (pytest's ``capsys`` when given, else StringIO) and file descriptors 1 and 2
  (C++ libraries writing directly).

:func:`judge_mutant` runs the three calls on one mutant and returns the
problems found, each as ``(category, message)``; an empty list means trtready
behaved: a documented exit code, no internal error, at most one line on
stderr, no traceback, no hang or crash, no output or temporary file left by a
failed ``fix``, a complete JSON report when ``check --format json`` succeeds,
the input files unchanged, and no file that ``check`` accepts but ``fix``
refuses to read (``fix`` may refuse it only for want of inputs to prove fixes).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import resource
import select
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from mutator import Mutant

from trtready.report.console import PROGRESS_LINE

__all__ = ["CATEGORIES", "Call", "judge_mutant", "run_call", "warm_up"]

#: exit codes ``trtready --help`` documents: bit flags 1|2|4|8, and 130 for an interrupt
DOCUMENTED = frozenset(range(16)) | {130}
CATEGORIES = (
    "internal error", "traceback", "hang", "crash", "partial output", "exit code", "stderr", "input changed",
    "out of memory", "inconsistent",
)  # fmt: skip
#: the reasons ``fix`` may refuse a file that ``check`` accepted: it cannot make inputs to prove fixes
#: with (this message), or check reported the external-data location that fix will not read (TRT003)
_FEED_ERROR = "error: input '"
#: seconds for one ONNX Runtime run inside ``fix`` (trtready.passes.runner.RUN_SECONDS) while fuzzing
RUN_SECONDS = 5.0
GiB = 2**30


@dataclass
class Call:
    argv: list[str]
    code: int | None = None  # None: no exit code (hang, crash, escaped exception)
    stdout: str = ""
    stderr: str = ""  # Python-level and descriptor-level together
    seconds: float = 0.0
    hung: bool = False
    signal: str | None = None  # the signal that killed the child
    escaped: str | None = None  # an exception that got out of main() (its traceback)
    pid: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)


def warm_up(model: Path, scratch: Path) -> None:
    """Run check, check --format json and fix once on a good ``model`` in this process, output
    discarded: the forked children then start with every module imported and every cache filled
    (a cold ``main()`` costs ten times a warm one)."""
    from trtready.cli.main import main

    scratch.mkdir(parents=True, exist_ok=True)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        for argv in (["check", str(model)], ["check", str(model), "--format", "json"], ["fix", str(model), "-o", str(scratch / "warm.onnx")]):
            main(argv)


def _mapped_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def run_call(argv: list[str], *, timeout: float = 60.0, memory: int | None = 4 * GiB, capsys=None, run_seconds: float = RUN_SECONDS) -> Call:
    """``main(argv)`` in a forked child under a time and memory bound (see the module doc)."""
    call = Call(list(argv))
    limit = _mapped_bytes() + memory if memory else None
    read_end, write_end = os.pipe()
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the caller
        os.close(read_end)
        _child(argv, limit, write_end, capsys, run_seconds)
    os.close(write_end)
    call.pid = pid
    chunks, deadline = [], start + timeout
    while True:
        left = deadline - time.perf_counter()
        if left <= 0:
            os.kill(pid, signal.SIGKILL)
            call.hung = True
            break
        ready, _, _ = select.select([read_end], [], [], min(left, 1.0))
        if ready:
            chunk = os.read(read_end, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    os.close(read_end)
    _, status = os.waitpid(pid, 0)
    call.seconds = time.perf_counter() - start
    if os.WIFSIGNALED(status) and not call.hung:
        call.signal = signal.Signals(os.WTERMSIG(status)).name
    if chunks and not call.hung:
        try:
            report = json.loads(b"".join(chunks))
        except ValueError:
            report = {"escaped": "the child's report is not JSON"}
        call.code, call.stdout, call.stderr, call.escaped = report.get("code"), report.get("stdout", ""), report.get("stderr", ""), report.get("escaped")
    return call


def _child(argv, limit, write_end, capsys, run_seconds) -> None:
    report: dict = {}
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        if limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        fd_out, fd_err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(fd_out.fileno(), 1)
        os.dup2(fd_err.fileno(), 2)
        if capsys is not None:
            capsys.readouterr()  # what the parent printed before the fork is not ours
        else:
            sys.stdout, sys.stderr = io.StringIO(), io.StringIO()
        import trtready.passes.runner
        from trtready.cli.main import main

        trtready.passes.runner.RUN_SECONDS = run_seconds

        try:
            report["code"] = main(argv)
        except BaseException:  # noqa: BLE001 - an exception out of main() is a finding, reported below
            report["escaped"] = traceback.format_exc()
        if capsys is not None:
            out, err = capsys.readouterr()
        else:
            out, err = sys.stdout.getvalue(), sys.stderr.getvalue()
        sys.__stdout__.flush()
        sys.__stderr__.flush()
        for stream in (fd_out, fd_err):
            stream.seek(0)
        report["stdout"] = out + fd_out.read().decode("utf-8", "replace")
        report["stderr"] = err + fd_err.read().decode("utf-8", "replace")
    except BaseException:  # noqa: BLE001
        report["escaped"] = traceback.format_exc()
    finally:
        data = json.dumps(report).encode()
        while data:
            data = data[os.write(write_end, data) :]
        os._exit(0)


def _hashes(directory: Path) -> dict[str, str]:
    hashes = {}
    for path in sorted(directory.rglob("*")):
        if path.is_symlink():
            hashes[str(path.relative_to(directory))] = "->" + os.readlink(path)
        elif path.is_file():
            hashes[str(path.relative_to(directory))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


def _leftover_temp(pid: int) -> list[str]:
    """Temporary folders of the (finished) child in the system temp dir: their names carry its pid."""
    base = Path(tempfile.gettempdir())
    return [p.name for p in base.glob(f"trtready-*{pid}-*")]


def _judge(call: Call, kind: str) -> None:
    say = call.problems.append
    if call.hung:
        say(("hang", f"{kind}: no exit after {call.seconds:.0f} s"))
        return
    if call.signal:
        say(("crash", f"{kind}: killed by {call.signal}"))
        return
    if call.escaped:
        say(("traceback", f"{kind}: exception out of main(): {call.escaped.strip().splitlines()[-1]}"))
        return
    if "internal error" in call.stderr:
        say(("internal error", f"{kind}: {call.stderr.strip()}"))
    if "Traceback" in call.stderr or "Traceback" in call.stdout:
        say(("traceback", f"{kind}: {call.stderr.strip()[-300:]}"))
    if "out of memory" in call.stderr:
        say(("out of memory", f"{kind}: an allocation was not capped: {call.stderr.strip()}"))
    if call.code not in DOCUMENTED:
        say(("exit code", f"{kind}: exit {call.code}"))
    lines = [line for line in call.stderr.strip().splitlines() if not PROGRESS_LINE.match(line)]  # steps over 1 s
    if len(lines) > 1:
        say(("stderr", f"{kind}: {len(lines)} lines on stderr: {lines[:3]}"))
    if call.code is not None and call.code >= 2 and call.stdout.strip():
        say(("partial output", f"{kind}: exit {call.code} with a report on stdout: {call.stdout.strip()[:200]}"))
    if kind == "check-json" and call.code in (0, 1):
        try:
            json.loads(call.stdout)
        except ValueError:
            say(("partial output", f"{kind}: exit {call.code} but stdout is not one JSON document"))
    leftovers = _leftover_temp(call.pid)
    if leftovers:
        say(("partial output", f"{kind}: temporary files left behind: {leftovers}"))


def _reported_location(check_json: Call) -> bool:
    """``check`` reported external data at a location fix refuses to read from (TRT003)."""
    try:
        return any(f["rule_id"] == "TRT003" for f in json.loads(check_json.stdout)["findings"])
    except (ValueError, KeyError, TypeError):
        return False


def judge_mutant(
    mutant: Mutant, directory: Path, *, timeout: float = 60.0, memory: int | None = 4 * GiB, capsys=None, run_seconds: float = RUN_SECONDS,
) -> list[Call]:  # fmt: skip
    """Write ``mutant`` under ``directory`` and run check, check --format json and fix on it; each Call holds its problems."""
    model = mutant.write(directory / "in")
    out_dir = directory / "out"
    out_dir.mkdir()
    output = out_dir / "fixed.onnx"
    before = _hashes(directory / "in")
    calls = {
        "check": [ "check", str(model)],
        "check-json": ["check", str(model), "--format", "json"],
        "fix": ["fix", str(model), "-o", str(output)],
    }
    results = []
    for kind, argv in calls.items():
        call = run_call(argv, timeout=timeout, memory=memory, capsys=capsys, run_seconds=run_seconds)
        _judge(call, kind)
        if kind == "fix" and not call.hung and not call.signal:
            written = sorted(p.name for p in out_dir.iterdir())
            if call.code in (0, 1):
                if output.name not in written or any(n not in (output.name, f"{output.name}.data") for n in written):
                    call.problems.append(("partial output", f"fix: exit {call.code} but {out_dir} holds {written}"))
            elif written:
                call.problems.append(("partial output", f"fix: exit {call.code} but it left {written}"))
        after = _hashes(directory / "in")
        if after != before:
            changed = sorted(set(after.items()) ^ set(before.items()))
            call.problems.append(("input changed", f"{kind}: the input folder changed: {changed[:4]}"))
            before = after
        results.append(call)
    check, fix = results[0], results[2]
    if check.code in (0, 1) and fix.code == 2 and not fix.stderr.startswith(_FEED_ERROR) and not _reported_location(results[1]):
        fix.problems.append(("inconsistent", f"check accepted the file (exit {check.code}) but fix refused it: {fix.stderr.strip()}"))
    return results
