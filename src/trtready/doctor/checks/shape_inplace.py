"""DOC404: in-place arithmetic on shape values (``n = x.shape[1]; n += 2``)."""

from __future__ import annotations

from ...catalog import references as refs
from ...result import Severity
from ..evidence import Evidence
from .base import Check, by_site


class ShapeInplace(Check):
    id = "DOC404"
    name = "doctor.shape-inplace"
    severity = Severity.WARNING
    references = (refs.torchscript_exporter("Avoiding Pitfalls", "avoiding-pitfalls"),)
    why = ("While tracing, values read from tensor.shape are tensors that share memory: an in-place update "
           "(n += 2) changes every name bound to the same size, so the ONNX model computes different values "
           "than eager PyTorch (torch.onnx docs: 'Avoid in-place operations when using tensor.shape').")
    fix = "Write n = n + 2 instead of n += 2 for values read from a shape."

    def run(self, evidence: Evidence):
        return [
            self.finding(f"in-place update of a shape value ({group[0].detail}): TorchScript exporter: the traced "
                         "size tensors alias, results can differ from eager; torch.export exporter: not affected "
                         "(sizes are symbolic ints)", group[0].site)
            for group in by_site(evidence.trace.shape_inplace).values()
        ]
