"""A ready-to-run ``trtexec`` command for the written file.

Dynamic axes get ``--minShapes/--optShapes/--maxShapes``: min batch 1, opt the
export batch, max the largest batch size the file was verified at (the profile
never promises a size nobody checked; without verification, 4x the export batch,
at least 8). TensorRT 10+ is strongly
typed for ONNX files that carry their precision, so no ``--fp16`` flag is
added (TensorRT 11 removed weak typing altogether).
"""

from __future__ import annotations

import shlex

__all__ = ["trtexec_command"]


def trtexec_command(onnx_path: str, inputs: list[dict], export_batch: int | None, verified: list[int] = ()) -> str:
    engine = onnx_path[: -len(".onnx")] + ".engine" if onnx_path.endswith(".onnx") else onnx_path + ".engine"
    parts = ["trtexec", f"--onnx={shlex.quote(onnx_path)}", f"--saveEngine={shlex.quote(engine)}"]
    dynamic = [i for i in inputs if i["shape"] and any(not isinstance(d, int) for d in i["shape"])]
    if dynamic:
        opt = export_batch or 1
        sizes = {"min": 1, "opt": opt, "max": max(verified) if verified else max(8, 4 * opt)}
        for label, batch in sizes.items():
            shapes = ",".join(f"{shlex.quote(i['name'])}:{_dims(i, batch)}" for i in dynamic)
            parts.append(f"--{label}Shapes={shapes}")
    return " ".join(parts)


def _dims(value: dict, batch: int) -> str:
    """Static dims as they are; ``batch`` gets the profile's size; other dynamic dims the example's."""
    example = value.get("example_shape") or [1] * len(value["shape"])
    return "x".join(
        str(d) if isinstance(d, int) else str(batch) if d == "batch" else str(e)
        for d, e in zip(value["shape"], example)
    )
