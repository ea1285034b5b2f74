"""DOC406: ``None`` passed where forward takes an (optional) tensor."""

from __future__ import annotations

from ...catalog import references as refs
from ...result import Severity
from ..evidence import Evidence
from .base import Check


class NoneInput(Check):
    id = "DOC406"
    name = "doctor.none-input"
    severity = Severity.INFO
    references = (refs.guidance("None Tensors", "none-tensors"), refs.TORCH_ONNX)
    why = ("An input given as None is not an input of the ONNX graph: both exporters treat it as a constant, "
           "and a `if x is None` branch is frozen to the None case. The exported model cannot take that tensor later.")
    fix = ("Pass a real tensor (a zero or mask tensor) for inputs the deployed model must take, and replace "
           "`if x is not None: y = y + x` by always adding it (NVIDIA's ONNX export guidance for TensorRT, 'None Tensors'); otherwise remove the argument.")

    def run(self, evidence: Evidence):
        names = evidence.eager.none_inputs
        if not names:
            return []
        message = (f"input(s) {', '.join(names)} given as None: TorchScript exporter and torch.export exporter "
                   "both drop them from the graph and freeze `is None` checks")
        return [self.finding(message, evidence.eager.forward_site)]
