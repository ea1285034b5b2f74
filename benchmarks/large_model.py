"""A model past 2 GB of weights through ``trtready.export``, against plain ``torch.onnx.export``.

    nice -n 10 python benchmarks/large_model.py --out large.json        # ~2.5 GB Llama, all tools
    python benchmarks/large_model.py --tools plain-dynamo,trtready-dynamo
    python benchmarks/large_model.py --size tiny --external-limit 1000000   # the harness itself, in a minute

The model is a transformers ``LlamaForCausalLM`` built from a config with random weights (nothing is
downloaded): a 128k-token vocabulary with untied input and output embeddings (1 GiB each) and two
decoder layers, hidden size 2048: 2.5 GB of float32 weights. Its inputs are ``input_ids`` and
``attention_mask`` (batch 2, 16 tokens), its output the logits.

Every tool runs in its own Python subprocess, which builds the model (seeded, the same for all),
then says so; from then on its memory is measured:

- ``peak RSS``: the subprocess's own peak (``VmHWM`` from ``/proc/self/status``, reset to the built
  model's RSS through ``/proc/self/clear_refs`` once the model is built) and that of the children
  it forked (``getrusage(RUSAGE_CHILDREN).ru_maxrss``: trtready exports in forked children), the
  larger of the two, read at the end in the subprocess;
- ``peak tree PSS``: the whole process tree's proportional set size (``/proc/PID/smaps_rollup``),
  sampled every 0.1 s by this script: a forked exporter shares the model's pages with its parent,
  and PSS counts them once; their sum is the memory the run needs at once. Its file-backed part
  (memory-mapped weights, reclaimable page cache) is shown apart.

Tools: ``plain-torchscript`` / ``plain-dynamo`` (``torch.onnx.export`` with ``dynamo=False`` /
``True``, opset 18, a dynamic batch; the file written by the exporter, with external data past 2 GB
as each exporter does it), ``trtready-torchscript`` / ``trtready-dynamo`` (``trtready.export`` with
that exporter: export, simplify, fixes, verification and check, the file written with its weights
as external data) and ``trtready-auto`` (the default ladder, not run unless asked: it stops after
the TorchScript attempt when that one is clean). Then ``trtready check`` runs on every file
written, in its own subprocess, measured the same way (its peak RSS against the weights' size
shows whether it read them).

``--external-limit BYTES`` lowers trtready's external-data limit (``trtready.ir.EXTERNAL_DATA_BYTES``)
in the trtready subprocesses: with ``--size tiny`` it runs the whole harness in a minute or two.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

PLAIN_TOOLS = ("plain-torchscript", "plain-dynamo")
TRTREADY_TOOLS = ("trtready-torchscript", "trtready-dynamo", "trtready-auto")
DEFAULT_TOOLS = (*PLAIN_TOOLS, "trtready-torchscript", "trtready-dynamo")
SIZES = {  # LlamaConfig fields; float32 weights: large 2.5 GB, medium 0.36 GB, tiny 4.5 MB
    "large": {"vocab_size": 128_000, "hidden_size": 2048, "intermediate_size": 5632, "num_hidden_layers": 2,
              "num_attention_heads": 16, "num_key_value_heads": 4},
    "medium": {"vocab_size": 32_000, "hidden_size": 1024, "intermediate_size": 2816, "num_hidden_layers": 2,
               "num_attention_heads": 16, "num_key_value_heads": 4},
    "tiny": {"vocab_size": 8000, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
             "num_attention_heads": 4, "num_key_value_heads": 2},
}  # fmt: skip
BATCH, TOKENS, OPSET, SEED = 2, 16, 18, 0
SAMPLE_SECONDS = 0.1
GB = 1e9


# =============================================================================
# the model (built in every subprocess, the same for every tool)
# =============================================================================


def build_model(size: str):
    """``(module, (input_ids, attention_mask))``: random weights, eval mode, logits out."""
    import torch
    import transformers

    class Logits(torch.nn.Module):
        """``model(input_ids=..., attention_mask=...).logits``, called by keyword as deployment code does."""

        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            return self.model(input_ids=input_ids, attention_mask=attention_mask).logits

    torch.manual_seed(SEED)
    config = transformers.LlamaConfig(**SIZES[size], max_position_embeddings=64, use_cache=False, tie_word_embeddings=False)
    model = Logits(transformers.LlamaForCausalLM(config)).eval()
    ids = torch.randint(0, config.vocab_size, (BATCH, TOKENS), generator=torch.Generator().manual_seed(SEED))
    mask = torch.ones(BATCH, TOKENS, dtype=torch.int64)
    mask[1, TOKENS - 4 :] = 0  # one padded row
    return model, (ids, mask)


def weight_bytes(model) -> int:
    return sum(p.numel() * p.element_size() for p in model.parameters())


# =============================================================================
# the subprocess of one tool: build, say so, run, report
# =============================================================================


def run_role(role: str, size: str, out: Path, external_limit: int | None) -> dict:
    """Run one tool in this process (the model already built); what it reports."""
    if role == "check":
        return _check(out)
    model, args = build_model(size)
    _announce({"weights_bytes": weight_bytes(model)})
    start = time.perf_counter()
    report = _PLAIN[role](model, args, out) if role in _PLAIN else _trtready(role, model, args, out, external_limit)
    report["seconds"] = time.perf_counter() - start
    return report


def _announce(info: dict) -> None:
    """Tell the driver the model is built; restart this process's peak-RSS count from here."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # resets VmHWM to the current RSS
    print("BUILT " + json.dumps(info | {"rss_bytes": _status("VmRSS")}), flush=True)


