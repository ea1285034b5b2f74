"""Small helpers over ``onnx_ir``: node provenance, type and shape inference, file I/O. Walking
graphs and reading attributes are the graph layer's (:mod:`trtready.graph`); ``iter_nodes`` and
``attribute`` are importable from here too.

ONNX files are loaded and saved here only (the edges of a run); everything in
between works on ``onnx_ir.Model``.
"""

from __future__ import annotations

import ast
import linecache
import os
import re
import sysconfig
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

import onnx
import onnx_ir as ir

from .dtype_propagation import propagate_dtypes
from .errors import ModelFileError
from .graph.attributes import attribute  # re-exported: the graph layer defines it
from .graph.traversal import SUBGRAPH_OPS, all_nodes, iter_nodes  # iter_nodes re-exported too
from .result import SourceLocation
from .workspace import sibling_temp

__all__ = [
    "attribute",
    "compact_trace_docs",
    "fill_inferred_types",
    "infer_types",
    "infer_types_and_shapes",
    "TWO_GB",
    "EXTERNAL_DATA_BYTES",
    "count_nodes",
    "is_dynamic",
    "named_dims",
    "iter_nodes",
    "load_model",
    "save_model_atomic",
    "source_of",
    "tensor_nbytes",
    "value_shape",
    "weightless",
    "hold_out_initializers",
    "weightless_proto",
]

TWO_GB = 2**31
#: Weights past this many bytes are written as external data beside the model (a protobuf holds at
#: most 2 GiB; room is left for the graph). Read at call time, so a test can lower it.
EXTERNAL_DATA_BYTES = TWO_GB - 2**26
_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<func>\S+)\n(?P<code>[^\n]*)')
# TorchScript exporter with verbose=True: the node's doc_string is the trace, innermost frame first.
_DOC_FRAME = re.compile(r"^(?P<file>.+)\((?P<line>\d+)\): (?P<func>\S+)$", re.MULTILINE)
_INTERNAL = ("/torch/", "/site-packages/torch/", "<eval_with_key>")
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
# model code that ships with trtready: the demo model, and the post-processing it exports for detectors
_MODEL_CODE_IN_PACKAGE = (_PACKAGE_DIR + "demo.py", _PACKAGE_DIR + "detection" + os.sep)
_STDLIB = sysconfig.get_paths()["stdlib"] + os.sep  # multiprocessing's fork entry, runpy: never the model


def _internal(path: str) -> bool:
    """torch's own frames, the standard library's and trtready's (wrappers, rewrites), but not the
    model code trtready ships."""
    full = os.path.abspath(path)
    own = full.startswith(_PACKAGE_DIR) and not full.startswith(_MODEL_CODE_IN_PACKAGE)
    return own or full.startswith(_STDLIB) or any(p in path for p in _INTERNAL)


def count_nodes(model: ir.Model) -> int:
    return sum(1 for _ in all_nodes(model.graph))


def is_dynamic(dim: object) -> bool:
    return not isinstance(dim, int)


def value_shape(value: ir.Value) -> list[int | str] | None:
    """Shape with symbolic dims as strings (``"?"`` when unnamed), or None when unknown."""
    if value.shape is None:
        return None
    return [d if isinstance(d, int) else (str(d.value) if d.value else "?") for d in value.shape]


def source_of(node: ir.Node) -> SourceLocation | None:
    """Where in the user's PyTorch code a node came from, as far as metadata tells.

    The torch.export-based exporter stores ``pkg.torch.onnx.stack_trace`` (we
    take the innermost frame outside torch) and ``pkg.torch.onnx.name_scopes``;
    the TorchScript exporter leaves module scopes in node names
    (``/backbone/layer1/layer1.0/conv1/Conv``) and, when run with
    ``verbose=True``, the trace in the node's ``doc_string``.
    """
    meta = node.metadata_props
    module = _module_from_scopes(meta.get("pkg.torch.onnx.name_scopes")) or _module_from_name(node.name)
    frame = _user_frame(meta.get("pkg.torch.onnx.stack_trace", "")) or _doc_frame(node.doc_string or "")
    if frame is None and module is None:
        return None
    loc = SourceLocation(module=module)
    if frame:
        loc.file, loc.line, loc.function, loc.code = frame
    return loc


