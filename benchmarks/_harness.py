"""The harness shared by ``corpus_bench.py`` and ``zoo.py``: export every model with every tool, judge each file.

A benchmark is a :class:`Bench` (its models, its tools, its defaults); ``main(bench)``
is its command line. Every model runs in its own Python subprocess (``--child``,
killed with its process group after ``--model-timeout``). Inside it each base
exporter (``torchscript``, ``dynamo``, ``trtready``) runs once in a forked child,
then every tool built on that file (the file itself, or the file through
``onnxsim`` / ``onnxslim``) is simplified and judged in another forked child; the
tool's ``--timeout`` covers its export, simplification and judging, one tool
after the other, with ``torch.set_num_threads(1)``. The judging forks start from
the model as it was before any exporter ran (exporters run in their own forks).

Judging, the same for every tool: ``independent_verify.verify`` (ONNX Runtime
against the eager model on ``entry.data(batch, seed)`` at batches 1, 2, 3, 8 and
several seeds), ``trtready.check(path, trt="10.1")`` for error-level TensorRT
findings, the node count (``onnx``, subgraphs included) and the file's ONNX Runtime
latency (``independent_verify.latency_ms``: median of 5 runs at batch 2 after a warm-up).
READY = exported + right at every batch + no TensorRT error.

Measured per tool as well: ``seconds`` (export, plus the simplifier), ``peak_mb`` (the most
the tool's export and simplify children added to their resident memory over their start,
see :class:`PeakMemory`) and, for trtready, its own per-stage seconds (``steps``). With
``--warm`` each model's process first runs every tool on a tiny model, so that neither
counts the libraries' first imports. The zoo's peer tables are in ``_tables.py``.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import pickle
import platform
import re
import resource
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from _tables import markdown, print_peer_tables

PLAIN = ("torchscript", "dynamo")
BEST_PLAIN = "best plain"
OPSET = 18
TRT_RELEASE = "10.1"
VERDICTS = ("exported", "right_export", "right_others", "trt_clean", "ready")
HEADERS = ("tool", "exported", "verified @ export batch", "verified @ other batches", "TRT-clean", "READY")
SIZE_HEADERS = ("median nodes", "median export seconds", "median ORT ms", "median peak MB")
VERSIONED = ("torch", "torchvision", "onnx", "onnxruntime", "onnxscript", "onnxsim", "onnxslim", "timm",
             "transformers", "trtready")  # fmt: skip
MATRIX_KEY = "READY; x no file; W wrong at the export batch; B wrong at another batch; T TensorRT errors"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class Bench:
    """One benchmark: where its models come from, which tools it offers, its defaults."""

    name: str  # "corpus" | "zoo": log directory, temp-file prefixes, the --check-NAME flag
    script: str  # the script that runs the models (re-run with --child)
    description: str
    tools: tuple[str, ...]  # every tool it offers, in display order ("base" or "base+simplifier")
    registry: Callable[[], list]  # every entry (corpus.Entry), imported lazily
    timeout: float = 300.0  # default --timeout: seconds per tool and model
    size_columns: bool = False  # median nodes and export seconds in the summary
    slow_forward: float | None = 1.0  # --check-NAME flags a forward slower than this (seconds)


# =============================================================================
# isolation: a function in a forked child with its own process group and a deadline
# =============================================================================


def run_forked(fn, *args, timeout: float):
    """``fn(*args)`` in a forked child (own process group, stdout sent to stderr); its pickled value.

    Raises TimeoutError (the child's group is killed) or RuntimeError (it raised or died).
    """
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the caller's code
        try:
            os.close(reader)
            os.setpgid(0, 0)
            os.dup2(2, 1)  # exporter chatter goes to the model's log, not the table
            try:
                payload = pickle.dumps(("ok", fn(*args)))
            except BaseException as exc:  # noqa: BLE001 - reported to the parent
                payload = pickle.dumps(("error", f"{type(exc).__name__}: {one_line(exc)}"))
            with os.fdopen(writer, "wb") as f:
                f.write(payload)
        finally:
            os._exit(0)
    os.close(writer)
    data = _read_until(reader, pid, time.monotonic() + timeout)
    _, status = os.waitpid(pid, 0)
    if not data:
        raise RuntimeError(f"the child died ({_exit_text(status)})")
    kind, value = pickle.loads(data)
    if kind == "error":
        raise RuntimeError(value)
    return value


def _read_until(fd: int, pid: int, deadline: float) -> bytes:
    """Everything the child writes to ``fd`` until it closes it; kill its group at ``deadline``."""
    chunks = []
    with os.fdopen(fd, "rb", buffering=0) as pipe:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([pipe], [], [], left)[0]:
                _kill_group(pid)
                os.waitpid(pid, 0)
                raise TimeoutError("timed out")
            chunk = pipe.read(1 << 16)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _exit_text(status: int) -> str:
    return f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else f"exit code {os.WEXITSTATUS(status)}"


def one_line(exc: BaseException) -> str:
    text = " ".join(_ANSI.sub("", str(exc)).split())
    return text[:500] or type(exc).__name__


# =============================================================================
# memory: what a forked child adds to its resident set
# =============================================================================


class PeakMemory:
    """The most this process (or any child it waited for) had resident, over its resident set at the start, in MB.

    ``with PeakMemory() as peak: ...; peak.added_mb``. At the start it resets the peak
    (``/proc/self/clear_refs`` "5" sets ``VmHWM`` to the current RSS) and reads ``VmRSS``; at the end
    it reads ``VmHWM`` and the children's ``ru_maxrss`` (trtready exports in forked children of its own;
    a forked child starts with its parent's resident pages counted). Meant for a freshly forked child:
    the pages it shares with the model process count in its start, so only what it adds is measured.
    ``added_mb`` is None where ``/proc`` cannot tell (not Linux).
    """

    def __enter__(self) -> Self:
        self.added_mb: float | None = None
        self._start_kb = _reset_peak()
        return self

    def __exit__(self, *exc_info) -> None:
        peak_kb = _proc_status_kb("VmHWM")
        if self._start_kb is None or peak_kb is None:
            return
        children_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # kB on Linux
        self.added_mb = round(max(0, max(peak_kb, children_kb) - self._start_kb) / 1024, 1)


def _reset_peak() -> int | None:
    """Reset this process's ``VmHWM`` to its current RSS; that RSS in kB (None without ``/proc``)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return None
    return _proc_status_kb("VmRSS")


def _proc_status_kb(field: str) -> int | None:
    """A ``/proc/self/status`` field in kB (``VmRSS``, ``VmHWM``)."""
    try:
        with open("/proc/self/status") as f:
            line = next((line for line in f if line.startswith(field + ":")), None)
    except OSError:
        return None
    return int(line.split()[1]) if line else None


# =============================================================================
# child side: one model, every tool
# =============================================================================


class ModelCase:
    """One model prepared for export: the pristine module, example, names and batch axes."""

    def __init__(self, entry):
        from torch.utils import _pytree as pytree

        self.entry = entry
        self.model = entry.build()
        self.example = entry.example()
        self.input_names = entry.input_names(self.model)
        at2, at3 = self._outputs(self.example), self._outputs(entry.data(3, 0))
        self.output_names = [f"out{i}" for i in range(len(at2))]
        leaves2, self.input_spec = pytree.tree_flatten(self.example)
        leaves3 = pytree.tree_leaves(entry.data(3, 0))
        self.batched_leaves = [_has_batch(a, b) for a, b in zip(leaves2, leaves3)]  # every input leaf, pytree order
        self.batched_inputs = [flag for leaf, flag in zip(leaves2, self.batched_leaves) if _is_tensor(leaf)]
        self.batched_outputs = [_has_batch(a, b) for a, b in zip(at2, at3)] if len(at2) == len(at3) else []

    def _outputs(self, inputs: tuple) -> list:
        import torch
        from independent_verify import tensor_leaves

        with torch.no_grad():
            return tensor_leaves(copy.deepcopy(self.model)(*inputs))

    @property
    def export_args(self) -> tuple:
        """The example for ``torch.onnx.export``: a trailing dict input needs the documented empty kwargs dict."""
        return (*self.example, {}) if self.example and isinstance(self.example[-1], dict) else self.example


def _is_tensor(value) -> bool:
    import torch

    return isinstance(value, torch.Tensor)


def _has_batch(at2, at3) -> bool:
    """The tensor has the batch on dim 0: its size there is 2 at batch 2 and 3 at batch 3."""
    return (_is_tensor(at2) and _is_tensor(at3) and at2.dim() >= 1 and at3.dim() >= 1
            and at2.shape[0] == 2 and at3.shape[0] == 3)  # fmt: skip


def export_torchscript(case: ModelCase, path: str) -> dict:
    """``torch.onnx.export(dynamo=False)``, dynamic_axes on dim 0 of every batched input and output."""
    import torch

    names = case.input_names + case.output_names
    flags = case.batched_inputs + case.batched_outputs
    dynamic_axes = {n: {0: "batch"} for n, flag in zip(names, flags) if flag}
    with torch.no_grad():
        torch.onnx.export(case.model, case.export_args, path, dynamo=False, opset_version=OPSET,
                          input_names=case.input_names, output_names=case.output_names,
                          dynamic_axes=dynamic_axes)  # fmt: skip
    return {}


def export_dynamo(case: ModelCase, path: str) -> dict:
    """``torch.onnx.export(dynamo=True)``, ``Dim.AUTO`` on dim 0 of every batched input."""
    import torch
    from torch.utils import _pytree as pytree

    auto = torch.export.Dim.AUTO
    dynamic_shapes = pytree.tree_unflatten([{0: auto} if flag else None for flag in case.batched_leaves],
                                           case.input_spec)  # fmt: skip
    with torch.no_grad():
        torch.onnx.export(case.model, case.export_args, path, dynamo=True, opset_version=OPSET,
                          input_names=case.input_names, output_names=case.output_names,
                          dynamic_shapes=tuple(dynamic_shapes))  # fmt: skip
    return {}


def export_trtready(case: ModelCase, path: str) -> dict:
    """``trtready.export(model, example, path, trt="10.1")`` as a user calls it; its JSON report saved next to it."""
    import trtready

    result = trtready.export(case.model, case.example, path, trt=TRT_RELEASE)
    Path(path).with_suffix(".json").write_text(result.to_json())
    report = result.to_dict()
    written = bool(report["written"])
    if written and result.output_path != path:
        raise RuntimeError(f"trtready wrote {result.output_path}, not {path}")
    row = {
        "self_ok": bool(result), "self_verified": report["verified"], "self_written": written,
        "self_errors": report["errors"], "self_counts": report["counts"], "chosen": report["chosen"],
        "choice_reason": report["choice_reason"], "self_failure": _self_failure(report),
        "steps": {stage: round(s, 3) for stage, s in (report.get("steps") or {}).items()},  # "<attempt>: <stage>" -> s
    }  # fmt: skip
    if not written:
        row["error"] = "no file written: " + ("; ".join(report["errors"]) or "no reason given")
    return row


def _self_failure(report: dict) -> str | None:
    """trtready's own first reason: a stage error, a failing row, another row not "pass", or its TensorRT errors."""
    if report["errors"]:
        return report["errors"][0]
    rows = report["verification"]
    bad = next((r for r in rows if r["status"] in ("fail", "error")), None)
    bad = bad or next((r for r in rows if r["status"] != "pass"), None)
    if bad:
        return f"batch {bad['batch']} {bad['output']}: {bad['status']}: {bad['message']}"
    errors = report["counts"].get("error", 0)
    return f"{errors} error-level TensorRT findings" if errors else None


def simplify_onnxsim(src: str, dst: str) -> None:
    """``onnxsim.simplify`` with its defaults; its own check must pass."""
    import onnx
    import onnxsim

    model, ok = onnxsim.simplify(onnx.load(src))
    if not ok:
        raise RuntimeError("the simplified model failed onnxsim's own check")
    onnx.save(model, dst)


def simplify_onnxslim(src: str, dst: str) -> None:
    """``onnxslim.slim`` with its defaults."""
    import onnx
    import onnxslim

    model = onnxslim.slim(onnx.load(src))
    if model is None:
        raise RuntimeError("onnxslim returned nothing")
    onnx.save(model, dst)


EXPORTERS = {"torchscript": export_torchscript, "dynamo": export_dynamo, "trtready": export_trtready}
SIMPLIFIERS = {"onnxsim": simplify_onnxsim, "onnxslim": simplify_onnxslim}


def split_tool(tool: str) -> tuple[str, str | None]:
    """``"torchscript+onnxsim"`` -> ``("torchscript", "onnxsim")``; ``"dynamo"`` -> ``("dynamo", None)``."""
    base, _, simplifier = tool.partition("+")
    return base, simplifier or None


def make_file(case: ModelCase, base: str, path: str) -> dict:
    """Export with ``base``: the row so far (seconds, exported, the tool's error or own verdict)."""
    import torch

    torch.set_num_threads(1)
    row: dict = {}
    start = time.perf_counter()
    with PeakMemory() as peak:
        try:
            row |= EXPORTERS[base](case, path)
        except Exception as exc:  # noqa: BLE001 - the tool's failure is its row
            row["error"] = f"{type(exc).__name__}: {one_line(exc)}"
    row["seconds"] = round(time.perf_counter() - start, 2)
    row["export_peak_mb"] = peak.added_mb
    row["exported"] = "error" not in row and Path(path).is_file()
    return row


def finish_tool(case: ModelCase, tool: str, raw: str, workdir: str) -> dict:
    """The tool's file (``raw`` itself, or ``raw`` through the tool's simplifier), judged."""
    import torch

    torch.set_num_threads(1)
    _, simplifier = split_tool(tool)
    row: dict = {}
    path = raw
    if simplifier:
        path = str(Path(workdir) / f"{tool}.onnx")
        start = time.perf_counter()
        with PeakMemory() as peak:
            try:
                SIMPLIFIERS[simplifier](raw, path)
            except Exception as exc:  # noqa: BLE001 - the simplifier's failure is the tool's row
                row["error"] = f"{simplifier}: {type(exc).__name__}: {one_line(exc)}"
        row |= {"simplify_seconds": round(time.perf_counter() - start, 2), "simplify_peak_mb": peak.added_mb}
        if "error" in row:
            return row | {"exported": False}
    return row | judge(path, case)


def judge(path: str, case: ModelCase) -> dict:
    """Independent verification at every batch and seed, TensorRT errors from trtready.check, node count."""
    from independent_verify import verify

    import trtready

    verdict = verify(path, case.model, case.entry.data, case.input_names)
    check = trtready.check(path, trt=TRT_RELEASE)
    trt_errors = Counter(f"{f.rule_id} {f.name}" for f in check.findings if f.severity == "error")
    return {
        "right_export": verdict.right_export, "right_others": verdict.right_others, "verify": verdict.to_dict(),
        "trt_clean": not trt_errors, "trt_errors": dict(trt_errors), "nodes": count_nodes(path),
    } | ort_latency(path, case, verdict.session_error is None)  # fmt: skip


def ort_latency(path: str, case: ModelCase, loads: bool) -> dict:
    """``ort_ms``: the file's ONNX Runtime latency at batch 2 (None when ONNX Runtime cannot load or run it)."""
    from independent_verify import latency_ms

    if not loads:
        return {"ort_ms": None}
    try:
        return {"ort_ms": latency_ms(path, case.entry.data, case.input_names)}
    except Exception as exc:  # noqa: BLE001 - a file ONNX Runtime cannot run has no latency
        return {"ort_ms": None, "ort_error": f"{type(exc).__name__}: {one_line(exc)[:200]}"}


def count_nodes(path: str) -> int:
    """Nodes in the file's graph, the nodes of subgraphs (If/Loop/Scan bodies) included."""
    import onnx

    def count(graph) -> int:
        total = 0
        for node in graph.node:
            total += 1
            for attr in node.attribute:
                total += sum(count(g) for g in ([attr.g] if attr.HasField("g") else [])) + sum(map(count, attr.graphs))
        return total

    return count(onnx.load(path, load_external_data=False).graph)


def warm_up(tools: list[str], workdir: str) -> None:
    """Every base exporter and simplifier of the run once on a tiny model, in the model process (``--warm``).

    The forks then start with the libraries each tool imports lazily already loaded (torch.export and
    the dynamo exporter alone add about 160 MB and 4-5 s on first use), so ``seconds`` and ``peak_mb``
    measure the work on the model rather than first imports. A failure here is logged and ignored.
    """
    import torch

    tiny = torch.nn.Sequential(torch.nn.Linear(4, 2), torch.nn.ReLU()).eval()
    example = (torch.randn(2, 4),)
    raw = str(Path(workdir) / "warm-up.onnx")
    for base in dict.fromkeys(split_tool(t)[0] for t in tools):
        try:
            WARMERS[base](tiny, example, raw)
        except Exception as exc:  # noqa: BLE001 - only a warm-up
            print(f"warm-up of {base} failed: {type(exc).__name__}: {one_line(exc)}", file=sys.stderr)
    for simplifier in dict.fromkeys(s for t in tools if (s := split_tool(t)[1])):
        try:
            SIMPLIFIERS[simplifier](raw, str(Path(workdir) / f"warm-up-{simplifier}.onnx"))
        except Exception as exc:  # noqa: BLE001 - only a warm-up
            print(f"warm-up of {simplifier} failed: {type(exc).__name__}: {one_line(exc)}", file=sys.stderr)


def _warm_torch_onnx(dynamo: bool):
    def export(model, example: tuple, path: str) -> None:
        import torch

        with torch.no_grad():
            torch.onnx.export(model, example, path, dynamo=dynamo, opset_version=OPSET)

    return export


def _warm_trtready(model, example: tuple, path: str) -> None:
    import trtready

    trtready.export(model, example, path, trt=TRT_RELEASE)


WARMERS = {"torchscript": _warm_torch_onnx(False), "dynamo": _warm_torch_onnx(True), "trtready": _warm_trtready}


def child_main(bench: Bench, opts) -> int:
    """Run every tool on one model (``--child NAME``) and append a JSON row per tool to ``--rows``."""
    import torch

    torch.set_num_threads(1)
    entry = next(e for e in bench.registry() if e.name == opts.child)
    try:
        case = ModelCase(entry)
    except Exception as exc:  # noqa: BLE001 - the model itself is broken
        _append(opts.rows, {"tool": "(model)", "error": f"{type(exc).__name__}: {one_line(exc)}"})
        return 1
    tools = opts.tools.split(",")
    with tempfile.TemporaryDirectory(prefix=f"{bench.name}-{entry.name}-") as workdir:
        if opts.warm:
            warm_up(tools, workdir)
        for base in dict.fromkeys(split_tool(t)[0] for t in tools):
            raw = str(Path(workdir) / f"{base}.onnx")
            try:
                made = run_forked(make_file, case, base, raw, timeout=opts.timeout)
            except (TimeoutError, RuntimeError) as exc:
                made = {"exported": False, "error": f"harness: {exc}", "seconds": opts.timeout}
            for tool in (t for t in tools if split_tool(t)[0] == base):
                _append(opts.rows, {"tool": tool} | _finish(case, tool, raw, workdir, made, opts.timeout))
            for path in Path(workdir).glob(f"{base}*"):
                if opts.keep:
                    target = Path(opts.keep) / entry.name
                    target.mkdir(parents=True, exist_ok=True)
                    path.replace(target / path.name)
                else:
                    path.unlink()
    return 0


def _finish(case: ModelCase, tool: str, raw: str, workdir: str, made: dict, timeout: float) -> dict:
    """The tool's row: the export's, then (if there is a file) simplification and judging in a fork."""
    row = dict(made) | {"peak_mb": made.get("export_peak_mb")}
    if not made["exported"]:
        if split_tool(tool)[1] and "error" in made:
            row["error"] = f"{split_tool(tool)[0]} export: {made['error']}"
        return row
    try:
        row |= run_forked(finish_tool, case, tool, raw, workdir, timeout=max(1.0, timeout - made["seconds"]))
    except (TimeoutError, RuntimeError) as exc:
        if split_tool(tool)[1]:  # the simplifier or the judge: not known which, so no file is claimed
            return row | {"exported": False, "error": f"harness: {exc}"}
        row["judge_error"] = f"harness: {exc}"
    row["seconds"] = round(made["seconds"] + row.get("simplify_seconds", 0.0), 2)
    row["peak_mb"] = _max_known(made.get("export_peak_mb"), row.get("simplify_peak_mb"))
    return row


def _max_known(*values: float | None) -> float | None:
    known = [v for v in values if v is not None]
    return max(known) if known else None


def _append(rows_path: str, row: dict) -> None:
    with open(rows_path, "a") as f:
        f.write(json.dumps(row, default=str) + "\n")


# =============================================================================
# parent side: subprocesses, verdicts, tables
# =============================================================================


def run_model(bench: Bench, entry, label: str, opts, tools: list[str]) -> list[dict]:
    """Run one model's child process; one row per tool (a failed child gives failure rows)."""
    with tempfile.NamedTemporaryFile("r", prefix=f"{bench.name}-rows-", suffix=".jsonl", delete=False) as f:
        rows_path = f.name
    log_dir = Path(opts.logs)
    log_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, str(Path(bench.script).resolve()), "--child", entry.name, "--rows", rows_path,
           "--tools", ",".join(tools), "--timeout", str(opts.timeout)]  # fmt: skip
    cmd += ["--keep", opts.keep] if opts.keep else []
    cmd += ["--warm"] if opts.warm else []
    model_timeout = opts.model_timeout or len(tools) * opts.timeout + 120
    start = time.perf_counter()
    with open(log_dir / f"{entry.name}.log", "w") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=log, start_new_session=True)
        try:
            code = proc.wait(timeout=model_timeout)
            why = None if code == 0 else f"model process exited with code {code} (see {log.name})"
        except subprocess.TimeoutExpired:
            _kill_group(proc.pid)
            proc.wait()
            why = f"model timed out after {model_timeout:.0f}s"
    elapsed = round(time.perf_counter() - start, 1)
    rows = [json.loads(line) for line in Path(rows_path).read_text().splitlines() if line.strip()]
    os.unlink(rows_path)
    model_error = next((r["error"] for r in rows if r["tool"] == "(model)"), None)
    by_tool = {r["tool"]: r for r in rows if r["tool"] != "(model)"}
    out = []
    for tool in tools:
        row = by_tool.get(tool) or {"tool": tool, "exported": False, "error": model_error or why or "no result"}
        row = {"model": entry.name, "group": entry.group, "pattern": entry.pattern} | row
        row["model_seconds"] = elapsed
        finish_row(row)
        print(f"{label} {entry.name:38s} {tool:20s} {status_text(row)}", flush=True)
        out.append(row)
    return out


