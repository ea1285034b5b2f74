"""Corpus benchmark: plain torch.onnx.export (TorchScript and dynamo) against trtready.export.

    nice -n 10 python benchmarks/corpus_bench.py --out corpus.json      # the whole corpus
    python benchmarks/corpus_bench.py --quick                           # a dozen models
    python benchmarks/corpus_bench.py --only detect_,squeeze --pattern nonzero
    python benchmarks/corpus_bench.py --check-corpus                    # sanity-check the corpus itself

Every model runs in its own Python subprocess (killed with its process group
after ``--model-timeout``); inside it each tool runs in a forked child with
``--timeout`` seconds, one after the other, with ``torch.set_num_threads(1)``.
Each file a tool writes is judged by ``independent_verify`` (ONNX Runtime
against the eager model on realistic data at batches 1, 2, 3 and 8, several
seeds) and by ``trtready.check(path, trt="10.1")`` for TensorRT errors.
READY = exported + right at every batch + no TensorRT error. See
benchmarks/README.md ("Generalization corpus").
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import pickle
import platform
import re
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

TOOLS = ("torchscript", "dynamo", "trtready")
PLAIN = ("torchscript", "dynamo")
BEST_PLAIN = "best plain"
OPSET = 18
TRT_RELEASE = "10.1"
VERDICTS = ("exported", "right_export", "right_others", "trt_clean", "ready")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
HEADERS = ("tool", "exported", "verified @ export batch", "verified @ other batches", "TRT-clean", "READY")


# =============================================================================
# child side: one model, every tool
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
                payload = pickle.dumps(("error", f"{type(exc).__name__}: {_one_line(exc)}"))
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


def _one_line(exc: BaseException) -> str:
    text = " ".join(_ANSI.sub("", str(exc)).split())
    return text[:500] or type(exc).__name__


class ModelCase:
    """One corpus model prepared for export: the pristine module, example, names and batch axes."""

    def __init__(self, entry):
        self.entry = entry
        self.model = entry.build()
        self.example = entry.example()
        self.input_names = entry.input_names(self.model)
        at2, at3 = self._outputs(self.example), self._outputs(entry.data(3, 0))
        self.output_names = [f"out{i}" for i in range(len(at2))]
        self.batched_inputs = [_has_batch(a, b) for a, b in zip(self.example, entry.data(3, 0))]
        self.batched_outputs = [_has_batch(a, b) for a, b in zip(at2, at3)] if len(at2) == len(at3) else []

    def _outputs(self, inputs: tuple) -> list:
        import torch

        from independent_verify import tensor_leaves

        with torch.no_grad():
            return tensor_leaves(copy.deepcopy(self.model)(*inputs))


def _has_batch(at2, at3) -> bool:
    """The tensor has the batch on dim 0: its size there is 2 at batch 2 and 3 at batch 3."""
    return at2.dim() >= 1 and at3.dim() >= 1 and at2.shape[0] == 2 and at3.shape[0] == 3


def export_torchscript(case: ModelCase, path: str) -> dict:
    """``torch.onnx.export(dynamo=False)``, dynamic_axes on dim 0 of every batched input and output."""
    import torch

    names = case.input_names + case.output_names
    flags = case.batched_inputs + case.batched_outputs
    dynamic_axes = {n: {0: "batch"} for n, flag in zip(names, flags) if flag}
    with torch.no_grad():
        torch.onnx.export(case.model, case.example, path, dynamo=False, opset_version=OPSET,
                          input_names=case.input_names, output_names=case.output_names,
                          dynamic_axes=dynamic_axes)  # fmt: skip
    return {}


def export_dynamo(case: ModelCase, path: str) -> dict:
    """``torch.onnx.export(dynamo=True)``, ``Dim.AUTO`` on dim 0 of every batched input."""
    import torch

    auto = torch.export.Dim.AUTO
    dynamic_shapes = tuple({0: auto} if flag else None for flag in case.batched_inputs)
    with torch.no_grad():
        torch.onnx.export(case.model, case.example, path, dynamo=True, opset_version=OPSET,
                          input_names=case.input_names, output_names=case.output_names,
                          dynamic_shapes=dynamic_shapes)  # fmt: skip
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
    row = dict(
        self_ok=bool(result), self_verified=report["verified"], self_written=written, self_errors=report["errors"],
        self_counts=report["counts"], chosen=report["chosen"], choice_reason=report["choice_reason"],
        self_failure=_self_failure(report),
    )  # fmt: skip
    if not written:
        row["error"] = "no file written: " + ("; ".join(report["errors"]) or "no reason given")
    return row


def _self_failure(report: dict) -> str | None:
    """trtready's own first reason: a stage error, or its first failing verification row."""
    if report["errors"]:
        return report["errors"][0]
    bad = next((r for r in report["verification"] if r["status"] in ("fail", "error")), None)
    return f"batch {bad['batch']} {bad['output']}: {bad['status']}: {bad['message']}" if bad else None