def _user_frame(trace: str) -> tuple[str, int, str, str] | None:
    frames = [m for m in _FRAME.finditer(trace) if not _internal(m["file"])]
    if not frames:
        return None
    last = frames[-1]
    return last["file"], int(last["line"]), last["func"], last["code"].strip()


_INFERABLE_BYTES = 2**30
_DTYPES = {int(d): d for d in ir.DataType}  # a dict lookup: calling ir.DataType(code) is slow
_SMALL_TENSOR = 1024  # elements: shape constants stay initializers, so data propagation sees them


def infer_types_and_shapes(model: ir.Model, *, proto: onnx.ModelProto | None = None) -> Mapping[str, ir.Shape]:
    """Run ONNX type and shape inference (with data propagation) once; return the shapes it found.

    Values without a dtype, subgraphs included, get the inferred one (TorchScript exports carry no
    ``value_info``: without this, a rule cannot see that a NonZero inside an If branch reads BOOL).
    Shapes are *returned*, by value name, not written into the model: a static size inferred
    downstream of a pinned Reshape would hide where the batch really flows, and the written file
    must not carry inferred shapes. Graph inputs' unnamed dynamic dims are named first
    (``input:axis``), so every inferred dim that comes from an input says which one. Models that
    hold past 1 GiB of weights in memory (serialising them would copy them; weights memory-mapped
    from external data, or already in ``proto``, cost nothing) and models inference refuses give
    only the inputs' shapes.

    Inference is skipped when it could add nothing: every named node output (subgraphs included)
    already declares a dtype and a shape whose dynamic dims are named, as dynamo exports do.
    ``proto``: the parsed file ``model`` was read from, unchanged since (``read_onnx`` keeps it);
    inference then starts from it instead of from the model serialised again.
    """
    shapes = _input_shapes(model)
    untyped = _untyped_outputs(model)
    if not untyped or (proto is None and _bytes_in_memory(model) > _INFERABLE_BYTES):
        return shapes
    try:
        probe = _inference_probe(proto if proto is not None else ir.to_proto(model))
        probe = onnx.shape_inference.infer_shapes(probe, check_type=False, strict_mode=False, data_prop=True)
    except Exception:  # noqa: BLE001 - inference is best effort: rules then say what stays unknown
        return shapes
    inferred = {info.name: info for graph in _proto_graphs(probe.graph) for infos in (graph.value_info, graph.output) for info in infos}
    for value in untyped:
        if value.dtype is None:
            found = inferred[value.name].type if value.name in inferred else None
            code = found.tensor_type.elem_type if found is not None and found.HasField("tensor_type") else 0
            if code and code in _DTYPES:
                value.dtype = _DTYPES[code]
    return _InferredShapes(inferred, shapes)


def _untyped_outputs(model: ir.Model) -> list[ir.Value]:
    """Named node outputs (subgraphs included) without a dtype, or without a shape whose dynamic
    dims all have names: what inference could add to. An unnamed value cannot be matched to it."""
    found = []
    for node in all_nodes(model.graph):
        for value in node.outputs:
            if value.name and (value.dtype is None or not named_dims(value.shape)):
                found.append(value)
    return found


def named_dims(shape: ir.Shape | None) -> bool:
    """A shape whose every dim is a number or a named symbol (nothing inference could add)."""
    if shape is None:
        return False
    for dim in shape:
        if not (isinstance(dim, int) or dim.value):
            return False
    return True


class _InferredShapes(Mapping[str, ir.Shape]):
    """Inferred shapes by value name, converted to ``ir.Shape`` when asked for (most never are)."""

    def __init__(self, infos: dict[str, onnx.ValueInfoProto], inputs: dict[str, ir.Shape]) -> None:
        self._infos = infos
        self._shapes = dict(inputs)

    def __getitem__(self, name: str) -> ir.Shape:
        shape = self._shapes.get(name)
        if shape is None:
            found = self._infos[name].type
            if not found.HasField("tensor_type") or not found.tensor_type.HasField("shape"):
                raise KeyError(name)
            shape = self._shapes[name] = ir.Shape(_dims(found))
        return shape

    def __iter__(self) -> Iterator[str]:
        return iter({**self._infos, **self._shapes})

    def __len__(self) -> int:
        return len(self._infos.keys() | self._shapes.keys())


