"""DOC405: modules left in training mode (Dropout, BatchNorm)."""

from __future__ import annotations

from ...catalog import references as refs
from ...result import Severity
from ..evidence import Evidence
from .base import Check


class TrainingMode(Check):
    id = "DOC405"
    name = "doctor.training-mode"
    severity = Severity.INFO
    references = (refs.guidance("ONNX export from Pytorch", "onnx-export-from-pytorch"), refs.TORCH_ONNX)
    why = ("Dropout and BatchNorm behave differently in training mode (random masks, batch statistics). "
           "trtready exports in eval mode (model.eval()), as does the doctor; the ONNX model will match "
           "model.eval(), not the model as it was handed over.")
    fix = "Call model.eval() before exporting (trtready does it for you) and compare against eval-mode outputs."

    def run(self, evidence: Evidence):
        if not evidence.training:
            return []
        names = ", ".join(f"{path or '<root>'} ({cls})" for path, cls in evidence.training[:6])
        more = f" and {len(evidence.training) - 6} more" if len(evidence.training) > 6 else ""
        message = (f"the model is in training mode; {len(evidence.training)} module(s) change behaviour in eval mode: "
                   f"{names}{more}. Both exporters export what forward does now; trtready exports in eval mode")
        return [self.finding(message, evidence.eager.forward_site, module=evidence.training[0][0] or None)]
