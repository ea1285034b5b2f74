"""Reading an ONNX file to check it: one copy of the weights, one-line errors.

The protobuf is parsed once without its external data; ``onnx_ir`` wraps the
parsed tensors without copying them and memory-maps external data only when a
rule reads it. Every way a file can be unreadable becomes a
:class:`~trtready.errors.ModelFileError` (one line, no traceback):

- not protobuf at all, truncated, or protobuf that is not an ONNX model;
- external data that is missing or shorter than the tensors it should hold;
- a model that ``onnx.checker.check_model`` rejects (``full_check=False``; the
  path form for files with external data or of 2 GiB and more).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import onnx
import onnx_ir as ir

from .errors import ModelFileError, one_line
from .ir import TWO_GB, iter_nodes
from .rules.model.external_data_path import location_problem

__all__ = ["OnnxFile", "read_onnx"]


@dataclass
class OnnxFile:
    """A model read from disk, with what the rules need to know about the files."""

    model: ir.Model
    path: Path
    file_size: int  # the .onnx file plus every external-data file it uses
    external_locations: list[str]  # as written in the file


def read_onnx(path: str | os.PathLike) -> OnnxFile:
    """Read and validate ``path`` (see the module doc for what is refused)."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"no such ONNX file: {path}")
    proto = _parse(path)
    model = _to_ir(proto, path)
    tensors = list(_external_tensors(model))
    data_files = _require_external_data(path, tensors)
    locations = sorted({str(t.location) for t in tensors})
    size = path.stat().st_size + sum(f.stat().st_size for f in data_files)
    _run_checker(proto, path, use_path=bool(tensors) or size >= TWO_GB, skip=any(map(location_problem, locations)))
    return OnnxFile(model, path, size, locations)


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


def _external_tensors(model: ir.Model) -> Iterator[ir.ExternalTensor]:
    """Initializers and tensor attributes (Constant values) stored as external data, subgraphs included."""
    for value in model.graph.initializers.values():
        if isinstance(value.const_value, ir.ExternalTensor):
            yield value.const_value
    for _, node in iter_nodes(model.graph):
        for attr in node.attributes.values():
            if attr.type == ir.AttributeType.TENSOR and isinstance(attr.value, ir.ExternalTensor):
                yield attr.value


def _require_external_data(path: Path, tensors: list[ir.ExternalTensor]) -> set[Path]:
    """The external-data files ``tensors`` live in; each must exist and be long enough."""
    files: dict[Path, int] = {}
    for tensor in tensors:
        data = path.parent / str(tensor.location)
        if not data.is_file():
            raise ModelFileError(
                f"external data file '{tensor.location}' of {path} is missing (tensor '{tensor.name}')",
                hint=f"copy it into {path.parent or '.'}",
            )
        size = files.setdefault(data, data.stat().st_size)
        end = (tensor.offset or 0) + (tensor.length or 0)
        if end > size:
            raise ModelFileError(f"external data file {data} is truncated: tensor '{tensor.name}' ends at byte {end}, the file has {size}")
    return set(files)


def _run_checker(proto: onnx.ModelProto, path: Path, *, use_path: bool, skip: bool) -> None:
    """``onnx.checker`` without full_check. ``skip``: the file has external-data locations
    that rule TRT003 reports (absolute or '..'), which the checker would refuse first."""
    if skip:
        return
    try:
        onnx.checker.check_model(str(path) if use_path else proto, full_check=False)
    except Exception as exc:  # ValidationError, or ValueError/RuntimeError from the C++ side
        raise ModelFileError(f"{path} fails the ONNX checker: {one_line(exc)}", hint="onnx.checker.check_model(path) gives details") from None