EXPORTERS = {"torchscript": export_torchscript, "dynamo": export_dynamo, "trtready": export_trtready}


def run_tool(case: ModelCase, tool: str, workdir: str) -> dict:
    """Export with ``tool``, then judge the file: independent verification and trtready.check for TensorRT."""
    import torch

    torch.set_num_threads(1)
    pristine = copy.deepcopy(case.model)  # the exporter may run (and mutate) the model
    path = str(Path(workdir) / f"{tool}.onnx")
    row: dict = {"tool": tool}
    start = time.perf_counter()
    try:
        row |= EXPORTERS[tool](case, path)
    except Exception as exc:  # noqa: BLE001 - the tool's failure is its row
        row["error"] = f"{type(exc).__name__}: {_one_line(exc)}"
    row["seconds"] = round(time.perf_counter() - start, 2)
    row["exported"] = "error" not in row and Path(path).is_file()
    if row["exported"]:
        row |= judge(path, pristine, case)
    return row


def judge(path: str, model, case: ModelCase) -> dict:
    """Independent verification at every batch and seed, and TensorRT errors from trtready.check."""
    import trtready
    from independent_verify import verify

    verdict = verify(path, model, case.entry.data, case.input_names)
    check = trtready.check(path, trt=TRT_RELEASE)
    trt_errors = Counter(f"{f.rule_id} {f.name}" for f in check.findings if f.severity == "error")
    return dict(
        right_export=verdict.right_export, right_others=verdict.right_others, verify=verdict.to_dict(),
        trt_clean=not trt_errors, trt_errors=dict(trt_errors),
    )  # fmt: skip


def child_main(opts) -> int:
    """Run every tool on one model (``--child NAME``) and append a JSON row per tool to ``--rows``."""
    import torch

    from corpus import by_name

    torch.set_num_threads(1)
    entry = by_name(opts.child)
    try:
        case = ModelCase(entry)
    except Exception as exc:  # noqa: BLE001 - the corpus model itself is broken
        _append(opts.rows, {"tool": "(model)", "error": f"{type(exc).__name__}: {_one_line(exc)}"})
        return 1
    with tempfile.TemporaryDirectory(prefix=f"corpus-{entry.name}-") as workdir:
        for tool in opts.tools.split(","):
            try:
                row = run_forked(run_tool, case, tool, workdir, timeout=opts.timeout)
            except (TimeoutError, RuntimeError) as exc:
                row = {"tool": tool, "exported": False, "error": f"harness: {exc}"}
            if opts.keep:
                _keep_files(workdir, opts.keep, entry.name, tool)
            _append(opts.rows, row)
    return 0


def _append(rows_path: str, row: dict) -> None:
    with open(rows_path, "a") as f:
        f.write(json.dumps(row, default=str) + "\n")


def _keep_files(workdir: str, keep: str, name: str, tool: str) -> None:
    """Move the tool's files (model, external data, trtready's report) to ``keep/<model>/``."""
    target = Path(keep) / name
    target.mkdir(parents=True, exist_ok=True)
    for src in Path(workdir).glob(f"{tool}.*"):
        src.replace(target / src.name)


# =============================================================================
# parent side: subprocesses, verdicts, tables
# =============================================================================


