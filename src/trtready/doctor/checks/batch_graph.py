"""DOC302: the traced graph itself changes with the batch size (a Python loop over the batch)."""

from __future__ import annotations

from ...catalog import references as refs
from ...result import Severity
from ..evidence import Evidence
from .base import Check


class BatchGraph(Check):
    id = "DOC302"
    name = "doctor.batch-graph"
    severity = Severity.ERROR
    references = (refs.guidance("Parallelizable For Loops", "parallelizable-for-loops"), refs.TORCHPIPE_ONNX)
    why = ("When tracing at two batch sizes gives graphs of different structure, Python code loops or branches "
           "on the batch size (for i in range(x.shape[0]), iterating over a tensor, a list per sample): tracing "
           "unrolls it for the example's batch, so a dynamic batch cannot work.")
    fix = ("Process the batch at once: replace per-sample loops with batched ops (torch.bmm, broadcasting, "
           "torch.gather); if every iteration is independent, stack instead of looping (NVIDIA's ONNX export guidance for TensorRT, 'Parallelizable For Loops').")

    def run(self, evidence: Evidence):
        change = evidence.trace.graph_change
        if not change:
            return []
        site, n_a, n_b = change
        a, b = evidence.trace.batches[:2]
        message = (f"TorchScript exporter: the trace has {n_a} nodes at batch {a} and {n_b} at batch {b}, "
                   f"the first difference is here: the graph is unrolled for one batch size; "
                   f"{evidence.export_note(site)}")
        return [self.finding(message, site)]