def infer_types(
    model: ir.Model, *, proto: onnx.ModelProto | None = None, nodes: Iterable[ir.Node] | None = None
) -> Mapping[str, ir.Shape]:
    """What a check needs: every dtype now, the shapes of :func:`infer_types_and_shapes` on first use.

    Missing dtypes come from the ONNX op schemas (:func:`~trtready.dtype_propagation.propagate_dtypes`,
    the dtypes ONNX inference gives); ONNX inference runs now only when the schemas leave some
    undecided. Otherwise it runs when a shape is first looked up that is not a graph input's, and
    not at all when no rule needs one (a rule asks only where the declared shape is not complete).
    The model must not change in between (a check does not change it). ``nodes``: see
    :func:`~trtready.dtype_propagation.propagate_dtypes`.
    """
    if not propagate_dtypes(model, nodes):
        return infer_types_and_shapes(model, proto=proto)
    return _ShapesOnFirstUse(lambda: infer_types_and_shapes(model, proto=proto), _input_shapes(model))


class _ShapesOnFirstUse(Mapping[str, ir.Shape]):
    """The graph inputs' shapes at once; any other name runs ``infer`` (once) and reads its result."""

    def __init__(self, infer: Callable[[], Mapping[str, ir.Shape]], inputs: dict[str, ir.Shape]) -> None:
        self._infer: Callable[[], Mapping[str, ir.Shape]] | None = infer
        self._inputs = inputs
        self._inferred: Mapping[str, ir.Shape] = {}

    def _all(self) -> Mapping[str, ir.Shape]:
        if self._infer is not None:
            self._inferred, self._infer = self._infer(), None
        return self._inferred

    def __getitem__(self, name: str) -> ir.Shape:
        shape = self._inputs.get(name)
        return shape if shape is not None else self._all()[name]

    def __iter__(self) -> Iterator[str]:
        return iter({**self._inputs, **self._all()})

    def __len__(self) -> int:
        return len(self._inputs.keys() | self._all().keys())


def _input_shapes(model: ir.Model) -> dict[str, ir.Shape]:
    """The graph inputs' shapes by name, their unnamed dynamic dims named ``input:axis``."""
    return {v.name: ir.Shape(_dims(info.type)) for v, info in zip(model.graph.inputs, _inputs_only(model).graph.input) if v.name}


def fill_inferred_types(model: ir.Model) -> int:
    """Give values without a dtype (subgraphs included) the one inference finds; returns how many."""
    before = sum(1 for n in all_nodes(model.graph) for v in n.outputs if v.dtype is None)
    infer_types_and_shapes(model)
    return before - sum(1 for n in all_nodes(model.graph) for v in n.outputs if v.dtype is None)


def _bytes_in_memory(model: ir.Model) -> int:
    """The main graph's initializer bytes held in memory (not memory-mapped external data)."""
    tensors = (v.const_value for v in model.graph.initializers.values())
    return sum(tensor_nbytes(t) for t in tensors if not isinstance(t, ir.ExternalTensor))


def tensor_bytes_past(model: ir.Model, limit: int) -> bool:
    return sum(tensor_nbytes(v.const_value) for v in model.graph.initializers.values()) > limit


_WEIGHTLESS_BYTES = 1024  # as onnx_ir's CheckerPass and ShapeInferencePass strip initializers


def weightless(model: ir.Model) -> ir.Model:
    """A clone of ``model`` to serialise for ONNX's C++ tools (checker, shape inference) without
    its weights: the main graph's initializers past 1 KB, and those whose data is external (the
    checker would look for their file beside the working folder), become graph inputs of their
    dtype and shape. The clone shares ``model``'s other tensors; ``model`` is not changed."""
    clone = model.clone()
    hold_out_initializers(clone.graph, _weighty)
    return clone


