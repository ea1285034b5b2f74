"""Reading an ONNX file to check it: one copy of the weights, one-line errors.

The protobuf is parsed once without its external data; ``onnx_ir`` wraps the
parsed tensors without copying them and memory-maps external data only when a
rule reads it. Every way a file can be unreadable becomes a
:class:`~trtready.errors.ModelFileError` (one line, no traceback):

- not protobuf at all, truncated, or protobuf that is not an ONNX model;
- a tensor (initializer, Constant value, sparse tensor part; in any graph or
  function) whose data type is not an ONNX type, whose dims are negative, or
  whose data does not hold what its dims and type need: raw_data or typed
  values of another length, external data that is missing, given without a
  location or with an offset/length that is not a byte count, shorter than the
  tensor, or in a file with several hard links (onnx_ir refuses to read those).
  Sizes are checked against the bytes actually there, so dims claiming 2**63
  elements over 32 bytes are refused before anything is allocated;
- names or other text that are not UTF-8 (protobuf hands them over as bytes);
- an If whose branches, or a Loop whose body, do not match the node's inputs
  and outputs (the checker leaves that to shape inference; rules rely on it);
- a model that ``onnx.checker.check_model`` rejects (``full_check=False``; the
  path form for files with external data or of 2 GiB and more).

External data at a location TensorRT refuses (absolute, or climbing out with
'..') is read here, so that ``check`` can report it (TRT003); writing a fixed
model refuses it (see :func:`~trtready.fixing.fix`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import onnx
import onnx_ir as ir

from .errors import ModelFileError, one_line
from .gc_pause import paused_gc
from .graph.external_data import location_problem
from .ir import TWO_GB
from .onnx_text import check_text

__all__ = ["OnnxFile", "read_onnx"]


@dataclass
class OnnxFile:
    """A model read from disk, with what the rules need to know about the files."""

    model: ir.Model
    path: Path
    file_size: int  # the .onnx file plus every external-data file it uses
    external_locations: list[str]  # as written in the file
    proto: onnx.ModelProto  # what ``model`` was read from (it wraps its tensors): shape inference starts from it


def read_onnx(path: str | os.PathLike) -> OnnxFile:
    """Read and validate ``path`` (see the module doc for what is refused)."""
    with paused_gc():  # deserialising makes objects per node and value by the hundred thousand
        return _read(Path(path))


def _read(path: Path) -> OnnxFile:
    if not path.is_file():
        raise ModelFileError(f"no such ONNX file: {path}")
    proto = _parse(path)
    check_text(proto, path)
    data_files: dict[Path, int] = {}
    locations: set[str] = set()
    for owner in _owners(proto):
        _check_control_flow(owner, path)
        for tensor in _proto_tensors(owner):
            _check_tensor(tensor, path, data_files, locations)
    model = _to_ir(proto, path)
    size = path.stat().st_size + sum(data_files.values())
    _run_checker(proto, path, use_path=bool(locations) or size >= TWO_GB, skip=any(map(location_problem, locations)))
    return OnnxFile(model, path, size, sorted(locations), proto)


def _parse(path: Path) -> onnx.ModelProto:
    try:
        proto = onnx.load(path, load_external_data=False)
    except Exception as exc:  # protobuf decode errors have no common base class
        raise ModelFileError(f"cannot read {path} as ONNX: {one_line(exc)}", hint="is it a complete .onnx file?") from None
    if not proto.HasField("graph") or not proto.ir_version:
        raise ModelFileError(f"{path} is not an ONNX model (no graph or IR version)", hint="is it a complete .onnx file?")
    return proto


def _to_ir(proto: onnx.ModelProto, path: Path) -> ir.Model:
    try:
        model = ir.serde.deserialize_model(proto)
    except Exception as exc:
        _run_checker(proto, path, use_path=True, skip=False)  # it usually names the problem better
        raise ModelFileError(f"cannot read {path} as ONNX: {one_line(exc)}") from None
    ir.external_data.set_base_dir(model.graph, str(path.parent))
    return model


def _owners(proto: onnx.ModelProto) -> Iterator[onnx.GraphProto | onnx.FunctionProto]:
    """The main graph, every subgraph (If/Loop/Scan bodies, at any depth) and every function;
    walked without recursion."""
    stack: list = [proto.graph, *proto.functions]
    while stack:
        owner = stack.pop()
        yield owner
        for node in owner.node:
            for attr in node.attribute:
                if attr.type == onnx.AttributeProto.GRAPH:
                    stack.append(attr.g)
                elif attr.type == onnx.AttributeProto.GRAPHS:
                    stack.extend(attr.graphs)


def _proto_tensors(owner: onnx.GraphProto | onnx.FunctionProto) -> Iterator[onnx.TensorProto]:
    """The TensorProtos of one graph or function: initializers, sparse initializers' parts, tensor attributes."""
    if isinstance(owner, onnx.GraphProto):
        yield from owner.initializer
        for sparse in owner.sparse_initializer:
            yield from (sparse.values, sparse.indices)
    for node in owner.node:
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.TENSOR:
                yield attr.t
            elif attr.type == onnx.AttributeProto.TENSORS:
                yield from attr.tensors
            elif attr.type == onnx.AttributeProto.SPARSE_TENSOR:
                yield from (attr.sparse_tensor.values, attr.sparse_tensor.indices)
            elif attr.type == onnx.AttributeProto.SPARSE_TENSORS:
                for sparse in attr.sparse_tensors:
                    yield from (sparse.values, sparse.indices)


