"""The TensorRT compatibility checker: rules over an ``onnx_ir.Model``.

>>> findings = check_model(model, trt="10.1", plugins=["MyPlugin"], ignore=["perf."])

Rules live one per module under ``rules/<category>/`` (see ``base.Rule``) and are
found by ``registry.all_rules()``. All rules share one :class:`Context`, whose
indexes and analyses are built once, so a full check is linear in graph size.
"""

from __future__ import annotations

from collections.abc import Iterable

import onnx
import onnx_ir as ir

from ..gc_pause import paused_gc
from ..graph.traversal import iter_nodes
from ..ir import infer_types
from ..result import Finding, Severity
from ..trt_ops import load_release
from .base import Rule
from .context import Context
from .registry import all_rules, select_rules

__all__ = ["Context", "Rule", "all_rules", "check_model", "select_rules"]


def check_model(
    model: ir.Model,
    *,
    trt: str | None = None,
    plugins: Iterable[str] = (),
    select: Iterable[str] | str | None = None,
    ignore: Iterable[str] | str | None = None,
    file_size: int | None = None,
    external_data_paths: Iterable[str] = (),
    proto: onnx.ModelProto | None = None,
) -> list[Finding]:
    """Check ``model`` against TensorRT release ``trt`` (default: newest) and return findings.

    ``plugins``: op types the user provides TensorRT plugins for (not reported as
    unsupported). ``select``/``ignore``: rule ids, names or prefixes.
    ``file_size``: size of the .onnx file on disk, when known. ``external_data_paths``:
    external-data locations as written in the file (those in the model are added).
    ``proto``: the parsed file ``model`` was read from, unchanged since (spares serialising the
    model again for shape inference).
    Findings come most severe first, then by rule id, then in graph order.
    """
    rules = select_rules(select, ignore)
    with paused_gc():  # see gc_pause: collections walking the whole graph were most of the time
        nodes = list(iter_nodes(model.graph))
        shapes = infer_types(model, proto=proto, nodes=(node for _, node in nodes))  # a TorchScript export declares no dtype
        ctx = Context(
            model,
            load_release(trt),
            plugins=plugins,
            file_size=file_size,
            external_data_paths=external_data_paths,
            inferred_shapes=shapes,
            nodes=nodes,
        )
        findings = [finding for rule in rules for finding in rule().check(ctx)]
    findings.sort(key=lambda f: (Severity.rank(f.severity), f.rule_id))
    return findings