def _plain_torchscript(model, args, out: Path) -> dict:
    import torch

    axes = {"input_ids": {0: "batch"}, "attention_mask": {0: "batch"}, "logits": {0: "batch"}}
    with torch.no_grad():
        torch.onnx.export(model, args, str(out), dynamo=False, opset_version=OPSET, input_names=["input_ids", "attention_mask"],
                          output_names=["logits"], dynamic_axes=axes)  # fmt: skip
    return {"exporter": "torchscript"}


def _plain_dynamo(model, args, out: Path) -> dict:
    import torch

    batch = torch.export.Dim.AUTO
    with torch.no_grad():
        torch.onnx.export(model, args, str(out), dynamo=True, opset_version=OPSET, input_names=["input_ids", "attention_mask"],
                          output_names=["logits"], dynamic_shapes=({0: batch}, {0: batch}), external_data=True)  # fmt: skip
    return {"exporter": "dynamo"}


_PLAIN = {"plain-torchscript": _plain_torchscript, "plain-dynamo": _plain_dynamo}


def _trtready(role: str, model, args, out: Path, external_limit: int | None) -> dict:
    import trtready
    import trtready.ir

    if external_limit is not None:
        trtready.ir.EXTERNAL_DATA_BYTES = external_limit
    exporter = role.removeprefix("trtready-")
    result = trtready.export(model, args, out, input_names=["input_ids", "attention_mask"], output_names=["logits"],
                             exporter=exporter, opset=OPSET, progress=_stage)  # fmt: skip
    chosen = result.files[0].exporter if result.files else None
    skipped = [f"{p.name}: {p.message}" for p in result.passes if p.message and "skipped" in p.message]
    return {
        "exporter": chosen, "verified": bool(result), "errors": result.errors, "notes": result.notes,
        "skipped": skipped, "steps": dict(getattr(result, "steps", {}) or {}),
        "passes": [{"name": p.name, "modified": p.modified, "rolled_back": p.rolled_back, "message": p.message,
                    "seconds": p.seconds} for p in result.passes],
        "attempts": [{"label": a.label, "ok": a.ok, "verified": a.verified, "seconds": a.seconds, "error": a.error}
                     for a in result.attempts],
    }  # fmt: skip


def _stage(message: str) -> None:
    """trtready's progress, for the driver: the stage at the peak is reported."""
    print("STAGE " + message.splitlines()[0][:120], flush=True)


def _check(path: Path) -> dict:
    """``trtready check`` as the command line runs it (this process is that command)."""
    _announce({})
    from trtready.cli.main import main

    start = time.perf_counter()
    report = path.with_suffix(".check.json")
    code = main(["check", str(path), "--format", "json", "-o", str(report)])
    result = json.loads(report.read_text())
    errors = [f["rule_id"] for f in result.get("findings", []) if f.get("severity") == "error"]
    return {"seconds": time.perf_counter() - start, "exit_code": code, "check_errors": errors,
            "read_errors": result.get("errors", [])}  # fmt: skip


