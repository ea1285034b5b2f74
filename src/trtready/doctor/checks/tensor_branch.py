"""DOC202: Python control flow on a tensor's value (``if t:``, ``if t.sum() > 0:``, ``while``, ``and``/``or``)."""

from __future__ import annotations

from ...catalog import references as refs
from ...result import Severity
from ..evidence import Evidence
from ..source import Site
from .base import Check, by_site, trace_note


class TensorBranch(Check):
    id = "DOC202"
    name = "doctor.tensor-branch"
    severity = Severity.ERROR
    references = (refs.guidance("Dynamic if-else", "dynamic-if-else"), refs.guidance("Special Case 1", "special-case-1"),
                  refs.TORCH_EXPORT)
    why = ("Python `if` on a tensor needs its value. Tracing keeps only the branch the example took, with no "
           "error, so the ONNX model is wrong for inputs that would take the other one; torch.export cannot "
           "guard on a data-dependent value and fails (GuardOnDataDependentSymNode).")
    fix = ("Vectorise the branch: compute both sides and select, y = torch.where(cond, f(x), g(x)), or "
           "y = cond.float() * f(x) + (1 - cond.float()) * g(x) (NVIDIA's ONNX export guidance for TensorRT, 'Dynamic if-else'); for conditions known "
           "before the model runs (a None check, a string flag), decide outside and pass an indicator tensor in.")

    def run(self, evidence: Evidence):
        findings = []
        seen = set()
        for key, group in by_site([e for e in evidence.eager.events if e.kind == "bool"]).items():
            site = group[0].site
            seen.add(key)
            message = (f"Python control flow on a tensor value: {trace_note(evidence, site, ('bool',))} "
                       f"(only the branch taken by the example is kept); {evidence.export_note(site)}")
            findings.append(self.finding(message, site))
        ex = evidence.export
        site: Site | None = ex.error_site
        if ex.error_kind == "data-dependent" and site is not None and site.key() not in seen:
            message = (f"torch.export cannot decide a data-dependent condition here ({ex.error}); "
                       "TorchScript exporter: the trace keeps the example's outcome as a constant")
            findings.append(self.finding(message, site))
        return findings
