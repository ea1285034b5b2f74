"""DOC201: a tensor turned into a Python number (``.item()``, ``int()``, ``float()``, ``.tolist()``)."""

from __future__ import annotations

from ...catalog import references as refs
from ...result import Severity
from ..evidence import Evidence
from .base import Check, by_site, trace_note

KINDS = ("item", "int", "float", "tolist")


class PythonValue(Check):
    id = "DOC201"
    name = "doctor.python-value"
    severity = Severity.WARNING
    references = (refs.guidance("Miscelleneous", "miscelleneous"), refs.TORCH_EXPORT, refs.TORCH_ONNX_TORCHSCRIPT)
    why = ("A tensor converted to a Python number leaves the graph. Tracing records the number seen for the "
           "example input as a constant, so the ONNX model computes with that value for every input; "
           "torch.export makes it a data-dependent symbol and fails as soon as code branches on it.")
    fix = ("Keep the value a tensor: x.reshape(y, -1) rather than x.reshape(y.item(), -1); "
           "scale with the 0-d tensor (x * s) rather than s.item(); select with torch.where(cond, a, b); "
           "if it is really a setting, pass it in as an input tensor.")

    def run(self, evidence: Evidence):
        events = [e for e in evidence.eager.events if e.kind in KINDS]
        findings = []
        for _, group in by_site(events).items():
            site = group[0].site
            what = sorted({e.kind for e in group})
            calls = ", ".join(".item()" if k == "item" else f"{k}(tensor)" if k != "tolist" else ".tolist()" for k in what)
            message = f"{calls} turns a tensor into a Python value: {trace_note(evidence, site, KINDS)}; {evidence.export_note(site)}"
            findings.append(self.finding(message, site))
        return findings