def finish_row(row: dict) -> None:
    """Fill the verdict columns: every missing one is False; READY is their conjunction."""
    for key in VERDICTS[:-1]:
        row[key] = bool(row.get(key))
    row["right_others"] = row["right_export"] and row["right_others"]
    row["ready"] = row["exported"] and row["right_others"] and row["trt_clean"]


def best_plain_rows(rows: list[dict]) -> list[dict]:
    """The virtual "best plain" tool: each verdict true if either plain exporter has it (READY: one READY file)."""
    by = _index(rows)
    out = []
    for model in dict.fromkeys(r["model"] for r in rows):
        plain = [by[(model, t)] for t in PLAIN if (model, t) in by]
        if not plain:
            continue
        row = {"model": model, "group": plain[0]["group"], "pattern": plain[0]["pattern"], "tool": BEST_PLAIN}
        row |= {key: any(r[key] for r in plain) for key in VERDICTS}
        out.append(row)
    return out


def status_text(row: dict) -> str:
    """One line for a tool on a model."""
    if not row["exported"]:
        return f"FAILED   {_no_file_reason(row)[:200]}"
    marks = "right b1,2,3,8" if row["right_others"] else "right b2 only" if row["right_export"] else "WRONG"
    if row.get("judge_error"):
        trt = "not judged"
    else:
        trt = "trt-clean" if row["trt_clean"] else "TRT: " + ", ".join(row.get("trt_errors", {}))
    text = f"{'READY' if row['ready'] else 'exported':8s} {marks:15s} {trt}  nodes={row.get('nodes')}"
    text += f"  {row.get('seconds', 0):.1f}s"
    if "self_ok" in row:
        text += f"  [self: {'ok' if row['self_ok'] else 'not ok'}, {row.get('chosen')}]"
    failure = row.get("judge_error") or (row.get("verify") or {}).get("first_failure")
    if failure and not row["right_others"]:
        text += f"  ({failure[:160]})"
    return text


