"""DOC401: state mutated in ``forward`` (attribute assignment, in-place buffer updates)."""

from __future__ import annotations

from ...catalog import references as refs
from ...result import Severity
from ..evidence import Evidence
from .base import Check, by_site


class StateMutation(Check):
    id = "DOC401"
    name = "doctor.state-mutation"
    severity = Severity.WARNING
    references = (refs.guidance("Update Instance Variables (Attributes)", "update-instance-variables-attributes"),
                  refs.TORCH_EXPORT)
    why = ("An ONNX model has no state. An attribute assigned or a buffer updated in forward happens once while "
           "exporting: the TorchScript trace bakes the value seen then into the graph; torch.export turns a "
           "mutated buffer into an extra output that nothing feeds back, and drops Python attributes.")
    fix = ("Pass state in and out: forward(self, x, state) -> (y, new_state), keep the state outside the model "
           "and feed the returned value into the next call (NVIDIA's ONNX export guidance for TensorRT, 'Update Instance Variables').")

    def run(self, evidence: Evidence):
        events = [e for e in evidence.eager.events if e.kind in ("setattr", "buffer-inplace")]
        findings = []
        for _, group in by_site(events).items():
            site = group[0].site
            what = ", ".join(sorted({e.detail for e in group}))
            if any(e.kind == "buffer-inplace" for e in group):
                effect = ("TorchScript exporter: the update is traced once and the buffer's value is frozen; "
                          "torch.export exporter: the buffer becomes an extra graph output that is never fed back")
            else:
                effect = ("TorchScript exporter: the assignment runs once during tracing, the graph keeps the value then seen; "
                          "torch.export exporter: Python attribute updates are not part of the graph")
            findings.append(self.finding(f"forward changes model state ({what}): {effect}", site))
        return findings