def run_model(entry, label: str, opts, tools: list[str]) -> list[dict]:
    """Run one model's child process; one row per tool (a failed child gives failure rows)."""
    with tempfile.NamedTemporaryFile("r", prefix="corpus-rows-", suffix=".jsonl", delete=False) as f:
        rows_path = f.name
    log_dir = Path(opts.logs)
    log_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", entry.name, "--rows", rows_path,
           "--tools", ",".join(tools), "--timeout", str(opts.timeout)]  # fmt: skip
    cmd += ["--keep", opts.keep] if opts.keep else []
    model_timeout = opts.model_timeout or len(tools) * opts.timeout + 120
    why = None
    with open(log_dir / f"{entry.name}.log", "w") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=log, start_new_session=True)
        try:
            code = proc.wait(timeout=model_timeout)
            why = None if code == 0 else f"model process exited with code {code} (see {log.name})"
        except subprocess.TimeoutExpired:
            _kill_group(proc.pid)
            proc.wait()
            why = f"model timed out after {model_timeout:.0f}s"
    rows = [json.loads(line) for line in Path(rows_path).read_text().splitlines() if line.strip()]
    os.unlink(rows_path)
    model_error = next((r["error"] for r in rows if r["tool"] == "(model)"), None)
    by_tool = {r["tool"]: r for r in rows if r["tool"] != "(model)"}
    out = []
    for tool in tools:
        row = by_tool.get(tool) or {"tool": tool, "exported": False, "error": model_error or why or "no result"}
        row = {"model": entry.name, "group": entry.group, "pattern": entry.pattern} | row
        finish_row(row)
        print(f"{label} {entry.name:38s} {tool:12s} {status_text(row)}", flush=True)
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
    trt = "trt-clean" if row["trt_clean"] else "TRT: " + ", ".join(row.get("trt_errors", {}))
    text = f"{'READY' if row['ready'] else 'exported':8s} {marks:15s} {trt}  {row.get('seconds', 0):.1f}s"
    if "self_ok" in row:
        text += f"  [self: {'ok' if row['self_ok'] else 'not ok'}, {row.get('chosen')}]"
    failure = (row.get("verify") or {}).get("first_failure")
    if failure and not row["right_others"]:
        text += f"  ({failure[:160]})"
    return text


def _no_file_reason(row: dict) -> str:
    return row.get("error") or "; ".join(row.get("self_errors") or []) or "no file"


def _index(rows: list[dict]) -> dict:
    return {(r["model"], r["tool"]): r for r in rows}


def summarize(rows: list[dict], tools: list[str]) -> list[dict]:
    """Per tool: counts and percentages of every verdict over the models of the run."""
    n = len({r["model"] for r in rows}) or 1
    out = []
    for tool in tools:
        got = [r for r in rows if r["tool"] == tool]
        counts = {key: sum(r[key] for r in got) for key in VERDICTS}
        out.append({"tool": tool, "models": n} | counts | {f"{k}_pct": 100 * v / n for k, v in counts.items()})
    return out


def self_verdicts(rows: list[dict]) -> dict:
    """trtready's own verdict (bool(result)) against the independent one, over the files it wrote."""
    written = [r for r in rows if r["tool"] == "trtready" and r["exported"]]
    false_alarms = [r for r in written if not r.get("self_ok") and r["right_others"]]
    false_passes = [r for r in written if r.get("self_ok") and not r["right_others"]]
    agree = len(written) - len(false_alarms) - len(false_passes)
    return dict(written=len(written), agree=agree, false_alarms=false_alarms, false_passes=false_passes)


MATRIX_KEY = "READY; x no file; W wrong at the export batch; B wrong at another batch; T TensorRT errors"


def cell(row: dict | None) -> str:
    """Matrix cell: READY, or what is missing: x no file; W wrong at batch 2; B wrong at other batches; T TRT errors."""
    if row is None or not row["exported"]:
        return "x"
    if row["ready"]:
        return "READY"
    numeric = "W" if not row["right_export"] else "B" if not row["right_others"] else ""
    return numeric + ("" if row["trt_clean"] else "T")


def markdown(headers, cells) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    return "\n".join(lines + ["| " + " | ".join(c) + " |" for c in cells])


def summary_cells(summary: list[dict]) -> list[list[str]]:
    return [[s["tool"]] + [f"{s[k]} ({s[k + '_pct']:.0f}%)" for k in VERDICTS] for s in summary]


