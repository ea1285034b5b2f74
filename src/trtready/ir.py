"""Small helpers over ``onnx_ir``: walking graphs with subgraphs, node provenance, file I/O.

ONNX files are loaded and saved here only (the edges of a run); everything in
between works on ``onnx_ir.Model``.
"""

from __future__ import annotations

import ast
import linecache
import os
import re
from collections.abc import Iterator
from pathlib import Path

import onnx
import onnx_ir as ir

from .errors import ModelFileError
from .result import SourceLocation
from .workspace import sibling_temp

__all__ = [
    "compact_trace_docs",
    "fill_inferred_types",
    "TWO_GB",
    "count_nodes",
    "is_dynamic",
    "iter_nodes",
    "load_model",
    "save_model_atomic",
    "source_of",
    "tensor_nbytes",
    "value_shape",
]

TWO_GB = 2**31
_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<func>\S+)\n(?P<code>[^\n]*)')
# TorchScript exporter with verbose=True: the node's doc_string is the trace, innermost frame first.
_DOC_FRAME = re.compile(r"^(?P<file>.+)\((?P<line>\d+)\): (?P<func>\S+)$", re.MULTILINE)
_INTERNAL = ("/torch/", "/site-packages/torch", "<eval_with_key>")
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_USER_CODE_IN_PACKAGE = _PACKAGE_DIR + "demo.py"  # the demo model is user code for reports


def _internal(path: str) -> bool:
    """torch's own frames and trtready's (wrappers, rewrites), but not the demo model's."""
    own = os.path.abspath(path).startswith(_PACKAGE_DIR) and os.path.abspath(path) != _USER_CODE_IN_PACKAGE
    return own or any(p in path for p in _INTERNAL)


def iter_nodes(graph: ir.Graph | ir.Function, path: str = "main") -> Iterator[tuple[str, ir.Node]]:
    """Yield ``(graph_path, node)`` for every node, depth first into If/Loop/Scan bodies."""
    for node in graph:
        yield path, node
        for attr in node.attributes.values():
            if attr.type == ir.AttributeType.GRAPH:
                yield from iter_nodes(attr.value, f"{path}/{node.name or node.op_type}/{attr.name}")
            elif attr.type == ir.AttributeType.GRAPHS:
                for i, sub in enumerate(attr.value):
                    yield from iter_nodes(sub, f"{path}/{node.name or node.op_type}/{attr.name}[{i}]")


def count_nodes(model: ir.Model) -> int:
    return sum(1 for _ in iter_nodes(model.graph))


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
_KNOWN_DTYPES = {int(d) for d in ir.DataType}


def fill_inferred_types(model: ir.Model) -> int:
    """Give values without a dtype the one ONNX type inference finds; returns how many.

    TorchScript exports carry no ``value_info``: without this, a rule cannot see that a NonZero
    reads INT64. Only unknown dtypes are filled; shapes are left alone (a static size inferred
    downstream of a pinned Reshape would hide where the batch really flows). Models past 1 GiB
    of weights and models inference refuses are left as they are.
    """
    size = sum(tensor_nbytes(v.const_value) for v in model.graph.initializers.values())
    if size > _INFERABLE_BYTES:
        return 0
    try:
        proto = onnx.shape_inference.infer_shapes(ir.to_proto(model), check_type=False, strict_mode=False, data_prop=True)
    except Exception:  # noqa: BLE001 - inference is best effort: rules then say what stays unknown
        return 0
    inferred = {info.name: info for info in [*proto.graph.value_info, *proto.graph.output]}
    filled = 0
    for node in model.graph:
        for value in node.outputs:
            info = inferred.get(value.name or "")
            if info is None or not info.type.HasField("tensor_type"):
                continue
            tensor = info.type.tensor_type
            if value.dtype is None and tensor.elem_type in _KNOWN_DTYPES:
                value.dtype, filled = ir.DataType(tensor.elem_type), filled + 1
    return filled


def compact_trace_docs(model: ir.Model) -> None:
    """Keep, of each TorchScript ``verbose=True`` doc string (a whole trace, ~1 KB a node), only
    the user's frame: ``file.py(12): forward``, which :func:`source_of` reads."""
    for _, node in iter_nodes(model.graph):
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
    external = size >= TWO_GB - 2**26 or any(
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
