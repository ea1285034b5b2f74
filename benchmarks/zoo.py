"""Model-zoo benchmark: trtready.export against the plain exporters (+ onnxsim / onnxslim).

    python benchmarks/zoo.py                  # the full corpus (~30-40 min on 2 CPU cores)
    python benchmarks/zoo.py --quick          # six fast models
    python benchmarks/zoo.py --only bert,seed_ --out results.json

Each model runs in its own Python subprocess (a fresh interpreter, killed with
its whole process group when it exceeds ``--model-timeout``). Inside it, every
peer step (exporter, onnxsim, onnxslim, verification) runs in a forked child
through trtready's ``run_isolated`` with ``--step-timeout``, so a crash or a
hang costs one row, not the run. trtready runs last, in-process as a user would
call it (it isolates its own exporter attempts), under ``--trtready-timeout``.

Every tool gets the same FlatModel-wrapped model, the same batch-2 example and
the same verifier (trtready.verify.verify_file at batches [2, 1, 3],
atol=1e-4, rtol=1e-3); trtready's written file is re-verified by the harness
exactly like the peers' files. See benchmarks/README.md for the methodology.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

TOOLS = [
    "trtready",
    "torchscript",
    "torchscript+onnxsim",
    "torchscript+onnxslim",
    "dynamo",
    "dynamo+onnxsim",
    "dynamo+onnxslim",
]
EXPORT_BATCH = 2
ATOL, RTOL = 1e-4, 1e-3
OPSET = 18
OK_STATUSES = ("pass", "degenerate")


# =============================================================================
# verdicts over verification rows (shared by every tool)
# =============================================================================


def verdicts(rows: list, export_batch: int = EXPORT_BATCH) -> tuple[bool, bool, str | None]:
    """(verified at the export batch, verified at the other batches too, first failure)."""
    at_export = [r for r in rows if r.batch == export_batch]
    others = [r for r in rows if r.batch != export_batch]
    ok_export = bool(at_export) and all(r.status in OK_STATUSES for r in at_export) and any(r.passed for r in at_export)
    other_batches = {r.batch for r in others}
    ok_other = ok_export and len(other_batches) >= 2 and all(r.status in OK_STATUSES for r in others)
    bad = next((r for r in rows if r.status not in OK_STATUSES), None)
    failure = f"batch {bad.batch} {bad.output}: {bad.status}: {bad.message}" if bad else None
    if failure is None and at_export and not any(r.passed for r in at_export):
        failure = f"batch {export_batch}: every output degenerate ({at_export[0].message})"
    return ok_export, ok_other, failure


# =============================================================================
# child side: one model, every tool
# =============================================================================


def _run_isolated():
    for module in ("trtready.exporters.isolate", "trtready.export.isolate"):
        try:
            return importlib.import_module(module).run_isolated
        except ImportError:
            continue
    raise ImportError("cannot find trtready's run_isolated (trtready.exporters.isolate)")


def _count_nodes(path: str) -> int:
    from trtready.ir import count_nodes, load_model

    return count_nodes(load_model(path))


def _peer_export(exporter: str, flat, example: tuple, path: str, input_names: list, output_names: list) -> int:
    """The plain exporter as a user calls it: every input and output marked batch-dynamic on dim 0."""
    import torch

    with torch.no_grad():
        if exporter == "torchscript":
            dynamic_axes = {n: {0: "batch"} for n, t in zip(input_names, example) if t.dim() >= 1}
            outputs = flat(*example)
            dynamic_axes |= {n: {0: "batch"} for n, t in zip(output_names, outputs) if t.dim() >= 1}
            torch.onnx.export(
                flat, example, path, dynamo=False, opset_version=OPSET,
                input_names=input_names, output_names=output_names, dynamic_axes=dynamic_axes,
            )  # fmt: skip
        else:
            auto = torch.export.Dim.AUTO
            dynamic_shapes = (tuple({0: auto} if t.dim() >= 1 else None for t in example),)  # forward(*tensors)
            torch.onnx.export(
                flat, example, path, dynamo=True, opset_version=OPSET,
                input_names=input_names, output_names=output_names, dynamic_shapes=dynamic_shapes,
            )  # fmt: skip
    if not Path(path).is_file():
        raise RuntimeError("the exporter finished without writing a file")
    return _count_nodes(path)


def _peer_simplify(tool: str, src: str, dst: str) -> int:
    import onnx

    if tool == "onnxsim":
        import onnxsim

        model, ok = onnxsim.simplify(onnx.load(src))
        if not ok:
            raise RuntimeError("onnxsim: the simplified model failed onnxsim's own check")
    else:
        import onnxslim

        model = onnxslim.slim(onnx.load(src))
        if model is None:
            raise RuntimeError("onnxslim returned nothing")
    onnx.save(model, dst)
    return _count_nodes(dst)


def _verify(path: str, flat, example: tuple, input_names: list, output_names: list) -> list:
    from trtready.inputs import batched
    from trtready.verify import build_cases, default_batches, run_references, verify_file

    cases = build_cases(example, batched(example, 0), 0, default_batches(EXPORT_BATCH), EXPORT_BATCH)
    references = run_references(flat, cases, atol=ATOL, rtol=RTOL)
    return verify_file(
        path, references, input_names=input_names, output_names=output_names, batch_dim=0, atol=ATOL, rtol=RTOL,
    )  # fmt: skip


class _Timeout(BaseException):
    """Raised by SIGALRM; a BaseException so that no ``except Exception`` inside trtready swallows it."""


def _alarm(_signum, _frame):
    raise _Timeout()


class ModelRun:
    """Runs every tool on one model and appends one JSON row per tool to ``rows_path``."""

    def __init__(self, entry, rows_path: str, workdir: str, step_timeout: float, trtready_timeout: float, label: str):
        self.entry, self.rows_path, self.workdir = entry, rows_path, Path(workdir)
        self.step_timeout, self.trtready_timeout, self.label = step_timeout, trtready_timeout, label
        self.isolated = _run_isolated()

    # -- rows ---------------------------------------------------------------
    def emit(self, tool: str, **row) -> None:
        row = {"model": self.entry.name, "group": self.entry.group, "tool": tool} | row
        row.setdefault("exported", False)
        row.setdefault("verified_export", False)
        row.setdefault("verified_other", False)
        with open(self.rows_path, "a") as f:
            f.write(json.dumps(row, default=str) + "\n")
        print(f"{self.label} {self.entry.name:32s} {tool:22s} {status_text(row)}", flush=True)

    def verified_row(self, tool: str, path: str, seconds: float, nodes: int, **extra) -> None:
        try:
            rows = self.isolated(_verify, path, self.flat, self.example, self.input_names, self.output_names,
                                 timeout=self.step_timeout)  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - IsolatedError: the verifier itself crashed or hung
            self.emit(tool, exported=True, nodes=nodes, seconds=seconds, verify_failure=f"verifier: {exc}", **extra)
            return
        ok_export, ok_other, failure = verdicts(rows)
        self.emit(
            tool, exported=True, verified_export=ok_export, verified_other=ok_other, nodes=nodes, seconds=seconds,
            verify_failure=failure, degenerate_rows=sum(r.status == "degenerate" for r in rows),
            rows=[_row_dict(r) for r in rows], **extra,
        )  # fmt: skip

    # -- the run ------------------------------------------------------------
    def run(self, tools: list[str]) -> None:
        from trtready.inputs import FlatModel

        model, args, kwargs = self.entry.build()
        self.model, self.args, self.kwargs = model, args, kwargs
        self.flat = FlatModel(model, args, kwargs).eval()
        self.flat.describe_outputs(None)
        self.example = self.flat.example
        self.input_names, self.output_names = self.flat.input_names, self.flat.output_names
        for base in ("torchscript", "dynamo"):
            wanted = [t for t in tools if t.split("+")[0] == base]
            if wanted:
                self.run_peer(base, wanted)
        if "trtready" in tools:
            self.run_trtready()

    def run_peer(self, base: str, wanted: list[str]) -> None:
        raw = str(self.workdir / f"{base}.onnx")
        start = time.perf_counter()
        try:
            nodes = self.isolated(_peer_export, base, self.flat, self.example, raw, self.input_names,
                                  self.output_names, timeout=self.step_timeout)  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - IsolatedError
            seconds = time.perf_counter() - start
            for tool in wanted:
                self.emit(tool, seconds=seconds, error=f"{base} export: {exc}")
            return
        export_seconds = time.perf_counter() - start
        if base in wanted:
            self.verified_row(base, raw, export_seconds, nodes)
        for tool in wanted:
            if "+" not in tool:
                continue
            simplifier = tool.split("+")[1]
            out = str(self.workdir / f"{base}.{simplifier}.onnx")
            start = time.perf_counter()
            try:
                sim_nodes = self.isolated(_peer_simplify, simplifier, raw, out, timeout=self.step_timeout)
            except Exception as exc:  # noqa: BLE001
                seconds = export_seconds + time.perf_counter() - start
                self.emit(tool, seconds=seconds, error=f"{simplifier}: {exc}", raw_nodes=nodes)
                continue
            self.verified_row(tool, out, export_seconds + time.perf_counter() - start, sim_nodes, raw_nodes=nodes)
            Path(out).unlink(missing_ok=True)
        Path(raw).unlink(missing_ok=True)

    def run_trtready(self) -> None:
        import trtready
        from trtready.errors import UserError

        path = str(self.workdir / "trtready.onnx")
        previous = signal.signal(signal.SIGALRM, _alarm)
        signal.alarm(int(self.trtready_timeout))
        start = time.perf_counter()
        try:
            result = trtready.export(self.model, self.args, path, kwargs=self.kwargs)
        except _Timeout:
            self.emit("trtready", seconds=time.perf_counter() - start,
                      error=f"timed out after {self.trtready_timeout:.0f}s")  # fmt: skip
            return
        except UserError as exc:
            self.emit("trtready", seconds=time.perf_counter() - start, error=f"UserError: {_one_line(exc)}")
            return
        except Exception as exc:  # noqa: BLE001 - a bug in trtready
            self.emit("trtready", seconds=time.perf_counter() - start,
                      error=f"raised {type(exc).__name__}: {_one_line(exc)}")  # fmt: skip
            return
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
        self_ok_export, self_ok_other, self_failure = verdicts(result.verification)
        extra = dict(
            chosen=result.chosen, choice_reason=result.choice_reason, errors=result.errors,
            self_verified=result.verified, self_verified_export=self_ok_export, self_verified_other=self_ok_other,
            self_verify_failure=self_failure, export_batch=result.options.get("export_batch"),
            nodes_exported=result.nodes_exported,
            attempts=[dict(exporter=a.exporter, ok=a.ok, error=a.error, verified=a.verified, nodes=a.node_count,
                           batch_symbolic=a.batch_symbolic, seconds=round(a.seconds, 2)) for a in result.attempts],
            findings={s: result.count(s) for s in ("error", "warning", "info")},
            passes=[p.name for p in result.passes if p.modified],
        )  # fmt: skip
        if not result.written:
            self.emit("trtready", seconds=result.seconds, error="; ".join(result.errors) or "no file written", **extra)
            return
        self.verified_row("trtready", result.output_path, result.seconds, result.nodes_final, **extra)


def _row_dict(row) -> dict:
    return {k: getattr(row, k) for k in ("batch", "output", "status", "max_abs", "rel_err", "shape", "ref_shape", "message")}


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    hint = getattr(exc, "hint", None)
    return (text or type(exc).__name__) + (f" (hint: {hint})" if hint else "")


def child_main(opts) -> int:
    from zoo_models import ZOO

    entry = next(e for e in ZOO if e.name == opts.child)
    with tempfile.TemporaryDirectory(prefix=f"zoo-{entry.name}-") as workdir:
        run = ModelRun(entry, opts.rows, workdir, opts.step_timeout, opts.trtready_timeout, opts.label)
        try:
            run.run(opts.tools.split(","))
        except Exception as exc:  # noqa: BLE001 - the model itself does not build or run
            print(f"{opts.label} {entry.name:32s} {'(model)':22s} ERROR {type(exc).__name__}: {_one_line(exc)}",
                  flush=True)  # fmt: skip
            with open(opts.rows, "a") as f:
                f.write(json.dumps({"model": entry.name, "group": entry.group, "tool": "(model)",
                                    "error": f"{type(exc).__name__}: {_one_line(exc)}"}) + "\n")  # fmt: skip
            return 1
    return 0


# =============================================================================
# parent side: the corpus, timeouts, tables
# =============================================================================


def status_text(row: dict) -> str:
    if row.get("error"):
        return f"FAILED  {row['error'][:240]}"
    if not row.get("exported"):
        return "FAILED"
    mark = "verified b2+b1,3" if row.get("verified_other") else "verified b2 only" if row.get("verified_export") else "NOT verified"
    text = f"ok  {mark:18s} nodes={row.get('nodes')}  {row.get('seconds', 0):.1f}s"
    if row.get("tool") == "trtready" and row.get("chosen"):
        text += f"  [{row['chosen']}]"
    if row.get("verify_failure") and not row.get("verified_other"):
        text += f"  ({row['verify_failure'][:200]})"
    return text


def run_model(entry, index: int, total: int, opts, tools: list[str]) -> list[dict]:
    label = f"[{index}/{total}]"
    with tempfile.NamedTemporaryFile("r", prefix="zoo-rows-", suffix=".jsonl", delete=False) as f:
        rows_path = f.name
    log_dir = Path(opts.logs)
    log_dir.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable, str(Path(__file__).resolve()), "--child", entry.name, "--rows", rows_path,
        "--label", label, "--tools", ",".join(tools),
        "--step-timeout", str(opts.step_timeout), "--trtready-timeout", str(opts.trtready_timeout),
    ]  # fmt: skip
    start = time.perf_counter()
    with open(log_dir / f"{entry.name}.log", "w") as log:
        proc = subprocess.Popen(cmd, stdout=None, stderr=log, start_new_session=True)
        try:
            code = proc.wait(timeout=opts.model_timeout)
            why = None if code == 0 else f"model process exited with code {code} (see {log_dir / entry.name}.log)"
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the child and every process it forked
            proc.wait()
            why = f"model timed out after {opts.model_timeout:.0f}s"
    elapsed = time.perf_counter() - start
    rows = [json.loads(line) for line in Path(rows_path).read_text().splitlines() if line.strip()]
    os.unlink(rows_path)
    model_error = next((r["error"] for r in rows if r["tool"] == "(model)"), None)
    rows = [r for r in rows if r["tool"] != "(model)"]
    done = {r["tool"] for r in rows}
    for tool in tools:
        if tool not in done:
            error = model_error or why or "no result"
            row = {"model": entry.name, "group": entry.group, "tool": tool, "exported": False,
                   "verified_export": False, "verified_other": False, "error": error}  # fmt: skip
            rows.append(row)
            if not model_error:
                print(f"{label} {entry.name:32s} {tool:22s} {status_text(row)}", flush=True)
    print(f"{label} {entry.name} done in {elapsed:.0f}s", flush=True)
    for row in rows:
        row["model_seconds"] = round(elapsed, 1)
    return rows


def summarize(rows: list[dict], tools: list[str]) -> list[dict]:
    models = sorted({r["model"] for r in rows})
    by = {(r["model"], r["tool"]): r for r in rows}
    common = [m for m in models if all(by.get((m, t), {}).get("exported") for t in tools)]
    out = []
    for tool in tools:
        got = [by[(m, tool)] for m in models if (m, tool) in by]
        exported = [r for r in got if r.get("exported")]
        n = len(models) or 1
        out.append(dict(
            tool=tool, models=len(models),
            exported=100 * len(exported) / n,
            verified_export=100 * sum(bool(r.get("verified_export")) for r in got) / n,
            verified_other=100 * sum(bool(r.get("verified_other")) for r in got) / n,
            nodes=_median([r.get("nodes") for r in exported]),
            nodes_common=_median([by[(m, tool)].get("nodes") for m in common]),
            nodes_ratio=_geomean([by[(m, tool)]["nodes"] / by[(m, "torchscript")]["nodes"] for m in common
                                  if (m, "torchscript") in by and by[(m, tool)].get("nodes")
                                  and by[(m, "torchscript")].get("nodes")]),
            seconds=_median([r.get("seconds") for r in exported]),
            common=len(common),
        ))  # fmt: skip
    return out


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _geomean(values):
    values = [v for v in values if v and v > 0]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


def _fmt(value, digits=0, suffix=""):
    if value is None:
        return "-"
    return f"{value:.{digits}f}{suffix}"


HEADERS = ["tool", "exported", "verified @ export batch", "verified @ other batches", "median nodes",
           "median nodes (common set)", "nodes vs torchscript (common set)", "median seconds"]  # fmt: skip


def table_cells(summary: list[dict]) -> list[list[str]]:
    return [
        [s["tool"], _fmt(s["exported"], 0, "%"), _fmt(s["verified_export"], 0, "%"), _fmt(s["verified_other"], 0, "%"),
         _fmt(s["nodes"], 0), _fmt(s["nodes_common"], 0), _fmt(s["nodes_ratio"], 2, "x"), _fmt(s["seconds"], 1)]
        for s in summary
    ]  # fmt: skip


def markdown(headers: list[str], cells: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join(lines)


def matrix_cells(rows: list[dict], tools: list[str]) -> list[list[str]]:
    """Per model: ++ verified at every batch, + at the export batch only, E exported only, x failed."""
    by = {(r["model"], r["tool"]): r for r in rows}
    models = list(dict.fromkeys(r["model"] for r in rows))
    cells = []
    for m in models:
        line = [m]
        for t in tools:
            r = by.get((m, t), {})
            line.append("++" if r.get("verified_other") else "+" if r.get("verified_export") else "E" if r.get("exported") else "x")
        cells.append(line)
    return cells


def print_table(title: str, headers: list[str], cells: list[list[str]]) -> None:
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
        print(f"\n{title}")
        print("  ".join(h.ljust(w) for h, w in zip(headers, widths)))
        for r in cells:
            print("  ".join(c.ljust(w) for c, w in zip(r, widths)))
        return
    table = Table(title=title)
    for i, h in enumerate(headers):
        table.add_column(h, justify="left" if i == 0 else "right")
    for r in cells:
        table.add_row(*r)
    Console(width=200).print(table)


def report(rows: list[dict], tools: list[str], seconds: float) -> str:
    summary = summarize(rows, tools)
    n_models = summary[0]["models"] if summary else 0
    cells = table_cells(summary)
    print_table(f"trtready model zoo: {n_models} models, {seconds / 60:.1f} min", HEADERS, cells)
    short = [t.replace("torchscript", "ts") for t in tools]
    matrix = matrix_cells(rows, tools)
    print_table("per model (++ verified at batches 2, 1, 3; + at batch 2 only; E exported; x failed)",
                ["model", *short], matrix)  # fmt: skip
    md = (
        f"{n_models} models, export batch {EXPORT_BATCH}, verified at batches 2, 1, 3 "
        f"(atol {ATOL:g} or rtol {RTOL:g}); median nodes over the models each tool exported, "
        f"and over the {summary[0]['common'] if summary else 0} models every tool exported (common set; the "
        f"ratio is the geometric mean of nodes / torchscript's nodes there). Seconds: median wall time to "
        f"produce the file; trtready's includes its own verification at 3 batch sizes and any second exporter "
        f"attempt, the peers' do not include verification.\n\n"
        + markdown(HEADERS, cells)
    )
    print("\nMarkdown:\n")
    print(md)
    print()
    print(markdown(["model", *short], matrix))
    failures = [r for r in rows if r["tool"] == "trtready" and not r.get("verified_other")]
    if failures:
        print("\ntrtready not verified at every batch:")
        for r in failures:
            why = r.get("error") or r.get("verify_failure") or "?"
            print(f"  {r['model']}: {why}")
    return md


def select(opts):
    from zoo_models import ZOO

    entries = [e for e in ZOO if e.quick] if opts.quick else list(ZOO)
    if opts.only:
        keys = [k.strip() for k in opts.only.split(",") if k.strip()]
        entries = [e for e in entries if any(k == e.name or k in e.name for k in keys)]
    return entries


def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="only the fast subset (~6 models)")
    p.add_argument("--only", help="comma-separated model names or name fragments")
    p.add_argument("--tools", default=",".join(TOOLS), help="comma-separated subset of: " + ", ".join(TOOLS))
    p.add_argument("--out", help="write the raw rows (one per model and tool) as JSON")
    p.add_argument("--logs", default=os.path.join(tempfile.gettempdir(), "zoo-logs"),
                   help="per-model stderr logs (default: %(default)s)")  # fmt: skip
    p.add_argument("--step-timeout", type=float, default=300, help="seconds per peer export/simplify/verify step")
    p.add_argument("--trtready-timeout", type=float, default=600, help="seconds for one trtready.export call")
    p.add_argument("--model-timeout", type=float, default=1500, help="seconds for all tools on one model")
    p.add_argument("--list", action="store_true", help="list the corpus and exit")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--rows", help=argparse.SUPPRESS)
    p.add_argument("--label", default="", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv=None) -> int:
    opts = parse(argv)
    if opts.child:
        return child_main(opts)
    tools = [t.strip() for t in opts.tools.split(",") if t.strip()]
    unknown = [t for t in tools if t not in TOOLS]
    if unknown:
        print(f"unknown tools: {unknown}; choose from {TOOLS}", file=sys.stderr)
        return 2
    entries = select(opts)
    if opts.list:
        for e in entries:
            print(f"{e.name:34s} {e.group:13s} {'quick ' if e.quick else ''}{e.note}")
        return 0
    if not entries:
        print("no model matches", file=sys.stderr)
        return 2
    start = time.perf_counter()
    rows: list[dict] = []
    import trtready

    print(f"{len(entries)} models x {len(tools)} tools; trtready from {Path(trtready.__file__).parent}; "
          f"per-model logs in {opts.logs}", flush=True)  # fmt: skip
    for i, entry in enumerate(entries, 1):
        rows += run_model(entry, i, len(entries), opts, tools)
        if opts.out:  # save as we go, so an interrupted run keeps its rows
            _save(opts.out, rows, tools, time.perf_counter() - start)
    seconds = time.perf_counter() - start
    report(rows, tools, seconds)
    print(f"\ntotal {seconds / 60:.1f} min")
    if opts.out:
        _save(opts.out, rows, tools, seconds)
        print(f"raw rows: {opts.out}")
    return 0


def _save(path: str, rows: list[dict], tools: list[str], seconds: float) -> None:
    import platform

    import torch

    versions = {"python": platform.python_version(), "torch": torch.__version__}
    for name in ("torchvision", "onnx", "onnxruntime", "onnxscript", "onnxsim", "onnxslim", "timm", "transformers", "trtready"):
        try:
            versions[name] = getattr(importlib.import_module(name), "__version__", "?")
        except Exception:  # noqa: BLE001
            versions[name] = None
    import trtready

    versions["trtready_path"] = str(Path(trtready.__file__).parent)
    data = dict(seconds=round(seconds, 1), versions=versions, settings=dict(
        export_batch=EXPORT_BATCH, verify_batches=[2, 1, 3], atol=ATOL, rtol=RTOL, opset=OPSET),
        summary=summarize(rows, tools), rows=rows)  # fmt: skip
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=1, default=str)
    os.replace(tmp, path)


if __name__ == "__main__":
    sys.exit(main())
