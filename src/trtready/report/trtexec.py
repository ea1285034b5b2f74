"""A ready-to-run ``trtexec`` command for each written file.

Dynamic axes get ``--minShapes/--optShapes/--maxShapes``: min batch 1, opt the
export batch, max the largest batch size the file was verified at (the profile
never promises a size nobody checked; without verification, 4x the export batch,
at least 8). TensorRT 10+ is strongly
typed for ONNX files that carry their precision, so no ``--fp16`` flag is
added (TensorRT 11 removed weak typing altogether).

``export`` records one command per written file (``--static-batches`` writes
several); ``fix`` builds one from the fixed file's inputs (:func:`trtexec_for_model`):
a symbolic axis 0 is the batch, other symbolic dims take ``--input`` sizes or 8,
the sizes ``fix`` ran the file at.
"""

from __future__ import annotations

import shlex

__all__ = ["model_inputs", "trtexec_command", "trtexec_for_model"]

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


def trtexec_for_model(onnx_path: str, model, shapes: dict[str, tuple[int, ...]] | None = None) -> str:
    """The command for an ONNX file with no export behind it (``fix``): unverified sizes."""
    return trtexec_command(onnx_path, model_inputs(model, shapes), export_batch=None)


def model_inputs(model, shapes: dict[str, tuple[int, ...]] | None = None) -> list[dict]:
    """``model``'s (an ``onnx_ir.Model``) graph inputs as :func:`trtexec_command` takes them."""
    from ..passes.feeds import (
        OTHER_DIM,  # the size fix gives a dynamic dim other than the batch
    )

    inputs = []
    for value in model.graph.inputs:
        if value.name in model.graph.initializers or value.shape is None:
            continue
        given = (shapes or {}).get(value.name)
        dims = [d if isinstance(d, int) else ("batch" if i == 0 else str(d.value or "?")) for i, d in enumerate(value.shape)]
        example = list(given) if given else [d if isinstance(d, int) else OTHER_DIM for d in dims]
        dtype = value.dtype.name if value.dtype else None
        inputs.append({"name": value.name, "shape": dims, "dtype": dtype, "example_shape": example})
    return inputs


def _dims(value: dict, batch: int) -> str:
    """Static dims as they are; ``batch`` gets the profile's size; other dynamic dims the example's."""
    example = value.get("example_shape") or [1] * len(value["shape"])
    return "x".join(
        str(d) if isinstance(d, int) else str(batch) if d == "batch" else str(e)
        for d, e in zip(value["shape"], example)
    )