def report(rows: list[dict], tools: list[str], seconds: float) -> None:
    """Print the summary table, trtready's self-verdict agreement, the per-model matrix and the lists."""
    from independent_verify import BATCHES

    all_rows = rows + best_plain_rows(rows)
    shown = [t for t in tools if t in PLAIN] + ([BEST_PLAIN] if set(PLAIN) & set(tools) else [])
    shown += [t for t in tools if t not in PLAIN]
    n = len({r["model"] for r in rows})
    batches = ", ".join(map(str, BATCHES))
    print(f"\n## Summary: {n} models, {seconds / 60:.1f} min (verified at batches {batches}; TensorRT {TRT_RELEASE})\n")
    print(markdown(HEADERS, summary_cells(summarize(all_rows, shown))))
    by = _index(all_rows)
    if "trtready" in tools:
        sv = self_verdicts(rows)
        print(f"\ntrtready's own verdict vs the independent verifier, over the {sv['written']} files it wrote: "
              f"{sv['agree']} agree, {len(sv['false_alarms'])} false alarms (says not verified, independently right), "
              f"{len(sv['false_passes'])} false passes (says verified, independently wrong)")  # fmt: skip
    print(f"\n## Per model ({MATRIX_KEY})\n")
    models = list(dict.fromkeys(r["model"] for r in rows))
    matrix = [[m, by[(m, shown[0])]["pattern"], *(cell(by.get((m, t))) for t in shown)] for m in models]
    print(markdown(["model", "pattern", *shown], matrix))
    print_groups(all_rows, shown)
    if "trtready" in tools:
        print_lists(rows, all_rows)


def print_groups(all_rows: list[dict], shown: list[str]) -> None:
    """READY counts per corpus module."""
    groups = list(dict.fromkeys(r["group"] for r in all_rows))
    cells = []
    for g in groups:
        got = [r for r in all_rows if r["group"] == g]
        size = len({r["model"] for r in got})
        cells.append([g, str(size)] + [str(sum(r["ready"] for r in got if r["tool"] == t)) for t in shown])
    print("\n## READY per corpus module\n")
    print(markdown(["module", "models", *shown], cells))


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
            print(f"* {r['model']}: trtready says {r.get('self_failure') or 'verified'}; "
                  f"independent: {(r.get('verify') or {}).get('first_failure') or 'right at every batch'}")  # fmt: skip


def _reason(row: dict) -> str:
    if not row["exported"]:
        return _no_file_reason(row)
    reasons = []
    failure = (row.get("verify") or {}).get("first_failure")
    if failure:
        reasons.append(failure)
    if not row["trt_clean"]:
        reasons.append("TensorRT errors: " + ", ".join(row.get("trt_errors", {})))
    return "; ".join(reasons)[:400]


# =============================================================================
# corpus self-check
# =============================================================================


def check_corpus(entries) -> int:
    """Build and run every entry: timing, finite and non-degenerate references, varying 0-d inputs."""
    import torch

    torch.set_num_threads(1)
    problems = 0
    for entry in entries:
        start = time.perf_counter()
        try:
            model = entry.build()
            build_s = time.perf_counter() - start
            slowest, issues = _reference_issues(model, entry)
            issues = _zero_d_issues(entry) + issues
            summary = f"build {build_s:.2f}s, slowest forward {slowest * 1000:.0f} ms"
        except Exception as exc:  # noqa: BLE001 - a broken entry is reported, the others still run
            issues, summary = [f"raised {type(exc).__name__}: {_one_line(exc)}"], "-"
        problems += bool(issues)
        print(f"{entry.name:40s} {entry.pattern:18s} {summary}  {'; '.join(issues[:4]) or 'ok'}", flush=True)
    print(f"\n{len(entries)} entries, {problems} with issues")
    return 1 if problems else 0


def _reference_issues(model, entry) -> tuple[float, list[str]]:
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
    if slowest > 1.0:
        issues.append(f"slow forward: {slowest:.2f}s")
    return slowest, issues


def _zero_d_issues(entry) -> list[str]:
    """0-d inputs must take more than one value over the verifier's seeds and differ from the example's."""
    from independent_verify import SEEDS

    example = entry.example()
    issues = []
    for i, value in enumerate(example):
        if value.dim() == 0:
            seen = {entry.data(2, s)[i].item() for s in SEEDS}
            if len(seen) < 2 or seen == {value.item()}:
                issues.append(f"0-d input {i} does not vary over seeds {SEEDS}: {sorted(seen)}")
    return issues


# =============================================================================
# main
# =============================================================================


