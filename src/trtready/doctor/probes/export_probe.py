"""The torch.export-based exporter's view: ``torch.export.export(strict=False)`` with
the batch axis marked ``Dim.DYNAMIC``, then the exporter's own decomposition and
op dispatch against the onnxscript (torchlib) registry.

Runs in a forked child. Where the batch gets pinned is read from the guards
torch.export records (the ``symbolic_shapes`` logger names the frame that added
``Eq(s0, 2)``); a data-dependent guard error names the user frame in its text.
"""

from __future__ import annotations

import logging
import re
import traceback

import torch

from ...errors import one_line
from ..evidence import DYNAMO, ExportEvidence, UnsupportedOp
from ..source import Site, is_user_file, module_path, site_of_traceback_text

_PIN = re.compile(r"^Eq\(s\d+, \d+\)$")


class _GuardLog(logging.Handler):
    """Collects the user frames of guards that pin a dynamic size to a number."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.sites: list[Site] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if "[guard added]" not in str(record.msg) or len(record.args) < 3:
                return
            if not _PIN.match(str(record.args[1])):
                return
            frame = getattr(record.args[2], "framework_loc", None)
            if frame is not None and not isinstance(frame, str) and is_user_file(frame.filename):
                site = Site(frame.filename, frame.lineno, frame.name)
                if site not in self.sites:
                    self.sites.append(site)
        except Exception:  # noqa: BLE001 - logging must never break the probe
            pass


def export_probe(flat: torch.nn.Module, example: tuple, batched: list[bool], batch_dim: int, opset: int) -> ExportEvidence:
    evidence = ExportEvidence(opset=opset)
    program = None
    dynamic = (tuple({batch_dim: torch.export.Dim.DYNAMIC} if b else None for b in batched),) if any(batched) else None
    guards = _GuardLog()
    logger = logging.getLogger("torch.fx.experimental.symbolic_shapes")
    saved = logger.level, logger.propagate
    logger.addHandler(guards)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        program = _export(flat, example, dynamic)
        evidence.ok = True
    except Exception as exc:  # noqa: BLE001 - recorded
        _record_error(evidence, exc)
        if evidence.error_kind == "specialized":
            evidence.specialized = list(guards.sites)
            try:
                program = _export(flat, example, None)
                evidence.ok = evidence.static_ok = True
            except Exception:  # noqa: BLE001
                evidence.ok = False
    finally:
        logger.removeHandler(guards)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]
    if program is not None:
        try:
            evidence.unsupported = _unsupported(program, opset)
            evidence.ops_checked = True
        except Exception as exc:  # noqa: BLE001
            evidence.error = evidence.error or f"op check failed: {one_line(exc)}"
    return evidence


def _export(flat, example, dynamic):
    # fresh tensors each time: a failed dynamic export leaves its marks on the inputs
    example = tuple(t.clone() if isinstance(t, torch.Tensor) else t for t in example)
    with torch.no_grad():
        return torch.export.export(flat, example, dynamic_shapes=dynamic, strict=False)


def _record_error(evidence: ExportEvidence, exc: BaseException) -> None:
    text = str(exc)
    name = type(exc).__name__
    if "GuardOnDataDependentSymNode" in name or "data-dependent" in text:
        evidence.error_kind = "data-dependent"
        first = next((ln.strip() for ln in text.splitlines() if ln.strip()), name).split(" (unhinted")[0]
        evidence.error = f"{name}: {first}"[:200]
        raised = text.split("The following call raised this error:", 1)
        evidence.error_site = site_of_traceback_text(raised[1] if len(raised) > 1 else text, last=False)
    elif "specialized it to be a constant" in text or "Constraints violated" in text:
        evidence.error_kind = "specialized"
        evidence.error = "the batch axis was specialized to a constant (Constraints violated)"
    else:
        evidence.error_kind = "other"
        evidence.error = one_line(exc)
    if evidence.error_site is None and evidence.error_kind != "specialized":
        evidence.error_site = site_of_traceback_text("".join(traceback.format_exception(exc)))


def _unsupported(program, opset: int) -> list[UnsupportedOp]:
    from torch.onnx._internal.exporter import _dispatching, _fx_passes, _registration

    registry = _registration.ONNXRegistry.from_torchlib(opset)
    with torch.fx.experimental._config.patch(backed_size_oblivious=True):
        program = _fx_passes.decompose_with_registry(program, registry)
    module = _fx_passes.remove_assertion_nodes(program.graph_module)
    found = []
    for node in module.graph.nodes:
        if node.op != "call_function" or not isinstance(node.target, torch._ops.OpOverload):
            continue
        function, _ = _dispatching.dispatch(node, registry)
        if function is not None:
            continue
        path = _module_of(node)
        site = site_of_traceback_text(node.meta.get("stack_trace") or "", path)
        found.append(UnsupportedOp(DYNAMO, str(node.target), site, path))
    return found


def _module_of(node) -> str | None:
    stack = node.meta.get("nn_module_stack") or {}
    if not stack:
        return None
    path = list(stack.values())[-1][0]
    return module_path(path)
