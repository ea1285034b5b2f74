"""DOC901: an exporter's capture failed for a reason no other check explains."""

from __future__ import annotations

from ...catalog import references as refs
from ...result import Severity
from ..evidence import Evidence
from .base import Check


class CaptureFailed(Check):
    id = "DOC901"
    name = "doctor.capture-failed"
    severity = Severity.WARNING
    references = (refs.TORCH_ONNX, refs.TORCH_EXPORT)
    why = ("The doctor captures the model the way each exporter does (torch.jit trace; torch.export with a "
           "dynamic batch). When a capture fails for another reason, that exporter will fail the same way.")
    fix = ("Read the error at the line shown; meanwhile try the other exporter: "
           "`trtready export --exporter dynamo` or `trtready export --exporter torchscript`.")

    def run(self, evidence: Evidence):
        findings = []
        trace, ex = evidence.trace, evidence.export
        if not trace.ok and trace.error:
            findings.append(self.finding(f"TorchScript exporter: tracing fails: {trace.error}", trace.error_site))
        if not ex.ok and ex.error_kind == "other":
            findings.append(self.finding(f"torch.export exporter: capture fails: {ex.error}", ex.error_site))
        elif ex.error_kind == "specialized" and not ex.static_ok:
            findings.append(self.finding("torch.export exporter: capture fails even with a static batch", None))
        if not evidence.eager.ok:
            findings.append(self.finding(f"the model raised on the example inputs: {evidence.eager.error}", None,
                                         severity=Severity.ERROR))
        return findings