def _check_control_flow(owner: onnx.GraphProto | onnx.FunctionProto, path: Path) -> None:
    """If branches and Loop bodies must match their node (onnx.checker leaves this to shape
    inference): If returns what each branch returns; a Loop body reads (iteration, condition,
    N carried values) and returns (condition, N carried values, K scan outputs)."""
    for node in owner.node:
        if node.domain not in ("", "ai.onnx") or node.op_type not in ("If", "Loop"):
            continue
        graphs = {a.name: a.g for a in node.attribute if a.type == onnx.AttributeProto.GRAPH}
        what = f"{node.op_type} '{node.name or node.op_type}' of {path}"
        if node.op_type == "If":
            for branch in ("then_branch", "else_branch"):
                if branch in graphs and len(graphs[branch].output) != len(node.output):
                    raise ModelFileError(f"{what} has {len(node.output)} outputs but its {branch} returns {len(graphs[branch].output)}")
        elif "body" in graphs:
            body, carried = graphs["body"], max(len(node.input) - 2, 0)
            if len(body.input) != 2 + carried or len(body.output) != 1 + len(node.output) or len(node.output) < carried:
                raise ModelFileError(
                    f"{what} carries {carried} values and has {len(node.output)} outputs, but its body reads "
                    f"{len(body.input)} inputs and returns {len(body.output)} (expected {2 + carried} and {1 + len(node.output)})"
                )  # fmt: skip


_DTYPES = {int(d): d for d in ir.DataType if d not in (ir.DataType.UNDEFINED,)}
# typed value fields and how many entries one element takes (sub-byte types are left to the checker)
_TYPED_FIELDS = {
    "float_data": {ir.DataType.FLOAT: 1, ir.DataType.COMPLEX64: 2},
    "double_data": {ir.DataType.DOUBLE: 1, ir.DataType.COMPLEX128: 2},
    "int64_data": {ir.DataType.INT64: 1},
    "uint64_data": {ir.DataType.UINT32: 1, ir.DataType.UINT64: 1},
    "int32_data": dict.fromkeys(
        [ir.DataType.INT32, ir.DataType.INT16, ir.DataType.INT8, ir.DataType.UINT16, ir.DataType.UINT8, ir.DataType.BOOL,
         ir.DataType.FLOAT16, ir.DataType.BFLOAT16, ir.DataType.FLOAT8E4M3FN, ir.DataType.FLOAT8E4M3FNUZ,
         ir.DataType.FLOAT8E5M2, ir.DataType.FLOAT8E5M2FNUZ],
        1,
    ),  # fmt: skip
    "string_data": {ir.DataType.STRING: 1},
}


