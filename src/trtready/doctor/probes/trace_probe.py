"""The TorchScript exporter's view: ``torch.jit`` traces at two batch sizes.

Runs in a forked child (see :func:`trtready.exporters.isolate.run_isolated`).
From the traces it collects TracerWarnings at user lines, operators without a
registered TorchScript symbolic (the approach of ``torch.onnx.utils.unconvertible_ops``,
but keeping each node's source line and module scope), integer constants that
differ between the two batch sizes (a batch size frozen into the graph), and
in-place arithmetic on shape values.
"""

from __future__ import annotations

import warnings

import torch

from ..evidence import TORCHSCRIPT, BatchConstant, Event, TraceEvidence, UnsupportedOp
from ..source import Site, module_path, site_of_source_range, site_of_traceback_text

_WARNING_KINDS = (
    ("Python boolean", "bool"),
    ("Python integer", "int"),
    ("Python float", "float"),
    ("Python number", "item"),
    ("Python index", "int"),
    ("Python list", "tolist"),
    ("NumPy array", "numpy"),
    ("from_numpy", "numpy"),
    ("torch.tensor results are registered as constants", "constant"),
    ("Iterating over a tensor", "iterate"),
    ("len to get tensor shape", "len"),
)


def trace_probe(flat: torch.nn.Module, inputs_a: tuple, inputs_b: tuple | None, opset: int) -> TraceEvidence:
    evidence = TraceEvidence(opset=opset)
    try:
        graph_a, caught = _trace(flat, inputs_a)
        evidence.warnings = _tracer_events(caught)
        nodes_a = _node_records(graph_a)
        evidence.constants = _constants_by_line(nodes_a)
        evidence.shape_inplace = _shape_inplace(graph_a)
        evidence.batches = (_batch(inputs_a),)
        if inputs_b is not None:
            graph_b, _ = _trace(flat, inputs_b)
            evidence.batches += (_batch(inputs_b),)
            _compare(nodes_a, _node_records(graph_b), evidence)
        evidence.unsupported = _unsupported(graph_a, opset)
        evidence.ok = True
    except Exception as exc:  # noqa: BLE001 - recorded, the diagnosis goes on
        import traceback

        from ...errors import one_line

        evidence.error = one_line(exc)
        evidence.error_site = site_of_traceback_text("".join(traceback.format_exception(exc)))
    return evidence


def _batch(inputs: tuple) -> int:
    return int(inputs[0].shape[0]) if inputs and inputs[0].dim() else 0


def _trace(flat: torch.nn.Module, inputs: tuple):
    scope_names = {
        m: torch._C._jit_onnx_create_full_scope_name(torch.typename(type(m)), name)
        for name, m in flat.named_modules()
    }
    saved = torch.jit._trace._trace_module_map
    torch.jit._trace._trace_module_map = scope_names
    try:
        with warnings.catch_warnings(record=True) as caught, torch.no_grad():
            warnings.simplefilter("always")
            graph, _ = torch.jit._get_trace_graph(flat, inputs)
    finally:
        torch.jit._trace._trace_module_map = saved
    return graph, list(caught)


def _tracer_events(caught) -> list[Event]:
    events = []
    for w in caught:
        if w.category.__name__ != "TracerWarning":
            continue
        site = site_of_traceback_text(f'File "{w.filename}", line {w.lineno}')
        if site is None:
            continue
        text = str(w.message)
        kind = next((k for pattern, k in _WARNING_KINDS if pattern in text), "trace")
        events.append(Event(kind, site, text.split(". ")[0]))
    return events


def _scope_module(node) -> str | None:
    scope = node.scopeName() or ""
    last = scope.split("/")[-1]
    return module_path(last.split("::")[-1]) if "::" in last else None


def _site(node) -> Site | None:
    return site_of_source_range(node.sourceRange(), _scope_module(node))


def _describe(value) -> tuple:
    """A comparable description of one node input."""
    node = value.node()
    kind = node.kind()
    if kind == "prim::Constant":
        out = node.output()
        ivalue = out.toIValue() if hasattr(out, "toIValue") else None
        if isinstance(ivalue, torch.Tensor):
            return ("t", tuple(ivalue.shape), int(ivalue.item()) if ivalue.numel() == 1 and not ivalue.is_floating_point() else None)
        if isinstance(ivalue, bool) or not isinstance(ivalue, (int, list, tuple)):
            return ("c", None)  # floats and others: data, not shapes
        return ("c", ivalue if isinstance(ivalue, int) else tuple(ivalue))
    if kind == "prim::ListConstruct":
        return ("l", tuple(_describe(v) for v in node.inputs()))
    return ("v",)


