"""Node output dtypes from the ONNX operator schemas, in one pass in graph order: what ONNX type
inference gives them, without running it (on a large TorchScript export, that run was most of a check).

Each op's schema says the type of each output: a fixed type (``Shape``: ``tensor(int64)``), a type
parameter the output shares with some inputs (``Relu``: ``T`` in, ``T`` out), or one an attribute
picks (``Cast``'s ``to``: ``_BY_ATTRIBUTE``). :func:`propagate_dtypes` reads them with
``onnx.defs.get_schema`` and gives every named node output that declares no dtype the one ONNX type
inference gives it. Where it cannot be sure of that, it leaves the value alone and says so (the
caller then runs ONNX inference, which fills what is left):

- an input of the node has no known tensor dtype (ONNX inference may then fail the whole node);
- the inputs that share the output's type parameter disagree;
- the type comes from something not read here: ``Loop``/``Scan`` bodies, model-local functions,
  an attribute of an op not in ``_BY_ATTRIBUTE``.

An op ONNX has no schema for (another domain, an op newer than the model's opset) gets no dtype, as
ONNX inference gives it none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import onnx
import onnx_ir as ir

from .graph.attributes import int_attr

__all__ = ["propagate_dtypes"]

_TENSOR_TYPES = {f"tensor({name.lower()})": ir.DataType(code) for name, code in onnx.TensorProto.DataType.items() if code}
_VARIADIC = onnx.defs.OpSchema.FormalParameterOption.Variadic
#: Ops whose outputs the schema's type parameters do not describe (their bodies decide).
_BODY_TYPED = frozenset({"Loop", "Scan", "SequenceMap"})


class _Undecided:
    """The dtype ONNX inference gives is not known here."""


UNDECIDED = _Undecided()
_UNKNOWN = object()  # an op whose schema was not read yet
Decision = ir.DataType | None | _Undecided  # None: ONNX inference gives no tensor dtype either


def propagate_dtypes(model: ir.Model, nodes: Iterable[ir.Node] | None = None) -> bool:
    """Fill in missing node output dtypes (subgraphs included) as ONNX type inference would.

    True when every named node output without a dtype was decided (given one, or known to get none
    from ONNX inference either); False when some are left for ONNX inference to fill. ``nodes``:
    every node of the model, subgraphs included, when the caller has them listed already: a model
    that declares every type (a dynamo export) is then found so in one look at each.
    """
    if nodes is not None and all(value.type is not None for node in nodes for value in node.outputs):
        return True
    return _Propagation(model).graph(model.graph)


class _Propagation:
    def __init__(self, model: ir.Model) -> None:
        self._opsets = dict(model.opset_imports)
        self._functions = {(key[0], key[1]) for key in model.functions}
        self._typings: dict[tuple[str, str], _OpTyping | None | _Undecided] = {}

    def graph(self, graph: ir.Graph) -> bool:
        complete = True
        typings = self._typings
        for node in graph:
            op, domain = node.op_type, node.domain
            if domain == "" and (op == "If" or op in _BODY_TYPED):
                complete &= self._control_flow(node, op)
            for value in node.outputs:
                if value.type is None:  # a declared type, even a sequence's, is left as it is
                    typing = typings.get((domain, op), _UNKNOWN)
                    if typing is _UNKNOWN:
                        typing = typings[domain, op] = self._read_schema(domain, op)
                    if typing.__class__ is _OpTyping:
                        complete &= _type_outputs(node, typing)
                    else:  # None: ONNX inference gives them no dtype either
                        complete &= typing is None
                    break
        return complete

    def _control_flow(self, node: ir.Node, op: str) -> bool:
        """An If's branches first (its outputs are theirs; ONNX inference types them when it types
        the If). A Loop's or Scan's body is left to ONNX inference, which types it from the node's inputs."""
        if op != "If":
            return False
        if self._typings.get(("", "If"), _UNKNOWN) is _UNKNOWN:
            self._typings["", "If"] = self._read_schema("", "If")
        if self._typings["", "If"].__class__ is not _OpTyping:
            return True  # no If at this opset: ONNX inference skips the node and its branches
        complete = True
        for attr in node.attributes.values():
            if attr.type == ir.AttributeType.GRAPH:
                complete &= self.graph(attr.value)
        return complete

    def _read_schema(self, domain: str, op: str) -> _OpTyping | None | _Undecided:
        if (domain, op) in self._functions or domain == "ai.onnx":
            return UNDECIDED  # ONNX inference reads the function's body; "ai.onnx" has lookup rules of its own
        version = self._opsets.get(domain)
        if version is None and domain == "" and "ai.onnx" in self._opsets:
            return UNDECIDED  # the standard ops imported under their long name
        if version is None:
            return None  # no opset import for the domain: ONNX inference skips the node
        try:
            schema = onnx.defs.get_schema(op, version, domain)
        except onnx.defs.SchemaError:
            return None  # no such op at that opset: ONNX inference skips the node
        if schema.deprecated:
            return None
        if not schema.has_type_and_shape_inference_function:
            return UNDECIDED  # ONNX inference may expand the op's function body
        return _OpTyping(schema, op if domain == "" else "")


