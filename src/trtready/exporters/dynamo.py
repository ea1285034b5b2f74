"""The torch.export-based exporter (``torch.onnx.export(..., dynamo=True)``).

Captures the graph with ``torch.export`` and translates it with onnxscript.
Node metadata keeps the PyTorch stack trace, so findings can name source lines.
The batch axis is marked ``Dim.AUTO``: torch.export then decides, and may
specialize it silently; the caller checks that it stayed symbolic.
"""

from __future__ import annotations

import torch

from .. import ir as ir_helpers
from .dynamo_translations import translations
from .options import ExportJob

NAME = "dynamo"


def export(model: torch.nn.Module, example: tuple, job: ExportJob) -> str | None:
    """Write the file; return torch.onnx's capture strategy (``TorchExportNonStrictStrategy``...)."""
    if isinstance(model, torch.jit.ScriptModule):
        raise TypeError("the torch.export-based exporter cannot take a TorchScript module")
    if job.plugins:
        raise TypeError("plugin mappings are exported with the TorchScript exporter")
    dynamic_shapes = None
    if job.dynamic_batch:
        # The model is a FlatModel, forward(*tensors): the specs go in one tuple for the varargs.
        dynamic_shapes = (tuple({job.batch_dim: torch.export.Dim.AUTO} if b else None for b in job.batched_inputs),)
    with torch.no_grad():
        program = torch.onnx.export(
            model,
            example,
            dynamo=True,
            opset_version=job.opset,
            input_names=job.input_names,
            output_names=job.output_names,
            dynamic_shapes=dynamic_shapes,
            optimize=True,
            verbose=False,
            custom_translation_table=translations(),
        )
    program.save(job.path, external_data=_needs_external_data(program))
    return getattr(program, "_capture_strategy", None)


def _needs_external_data(program) -> bool:
    """Past :data:`trtready.ir.EXTERNAL_DATA_BYTES` (read now: a test lowers it), as trtready writes files."""
    size = sum(v.const_value.nbytes for v in program.model.graph.initializers.values() if v.const_value is not None)
    return size >= ir_helpers.EXTERNAL_DATA_BYTES