def _node_records(graph) -> list[tuple[str, Site | None, tuple]]:
    records = []
    for node in graph.nodes():
        if node.kind() in ("prim::Constant", "prim::ListConstruct"):
            continue
        records.append((node.kind(), _site(node), tuple(_describe(v) for v in node.inputs())))
    return records


def _ints(description) -> list:
    kind = description[0]
    if kind == "c" and description[1] is not None:
        return [description[1]]
    if kind == "t":
        return [description[1], description[2]]
    if kind == "l":
        return [i for d in description[1] for i in _ints(d)]
    return []


def _constants_by_line(records) -> dict:
    found: dict = {}
    for kind, site, inputs in records:
        if site is not None:
            values = [i for d in inputs for i in _ints(d)]
            if values:
                found.setdefault(site.key(), []).extend(values)
    return found


def _compare(records_a, records_b, evidence: TraceEvidence) -> None:
    kinds_a = [r[0] for r in records_a]
    kinds_b = [r[0] for r in records_b]
    if kinds_a != kinds_b:
        first = next((i for i, (a, b) in enumerate(zip(kinds_a, kinds_b)) if a != b), min(len(kinds_a), len(kinds_b)))
        site = None
        for records in (records_a, records_b):
            if first < len(records) and records[first][1] is not None:
                site = records[first][1]
                break
        evidence.graph_change = (site, len(kinds_a), len(kinds_b))
        return
    seen = set()
    for (kind, site, inputs_a), (_, _, inputs_b) in zip(records_a, records_b):
        if site is None or inputs_a == inputs_b:
            continue
        for da, db in zip(inputs_a, inputs_b):
            ia, ib = _ints(da), _ints(db)
            if ia != ib and (site.key(), kind) not in seen:
                seen.add((site.key(), kind))
                evidence.batch_constants.append(BatchConstant(site, kind, (_fmt(ia), _fmt(ib))))


def _fmt(values: list):
    values = [v for v in values if v is not None]
    return values[0] if len(values) == 1 else tuple(values)


def _shape_inplace(graph) -> list[Event]:
    events = []
    for node in graph.nodes():
        kind = node.kind()
        if not (kind.startswith("aten::") and kind.endswith("_") and not kind.endswith("__")):
            continue
        inputs = list(node.inputs())
        if inputs and _from_size(inputs[0].node()):
            site = _site(node)
            if site is not None:
                events.append(Event("shape-inplace", site, kind))
    return events


def _from_size(node) -> bool:
    if node.kind() == "prim::NumToTensor":
        producer = next(iter(node.inputs())).node()
        return producer.kind() in ("aten::size", "aten::numel", "aten::dim")
    return False


_SKIP_PREFIX = ("onnx::", "prim::")


def _unsupported(graph, opset: int) -> list[UnsupportedOp]:
    from torch.onnx._internal.torchscript_exporter import registration
    from torch.onnx._internal.torchscript_exporter._globals import GLOBALS

    _register_symbolics()
    graph = graph.copy()
    previous = GLOBALS.export_onnx_opset_version
    GLOBALS.export_onnx_opset_version = opset
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch._C._jit_pass_inline(graph)
            torch._C._jit_pass_onnx_remove_inplace_ops_for_onnx(graph, None)
            torch._C._jit_pass_erase_number_types(graph)
            torch._C._jit_pass_dce_allow_deleting_nodes_with_side_effects(graph)
    finally:
        GLOBALS.export_onnx_opset_version = previous
    found = []
    for node in graph.nodes():
        kind = node.kind()
        if kind.startswith(_SKIP_PREFIX) or registration.registry.is_registered_op(_symbolic_name(kind), opset):
            continue
        if all(v.node().kind() == "prim::Constant" for v in node.inputs()):
            continue  # constant inputs only: folded before conversion
        site = _site(node)
        found.append(UnsupportedOp(TORCHSCRIPT, kind, site, site.module if site else _scope_module(node)))
    return found


def _symbolic_name(kind: str) -> str:
    """The name the exporter looks its symbolic up by: one trailing ``_`` dropped (``add_`` -> ``add``,
    ``__and__`` -> ``__and_``), as ``torch.onnx`` does; stripping them all would miss every dunder op."""
    return kind.removesuffix("_")


def _register_symbolics() -> None:
    """Load every opset's symbolic functions, as ``torch.onnx.export`` does before converting.

    The registry fills in as the ``symbolic_opsetN`` modules are imported, and only 9 and 10 are
    imported with ``torch.onnx``: asked before an export, it knows no symbolic added at opset 11 or
    later (``aten::round``...) and every such op looked untranslatable."""
    import importlib

    for version in range(7, 30):
        try:
            importlib.import_module(f"torch.onnx._internal.torchscript_exporter.symbolic_opset{version}")
        except ImportError:
            continue
