"""A seeded mutator of ONNX files: byte-level damage and structural mutations of the protobuf.

Pure Python over the ``onnx`` protobuf classes. A :class:`Seed` is a real model
(its ``model.onnx`` bytes and any files beside it, such as external data); a
:class:`Mutant` is the same set of files after one mutation of a named class
(``MUTATION_CLASSES``), ready to be written into an empty folder::

    for mutant in mutants(seeds, 100, seed=0):  # every class in turn, seeds drawn at random
        path = mutant.write(tmp_dir / f"m{mutant.index}")  # the model.onnx, beside its other files

Classes: ``bytes.flip`` / ``bytes.truncate`` (the serialized file), dangling
edges, cycles, duplicate value/node/initializer names, stripped graphs, bad
dtypes (elem_type/data_type 1000, 0, -1...), bad dims (-7, 2**31, 2**62...),
dims claiming 2**63 elements (over 32 bytes of external data, among others),
attributes of the wrong type, missing or out of range (Cast to=1000, perm out of
range), bad opsets (999, none, unknown domain, ir_version), raw_data of the wrong
length, extreme int64 constants (Reshape targets, Loop trip counts), external
data missing, escaping the folder (``../../etc/passwd``, absolute, symlinks),
with an overlong or odd location, or an offset/length past the file's end, and
``combo`` (two or three of these at once).

The same ``seed`` always gives the same mutants. Mutations pick among every
graph of the model (subgraphs of If/Loop included) and, where a model has no
target for a mutation (no Cast node, no external data), create one first, so
every class applies to every seed.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
from onnx import AttributeProto, TensorProto, helper, numpy_helper

__all__ = ["MUTATION_CLASSES", "Mutant", "Seed", "load_seed", "mutants", "mutate"]

MODEL = "model.onnx"
BAD_DTYPES = [1000, 0, 1000, 0, -1, 2**31 - 1, TensorProto.STRING, TensorProto.COMPLEX128, TensorProto.BFLOAT16, 17, 22, 25]
BAD_DIMS = [-7, -1, 0, 2**31, 2**62, 2**63 - 1, -(2**63)]
BAD_LOCATIONS_ESCAPE = ["../../etc/passwd", "/etc/passwd", "..\\..\\windows\\system32", "sub/../../x.data", "/proc/self/mem", "/dev/zero", "../model.onnx.data"]


@dataclass
class Seed:
    name: str
    model: bytes  # model.onnx
    extras: dict[str, bytes] = field(default_factory=dict)  # files beside it (external data)


@dataclass
class Mutant:
    index: int
    seed: str
    kind: str  # the mutation class
    detail: str  # what exactly was done
    files: dict[str, bytes]  # relative name -> contents; MODEL is the model
    links: dict[str, str] = field(default_factory=dict)  # relative name -> symlink target

    def write(self, directory: Path) -> Path:
        """Write the files into ``directory`` (created); returns the model's path."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        for name, data in self.files.items():
            (directory / name).parent.mkdir(parents=True, exist_ok=True)
            (directory / name).write_bytes(data)
        for name, target in self.links.items():
            (directory / name).unlink(missing_ok=True)
            (directory / name).symlink_to(target)
        return directory / MODEL

    def __str__(self) -> str:
        return f"#{self.index} {self.kind} on {self.seed}: {self.detail}"


def load_seed(name: str, folder: Path) -> Seed:
    """A seed from a folder holding ``model.onnx`` and the files it uses."""
    folder = Path(folder)
    extras = {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and p.name != MODEL}
    return Seed(name, (folder / MODEL).read_bytes(), extras)


# -- walking the protobuf -------------------------------------------------------------------


def _graphs(graph: onnx.GraphProto) -> list[onnx.GraphProto]:
    found = [graph]
    for node in graph.node:
        for attr in node.attribute:
            if attr.type == AttributeProto.GRAPH:
                found += _graphs(attr.g)
            elif attr.type == AttributeProto.GRAPHS:
                for sub in attr.graphs:
                    found += _graphs(sub)
    return found