def _status(key: str) -> int:
    """A ``/proc/self/status`` field in bytes (``VmHWM``, ``VmRSS``...)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    return 0


def _role_main(args) -> None:
    report = run_role(args.role, args.size, Path(args.file), args.external_limit)
    report["self_peak_rss_bytes"] = _status("VmHWM")
    report["children_peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    print("RESULT " + json.dumps(report, default=str), flush=True)


# =============================================================================
# the driver: one subprocess per tool, the tree's memory sampled
# =============================================================================


@dataclass
class Row:
    tool: str
    seconds: float | None = None
    peak_rss_bytes: int | None = None  # max(own VmHWM, children's ru_maxrss), after the model was built
    peak_tree_pss_bytes: int | None = None  # sampled sum over the process tree
    peak_tree_pss_file_bytes: int | None = None  # its file-backed part at that moment (mapped weights)
    built_rss_bytes: int | None = None  # the subprocess with the model built, before the tool ran
    weights_bytes: int | None = None
    file_bytes: int | None = None
    external_bytes: int | None = None
    exporter: str | None = None
    verified: bool | None = None
    check_errors: list[str] | None = None
    check_peak_rss_bytes: int | None = None
    check_seconds: float | None = None
    ratio_pss: float | None = None  # to the plain exporter trtready ended up using
    ratio_rss: float | None = None
    error: str | None = None
    details: dict = field(default_factory=dict)


class TreeSampler:
    """Samples the PSS of a process and all its descendants every ``SAMPLE_SECONDS``; keeps the peak."""

    def __init__(self, pid: int):
        self.pid, self.peak, self.peak_file = pid, 0, 0
        self.stage, self.peak_stage = "", ""  # what the tool said it was doing (trtready's progress)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def reset(self) -> None:
        self.peak = self.peak_file = 0
        self.stage = self.peak_stage = ""

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            total, file_backed = 0, 0
            for pid in _tree(self.pid):
                pss, pss_file = _pss(pid)
                total, file_backed = total + pss, file_backed + pss_file
            if total > self.peak:
                self.peak, self.peak_file, self.peak_stage = total, file_backed, self.stage


def _tree(root: int) -> list[int]:
    pids, frontier = [root], [root]
    while frontier:
        pid = frontier.pop()
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                children = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                pids.append(child)
                frontier.append(child)
    return pids


def _pss(pid: int) -> tuple[int, int]:
    """``(Pss, Pss_File)`` of one process in bytes (0 once it is gone)."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0, 0
    fields = {}
    for line in text.splitlines()[1:]:
        key, _, value = line.partition(":")
        fields[key] = int(value.split()[0]) * 1024 if value.split() else 0
    return fields.get("Pss", 0), fields.get("Pss_File", 0)


def run_tool(role: str, path: Path, options) -> tuple[dict, int, int, int, dict]:
    """``(report, peak tree PSS, its file part, ru_maxrss of the subprocess, built info)``."""
    command = [sys.executable, __file__, "--role", role, "--size", options.size, "--file", str(path)]
    if options.external_limit is not None:
        command += ["--external-limit", str(options.external_limit)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONUNBUFFERED="1"))
    sampler = TreeSampler(proc.pid)
    built, report = {}, {"error": "the subprocess died before reporting"}
    for line in proc.stdout:
        if line.startswith("BUILT "):
            built = json.loads(line[6:])
            sampler.reset()
        elif line.startswith("RESULT "):
            report = json.loads(line[7:])
        elif line.startswith("STAGE "):
            sampler.stage = line[6:].strip()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    sampler.stop()
    if proc.returncode and "error" not in report:
        report["error"] = f"exit code {proc.returncode}"
    report["peak_stage"] = sampler.peak_stage
    return report, sampler.peak, sampler.peak_file, usage.ru_maxrss * 1024, built


def measure(tool: str, options) -> Row:
    folder = Path(options.workdir) / tool
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    path = folder / "model.onnx"
    print(f"[{time.strftime('%H:%M:%S')}] {tool} ...", flush=True)
    report, pss, pss_file, _, built = run_tool(tool, path, options)
    row = Row(tool, seconds=report.get("seconds"), peak_tree_pss_bytes=pss, peak_tree_pss_file_bytes=pss_file,
              built_rss_bytes=built.get("rss_bytes"), weights_bytes=built.get("weights_bytes"),
              exporter=report.get("exporter"), verified=report.get("verified"), error=report.get("error"))  # fmt: skip
    row.peak_rss_bytes = max(report.get("self_peak_rss_bytes", 0), report.get("children_peak_rss_bytes", 0)) or None
    row.details = {k: v for k, v in report.items() if k not in ("seconds", "exporter", "verified", "error")}
    if path.is_file():
        row.file_bytes = path.stat().st_size
        row.external_bytes = sum(f.stat().st_size for f in folder.iterdir() if f.is_file() and f != path and not f.name.endswith(".json"))
        _check_file(row, path, options)
    print(f"    {_line(row)}", flush=True)
    return row