def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", help="comma-separated model names or name fragments")
    p.add_argument("--pattern", help="only the models of this pattern (main or tag) or corpus module")
    p.add_argument("--quick", action="store_true", help="only the quick subset (about a dozen models)")
    p.add_argument("--tools", default=",".join(TOOLS), help="comma-separated subset of: " + ", ".join(TOOLS))
    p.add_argument("--timeout", type=float, default=300, help="seconds per tool and model (export + judging)")
    p.add_argument("--model-timeout", type=float, default=0, help="seconds per model (default: tools x timeout + 120)")
    p.add_argument("--out", help="write the rows, the summary and the settings as JSON")
    p.add_argument("--keep", help="keep every ONNX file (and trtready's JSON report) under this directory")
    p.add_argument("--logs", default=os.path.join(tempfile.gettempdir(), "corpus-logs"),
                   help="per-model logs (default: %(default)s)")  # fmt: skip
    p.add_argument("--list", action="store_true", help="list the selected models and exit")
    p.add_argument("--check-corpus", action="store_true", help="sanity-check the selected corpus entries and exit")
    p.add_argument("--report", metavar="JSON", help="print the tables again from a saved --out file and exit")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--rows", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv=None) -> int:
    opts = parse(argv)
    if opts.child:
        return child_main(opts)
    if opts.report:
        return report_saved(opts.report)
    from corpus import select as select_entries

    tools = [t.strip() for t in opts.tools.split(",") if t.strip()]
    if unknown := [t for t in tools if t not in TOOLS]:
        print(f"unknown tools {unknown}; choose from {TOOLS}", file=sys.stderr)
        return 2
    entries = select_entries(opts.only, opts.pattern, opts.quick)
    if not entries:
        print("no model matches", file=sys.stderr)
        return 2
    if opts.list:
        for e in entries:
            print(f"{e.name:40s} {e.group:16s} {'/'.join(e.patterns):28s} {e.form}")
        return 0
    if opts.check_corpus:
        return check_corpus(entries)
    print(f"{len(entries)} models x {len(tools)} tools; per-model logs in {opts.logs}", flush=True)
    start = time.perf_counter()
    rows: list[dict] = []
    for i, entry in enumerate(entries, 1):
        rows += run_model(entry, f"[{i}/{len(entries)}]", opts, tools)
        if opts.out:  # saved as we go: an interrupted run keeps its rows
            save(opts.out, rows, tools, time.perf_counter() - start)
    seconds = time.perf_counter() - start
    report(rows, tools, seconds)
    if opts.out:
        save(opts.out, rows, tools, seconds)
        print(f"\nrows: {opts.out}")
    return 0


def report_saved(path: str) -> int:
    """The tables of a saved run (``--out``), without running anything."""
    data = json.loads(Path(path).read_text())
    rows = [r for r in data["rows"] if r["tool"] != BEST_PLAIN]
    tools = [t for t in TOOLS if any(r["tool"] == t for r in rows)]
    report(rows, tools, data["seconds"])
    return 0


def save(path: str, rows: list[dict], tools: list[str], seconds: float) -> None:
    """The rows (best plain included), the summary, trtready's self-verdict counts, settings and versions."""
    from independent_verify import ATOL_SCALE, BATCHES, RTOL, SEEDS

    all_rows = rows + best_plain_rows(rows)
    sv = self_verdicts(rows)
    data = dict(
        seconds=round(seconds, 1), versions=_versions(),
        settings=dict(opset=OPSET, trt=TRT_RELEASE, export_batch=2, batches=BATCHES, seeds=SEEDS, rtol=RTOL,
                      atol=f"{ATOL_SCALE} * max(1, rms(reference))"),
        summary=summarize(all_rows, [*tools, BEST_PLAIN]),
        self_verdicts={k: (v if isinstance(v, int) else [r["model"] for r in v]) for k, v in sv.items()},
        rows=all_rows,
    )  # fmt: skip
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=1, default=str)
    os.replace(tmp, path)


def _versions() -> dict:
    import importlib

    versions = {"python": platform.python_version()}
    for name in ("torch", "torchvision", "onnx", "onnxruntime", "onnxscript", "trtready"):
        try:
            versions[name] = getattr(importlib.import_module(name), "__version__", "?")
        except Exception:  # noqa: BLE001
            versions[name] = None
    versions["trtready_commit"] = _git_state(Path(__file__).resolve().parent.parent)
    return versions


def _git_state(repo: Path) -> str | None:
    """HEAD of the repository trtready runs from, with "+dirty" when src/ has uncommitted changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=repo, capture_output=True, text=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "src"], cwd=repo, capture_output=True, text=True)
    except OSError:
        return None
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "") if head.returncode == 0 else None


if __name__ == "__main__":
    sys.exit(main())