def _pick_graph(rng: random.Random, model: onnx.ModelProto, need_nodes: bool = True) -> onnx.GraphProto:
    graphs = [g for g in _graphs(model.graph) if g.node or not need_nodes] or [model.graph]
    # the main graph half of the time: most of what trtready reads is there
    return model.graph if rng.random() < 0.5 else rng.choice(graphs)


def _values(graph: onnx.GraphProto) -> list[onnx.ValueInfoProto]:
    return [*graph.input, *graph.output, *graph.value_info]


def _all_values(model: onnx.ModelProto) -> list[onnx.ValueInfoProto]:
    return [v for g in _graphs(model.graph) for v in _values(g)]


def _tensors(model: onnx.ModelProto) -> list[TensorProto]:
    """Initializers of every graph and tensor attributes (Constant values)."""
    found = []
    for graph in _graphs(model.graph):
        found += list(graph.initializer)
        for node in graph.node:
            found += [a.t for a in node.attribute if a.type == AttributeProto.TENSOR]
    return found


def _external(model: onnx.ModelProto) -> list[TensorProto]:
    return [t for t in _tensors(model) if t.data_location == TensorProto.EXTERNAL]


def _unique(graph: onnx.GraphProto, stem: str) -> str:
    names = {v for n in graph.node for v in [*n.input, *n.output]} | {v.name for v in _values(graph)}
    i = 0
    while f"{stem}{i}" in names:
        i += 1
    return f"{stem}{i}"


def _set_external(tensor: TensorProto, location: str, offset: int | None = None, length: int | None = None) -> None:
    del tensor.external_data[:]
    tensor.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", offset), ("length", length)):
        if value is not None:
            entry = tensor.external_data.add()
            entry.key, entry.value = key, str(value)


def _ensure_external(rng: random.Random, model: onnx.ModelProto, files: dict[str, bytes]) -> TensorProto:
    """An external tensor of the model, moving an inline initializer out to ``weights.bin`` if there is none."""
    external = _external(model)
    if external:
        return rng.choice(external)
    candidates = [t for t in model.graph.initializer if t.data_type != TensorProto.STRING] or list(model.graph.initializer)
    if not candidates:
        tensor = numpy_helper.from_array(np.arange(8, dtype=np.float32), _unique(model.graph, "extw"))
        model.graph.initializer.append(tensor)
        candidates = [model.graph.initializer[-1]]
    tensor = rng.choice(candidates)
    data = _tensor_bytes(tensor)
    offset = len(files.get("weights.bin", b""))
    files["weights.bin"] = files.get("weights.bin", b"") + data
    for name in ("raw_data", "float_data", "int32_data", "int64_data", "double_data", "uint64_data", "string_data"):
        tensor.ClearField(name)
    _set_external(tensor, "weights.bin", offset, len(data))
    return tensor


def _tensor_bytes(tensor: TensorProto) -> bytes:
    """The tensor's data as bytes, also when an earlier mutation broke it (then its raw bytes, or 8 zeros)."""
    try:
        return numpy_helper.to_array(tensor).tobytes()
    except Exception:  # noqa: BLE001 - a broken tensor is what this module makes
        return tensor.raw_data or bytes(8)


def _wrap_output(rng: random.Random, graph: onnx.GraphProto, op: str, **attrs) -> onnx.NodeProto:
    """Insert ``op`` in front of a graph output (``y = op(y_pre)``), so the rest of the graph feeds it."""
    out = rng.choice(list(graph.output)) if graph.output else None
    if out is None:
        node = helper.make_node(op, [graph.input[0].name if graph.input else "ghost"], [_unique(graph, "extra")], **attrs)
        graph.node.append(node)
        return graph.node[-1]
    pre = _unique(graph, f"{out.name}_pre")
    for node in graph.node:
        node.output[:] = [pre if o == out.name else o for o in node.output]
        node.input[:] = [pre if i == out.name else i for i in node.input]
    graph.node.append(helper.make_node(op, [pre], [out.name], name=_unique(graph, op.lower()), **attrs))
    return graph.node[-1]


# -- byte-level ----------------------------------------------------------------------------------