def _type_outputs(node: ir.Node, typing: _OpTyping) -> bool:
    """Give the node's named outputs without a dtype theirs; False when one stays undecided."""
    dtypes = []  # the inputs' (None: an omitted optional input)
    for value in node.inputs:
        if value is None:
            dtypes.append(None)
            continue
        kind = value.type
        dtype = kind.dtype if kind.__class__ is ir.TensorType else None
        if dtype is None:
            return False  # not a tensor of known dtype: ONNX inference may fail the whole node
        dtypes.append(dtype)
    complete = True
    outputs = node.outputs
    decisions = typing.seen.get((len(outputs), *dtypes)) or typing.outputs(node, dtypes, len(outputs))
    for value, decided in zip(outputs, decisions):
        if value.type is None and value.name:
            if decided is UNDECIDED:
                complete = False
            elif decided is not None:
                value.dtype = decided
    return complete


@dataclass(frozen=True)
class _Shared:
    """An output typed like the inputs at ``positions`` (and from ``tail`` on: a variadic input)."""

    positions: tuple[int, ...]
    tail: int | None

    def dtype(self, dtypes: list[ir.DataType | None]) -> Decision:
        """The dtype those inputs share; undecided when none is given or they disagree."""
        found = None
        given = [dtypes[p] for p in self.positions if p < len(dtypes)]
        for dtype in given if self.tail is None else given + dtypes[self.tail :]:
            if dtype is not None:
                if found is not None and dtype is not found:
                    return UNDECIDED
                found = dtype
        return UNDECIDED if found is None else found


Rule = ir.DataType | None | _Undecided | _Shared  # an output's: fixed, none, undecided, or its inputs'


class _OpTyping:
    """How one op, at the model's opset, types its outputs: a rule per formal output."""

    def __init__(self, schema: onnx.defs.OpSchema, standard_op: str) -> None:
        allowed = {c.type_param_str: tuple(c.allowed_type_strs) for c in schema.type_constraints}
        self._output_variadic = bool(schema.outputs) and schema.outputs[-1].option == _VARIADIC
        self._rules: list[Rule] = [
            UNDECIDED if standard_op in _BODY_TYPED else _schema_rule(f.type_str, schema.inputs, allowed) for f in schema.outputs
        ]
        self._by_attribute = _BY_ATTRIBUTE.get(standard_op)
        #: decisions by (output count, *input dtypes), for ops no attribute of which types an output
        self.seen: dict[tuple, tuple[Decision, ...]] = {}

    def outputs(self, node: ir.Node, dtypes: list[ir.DataType | None], count: int) -> tuple[Decision, ...]:
        """The dtypes of the node's ``count`` outputs, given its input dtypes: kept in ``seen`` (every
        node with those inputs gets the same) unless an attribute types an output."""
        if self._by_attribute is not None:
            return tuple(self.output(node, dtypes, index) for index in range(count))
        found = self.seen[count, *dtypes] = tuple(self.output(node, dtypes, index) for index in range(count))
        return found

    def output(self, node: ir.Node, dtypes: list[ir.DataType | None], index: int) -> Decision:
        """Output ``index``'s dtype, given the node's input dtypes."""
        rules = self._rules
        if index >= len(rules):
            if not self._output_variadic:
                return UNDECIDED  # more outputs than the op has: ONNX inference fails the node
            index = len(rules) - 1
        rule = rules[index]
        decided = rule.dtype(dtypes) if rule.__class__ is _Shared else rule
        if decided is UNDECIDED and self._by_attribute is not None:
            return self._by_attribute(node, index)
        return decided