def _weighty(value: ir.Value) -> bool:
    tensor = value.const_value
    return tensor is None or isinstance(tensor, ir.ExternalTensor) or tensor_nbytes(tensor) > _WEIGHTLESS_BYTES


def hold_out_initializers(graph: ir.Graph, hold: Callable[[ir.Value], bool]) -> dict[str, ir.TensorProtocol | None]:
    """Turn the initializers of ``graph`` that ``hold`` selects into graph inputs of their dtype and
    shape, without their bytes (an initializer that is a graph input already just loses its bytes);
    return their tensors by name. Changes ``graph``: give it a clone's."""
    held = {}
    for value in [v for v in graph.initializers.values() if hold(v)]:
        tensor = value.const_value
        if tensor is not None:
            value.shape = value.shape or tensor.shape
            value.dtype = value.dtype or tensor.dtype
        graph.initializers.pop(value.name)
        value.const_value = None
        if not value.is_graph_input():
            graph.inputs.append(value)
        held[value.name] = tensor
    return held


def weightless_proto(model: ir.Model) -> onnx.ModelProto:
    """``model`` as a proto without its weights (:func:`weightless`); a graph that cannot be cloned
    (nodes out of order, which onnx.checker then names) is serialised as it is."""
    try:
        clone = weightless(model)
    except Exception:  # noqa: BLE001 - onnx_ir's cloner refuses a value used before it is made
        return ir.to_proto(model)
    return ir.to_proto(clone)


def _inference_probe(source: onnx.ModelProto) -> onnx.ModelProto:
    """A copy of ``source`` for inference (``source`` itself is left as it is): large initializers
    are declared as graph inputs instead (inference needs their types, not their bytes), and every
    dynamic dim of the graph inputs is named (``x:0`` when unnamed)."""
    graph = source.graph
    probe = onnx.ModelProto(ir_version=source.ir_version, opset_import=source.opset_import, functions=source.functions)
    into = probe.graph
    into.name = graph.name
    for field in ("node", "input", "output", "value_info", "sparse_initializer"):
        getattr(into, field).extend(getattr(graph, field))
    declared = {info.name for info in graph.input}
    for tensor in graph.initializer:
        if _elements(tensor.dims) <= _SMALL_TENSOR:
            into.initializer.append(tensor)
        elif tensor.name not in declared:
            into.input.append(onnx.helper.make_tensor_value_info(tensor.name, tensor.data_type, tensor.dims))
    _name_input_dims(probe)
    return probe


def _name_input_dims(proto: onnx.ModelProto) -> None:
    for info in proto.graph.input:
        shape = info.type.tensor_type.shape if info.type.HasField("tensor_type") else None
        for axis, dim in enumerate(shape.dim if shape is not None else ()):
            if not dim.HasField("dim_value") and not dim.dim_param:
                dim.dim_param = f"{info.name}:{axis}"


def _elements(dims) -> int:
    count = 1
    for d in dims:
        count *= int(d)
    return count


def _inputs_only(model: ir.Model) -> onnx.ModelProto:
    """The model's graph inputs only, their dynamic dims named as :func:`_inference_probe` names them."""
    proto = onnx.ModelProto()
    for value in model.graph.inputs:
        ir.serde.serialize_value_into(proto.graph.input.add(), value)
    _name_input_dims(proto)
    return proto


def _proto_graphs(graph: onnx.GraphProto) -> Iterator[onnx.GraphProto]:
    """The graph and every If/Loop/Scan body in it."""
    yield graph
    for node in graph.node:
        if node.op_type not in SUBGRAPH_OPS and node.domain in ("", "ai.onnx"):
            continue  # as graph.traversal does: reading every node's attributes is slow
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                yield from _proto_graphs(attr.g)
            elif attr.type == onnx.AttributeProto.GRAPHS:
                for sub in attr.graphs:
                    yield from _proto_graphs(sub)


def _dims(type_proto: onnx.TypeProto) -> list[int | ir.SymbolicDim]:
    shape = type_proto.tensor_type.shape
    return [d.dim_value if d.HasField("dim_value") else ir.SymbolicDim(d.dim_param or None) for d in shape.dim]