def bytes_flip(rng, data: bytes) -> tuple[bytes, str]:
    buf = bytearray(data)
    count = rng.choice([1, 1, 2, 4, 16])
    for _ in range(count):
        i = rng.randrange(len(buf))
        buf[i] = rng.randrange(256) if rng.random() < 0.5 else buf[i] ^ (1 << rng.randrange(8))
    return bytes(buf), f"{count} byte(s) changed"


def bytes_truncate(rng, data: bytes) -> tuple[bytes, str]:
    way = rng.randrange(5)
    if way == 0:
        return b"", "empty file"
    if way == 1:
        return data + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64))), "garbage appended"
    cut = rng.randrange(1, len(data))
    return data[:cut], f"cut at byte {cut} of {len(data)}"


# -- structural ----------------------------------------------------------------------------------


def dangling_edge(rng, model, files) -> str:
    graph = _pick_graph(rng, model)
    way = rng.randrange(4)
    ghost = _unique(graph, "ghost")
    if way == 0 or not graph.output:
        node = rng.choice([n for n in graph.node if n.input] or list(graph.node))
        if node.input:
            i = rng.randrange(len(node.input))
            node.input[i] = ghost
            return f"input {i} of {node.op_type} '{node.name}' names no value"
        node.input.append(ghost)
        return f"{node.op_type} '{node.name}' gets an input that names no value"
    if way == 1:
        graph.output[rng.randrange(len(graph.output))].name = ghost
        return f"graph '{graph.name}' returns '{ghost}', which nothing produces"
    if way == 2:
        node = rng.choice(list(graph.node))
        node.input.append(ghost)
        return f"{node.op_type} '{node.name}' gets an extra input naming no value"
    node = rng.choice(list(graph.node))
    graph.node.remove(node)
    return f"{node.op_type} '{node.name}' removed, its consumers dangle"


def bad_dtype(rng, model, files) -> str:
    dtype = rng.choice(BAD_DTYPES)
    values = [v for v in _all_values(model) if v.type.HasField("tensor_type")]
    tensors = _tensors(model)
    if values and (not tensors or rng.random() < 0.6):
        value = rng.choice(values)
        value.type.tensor_type.elem_type = dtype
        return f"value '{value.name}' elem_type {dtype}"
    tensor = rng.choice(tensors)
    tensor.data_type = dtype
    return f"tensor '{tensor.name}' data_type {dtype}"


def bad_dims(rng, model, files) -> str:
    dim = rng.choice(BAD_DIMS)
    values = [v for v in _all_values(model) if v.type.HasField("tensor_type")]
    if values and rng.random() < 0.6:
        value = rng.choice(values)
        shape = value.type.tensor_type.shape
        if not shape.dim or rng.random() < 0.2:
            shape.dim.add()
        d = shape.dim[rng.randrange(len(shape.dim))]
        d.dim_value = dim
        return f"value '{value.name}' dim {dim}"
    tensor = rng.choice(_tensors(model) or [_ensure_external(rng, model, files)])
    if not tensor.dims or rng.random() < 0.2:
        tensor.dims.append(1)
    tensor.dims[rng.randrange(len(tensor.dims))] = dim
    return f"tensor '{tensor.name}' dims {list(tensor.dims)}"


def huge_elements(rng, model, files) -> str:
    """Dims whose product is 2**63 (or more), over a few bytes of data, inline or external."""
    dims = rng.choice([[2**32, 2**31], [2**62, 4], [2**31, 2**31, 2], [2**63 - 1, 2**63 - 1], [4, 2**61]])
    way = rng.randrange(3)
    if way == 0:  # a new initializer backed by 32 bytes of external data
        name = _unique(model.graph, "huge")
        tensor = TensorProto(name=name, data_type=TensorProto.FLOAT, dims=dims)
        files["huge.bin"] = bytes(32)
        _set_external(tensor, "huge.bin", 0, rng.choice([32, None]))
        model.graph.initializer.append(tensor)
        if rng.random() < 0.5 and model.graph.node:  # and used
            rng.choice(list(model.graph.node)).input.append(name)
        return f"new initializer '{name}' dims {dims} on 32 bytes of external data"
    tensors = _tensors(model)
    tensor = rng.choice(tensors) if tensors and way == 1 else _ensure_external(rng, model, files)
    tensor.ClearField("dims")
    tensor.dims.extend(dims)
    return f"tensor '{tensor.name}' dims {dims}" + (" (external)" if tensor.data_location == TensorProto.EXTERNAL else "")


