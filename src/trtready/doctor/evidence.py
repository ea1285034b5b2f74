"""What the probes saw, as plain picklable records (the two capture probes run in
forked children and send these back). Checks read evidence; they never run the model."""

from __future__ import annotations

from dataclasses import dataclass, field

from .source import Site

TORCHSCRIPT = "torchscript"
DYNAMO = "dynamo"


@dataclass
class Event:
    """Something the model did at one of the user's lines."""

    kind: str  # item | int | float | bool | tolist | numpy | data | setattr | buffer-inplace | shape-inplace | ...
    site: Site
    detail: str = ""


@dataclass
class UnsupportedOp:
    """An operator one exporter has no ONNX translation for."""

    exporter: str  # TORCHSCRIPT | DYNAMO
    op: str  # "aten::linalg_inv" or "aten.linalg_inv_ex.default"
    site: Site | None
    module: str | None = None


@dataclass
class BatchConstant:
    """A value the TorchScript trace recorded differently at two batch sizes."""

    site: Site
    op: str
    values: tuple  # (value at batch a, value at batch b)


@dataclass
class TraceEvidence:
    """``torch.jit.trace`` (the TorchScript exporter's capture) at two batch sizes."""

    ok: bool = False
    error: str | None = None
    error_site: Site | None = None
    batches: tuple[int, ...] = ()
    opset: int = 18
    warnings: list[Event] = field(default_factory=list)  # TracerWarnings at user lines
    unsupported: list[UnsupportedOp] = field(default_factory=list)
    batch_constants: list[BatchConstant] = field(default_factory=list)
    graph_change: tuple[Site | None, int, int] | None = None  # (first differing site, nodes at a, nodes at b)
    shape_inplace: list[Event] = field(default_factory=list)
    constants: dict = field(default_factory=dict)  # (file, line) -> constant values recorded there (batch a)


@dataclass
class ExportEvidence:
    """``torch.export.export(strict=False)`` with the batch marked dynamic, then op dispatch."""

    ok: bool = False
    error: str | None = None
    error_kind: str | None = None  # data-dependent | specialized | other
    error_site: Site | None = None
    specialized: list[Site] = field(default_factory=list)  # where the batch got pinned
    static_ok: bool = False  # captured once the batch was made static
    ops_checked: bool = False
    unsupported: list[UnsupportedOp] = field(default_factory=list)
    opset: int = 18


@dataclass
class NmsCall:
    """A call site of torchvision's NMS in the user's code (eager runs; see ``probes/nms_watch.py``)."""

    api: str  # "torchvision.ops.batched_nms", "torchvision.ops.nms"
    stack: tuple[Site, ...]  # the user's frames: the call first, then its callers out to forward
    iou_threshold: float | None = None
    length_from: Site | None = None  # where its candidates got a data-dependent count
    length_how: str = ""  # "boolean-mask indexing", "torch.nonzero", "torch.where(condition)", ...
    calls: tuple[tuple[int, int], ...] = ()  # (batch size, calls in one forward) for each run


@dataclass
class EagerEvidence:
    """One instrumented eager forward on a copy of the model."""

    ok: bool = True
    error: str | None = None
    events: list[Event] = field(default_factory=list)
    outputs: list[tuple[str, str]] = field(default_factory=list)  # (path, type name), None leaves included
    output_names: list[str] = field(default_factory=list)  # as FlatModel names the tensor outputs
    none_inputs: list[str] = field(default_factory=list)
    forward_site: Site | None = None
    nms: list[NmsCall] = field(default_factory=list)


@dataclass
class Evidence:
    model_name: str
    batch_dim: int
    trace: TraceEvidence
    export: ExportEvidence
    eager: EagerEvidence
    training: list[tuple[str, str]] = field(default_factory=list)  # (module path, class) in training mode
    root_training: bool = False

    def export_note(self, site: Site | None) -> str:
        """What torch.export did at ``site``, for messages about one line."""
        ex = self.export
        if ex.ok:
            return "torch.export exporter: captures it (the value becomes a run-time symbol or is traced through)"
        if site is not None and ex.error_site is not None and ex.error_site.key() == site.key():
            return f"torch.export exporter: fails here ({ex.error})"
        where = f" at {ex.error_site.file}:{ex.error_site.line}" if ex.error_site else ""
        return f"torch.export exporter: capture stops{where} ({ex.error}), so this line was not checked"
