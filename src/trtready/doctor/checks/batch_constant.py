"""DOC301: the batch size captured as a Python int (``view(int(x.size(0)), -1)``, ``torch.zeros(b, ...)``)."""

from __future__ import annotations

from ...catalog import references as refs
from ...result import Severity
from ..evidence import Evidence
from .base import Check


class BatchConstant(Check):
    id = "DOC301"
    name = "doctor.batch-constant"
    severity = Severity.ERROR
    references = (refs.TORCHPIPE_ONNX, refs.TRT_DYNAMIC_SHAPES, refs.TORCH_EXPORT)
    why = ("A size read as a Python int (int(x.size(0)), len(x), a numpy shape, .item()) is recorded as a constant: "
           "the ONNX model then only runs at the example's batch size, and a dynamic batch axis fails in TensorRT "
           "(reshape volume mismatch) or silently gives wrong shapes. Found by tracing at two batch sizes and "
           "comparing the constants, and by the guards torch.export adds when the batch gets specialized.")
    fix = ("Keep sizes symbolic: x.view(int(x.size(0)), -1) -> x.flatten(1) or x.view(x.size(0), -1); "
           "torch.zeros(b, n) -> x.new_zeros(x.shape[0], n) or torch.zeros_like(...); x.repeat(b, 1) -> "
           "x.expand(x.shape[0], -1); never wrap shapes in int() or numpy.")
    supersedes = ("DOC201",)

    def run(self, evidence: Evidence):
        findings = {}
        batches = evidence.trace.batches
        dy_sites = {s.key(): s for s in evidence.export.specialized}
        for const in evidence.trace.batch_constants:
            key = const.site.key()
            if key in findings:
                continue
            a, b = const.values
            ts = (f"TorchScript exporter: {const.op} gets the constant {a} when traced at batch {batches[0]} "
                  f"and {b} at batch {batches[1]}, so the ONNX graph only works at the example's batch size")
            findings[key] = self.finding(f"batch size frozen into the graph: {ts}; {self._dy(evidence, key)}", const.site)
        for key, site in dy_sites.items():
            if key not in findings:
                msg = ("batch size frozen into the graph: torch.export specializes the batch axis here "
                       "(a guard pins it to the example's size); TorchScript exporter: records it as a constant")
                findings[key] = self.finding(msg, site)
        return list(findings.values())

    @staticmethod
    def _dy(evidence: Evidence, key) -> str:
        ex = evidence.export
        if any(s.key() == key for s in ex.specialized):
            return "torch.export exporter: specializes the batch axis to a constant here (Constraints violated with a dynamic batch)"
        if ex.error_kind == "specialized":
            return "torch.export exporter: specializes the batch axis to a constant"
        if ex.ok:
            return "torch.export exporter: keeps the batch symbolic here"
        return evidence.export_note(None)
