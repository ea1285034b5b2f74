"""``check_text(proto, path)``: refuse an ONNX file whose names or other text are not UTF-8.

protobuf hands such strings over as bytes, which onnx_ir keeps and then cannot write back (nor
can a report show them). Every string field of every message is looked at, without recursion;
tensors' data fields are not walked (no copy of the weights). A graph's nodes and tensor-typed
value infos, nearly all of a large graph, take a fast path (their strings joined in C, a few calls
each instead of a Python step per field): reading a 100k-node file spent more time here than
anywhere but onnx_ir. A message that fails it is walked field by field, which names the field.
"""

from __future__ import annotations

import enum
from pathlib import Path

import onnx
from google.protobuf.descriptor import FieldDescriptor

from .errors import ModelFileError

__all__ = ["check_text"]


def check_text(proto: onnx.ModelProto, path: Path) -> None:
    """Raise :class:`ModelFileError` naming the first field whose text is not UTF-8."""
    stack: list = [proto]
    while stack:
        message = stack.pop()
        kind = type(message)
        if kind is onnx.TensorProto:
            _check_tensor_text(message, path)
        elif kind is onnx.GraphProto and _FAST:
            _check_graph_lists(message, stack)
            _check_fields(message, stack, path, skip=_GRAPH_LISTS)
        else:
            _check_fields(message, stack, path)


_GRAPH_LISTS = frozenset({"node", "input", "output", "value_info"})


def _check_graph_lists(graph: onnx.GraphProto, stack: list) -> None:
    """The fast path over a graph's nodes and value infos: what it cannot clear goes on ``stack``
    (to be walked field by field), with every node's attributes and metadata."""
    for node in graph.node:
        if not _plain_node(node):
            stack.append(node)
            continue
        if len(node.attribute):
            stack.extend(node.attribute)
        if len(node.metadata_props) or len(node.device_configurations):
            stack.extend(node.metadata_props)
            stack.extend(node.device_configurations)
    for infos in (graph.input, graph.output, graph.value_info):
        for info in infos:
            if not _plain_tensor_info(info):
                stack.append(info)


def _check_tensor_text(tensor: onnx.TensorProto, path: Path) -> None:
    texts = [tensor.name, tensor.doc_string, *(t for e in tensor.external_data for t in (e.key, e.value))]
    texts += [t for e in tensor.metadata_props for t in (e.key, e.value)]
    if not _all_str(texts):
        raise _not_utf8(path, "onnx.TensorProto")


def _check_fields(message, stack: list, path: Path, skip: frozenset[str] = frozenset()) -> None:
    """Every field the message has set (but those named in ``skip``): text checked, sub-messages
    pushed on ``stack``."""
    for field, value in message.ListFields():
        if skip and field.name in skip:
            continue
        kind = _FIELD_KINDS.get(field)
        if kind is None:
            kind = _FIELD_KINDS[field] = _field_kind(field)
        if kind is _Kind.MESSAGES:
            stack.extend(value)
        elif kind is _Kind.MESSAGE:
            stack.append(value)
        elif (kind is _Kind.TEXT and type(value) is not str) or (kind is _Kind.TEXTS and not _all_str(value)):
            raise _not_utf8(path, field.full_name)


class _Kind(enum.Enum):
    """What :func:`_check_fields` does with a field (looked up per field descriptor, not read from it)."""

    MESSAGE, MESSAGES, TEXT, TEXTS, OTHER = range(5)


_MESSAGE, _STRING = FieldDescriptor.TYPE_MESSAGE, FieldDescriptor.TYPE_STRING
_FIELD_KINDS: dict[FieldDescriptor, _Kind] = {}


def _field_kind(field: FieldDescriptor) -> _Kind:
    if field.type == _MESSAGE:
        return _Kind.MESSAGES if field.is_repeated else _Kind.MESSAGE
    if field.type == _STRING:
        return _Kind.TEXTS if field.is_repeated else _Kind.TEXT
    return _Kind.OTHER


def _plain_node(node: onnx.NodeProto) -> bool:
    """The node's own strings are all str (its attributes and metadata are walked after)."""
    return _all_str([*node.input, *node.output, node.name, node.op_type, node.domain, node.overload, node.doc_string])


def _plain_tensor_info(info: onnx.ValueInfoProto) -> bool:
    """A value info of a tensor type, without metadata, whose strings are all str."""
    declared = info.type
    if declared.WhichOneof("value") != "tensor_type" or len(info.metadata_props):
        return False
    texts = [info.name, info.doc_string, declared.denotation]
    for dim in declared.tensor_type.shape.dim:
        texts += (dim.dim_param, dim.denotation)
    return _all_str(texts)


# The fast paths read these fields by name: they hold only for the ONNX schema they were written for.
_FAST = all(
    {f.name for f in message.DESCRIPTOR.fields} == fields
    for message, fields in (
        (onnx.NodeProto, {"input", "output", "name", "op_type", "domain", "overload", "attribute", "doc_string",
                          "metadata_props", "device_configurations"}),
        (onnx.ValueInfoProto, {"name", "type", "doc_string", "metadata_props"}),
        (onnx.TypeProto, {"tensor_type", "sequence_type", "map_type", "optional_type", "sparse_tensor_type",
                          "opaque_type", "denotation"}),
        (onnx.TypeProto.Tensor, {"elem_type", "shape"}),
        (onnx.TensorShapeProto, {"dim"}),
        (onnx.TensorShapeProto.Dimension, {"dim_value", "dim_param", "denotation"}),
    )
)  # fmt: skip


def _all_str(values) -> bool:
    try:
        "".join(values)  # in C: a TypeError at the first item that is not a str
    except TypeError:
        return False
    return True


def _not_utf8(path: Path, where: str) -> ModelFileError:
    return ModelFileError(f"{path} has text that is not UTF-8 (in {where.removeprefix('onnx.')})", hint="is it a complete .onnx file?")
