"""DOC501: outputs that are not a tensor or a flat tuple of tensors (dicts, strings, None, numbers)."""

from __future__ import annotations

from ...catalog import references as refs
from ...result import Severity
from ..evidence import Evidence
from .base import Check


class OutputStructure(Check):
    id = "DOC501"
    name = "doctor.output-structure"
    severity = Severity.INFO
    references = (refs.TORCH_ONNX, refs.torchscript_exporter("Limitations", "limitations"))
    why = ("ONNX outputs are a flat list of tensors. trtready flattens nested outputs into named tensors "
           "(dict keys, output_0, output_1 ...); None outputs disappear; strings and Python numbers cannot be "
           "exported (the TorchScript exporter drops strings silently, trtready refuses them).")
    fix = ("Return tensors (a tuple or a dict of tensors); compute strings and labels outside the model; return "
           "an empty or zero tensor instead of None if the output must exist.")

    def run(self, evidence: Evidence):
        outputs = evidence.eager.outputs
        if not outputs or (len(outputs) == 1 and outputs[0][1] == "Tensor" and outputs[0][0] == "output"):
            return []
        site = evidence.eager.forward_site
        findings = []
        bad = [(p, t) for p, t in outputs if t not in ("Tensor", "NoneType")]
        nones = [p for p, t in outputs if t == "NoneType"]
        names = evidence.eager.output_names
        if bad:
            listing = ", ".join(f"{p} ({t})" for p, t in bad)
            findings.append(self.finding(
                f"outputs that are not tensors: {listing}: TorchScript exporter drops strings and records numbers "
                "as constants; torch.export exporter cannot return them; trtready refuses the model", site,
                severity=Severity.ERROR))
        if nones:
            findings.append(self.finding(
                f"outputs that are None: {', '.join(nones)}: both exporters drop them; the ONNX outputs are "
                f"{', '.join(names) or 'none'}", site, severity=Severity.WARNING))
        nested = any(p != "output" and not p.isdigit() for p, t in outputs if t == "Tensor")
        if nested and not bad:
            findings.append(self.finding(
                f"nested outputs are flattened: the ONNX outputs will be {', '.join(names)} "
                "(TorchScript exporter: dict keys are lost, values in order; torch.export exporter: pytree order)", site))
        return findings
