"""How long does checking take, and does it grow linearly with the graph?

    PYTHONPATH=src python benchmarks/check_speed.py                     # 10k, 30k, 100k, 300k nodes
    PYTHONPATH=src python benchmarks/check_speed.py --nodes 100000 --repeat 5
    PYTHONPATH=src python benchmarks/check_speed.py --no-peers --no-cli

The graph is one long chain (deep enough to break any recursive walk) of
Shape -> Gather -> Concat -> Reshape -> Relu -> ReduceSum -> Unsqueeze -> Add
blocks, so the shape-tensor and batch analyses do real work. Two kinds of it:

- ``untyped``: no dtype or shape on any intermediate value, as the TorchScript
  exporter writes files (no ``value_info``): checking finds the dtypes from the op
  schemas, and would run ONNX shape inference only for a rule that needs a shape
  (none does on this chain: it has no batch pinned);
- ``typed``: every value declares its dtype and shape, as dynamo exports do.

For each size and kind it times ``check_model`` on the in-memory ``onnx_ir``
model, and, on the same model saved to a file, reading (``read_onnx``: parse,
validation, ``onnx.checker``) and checking (``check_model`` on what was read,
as ``trtready.checking.check(path)`` does) separately. Peers run on the same
file: ``onnx.checker.check_model(path)`` and ``onnx.shape_inference.infer_shapes``
(load included), and Polygraphy's ``inspect model`` / onnx-doctor when installed.
Each time is the minimum of ``--repeat`` runs (the machine may be shared).
Last, ``trtready check`` on an 18-node file from the command line (wall time).
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
import onnx_ir as ir

from trtready.checking import check
from trtready.onnx_file import read_onnx
from trtready.rules import check_model

NODES_PER_BLOCK = 8
SIZES = (10_000, 30_000, 100_000, 300_000)
KINDS = ("untyped", "typed")
FLOAT, INT64 = ir.DataType.FLOAT, ir.DataType.INT64


# -- the graph -----------------------------------------------------------------
def build(nodes: int, *, typed: bool = False) -> ir.Model:
    """A chain of ``nodes`` nodes (a multiple of 8); ``typed``: every value has a dtype and shape."""
    x = ir.Value(name="x", type=ir.TensorType(FLOAT), shape=ir.Shape(["N", 64]))
    zero = _const("zero", np.array([0], dtype=np.int64))
    width = _const("width", np.array([64], dtype=np.int64))
    axes = _const("axes", np.array([1], dtype=np.int64))
    graph = ir.Graph([x], [], nodes=[], initializers=[zero, width, axes], opset_imports={"": 18}, name="bench")
    current = x
    for _ in range(nodes // NODES_PER_BLOCK):
        current = _block(graph, current, zero, width, axes, typed)
    current.dtype, current.shape = FLOAT, ir.Shape(["N", 64])  # a graph output declares its type
    graph.outputs.append(current)
    return ir.Model(graph, ir_version=9)


def _block(graph, value, zero, width, axes, typed):
    add = _typed_adder(graph, typed)
    shape = add("Shape", [value], INT64, [2])
    batch = add("Gather", [shape, zero], INT64, [1])
    target = add("Concat", [batch, width], INT64, [2], axis=0)
    reshaped = add("Reshape", [value, target], FLOAT, ["N", 64])
    act = add("Relu", [reshaped], FLOAT, ["N", 64])
    total = add("ReduceSum", [act, axes], FLOAT, ["N"], keepdims=0)
    back = add("Unsqueeze", [total, axes], FLOAT, ["N", 1])
    return add("Add", [act, back], FLOAT, ["N", 64])


def _typed_adder(graph: ir.Graph, typed: bool) -> Callable[..., ir.Value]:
    def add(op_type, inputs, dtype, dims, **attributes):
        node = ir.node(op_type, inputs, attributes=attributes)
        graph.append(node)
        out = node.outputs[0]
        if typed:
            out.dtype, out.shape = dtype, ir.Shape(dims)
        return out

    return add


def _const(name, array):
    value = ir.Value(name=name, type=ir.TensorType(INT64), shape=ir.Shape(array.shape))
    value.const_value = ir.tensor(array, name=name)
    return value


def small_file(path: Path) -> Path:
    """An 18-node Relu chain with a dynamic batch, for the command-line timing."""
    x = ir.Value(name="x", type=ir.TensorType(FLOAT), shape=ir.Shape(["N", 3, 32, 32]))
    graph = ir.Graph([x], [], nodes=[], opset_imports={"": 17}, name="small")
    current = x
    for _ in range(18):
        node = ir.node("Relu", [current])
        graph.append(node)
        current = node.outputs[0]
    current.dtype, current.shape = FLOAT, ir.Shape(["N", 3, 32, 32])
    graph.outputs.append(current)
    ir.save(ir.Model(graph, ir_version=8), path)
    return path


# -- timing --------------------------------------------------------------------
def best_of(repeat: int, run: Callable[[], object]) -> float:
    """The minimum wall time of ``repeat`` runs of ``run``."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def time_file(path: Path, repeat: int) -> tuple[float, float, int]:
    """``(read seconds, check seconds, findings)``: ``check(path)``'s two steps timed apart."""
    reads, checks, findings = [], [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        onnx_file = read_onnx(path)
        read = time.perf_counter()
        findings = len(
            check_model(
                onnx_file.model,
                file_size=onnx_file.file_size,
                external_data_paths=onnx_file.external_locations,
                proto=onnx_file.proto,
            )
        )
        reads.append(read - started)
        checks.append(time.perf_counter() - read)
    assert findings == len(check(path).findings), "check(path) and its timed steps disagree"
    return min(reads), min(checks), findings


def peers(path: Path, repeat: int) -> dict[str, float | None]:
    """Other tools on the same file (None: not installed)."""
    found: dict[str, float | None] = {
        "onnx.checker": best_of(repeat, lambda: onnx.checker.check_model(str(path))),
        "infer_shapes": best_of(repeat, lambda: onnx.shape_inference.infer_shapes(onnx.load(str(path)), data_prop=True)),
    }
    if importlib.util.find_spec("polygraphy") and shutil.which("polygraphy"):
        found["polygraphy"] = best_of(repeat, lambda: _run(["polygraphy", "inspect", "model", str(path)]))
    else:
        found["polygraphy"] = None
    doctor = shutil.which("onnx-doctor")
    found["onnx-doctor"] = best_of(repeat, lambda: _run([doctor, str(path)])) if doctor else None
    return found


def cli_seconds(path: Path, repeat: int) -> float:
    return best_of(repeat, lambda: _run([sys.executable, "-m", "trtready", "check", str(path), "-q"]))


def _run(command: list[str]) -> None:
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


# -- the table -----------------------------------------------------------------
def measure(nodes: int, kind: str, folder: Path, repeat: int, with_peers: bool) -> dict:
    model = build(nodes, typed=kind == "typed")
    count = sum(1 for _ in model.graph)
    path = folder / f"chain_{kind}_{count}.onnx"
    ir.save(model, path)
    row = {"nodes": count, "kind": kind, "memory": best_of(repeat, lambda: check_model(model))}
    row["read"], row["check"], row["findings"] = time_file(path, repeat)
    row["peers"] = peers(path, repeat) if with_peers else {}
    path.unlink()
    return row


def print_row(row: dict) -> None:
    def per_node(seconds: float) -> str:
        return f"{seconds / row['nodes'] * 1e6:6.1f}"

    peer_text = "  ".join(f"{k} {'n/a' if v is None else f'{v:.2f}s'}" for k, v in row["peers"].items())
    print(
        f"{row['nodes']:>8} {row['kind']:>8} | {row['memory']:7.2f}s {per_node(row['memory'])} | "
        f"{row['read']:7.2f}s {row['check']:7.2f}s {per_node(row['check'])} | {row['findings']:>3} | {peer_text}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, nargs="+", default=list(SIZES), help="graph sizes (default: %(default)s)")
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS))
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing; the minimum is shown")
    parser.add_argument("--no-peers", action="store_true", help="skip onnx.checker / infer_shapes / polygraphy / onnx-doctor")
    parser.add_argument("--no-cli", action="store_true", help="skip the command-line timing on a small file")
    args = parser.parse_args()
    print("                  | in memory        | file: read  check  us/node | found | peers on the file (load included)")
    print("   nodes     kind | check_model us/node |")
    with tempfile.TemporaryDirectory() as tmp:
        for nodes in args.nodes:
            for kind in args.kinds:
                print_row(measure(nodes, kind, Path(tmp), args.repeat, not args.no_peers))
        if not args.no_cli:
            seconds = cli_seconds(small_file(Path(tmp) / "small.onnx"), max(args.repeat, 5))
            print(f"\n`python -m trtready check small.onnx -q` (18 nodes), wall time: {seconds:.2f}s")


if __name__ == "__main__":
    main()