def raw_length(rng, model, files) -> str:
    tensors = [t for t in _tensors(model) if t.data_location != TensorProto.EXTERNAL] or [_ensure_external(rng, model, files)]
    tensor = rng.choice(tensors)
    if tensor.data_location == TensorProto.EXTERNAL:
        tensor.data_location = TensorProto.DEFAULT
        tensor.raw_data = bytes(rng.randrange(0, 7))
        return f"external tensor '{tensor.name}' made inline with {len(tensor.raw_data)} raw bytes"
    if not tensor.HasField("raw_data"):
        tensor.raw_data = _tensor_bytes(tensor)
        for name in ("float_data", "int32_data", "int64_data", "double_data", "uint64_data"):
            tensor.ClearField(name)
    way = rng.randrange(5)
    if way == 0:
        tensor.raw_data = tensor.raw_data[: rng.randrange(len(tensor.raw_data) or 1)]
    elif way == 1:
        tensor.raw_data = tensor.raw_data + bytes(rng.randrange(1, 9))
    elif way == 2:
        tensor.raw_data = b""
    elif way == 3:
        tensor.float_data.extend([1.0, 2.0, 3.0])  # raw and typed data both set
        return f"tensor '{tensor.name}' has raw_data and float_data"
    else:
        tensor.data_location = TensorProto.EXTERNAL  # external, with no external_data entries
        return f"tensor '{tensor.name}' marked external without a location"
    return f"tensor '{tensor.name}' raw_data of {len(tensor.raw_data)} bytes for dims {list(tensor.dims)}"


def _attr_nodes(model) -> list[onnx.NodeProto]:
    return [n for g in _graphs(model.graph) for n in g.node if n.attribute]


def attr_wrong_type(rng, model, files) -> str:
    nodes = _attr_nodes(model) or [_wrap_output(rng, model.graph, "Cast", to=TensorProto.FLOAT)]
    node = rng.choice(nodes)
    attr = rng.choice(list(node.attribute))
    way = rng.randrange(4)
    name = attr.name
    if way == 0:
        attr.CopyFrom(helper.make_attribute(name, "oops"))
    elif way == 1:
        attr.CopyFrom(helper.make_attribute(name, [1.5, 2.5]))
    elif way == 2:  # the declared type disagrees with the field that is set
        attr.type = rng.choice([t for t in (AttributeProto.INT, AttributeProto.FLOAT, AttributeProto.GRAPH, AttributeProto.TENSOR, AttributeProto.INTS) if t != attr.type])
    else:
        attr.type = AttributeProto.UNDEFINED
    return f"attribute {name} of {node.op_type} '{node.name}' now {AttributeProto.AttributeType.Name(attr.type)}"


def attr_missing(rng, model, files) -> str:
    nodes = _attr_nodes(model) or [_wrap_output(rng, model.graph, "Cast", to=TensorProto.FLOAT)]
    required = [n for n in nodes if n.op_type in ("Cast", "If", "Loop", "Constant", "Concat", "Transpose", "Gather")]
    node = rng.choice(required if required and rng.random() < 0.7 else nodes)
    attr = rng.choice(list(node.attribute))
    node.attribute.remove(attr)
    return f"attribute {attr.name} removed from {node.op_type} '{node.name}'"


