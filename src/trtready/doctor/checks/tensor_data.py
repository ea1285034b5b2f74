"""DOC403: ``Tensor.data`` in forward."""

from __future__ import annotations

from ...catalog import references as refs
from ...result import Severity
from ..evidence import Evidence
from .base import Check, by_site


class TensorData(Check):
    id = "DOC403"
    name = "doctor.tensor-data"
    severity = Severity.WARNING
    references = (refs.torchscript_exporter("Avoiding Pitfalls", "avoiding-pitfalls"),)
    why = ("Tensor.data hides the tensor from the tracer: the TorchScript trace records the value as a constant "
           "(an incorrect graph, per the torch.onnx docs); torch.export handles it like detach().")
    fix = "Use tensor.detach() instead of tensor.data."
    supersedes = ("DOC301",)

    def run(self, evidence: Evidence):
        events = [e for e in evidence.eager.events if e.kind == "data"]
        return [
            self.finding("Tensor.data used in forward: TorchScript exporter: the trace may record the value as a "
                         f"constant; {evidence.export_note(group[0].site)}", group[0].site)
            for group in by_site(events).values()
        ]
