"""The TorchScript-based exporter (``torch.onnx.export(..., dynamo=False)``).

Traces an ``nn.Module`` (or scripts, when given a ``torch.jit.ScriptModule``).
Tracing records Python values as constants: that is where pinned batch sizes
and ``.item()`` constants come from, and its TracerWarnings say where. With
``verbose=True`` every node's doc string holds its trace (the graph printout
goes to the isolated child's log); ``run_attempt`` keeps only the user's frame.
"""

from __future__ import annotations

import torch

from .options import ExportJob

NAME = "torchscript"


def export(model: torch.nn.Module, example: tuple, job: ExportJob) -> str:
    """Write the file; return how the graph was captured (``trace`` or ``script``)."""
    dynamic_axes = None
    if job.dynamic_batch:
        names = [n for n, b in zip(job.input_names, job.batched_inputs) if b]
        names += [n for n, b in zip(job.output_names, job.batched_outputs) if b]
        dynamic_axes = {n: {job.batch_dim: "batch"} for n in names}
    inner = getattr(model, "module", None)
    capture = "trace"
    if isinstance(inner, torch.jit.ScriptModule):  # scripted: export it as is (the tracer cannot enter it)
        model, capture = inner, "script"
    with torch.no_grad():
        torch.onnx.export(
            model,
            example,
            job.path,
            dynamo=False,
            opset_version=job.opset,
            input_names=job.input_names,
            output_names=job.output_names,
            dynamic_axes=dynamic_axes,
            do_constant_folding=True,
            verbose=True,  # each node's doc string gets its trace: findings can name the Python line
        )
    return capture