def _check_file(row: Row, path: Path, options) -> None:
    report, _, _, _, _ = run_tool("check", path, options)
    row.check_seconds = report.get("seconds")
    row.check_errors = report.get("check_errors", []) + report.get("read_errors", [])
    row.check_peak_rss_bytes = report.get("self_peak_rss_bytes")
    row.details["check"] = report


def add_ratios(rows: list[Row]) -> None:
    """Each trtready row against the plain exporter it ended up using (its chosen attempt's); the
    ratios to every plain exporter measured go to ``details["ratios"]``."""
    plain = {r.exporter: r for r in rows if r.tool in PLAIN_TOOLS}
    for row in (r for r in rows if r.tool in TRTREADY_TOOLS):
        row.details["ratios"] = {
            base.tool: {"pss": _ratio(row.peak_tree_pss_bytes, base.peak_tree_pss_bytes),
                        "rss": _ratio(row.peak_rss_bytes, base.peak_rss_bytes)}
            for base in plain.values()
        }  # fmt: skip
        base = plain.get((row.exporter or "").split(" ")[0])
        if base is not None:
            row.ratio_pss = _ratio(row.peak_tree_pss_bytes, base.peak_tree_pss_bytes)
            row.ratio_rss = _ratio(row.peak_rss_bytes, base.peak_rss_bytes)


def _ratio(a, b) -> float | None:
    return a / b if a and b else None


HEADERS = ("tool", "exporter", "seconds", "built GB", "peak RSS GB", "tree PSS GB (file)", "ratio PSS / RSS", "file MB",
           "external GB", "verified", "check errors", "check RSS GB / s")  # fmt: skip


def table(rows: list[Row]) -> str:
    cells = [HEADERS] + [_cells(r) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEADERS))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in cells]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]])


def _cells(r: Row) -> tuple[str, ...]:
    gb = lambda b: f"{b / GB:.2f}" if b else "-"
    ratio = f"{r.ratio_pss:.2f} / {r.ratio_rss:.2f}" if r.ratio_pss and r.ratio_rss else "-"
    verified = "-" if r.verified is None else "yes" if r.verified else "NO"
    errors = "-" if r.check_errors is None else (", ".join(r.check_errors) or "0")
    check = f"{gb(r.check_peak_rss_bytes)} / {r.check_seconds:.1f}" if r.check_seconds else "-"
    return (r.tool, r.exporter or "-", f"{r.seconds:.0f}" if r.seconds else "-", gb(r.built_rss_bytes), gb(r.peak_rss_bytes),
            f"{gb(r.peak_tree_pss_bytes)} ({gb(r.peak_tree_pss_file_bytes)})", ratio,
            f"{r.file_bytes / 1e6:.1f}" if r.file_bytes else "-", gb(r.external_bytes), verified, errors, check)  # fmt: skip


def _line(r: Row) -> str:
    return " | ".join(f"{h}: {c}" for h, c in zip(HEADERS[1:], _cells(r)[1:])) + (f" | error: {r.error}" if r.error else "")


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version()}
    for name in ("torch", "transformers", "onnx", "onnxruntime", "onnxscript", "onnx-ir", "trtready"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            pass
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tools", default=",".join(DEFAULT_TOOLS), help=f"comma-separated, of {', '.join((*PLAIN_TOOLS, *TRTREADY_TOOLS))}")
    parser.add_argument("--size", choices=sorted(SIZES), default="large")
    parser.add_argument("--external-limit", type=int, help="trtready's external-data limit in bytes (default 2 GiB less 64 MiB)")
    parser.add_argument("--workdir", default="/tmp/trtready-large-model", help="where the files are written")
    parser.add_argument("--keep", action="store_true", help="keep the written files")
    parser.add_argument("--out", help="write every row as JSON")
    parser.add_argument("--role", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.role:
        _role_main(args)
        return 0
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = [t for t in tools if t not in (*PLAIN_TOOLS, *TRTREADY_TOOLS)]
    if unknown:
        parser.error(f"unknown tools: {', '.join(unknown)}")
    rows = [measure(tool, args) for tool in tools]
    add_ratios(rows)
    print()
    print(table(rows))
    if args.out:
        settings = {"size": args.size, "config": SIZES[args.size], "batch": BATCH, "tokens": TOKENS, "opset": OPSET,
                    "external_limit": args.external_limit, "cpus": os.cpu_count()}  # fmt: skip
        Path(args.out).write_text(json.dumps({"settings": settings, "versions": _versions(), "rows": [asdict(r) for r in rows]}, indent=2, default=str))
    if not args.keep:
        shutil.rmtree(args.workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
