"""DOC402: numpy (or Python) values computed from tensors, which become constants."""

from __future__ import annotations

from ...catalog import references as refs
from ...result import Severity
from ..evidence import Evidence
from .base import Check, by_site


class NumpyConstant(Check):
    id = "DOC402"
    name = "doctor.numpy-constant"
    severity = Severity.ERROR
    references = (refs.torchscript_exporter("Avoiding Pitfalls", "avoiding-pitfalls"), refs.TORCH_EXPORT)
    why = ("numpy calls run outside PyTorch: tracing records their result as a constant tensor (TracerWarning "
           "'Converting a tensor to a NumPy array'), so the ONNX model ignores its input there; torch.export "
           "cannot call .numpy() on its symbolic tensors and fails.")
    fix = ("Use torch operators on tensors: torch.cat instead of np.concatenate, torch.sort instead of np.sort, "
           "tensor.float() instead of np.float32(tensor); keep numpy for constants computed in __init__.")
    supersedes = ("DOC301", "DOC201")

    def run(self, evidence: Evidence):
        events = [e for e in evidence.eager.events if e.kind == "numpy"]
        events += [w for w in evidence.trace.warnings if w.kind == "numpy"]
        findings = []
        for _, group in by_site(events).items():
            site = group[0].site
            message = ("a tensor goes through numpy: TorchScript exporter: the result is recorded as a constant "
                       f"(the graph ignores the input here); {evidence.export_note(site)}")
            findings.append(self.finding(message, site))
        return findings