def attr_bad_value(rng, model, files) -> str:
    graph = _pick_graph(rng, model)
    way = rng.randrange(4)
    if way == 0:
        casts = [n for g in _graphs(model.graph) for n in g.node if n.op_type == "Cast"]
        node = rng.choice(casts) if casts and rng.random() < 0.5 else _wrap_output(rng, graph, "Cast", to=1)
        to = rng.choice([1000, 0, -1, TensorProto.STRING, 2**31 - 1, TensorProto.COMPLEX64, 22])
        node.ClearField("attribute")
        node.attribute.append(helper.make_attribute("to", to))
        return f"Cast to={to}"
    if way == 1:
        perm = rng.choice([[0, 5, 1], [0, 0, 1], [-1, 0], [], [2**40, 0], [0, 1, 2, 3, 4, 5, 6, 7]])
        transposes = [n for g in _graphs(model.graph) for n in g.node if n.op_type == "Transpose"]
        node = rng.choice(transposes) if transposes and rng.random() < 0.5 else _wrap_output(rng, graph, "Transpose")
        node.ClearField("attribute")
        node.attribute.append(helper.make_attribute("perm", perm))
        return f"Transpose perm={perm}"
    if way == 2:  # an axis or size attribute far out of range
        ints = [(n, a) for g in _graphs(model.graph) for n in g.node for a in n.attribute if a.type in (AttributeProto.INT, AttributeProto.INTS)]
        if ints:
            node, attr = rng.choice(ints)
            value = rng.choice([99, -99, 0, 2**40, -(2**62)])
            if attr.type == AttributeProto.INT:
                attr.i = value
            else:
                attr.ints[:] = [value] * max(1, len(attr.ints))
            return f"{attr.name}={value} on {node.op_type} '{node.name}'"
    op, attrs = rng.choice([("Softmax", {"axis": 99}), ("Flatten", {"axis": -99}), ("Concat", {"axis": 2**40}), ("Gather", {"axis": 7})])
    node = _wrap_output(rng, graph, op, **attrs)
    if op == "Gather":
        node.input.append(node.input[0])
    return f"{op} {attrs} inserted"


def bad_opset(rng, model, files) -> str:
    way = rng.randrange(6)
    if way == 0:
        version = rng.choice([999, 0, -1, 1, 6, 2**40])
        for imp in model.opset_import:
            if imp.domain in ("", "ai.onnx"):
                imp.version = version
        return f"default opset {version}"
    if way == 1:
        del model.opset_import[:]
        return "no opset imports"
    if way == 2:
        graph = _pick_graph(rng, model)
        node = rng.choice(list(graph.node))
        node.domain = "com.unknown"
        if rng.random() < 0.5:
            model.opset_import.append(helper.make_opsetid("com.unknown", 1))
        return f"{node.op_type} '{node.name}' moved to domain com.unknown"
    if way == 3:
        model.opset_import.append(helper.make_opsetid("", rng.choice([9, 21, 999])))
        return "two default-domain opset imports"
    if way == 4:
        graph = _pick_graph(rng, model)
        node = rng.choice(list(graph.node))
        node.op_type = rng.choice(["NoSuchOp", "", "conv", "Relu ", "If"])
        return f"node '{node.name}' op_type {node.op_type!r}"
    model.ir_version = rng.choice([0, 1, 3, 999, -1])
    return f"ir_version {model.ir_version}"


def cycle(rng, model, files) -> str:
    graph = _pick_graph(rng, model)
    nodes = list(graph.node)
    late = rng.randrange(len(nodes))
    early = rng.randrange(late + 1)
    source, target = nodes[late], nodes[early]
    produced = [o for o in source.output if o] or [_unique(graph, "loop")]
    if not target.input:
        target.input.append(produced[0])
    else:
        target.input[rng.randrange(len(target.input))] = produced[0]
    return f"{target.op_type} '{target.name}' reads '{produced[0]}' of {source.op_type} '{source.name}'" + (" (itself)" if late == early else "")


def duplicate_names(rng, model, files) -> str:
    graph = _pick_graph(rng, model)
    way = rng.randrange(6)
    nodes = list(graph.node)
    if way == 0 and len(nodes) > 1:
        a, b = rng.sample(nodes, 2)
        a.output[0] = b.output[0]
        return f"{a.op_type} '{a.name}' and {b.op_type} '{b.name}' both produce '{b.output[0]}'"
    if way == 1:
        for node in nodes:
            node.name = "same"
        return "every node named 'same'"
    if way == 2 and graph.initializer:
        copy = TensorProto()
        copy.CopyFrom(rng.choice(list(graph.initializer)))
        if rng.random() < 0.5 and copy.dims:
            copy.dims[0] += 1
        graph.initializer.append(copy)
        return f"initializer '{copy.name}' twice"
    if way == 3 and graph.input:
        graph.input.append(graph.input[0])
        return f"graph input '{graph.input[0].name}' twice"
    if way == 4 and graph.input and nodes:
        node = rng.choice(nodes)
        node.output[0] = graph.input[0].name
        return f"{node.op_type} '{node.name}' writes graph input '{graph.input[0].name}'"
    if graph.output:
        graph.output.append(graph.output[0])
        graph.value_info.append(helper.make_tensor_value_info(graph.output[0].name, TensorProto.INT8, [3]))
        return f"graph output '{graph.output[0].name}' twice, with a conflicting value_info"
    nodes[0].output.append(nodes[0].output[0])
    return f"{nodes[0].op_type} produces the same name twice"