def _no_file_reason(row: dict) -> str:
    return row.get("error") or "; ".join(row.get("self_errors") or []) or "no file"


def _index(rows: list[dict]) -> dict:
    return {(r["model"], r["tool"]): r for r in rows}


def _median(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarize(rows: list[dict], tools: list[str]) -> list[dict]:
    """Per tool: counts and percentages of every verdict over the models of the run; median nodes, export
    seconds, ONNX Runtime ms and peak MB over the files it wrote (None where no row has the value)."""
    n = len({r["model"] for r in rows}) or 1
    out = []
    for tool in tools:
        got = [r for r in rows if r["tool"] == tool]
        counts = {key: sum(r[key] for r in got) for key in VERDICTS}
        exported = [r for r in got if r["exported"]]
        sizes = {key: _median([r.get(key) for r in exported]) for key in ("nodes", "seconds", "ort_ms", "peak_mb")}
        out.append({"tool": tool, "models": n} | counts | {f"{k}_pct": 100 * v / n for k, v in counts.items()} | sizes)
    return out


def self_verdicts(rows: list[dict]) -> dict:
    """trtready's own verdict (bool(result)) against the independent one, over the files it wrote."""
    written = [r for r in rows if r["tool"] == "trtready" and r["exported"]]
    false_alarms = [r for r in written if not r.get("self_ok") and r["right_others"]]
    false_passes = [r for r in written if r.get("self_ok") and not r["right_others"]]
    agree = len(written) - len(false_alarms) - len(false_passes)
    return {"written": len(written), "agree": agree, "false_alarms": false_alarms, "false_passes": false_passes}


def cell(row: dict | None) -> str:
    """Matrix cell: READY, or what is missing: x no file; W wrong at batch 2; B wrong at other batches; T TRT errors."""
    if row is None or not row["exported"]:
        return "x"
    if row["ready"]:
        return "READY"
    numeric = "W" if not row["right_export"] else "B" if not row["right_others"] else ""
    return numeric + ("" if row["trt_clean"] else "T")


def summary_cells(summary: list[dict], size_columns: bool) -> list[list[str]]:
    cells = []
    for s in summary:
        line = [s["tool"]] + [f"{s[k]} ({s[k + '_pct']:.0f}%)" for k in VERDICTS]
        if size_columns:
            line += [_fmt(s["nodes"], 0), _fmt(s["seconds"], 1), _fmt(s.get("ort_ms"), 2), _fmt(s.get("peak_mb"), 0)]
        cells.append(line)
    return cells


def _fmt(value, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def shown_tools(tools: list[str]) -> list[str]:
    """Display order: the peers as given, "best plain" (if a plain exporter ran), trtready last."""
    shown = [t for t in tools if t != "trtready"] + ([BEST_PLAIN] if set(PLAIN) & set(tools) else [])
    return shown + (["trtready"] if "trtready" in tools else [])


def report(bench: Bench, rows: list[dict], tools: list[str], seconds: float, warm: bool = False) -> None:
    """Print the summary table, trtready's self-verdict agreement, the per-model matrix and the lists."""
    from independent_verify import BATCHES

    all_rows = rows + best_plain_rows(rows)
    shown = shown_tools(tools)
    n = len({r["model"] for r in rows})
    batches = ", ".join(map(str, BATCHES))
    print(f"\n## Summary: {n} models, {seconds / 60:.1f} min (verified at batches {batches}; TensorRT {TRT_RELEASE})\n")
    headers = HEADERS + (SIZE_HEADERS if bench.size_columns else ())
    print(markdown(headers, summary_cells(summarize(all_rows, shown), bench.size_columns)))
    if bench.size_columns:
        print("\n(medians over the files each tool wrote; a simplified file's seconds include its export; trtready's "
              "include its own verification and any second exporter attempt; ORT ms: ONNX Runtime CPU, one thread, "
              "batch 2; peak MB: resident memory the export and simplify processes added; "
              + ("libraries warmed up first (--warm)" if warm else "first imports included: run with --warm to "
                 "leave them out") + ")")  # fmt: skip
    by = _index(all_rows)
    if "trtready" in tools:
        sv = self_verdicts(rows)
        print(f"\ntrtready's own verdict vs the independent verifier, over the {sv['written']} files it wrote: "
              f"{sv['agree']} agree, {len(sv['false_alarms'])} false alarms (says not verified, independently right), "
              f"{len(sv['false_passes'])} false passes (says verified, independently wrong)")  # fmt: skip
    print(f"\n## Per model ({MATRIX_KEY})\n")
    models = list(dict.fromkeys(r["model"] for r in rows))
    patterns = {r["model"]: r["pattern"] for r in reversed(rows)}
    matrix = [[m, patterns[m], *(cell(by.get((m, t))) for t in shown)] for m in models]
    print(markdown(["model", "pattern", *shown], matrix))
    print_groups(all_rows, shown)
    if "trtready" in tools:
        print_lists(rows, all_rows)
    if bench.size_columns:
        print_peer_tables(rows)


def print_groups(all_rows: list[dict], shown: list[str]) -> None:
    """READY counts per group (corpus module, zoo family)."""
    groups = list(dict.fromkeys(r["group"] for r in all_rows))
    cells = []
    for g in groups:
        got = [r for r in all_rows if r["group"] == g]
        size = len({r["model"] for r in got})
        cells.append([g, str(size)] + [str(sum(r["ready"] for r in got if r["tool"] == t)) for t in shown])
    print("\n## READY per group\n")
    print(markdown(["group", "models", *shown], cells))


def print_lists(rows: list[dict], all_rows: list[dict]) -> None:
    """Where trtready is behind a plain exporter, and its false alarms / false passes, with reasons."""
    by = _index(all_rows)
    behind = [m for m in dict.fromkeys(r["model"] for r in rows)
              if by.get((m, BEST_PLAIN), {}).get("ready") and not by.get((m, "trtready"), {}).get("ready")]  # fmt: skip
    print(f"\n## trtready NOT READY where a plain exporter is READY ({len(behind)})\n")
    for m in behind:
        r = by[(m, "trtready")]
        plain = ", ".join(t for t in PLAIN if by.get((m, t), {}).get("ready"))
        print(f"* {m} (READY with {plain}): trtready {cell(r)}: {_reason(r)}")
    sv = self_verdicts(rows)
    for title, items in (("false alarms", sv["false_alarms"]), ("false passes", sv["false_passes"])):
        print(f"\n## trtready {title} ({len(items)})\n")
        for r in items:
            says = r.get("self_failure") or ("verified" if r.get("self_ok") else "not OK (no reason in its report)")
            print(f"* {r['model']}: trtready says {says}; "
                  f"independent: {(r.get('verify') or {}).get('first_failure') or 'right at every batch'}")  # fmt: skip


def _reason(row: dict) -> str:
    if not row["exported"]:
        return _no_file_reason(row)
    reasons = []
    failure = row.get("judge_error") or (row.get("verify") or {}).get("first_failure")
    if failure:
        reasons.append(failure)
    if not row["trt_clean"]:
        reasons.append("TensorRT errors: " + ", ".join(row.get("trt_errors", {})))
    return "; ".join(reasons)[:400]


# =============================================================================
# model self-check (--check-NAME)
# =============================================================================


def check_entries(entries, slow_forward: float | None) -> int:
    """Build and run every entry: timing, finite and non-degenerate references, varying 0-d inputs."""
    import torch

    torch.set_num_threads(1)
    problems = 0
    for entry in entries:
        start = time.perf_counter()
        try:
            model = entry.build()
            build_s = time.perf_counter() - start
            slowest, issues = _reference_issues(model, entry, slow_forward)
            issues = _zero_d_issues(entry) + issues
            summary = f"build {build_s:.2f}s, slowest forward {slowest * 1000:.0f} ms"
        except Exception as exc:  # noqa: BLE001 - a broken entry is reported, the others still run
            issues, summary = [f"raised {type(exc).__name__}: {one_line(exc)}"], "-"
        problems += bool(issues)
        print(f"{entry.name:40s} {entry.pattern:18s} {summary}  {'; '.join(issues[:4]) or 'ok'}", flush=True)
    print(f"\n{len(entries)} entries, {problems} with issues")
    return 1 if problems else 0


def _reference_issues(model, entry, slow_forward: float | None) -> tuple[float, list[str]]:
    """(slowest forward in seconds, issues): degenerate or non-finite references at every batch and seed."""
    import numpy as np
    from independent_verify import BATCHES, SEEDS, is_degenerate, reference_outputs

    slowest, issues = 0.0, []
    for batch in BATCHES:
        for seed in (0, *SEEDS):
            t0 = time.perf_counter()
            refs = reference_outputs(model, entry.data(batch, seed))
            slowest = max(slowest, time.perf_counter() - t0)
            for i, r in enumerate(refs):
                if is_degenerate(r):
                    issues.append(f"b{batch} s{seed} out{i}: degenerate {list(r.shape)}")
                if r.dtype.kind == "f" and not np.isfinite(r).all():
                    issues.append(f"b{batch} s{seed} out{i}: non-finite")
    if slow_forward is not None and slowest > slow_forward:
        issues.append(f"slow forward: {slowest:.2f}s")
    return slowest, issues


def _zero_d_issues(entry) -> list[str]:
    """0-d inputs must take more than one value over the verifier's seeds and differ from the example's."""
    from independent_verify import SEEDS
    from torch.utils import _pytree as pytree

    example = pytree.tree_leaves(entry.example())
    issues = []
    for i, value in enumerate(example):
        if _is_tensor(value) and value.dim() == 0:
            seen = {pytree.tree_leaves(entry.data(2, s))[i].item() for s in SEEDS}
            if len(seen) < 2 or seen == {value.item()}:
                issues.append(f"0-d input {i} does not vary over seeds {SEEDS}: {sorted(seen)}")
    return issues


# =============================================================================
# command line
# =============================================================================


def parse(bench: Bench, argv=None):
    p = argparse.ArgumentParser(description=bench.description, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", help="comma-separated model names or name fragments")
    p.add_argument("--pattern", help="only the models of this pattern (main or tag) or group")
    p.add_argument("--quick", action="store_true", help="only the quick subset")
    p.add_argument("--tools", default=",".join(bench.tools),
                   help="comma-separated subset of: " + ", ".join(bench.tools))  # fmt: skip
    p.add_argument("--timeout", type=float, default=bench.timeout,
                   help="seconds per tool and model: export, simplifying, judging (default %(default)s)")  # fmt: skip
    p.add_argument("--model-timeout", type=float, default=0, help="seconds per model (default: tools x timeout + 120)")
    p.add_argument("--out", help="write the rows, the summary and the settings as JSON")
    p.add_argument("--warm", action="store_true",
                   help="run every tool once on a tiny model in each model's process first, so that export "
                        "seconds and peak MB leave out the libraries' first imports")  # fmt: skip
    p.add_argument("--keep", help="keep every ONNX file (and trtready's JSON report) under this directory")
    p.add_argument("--logs", default=os.path.join(tempfile.gettempdir(), f"{bench.name}-logs"),
                   help="per-model logs (default: %(default)s)")  # fmt: skip
    p.add_argument("--list", action="store_true", help="list the selected models and exit")
    p.add_argument(f"--check-{bench.name}", dest="check", action="store_true",
                   help="sanity-check the selected models and their data (no export) and exit")  # fmt: skip
    p.add_argument("--report", metavar="JSON", help="print the tables again from a saved --out file and exit")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--rows", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(bench: Bench, argv=None) -> int:
    opts = parse(bench, argv)
    if opts.child:
        return child_main(bench, opts)
    if opts.report:
        return report_saved(bench, opts.report)
    from corpus._entry import select as select_entries

    tools = [t.strip() for t in opts.tools.split(",") if t.strip()]
    if unknown := [t for t in tools if t not in bench.tools]:
        print(f"unknown tools {unknown}; choose from {bench.tools}", file=sys.stderr)
        return 2
    entries = select_entries(bench.registry(), opts.only, opts.pattern, opts.quick)
    if not entries:
        print("no model matches", file=sys.stderr)
        return 2
    if opts.list:
        for e in entries:
            print(f"{e.name:40s} {e.group:16s} {'/'.join(e.patterns):28s} {'quick ' if e.quick else ''}{e.form}")
        return 0
    if opts.check:
        return check_entries(entries, bench.slow_forward)
    print(f"{len(entries)} models x {len(tools)} tools; per-model logs in {opts.logs}", flush=True)
    start = time.perf_counter()
    rows: list[dict] = []
    for i, entry in enumerate(entries, 1):
        rows += run_model(bench, entry, f"[{i}/{len(entries)}]", opts, tools)
        if opts.out:  # saved as we go: an interrupted run keeps its rows
            save(opts.out, rows, tools, time.perf_counter() - start, opts.warm)
    seconds = time.perf_counter() - start
    report(bench, rows, tools, seconds, opts.warm)
    if opts.out:
        save(opts.out, rows, tools, seconds, opts.warm)
        print(f"\nrows: {opts.out}")
    return 0


def report_saved(bench: Bench, path: str) -> int:
    """The tables of a saved run (``--out``), without running anything."""
    data = json.loads(Path(path).read_text())
    rows = [r for r in data["rows"] if r["tool"] != BEST_PLAIN]
    tools = [t for t in bench.tools if any(r["tool"] == t for r in rows)]
    report(bench, rows, tools, data["seconds"], bool(data.get("settings", {}).get("warm")))
    return 0


def save(path: str, rows: list[dict], tools: list[str], seconds: float, warm: bool = False) -> None:
    """The rows (best plain included), the summary, trtready's self-verdict counts, settings and versions."""
    from independent_verify import ATOL_SCALE, BATCHES, EXPORT_BATCH, RTOL, SEEDS

    all_rows = rows + best_plain_rows(rows)
    sv = self_verdicts(rows)
    data = {
        "seconds": round(seconds, 1), "versions": _versions(),
        "settings": {"opset": OPSET, "trt": TRT_RELEASE, "export_batch": EXPORT_BATCH, "batches": BATCHES,
                     "seeds": SEEDS, "rtol": RTOL, "atol": f"{ATOL_SCALE} * max(1, rms(reference))", "warm": warm},
        "summary": summarize(all_rows, shown_tools(tools)),
        "self_verdicts": {k: (v if isinstance(v, int) else [r["model"] for r in v]) for k, v in sv.items()},
        "rows": all_rows,
    }  # fmt: skip
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=1, default=str)
    os.replace(tmp, path)


def _versions() -> dict:
    import importlib

    versions = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            versions[name] = getattr(importlib.import_module(name), "__version__", "?")
        except Exception:  # noqa: BLE001
            versions[name] = None
    versions["trtready_commit"] = _git_state(Path(__file__).resolve().parent.parent)
    return versions


def _git_state(repo: Path) -> str | None:
    """HEAD of the repository trtready runs from, with "+dirty" when src/ has uncommitted changes."""
    try:
        run = {"cwd": repo, "capture_output": True, "text": True}
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], check=False, **run)
        dirty = subprocess.run(["git", "status", "--porcelain", "src"], check=False, **run)
    except OSError:
        return None
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "") if head.returncode == 0 else None