def _check_tensor(tensor: onnx.TensorProto, path: Path, data_files: dict[Path, int], locations: set[str]) -> None:
    """Refuse a tensor whose type, dims or data are not what they claim (see the module doc);
    record the external-data files it uses (``data_files``: path -> size) and their locations."""
    name = tensor.name or "<unnamed>"

    def refuse(problem: str, hint: str | None = None) -> ModelFileError:
        return ModelFileError(f"tensor '{name}' of {path} {problem}", hint=hint)

    dtype = _DTYPES.get(tensor.data_type)
    if dtype is None:
        raise refuse(f"has data type {tensor.data_type}, which is not an ONNX type")
    if any(d < 0 for d in tensor.dims):
        raise refuse(f"has a negative dimension {list(tensor.dims)}")
    count = math.prod(tensor.dims)  # exact: Python integers do not overflow
    nbytes = None if dtype == ir.DataType.STRING else (count * dtype.bitwidth + 7) // 8
    if tensor.data_location == onnx.TensorProto.EXTERNAL:
        if nbytes is None:
            raise refuse("is a STRING tensor stored as external data, which ONNX does not allow")
        _check_external(tensor, path, nbytes, refuse, data_files, locations)
    elif tensor.HasField("raw_data"):
        if nbytes is not None and len(tensor.raw_data) != nbytes:
            raise refuse(f"has {len(tensor.raw_data)} bytes of raw data; its dims {list(tensor.dims)} and type {dtype.name} need {nbytes}")
    else:
        stored = {field: len(getattr(tensor, field)) for field in _TYPED_FIELDS}
        if count and not any(stored.values()):
            raise refuse(f"has no data for the {count} elements of its dims {list(tensor.dims)}")
        for field, per_element in _TYPED_FIELDS.items():
            if stored[field] and dtype in per_element and stored[field] != count * per_element[dtype]:
                raise refuse(f"has {stored[field]} values in {field}; its dims {list(tensor.dims)} and type {dtype.name} need {count * per_element[dtype]}")


def _check_external(tensor, path: Path, nbytes: int, refuse, data_files: dict[Path, int], locations: set[str]) -> None:
    entries = {entry.key: entry.value for entry in tensor.external_data}
    location = entries.get("location", "")
    if not location:
        raise refuse("is stored as external data without a location")
    offset, length = (_byte_count(entries.get(key), key, refuse) for key in ("offset", "length"))
    if length is not None and length != nbytes:
        raise refuse(f"says it holds {length} bytes of external data; its dims {list(tensor.dims)} need {nbytes}")
    data = path.parent / location
    if data not in data_files:
        try:
            if not data.is_file():
                raise ModelFileError(f"external data file '{location}' of {path} is missing (tensor '{tensor.name}')", hint=f"copy it into {path.parent or '.'}")
            _check_link(data, path, location)
            data_files[data] = data.stat().st_size
        except OSError as exc:  # a name too long, a folder that cannot be read
            raise refuse(f"is stored in external data file '{location[:100]}', which cannot be opened: {exc.strerror or exc}") from None
    locations.add(location)
    end = (offset or 0) + nbytes
    if end > data_files[data]:
        raise ModelFileError(f"external data file {data} is truncated: tensor '{tensor.name}' ends at byte {end}, the file has {data_files[data]}")


def _check_link(data: Path, path: Path, location: str) -> None:
    """Refuse what onnx_ir refuses to read: a data file reached through a symbolic link (to outside
    the model's folder) or with several hard links. Locations TRT003 reports are left to it."""
    if location_problem(location):
        return
    real, base = os.path.realpath(data), os.path.realpath(path.parent)
    if data.is_symlink() or not real.startswith(base.rstrip(os.sep) + os.sep):
        raise ModelFileError(f"external data file {data} is a symbolic link (to {real})", hint="copy the file itself beside the model")
    links = os.stat(real).st_nlink
    if links > 1:
        raise ModelFileError(f"external data file {data} has {links} hard links, so it is not read", hint="copy the file (cp, not ln) beside the model")


def _byte_count(text: str | None, key: str, refuse) -> int | None:
    if text is None:
        return None
    if not text.isascii() or not text.isdigit():
        raise refuse(f"has external data {key} '{text[:40]}', which is not a byte count")
    return int(text)


def _run_checker(proto: onnx.ModelProto, path: Path, *, use_path: bool, skip: bool) -> None:
    """``onnx.checker`` without full_check. ``skip``: the file has external-data locations
    that rule TRT003 reports (absolute or '..'), which the checker would refuse first."""
    if skip:
        return
    try:
        onnx.checker.check_model(str(path) if use_path else proto, full_check=False)
    except Exception as exc:  # ValidationError, or ValueError/RuntimeError from the C++ side
        raise ModelFileError(f"{path} fails the ONNX checker: {one_line(exc)}", hint="onnx.checker.check_model(path) gives details") from None
