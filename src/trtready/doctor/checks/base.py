"""The unit of a diagnosis: one ``Check`` per module, with a stable id, a name,
a severity, ``why`` (what goes wrong between the model and a TensorRT file) and
``fix`` (the concrete rewrite), and ``references`` (the public sources of both; the
catalog shows them). ``run(evidence)`` turns probe evidence into findings."""

from __future__ import annotations

from ...catalog.references import TORCH_ONNX
from ...catalog.unit import Reference
from ...result import Finding, Severity
from ..evidence import Evidence, Event
from ..source import Site


class Check:
    id: str = ""
    name: str = ""
    severity: str = Severity.WARNING
    why: str = ""
    fix: str = ""
    references: tuple[Reference, ...] = (TORCH_ONNX,)
    supersedes: tuple[str, ...] = ()  # ids of checks whose findings on the same line this one replaces

    def run(self, evidence: Evidence) -> list[Finding]:
        raise NotImplementedError

    def finding(self, message: str, site: Site | None, *, severity: str | None = None,
                fix: str | None = None, op_type: str | None = None, module: str | None = None) -> Finding:
        source = site.location() if site else None
        if source is not None and module and not source.module:
            source.module = module
        if source is None and module:
            from ...result import SourceLocation

            source = SourceLocation(module=module)
        return Finding(
            rule_id=self.id, name=self.name, severity=severity or self.severity, message=message,
            op_type=op_type, source=source, fix=fix or self.fix, stage="doctor",
        )  # fmt: skip


def by_site(events: list[Event]) -> dict[tuple, list[Event]]:
    """Events grouped by (file, line), in first-seen order."""
    groups: dict[tuple, list[Event]] = {}
    for event in events:
        groups.setdefault(event.site.key(), []).append(event)
    return groups


def trace_note(evidence: Evidence, site: Site, kinds: tuple[str, ...]) -> str:
    """What the TorchScript exporter's trace did at ``site``."""
    trace = evidence.trace
    if not trace.ok:
        return f"TorchScript exporter: the trace failed ({trace.error}); this line was not checked"
    hit = [w for w in trace.warnings if w.site.key() == site.key() and w.kind in kinds]
    if hit:
        return f"TorchScript exporter: the trace records the value seen for the example as a constant ({hit[0].detail}), silently"
    return "TorchScript exporter: the trace records the value seen for the example as a constant"