def strip_graph(rng, model, files) -> str:
    graph = _pick_graph(rng, model, need_nodes=False)
    way = rng.randrange(4)
    if way == 0:
        del graph.node[:]
        return f"graph '{graph.name}' has no nodes"
    if way == 1:
        del graph.output[:]
        return f"graph '{graph.name}' has no outputs"
    if way == 2:
        del graph.input[:]
        return f"graph '{graph.name}' has no inputs"
    model.ClearField("graph") if graph is model.graph and rng.random() < 0.3 else graph.ClearField("name")
    return "graph removed or unnamed"


def constant_values(rng, model, files) -> str:
    """An int64 constant (Reshape target, axes, gather index, trip count) set to an extreme value."""
    tensors = [t for t in _tensors(model) if t.data_type == TensorProto.INT64 and t.data_location != TensorProto.EXTERNAL]
    if not tensors:
        tensor = numpy_helper.from_array(np.array([2**40, -1], np.int64), _unique(model.graph, "shape"))
        model.graph.initializer.append(tensor)
        node = _wrap_output(rng, model.graph, "Reshape")
        node.input.append(tensor.name)
        return "Reshape to [2**40, -1] inserted"
    tensor = rng.choice(tensors)
    array = numpy_helper.to_array(tensor).copy()
    value = rng.choice([-1, -2, 0, 99, 2**31, 2**40, 2**62, -(2**63)])
    if array.size:
        array.flat[rng.randrange(array.size)] = value
    tensor.CopyFrom(numpy_helper.from_array(array, tensor.name))
    return f"int64 constant '{tensor.name}' gets {value}"


def ext_missing(rng, model, files) -> str:
    tensor = _ensure_external(rng, model, files)
    way = rng.randrange(4)
    if way == 0:
        _set_external(tensor, "missing.bin", 0, None)
        return f"'{tensor.name}' at missing.bin, which does not exist"
    if way == 1:
        for name in list(files):
            if name != MODEL:
                del files[name]
        return "every external data file removed"
    if way == 2:
        del tensor.external_data[:]
        return f"'{tensor.name}' external with no location"
    tensor.external_data[0].key = "where"
    return f"'{tensor.name}' external data without a 'location' key"


def ext_escape(rng, model, files, links) -> str:
    tensor = _ensure_external(rng, model, files)
    location = next((e.value for e in tensor.external_data if e.key == "location"), "weights.bin")
    if rng.random() < 0.3:  # a symlink beside the model that points elsewhere
        target = rng.choice(["/etc/passwd", "/dev/zero", "/", "../outside.data"])
        files.pop(location, None)
        links[location] = target
        return f"'{location}' is a symlink to {target}"
    new = rng.choice(BAD_LOCATIONS_ESCAPE)
    _set_external(tensor, new, *_range(tensor))
    return f"'{tensor.name}' at {new}"


def ext_long_location(rng, model, files) -> str:
    tensor = _ensure_external(rng, model, files)
    new = rng.choice(["a" * 300, "b" * 5000, "x\x00y.data", "", ".", MODEL, "sub", "sub/" + "c" * 250 + "/" + "d" * 250, "ö" * 200])
    if new.startswith("sub"):
        files["sub/keep"] = b""
    _set_external(tensor, new, *_range(tensor))
    return f"'{tensor.name}' at a location of {len(new)} characters ({new[:12]!r}...)"