def compact_trace_docs(model: ir.Model) -> None:
    """Keep, of each TorchScript ``verbose=True`` doc string (a whole trace, ~1 KB a node), only
    the user's frame: ``file.py(12): forward``, which :func:`source_of` reads."""
    for node in all_nodes(model.graph):
        if node.doc_string:
            frame = _doc_frame(node.doc_string)
            node.doc_string = f"{frame[0]}({frame[1]}): {frame[2]}" if frame else None


def _doc_frame(doc: str) -> tuple[str, int, str, str] | None:
    """The innermost user frame of a TorchScript ``doc_string`` trace (``file.py(12): forward`` lines)."""
    for m in _DOC_FRAME.finditer(doc):
        if not _internal(m["file"]):
            line = int(m["line"])
            return m["file"], line, m["func"], linecache.getline(m["file"], line).strip()
    return None


def _module_from_scopes(scopes: str | None) -> str | None:
    if not scopes:
        return None
    try:
        names = ast.literal_eval(scopes)
    except (ValueError, SyntaxError):
        return None
    # Scopes nest ("", "backbone", "backbone.0", ..., op name): the last module scope is the deepest.
    modules = [n for n in names[:-1] if n]
    return modules[-1] if modules else None


def _module_from_name(name: str | None) -> str | None:
    if not name or not name.startswith("/"):
        return None
    parts = [p for p in name.split("/")[1:-1] if p]
    # TorchScript repeats the full dotted path in nested scopes: keep the longest.
    if not parts:
        return None
    return max(parts, key=lambda p: (p.count("."), len(p)))


def load_model(path: str | os.PathLike, *, load_external_data: bool = True) -> ir.Model:
    """Read an ONNX file into onnx_ir, with one-line errors for unreadable files."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"no such ONNX file: {path}")
    try:
        return ir.load(path) if load_external_data else ir.load(path, format="onnx")
    except Exception as exc:  # protobuf decode errors have no common base class
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelFileError(f"cannot read {path} as ONNX: {first}", hint="is it a complete .onnx file?") from None


def save_model_atomic(model: ir.Model, path: str | os.PathLike) -> list[str]:
    """Write ``model`` to ``path`` atomically; weights go to external data past 2 GB.

    Returns the files written (the .onnx and, when used, its ``.data`` file).
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    size = sum(tensor_nbytes(v.const_value) for v in model.graph.initializers.values())
    # past 2 GB (room left for the graph), or when the weights already live in a file: they travel with the model
    external = size >= EXTERNAL_DATA_BYTES or any(
        isinstance(v.const_value, ir.ExternalTensor) for v in model.graph.initializers.values()
    )
    tmp = str(sibling_temp(path))
    data_name = f"{path.name}.data"
    try:
        if external:
            tmp_data = f"{Path(tmp).name}.data"
            ir.save(model, tmp, external_data=tmp_data)
            os.replace(directory / tmp_data, directory / data_name)
            _rename_external_location(tmp, tmp_data, data_name)
        else:
            ir.save(model, tmp)
        os.replace(tmp, path)
    except BaseException:
        for leftover in (tmp, directory / f"{Path(tmp).name}.data"):
            Path(leftover).unlink(missing_ok=True)
        raise
    return [str(path)] + ([str(directory / data_name)] if external else [])


def _rename_external_location(onnx_path: str, old: str, new: str) -> None:
    import onnx

    proto = onnx.load(onnx_path, load_external_data=False)
    for tensor in proto.graph.initializer:
        for entry in tensor.external_data:
            if entry.key == "location" and entry.value == old:
                entry.value = new
    onnx.save(proto, onnx_path)


def tensor_nbytes(tensor: ir.TensorProtocol | None) -> int:
    """The bytes of a tensor's data (0 for None). Where onnx_ir cannot tell them (``nbytes`` raises
    for a STRING tensor that is not a parsed TensorProto), one byte per string is counted."""
    if tensor is None:
        return 0
    try:
        return tensor.nbytes
    except TypeError:
        return tensor.size