def _schema_rule(type_str: str, inputs: list[onnx.defs.OpSchema.FormalParameter], allowed: dict[str, tuple[str, ...]]) -> Rule:
    """One formal output's rule, from its type string and the type constraints."""
    if type_str in _TENSOR_TYPES:
        return _TENSOR_TYPES[type_str]
    if type_str not in allowed:
        return None  # a sequence, map or optional type: no tensor dtype
    types = allowed[type_str]
    if not any(t.startswith("tensor(") for t in types):
        return None
    if len(types) == 1:
        return _TENSOR_TYPES.get(types[0], UNDECIDED)
    formals = [i for i, formal in enumerate(inputs) if formal.type_str == type_str]
    variadic = bool(inputs) and inputs[-1].option == _VARIADIC and len(inputs) - 1 in formals
    if not formals or (variadic and not inputs[-1].is_homogeneous):  # unbound, or a variadic of mixed types
        return UNDECIDED
    tail = len(inputs) - 1 if variadic else None
    return _Shared(tuple(i for i in formals if i != tail), tail)


# -- outputs an attribute types ----------------------------------------------------------
def _attribute_dtype(node: ir.Node, name: str, default: Callable[[], Decision]) -> Decision:
    try:
        code = int_attr(node, name, 0)  # 0 (UNDEFINED) or none: the op's default
        return ir.DataType(code) if code else default()
    except (ValueError, TypeError):  # not an integer, or no dtype ONNX knows
        return UNDECIDED


def _input_dtype(node: ir.Node, index: int) -> Decision:
    value = node.inputs[index] if index < len(node.inputs) else None
    return UNDECIDED if value is None or value.dtype is None else value.dtype


def _constant(node: ir.Node, _index: int) -> Decision:
    for name, attr in node.attributes.items():
        if name == "value":
            return attr.value.dtype
        if name in ("value_float", "value_floats"):
            return ir.DataType.FLOAT
        if name in ("value_int", "value_ints"):
            return ir.DataType.INT64
        if name in ("value_string", "value_strings"):
            return ir.DataType.STRING
    return UNDECIDED  # sparse_value


def _constant_of_shape(node: ir.Node, _index: int) -> Decision:
    attr = node.attributes.get("value")
    return ir.DataType.FLOAT if attr is None else attr.value.dtype


def _if(node: ir.Node, index: int) -> Decision:
    """An If output: its branches' (they must agree)."""
    found = set()
    for branch in ("then_branch", "else_branch"):
        attr = node.attributes.get(branch)
        outputs = attr.value.outputs if attr is not None and attr.type == ir.AttributeType.GRAPH else ()
        if len(outputs) != len(node.outputs) or not isinstance(outputs[index].type, ir.TensorType):
            return UNDECIDED
        found.add(outputs[index].dtype)
    return found.pop() if len(found) == 1 and None not in found else UNDECIDED


def _quantize(node: ir.Node, _index: int) -> Decision:
    """QuantizeLinear without a zero point: ``output_dtype`` (opset 21), else UINT8."""
    return _attribute_dtype(node, "output_dtype", lambda: ir.DataType.UINT8)


def _dequantize(node: ir.Node, _index: int) -> Decision:
    """DequantizeLinear (opset 23): ``output_dtype``, else the scale's dtype."""
    return _attribute_dtype(node, "output_dtype", lambda: _input_dtype(node, 1))


def _fixed(name: str, default: ir.DataType) -> Callable[[ir.Node, int], Decision]:
    return lambda node, _index: _attribute_dtype(node, name, lambda: default)


def _or_input(name: str) -> Callable[[ir.Node, int], Decision]:
    return lambda node, _index: _attribute_dtype(node, name, lambda: _input_dtype(node, 0))


def _layer_norm(node: ir.Node, index: int) -> Decision:
    """Mean and InvStdDev are ``stash_type`` (default FLOAT); Y is X's (read from the schema)."""
    return _attribute_dtype(node, "stash_type", lambda: ir.DataType.FLOAT) if index else UNDECIDED


_WINDOW = _fixed("output_datatype", ir.DataType.FLOAT)
_BY_ATTRIBUTE: dict[str, Callable[[ir.Node, int], Decision]] = {
    "Cast": _fixed("to", UNDECIDED),
    "Constant": _constant,
    "ConstantOfShape": _constant_of_shape,
    "EyeLike": _or_input("dtype"),
    "RandomNormalLike": _or_input("dtype"),
    "RandomUniformLike": _or_input("dtype"),
    "Bernoulli": _or_input("dtype"),
    "RandomNormal": _fixed("dtype", ir.DataType.FLOAT),
    "RandomUniform": _fixed("dtype", ir.DataType.FLOAT),
    "Multinomial": _fixed("dtype", ir.DataType.INT32),
    "HannWindow": _WINDOW,
    "HammingWindow": _WINDOW,
    "BlackmanWindow": _WINDOW,
    "MelWeightMatrix": _WINDOW,
    "LayerNormalization": _layer_norm,
    "QuantizeLinear": _quantize,
    "DequantizeLinear": _dequantize,
    "If": _if,
}