def ext_bad_range(rng, model, files) -> str:
    tensor = _ensure_external(rng, model, files)
    location = next((e.value for e in tensor.external_data if e.key == "location"), "weights.bin")
    size = len(files.get(location, b""))
    offset, length = rng.choice([
        (size, 4), (size - 2, 8), (2**62, 4), (0, 2**62), (2**63 - 1, 1), ("-8", 4), ("abc", None),
        (0, "1e3"), (0, 0), (1, None), (size + 4096, None), (0, "-1"),
    ])  # fmt: skip
    if rng.random() < 0.2 and location in files:
        files[location] = files[location][: size // 2]
        return f"'{location}' cut to {size // 2} bytes"
    _set_external(tensor, location, offset, length)
    return f"'{tensor.name}' offset {offset} length {length} in a file of {size} bytes"


def _range(tensor: TensorProto) -> tuple:
    entries = {e.key: e.value for e in tensor.external_data}
    return entries.get("offset"), entries.get("length")


def combo(rng, model, files, links) -> str:
    """Two or three structural mutations at once."""
    picks = rng.sample([k for k in STRUCTURAL if k not in ("combo",)], rng.choice([2, 3]))
    done = []
    for kind in picks:
        try:
            done.append(f"{kind}: {_call(STRUCTURAL[kind], rng, model, files, links)}")
        except Exception:  # noqa: BLE001 - an earlier mutation removed or broke what this one needs
            done.append(f"{kind}: n/a")
    return "; ".join(done)


def _call(fn, rng, model, files, links) -> str:
    return fn(rng, model, files, links) if fn in (ext_escape, combo) else fn(rng, model, files)


BYTES: dict[str, Callable] = {"bytes.flip": bytes_flip, "bytes.truncate": bytes_truncate}
STRUCTURAL: dict[str, Callable] = {
    "graph.dangling-edge": dangling_edge,
    "graph.cycle": cycle,
    "graph.duplicate-names": duplicate_names,
    "graph.strip": strip_graph,
    "dtype.bad": bad_dtype,
    "dims.bad": bad_dims,
    "dims.huge-elements": huge_elements,
    "attr.wrong-type": attr_wrong_type,
    "attr.missing": attr_missing,
    "attr.bad-value": attr_bad_value,
    "opset.bad": bad_opset,
    "tensor.raw-length": raw_length,
    "tensor.extreme-int": constant_values,
    "extdata.missing": ext_missing,
    "extdata.escape": ext_escape,
    "extdata.long-location": ext_long_location,
    "extdata.bad-range": ext_bad_range,
    "combo": combo,
}
MUTATION_CLASSES: tuple[str, ...] = (*BYTES, *STRUCTURAL)


def mutate(seed: Seed, kind: str, rng: random.Random, index: int = 0) -> Mutant:
    """One mutant of ``seed`` by mutation class ``kind``."""
    files = {MODEL: seed.model, **seed.extras}
    links: dict[str, str] = {}
    if kind in BYTES:
        target = MODEL if not seed.extras or rng.random() < 0.8 else rng.choice(sorted(seed.extras))
        files[target], detail = BYTES[kind](rng, files[target])
        return Mutant(index, seed.name, kind, f"{target}: {detail}", files)
    model = onnx.load_from_string(seed.model)
    for _ in range(8):  # a mutation that finds nothing to change on this model is tried again
        try:
            detail = _call(STRUCTURAL[kind], rng, model, files, links)
            break
        except Exception:  # noqa: BLE001 - nothing to mutate this way here (no nodes, no outputs...)
            model = onnx.load_from_string(seed.model)
            files, links = {MODEL: seed.model, **seed.extras}, {}
    else:
        detail = "no change"
    files[MODEL] = model.SerializeToString()
    return Mutant(index, seed.name, kind, detail, files, links)


def mutants(seeds: list[Seed], count: int, seed: int = 0, kinds: tuple[str, ...] = MUTATION_CLASSES) -> Iterator[Mutant]:
    """``count`` mutants, every class in turn, over seeds drawn at random; the same ``seed`` gives the same mutants."""
    rng = random.Random(seed)
    for index in range(count):
        kind = kinds[index % len(kinds)]
        yield mutate(rng.choice(seeds), kind, random.Random(rng.getrandbits(64)), index)
