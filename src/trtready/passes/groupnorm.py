"""CollapseGroupNormPass: Reshape -> InstanceNormalization -> Reshape -> Mul -> Add into one GroupNorm.

Both torch exporters write ``nn.GroupNorm(G, C)`` as ``Reshape(x, [0, G, -1])``
-> ``InstanceNormalization(ones[G], zeros[G])`` -> ``Reshape(Shape(x))`` -> ``Mul(gamma)``
-> ``Add(beta)`` (TRT601; NVIDIA's PackNet post). The pass replaces the normalisation part
with one node, choosing the form that is exactly equivalent:

* standard form: ``GroupNormalization-21``, whose scale/bias are per channel
  like torch's (``GroupNormalization-18`` is per *group* and deprecated, so
  onnx.checker refuses it). Constant ``gamma``/``beta`` are folded into it;
  otherwise it gets ones/zeros and the Mul/Add stay after it. A model below
  opset 21 is raised to 21 first, but only when every op it uses is unchanged
  in between or changed only by additions that keep the old behaviour
  (``_COMPATIBLE``: new types, new optional inputs/attributes); otherwise the
  pattern is left alone;
* ``plugin=True``: a ``GroupNormalizationPlugin`` node (domain ``trt.plugins``,
  attributes ``eps``, ``num_groups``, ``plugin_version="1"``,
  ``plugin_namespace=""``, per-channel scale and bias), the TensorRT plugin of
  NVIDIA's PackNet post. ONNX Runtime cannot run it.

Matched only when gamma/beta hold C values (shape ``[C,1,...]``), the first
Reshape's target is ``[0, G, -1]``, the InstanceNormalization weights are
ones/zeros, the second Reshape restores ``Shape(x)`` and every intermediate
has one consumer. Numerics: equal up to float rounding (ONNX Runtime expands
GroupNormalization into a different reduction order).
"""

from __future__ import annotations

import numpy as np
import onnx
import onnx_ir as ir
import onnx_ir.passes

from ._evaluate import Evaluator
from ._graph import constant_array, insert_constant, names_in, remove_dead, replace_value, unique_name
from .base import FixPass, stamp

__all__ = ["CollapseGroupNormPass", "PLUGIN_DOMAIN", "UNFIXABLE_EXAMPLES"]

PLUGIN_DOMAIN = "trt.plugins"
UNFIXABLE_EXAMPLES: list[tuple[str, int, str]] = []
_HEADER = '<ir_version: 10, opset_import: ["" : 21]>'


class CollapseGroupNormPass(FixPass):
    """Collapse the exported GroupNorm subgraph into one GroupNormalization (or plugin) node."""

    name = "fix.collapse-groupnorm"
    fixes = ("TRT601",)
    description = "Replace Reshape/InstanceNormalization/Reshape/Mul/Add with one GroupNormalization node."
    EXAMPLES = [
        f"""{_HEADER}
g (float[N,4,3,3] x) => (float[N,4,3,3] y)
  <int64[3] grouped = {{0, 2, -1}}, float[2] ones = {{1.0, 1.0}}, float[2] zeros = {{0.0, 0.0}},
   float[4,1,1] gamma = {{0.5, 1.0, 1.5, 2.0}}, float[4,1,1] beta = {{0.1, 0.2, 0.3, 0.4}}> {{
  xg = Reshape(x, grouped)
  normed = InstanceNormalization <epsilon = 0.001> (xg, ones, zeros)
  shape = Shape(x)
  back = Reshape(normed, shape)
  scaled = Mul(back, gamma)
  y = Add(scaled, beta)
}}""",
    ]

    def __init__(self, plugin: bool = False) -> None:
        super().__init__()
        self.plugin = plugin

    def call(self, model: ir.Model) -> onnx_ir.passes.PassResult:
        graph = model.graph
        norms = [node for node in graph if node.op_type == "InstanceNormalization" and node.domain in ("", "ai.onnx")]
        dims = Evaluator(model).dims if norms else None
        matches = [m for node in norms if (m := _match(node, dims))]
        if not matches or (not self.plugin and not _raise_opset(model, 21)):
            return onnx_ir.passes.PassResult(model, False)
        taken, done = names_in(graph), 0
        for x, groups, eps, chain, gamma, beta in matches:
            norm, mul, add = chain[1], chain[3], chain[4]
            channels = chain[3].inputs[0 if chain[3].inputs[1] is chain[2].outputs[0] else 1]
            if gamma is not None:
                scale, bias, out = gamma.reshape(-1), beta.reshape(-1), add.outputs[0]
            else:  # identity affine; the Mul/Add stay after the new node
                size = _channels(x, channels)
                if size is None:
                    continue
                scale, bias, out = np.ones(size, np.float32), np.zeros(size, np.float32), chain[2].outputs[0]
            dtype = x.dtype.numpy() if x.dtype is not None else np.float32
            inputs = [x] + [insert_constant(graph, norm, a.astype(dtype), self.name, taken, f"{norm.name or 'gn'}_{k}")
                            for a, k in ((scale, "scale"), (bias, "bias"))]  # fmt: skip
            node = self._node(inputs, groups, eps, unique_name(taken, f"{norm.name or 'GroupNorm'}_collapsed"))
            node.outputs[0].name = unique_name(taken, f"{node.name}_output")
            node.outputs[0].type, node.outputs[0].shape = out.type, out.shape
            graph.insert_after(mul if out is add.outputs[0] else chain[2], stamp(node, self.name))
            replace_value(graph, out, node.outputs[0], self.name)
            remove_dead(graph, [out])
            done += 1
        if self.plugin and done:
            model.opset_imports.setdefault(PLUGIN_DOMAIN, 1)
        return onnx_ir.passes.PassResult(model, bool(done))

    def _node(self, inputs, groups: int, eps: float, name: str) -> ir.Node:
        if self.plugin:
            attrs = {"eps": eps, "num_groups": groups, "plugin_version": "1", "plugin_namespace": ""}
            return ir.node("GroupNormalizationPlugin", inputs, attrs, domain=PLUGIN_DOMAIN, name=name)
        return ir.node("GroupNormalization", inputs, {"epsilon": eps, "num_groups": groups}, name=name)


def _match(norm: ir.Node, dims):
    """``(x, groups, epsilon, [reshape, norm, reshape, mul, add], gamma|None, beta|None)`` or None."""
    first = norm.inputs[0].producer() if norm.inputs[0] is not None else None
    if first is None or first.op_type != "Reshape" or len(norm.inputs) < 3:
        return None
    x, target = first.inputs[0], constant_array(first.inputs[1])
    ones, zeros = constant_array(norm.inputs[1]), constant_array(norm.inputs[2])
    if target is None or target.tolist()[:1] + target.tolist()[2:] != [0, -1] or len(target) != 3:
        return None
    groups = int(target[1])
    if ones is None or zeros is None or ones.shape != (groups,) or not (ones == 1).all() or not (zeros == 0).all():
        return None
    chain = [first, norm]
    for op in ("Reshape", "Mul", "Add"):
        uses = chain[-1].outputs[0].uses()
        if len(uses) != 1 or uses[0].node.op_type != op or len(first.outputs[0].uses()) != 1:
            return None
        chain.append(uses[0].node)
    back, mul, add = chain[2:]
    shape = back.inputs[1].producer() if back.inputs[1] is not None else None
    if shape is None or shape.op_type != "Shape" or shape.inputs[0] is not x or shape.attributes:
        return None
    gamma_value = _other(mul, back.outputs[0])
    beta_value = _other(add, mul.outputs[0])
    gamma, beta = constant_array(gamma_value), constant_array(beta_value)
    x_dims = dims(x)
    rank = len(x_dims) if x_dims is not None else None
    for value, array in ((gamma_value, gamma), (beta_value, beta)):
        if value is None or not _per_channel(value.shape if array is None else array.shape, rank):
            return None
    if gamma is None or beta is None or gamma.size % groups or beta.size != gamma.size:
        gamma = beta = None
    eps = norm.attributes.get("epsilon")
    return x, groups, float(eps.value) if eps is not None else 1e-5, chain, gamma, beta


def _other(node: ir.Node, value: ir.Value) -> ir.Value | None:
    others = [v for v in node.inputs if v is not value]
    return others[0] if len(others) == 1 else None


def _per_channel(shape, rank: int | None) -> bool:
    """``[C, 1, ..., 1]`` broadcasting against a rank-``rank`` tensor (dims after C all 1)."""
    if shape is None or rank is None or len(shape) != rank - 1:
        return False
    return all(d == 1 for d in list(shape)[1:])


def _channels(x: ir.Value, gamma: ir.Value) -> int | None:
    """The channel count from the declared shapes; None when unknown or not a plausible size (the
    identity scale and bias are allocated from it: a dim of 2**40 in the file must not be)."""
    for dims, index in ((x.shape, 1), (gamma.shape, 0)):
        if dims is not None and len(dims) > index and isinstance(dims[index], int):
            return dims[index] if 0 < dims[index] <= _MAX_CHANNELS else None
    return None


_MAX_CHANNELS = 2**24


#: Op versions (17 < v <= 21) that only add types, or optional inputs/attributes whose defaults keep
#: the old behaviour, so raising the opset over them changes nothing (ONNX Changelog.md).
_COMPATIBLE: dict[int, frozenset[str]] = {
    18: frozenset("Pad Resize ScatterElements ScatterND LpPool OptionalGetElement OptionalHasElement".split()),
    19: frozenset("""Cast CastLike Constant Equal Identity If Loop Pad Reshape Resize Scan Shape Size AveragePool
        QuantizeLinear DequantizeLinear""".split()),
    20: frozenset("ConstantOfShape IsInf IsNaN ReduceMax ReduceMin".split()),
    21: frozenset("""Cast CastLike Constant ConstantOfShape Flatten Identity If Loop Pad Reshape Scan Shape Size
        Squeeze Transpose Unsqueeze QuantizeLinear DequantizeLinear""".split()),
}
_REDUCE_18 = frozenset("ReduceL1 ReduceL2 ReduceLogSum ReduceLogSumExp ReduceMax ReduceMean ReduceMin ReduceProd ReduceSumSquare".split())


def _raise_opset(model: ir.Model, target: int) -> bool:
    """Raise the default opset to ``target`` when that keeps every node's meaning; False if it cannot."""
    domain = "" if "" in model.opset_imports else "ai.onnx"
    current = model.opset_imports.get(domain, 0)
    if current >= target:
        return True
    if current < 17:
        return False
    from ..ir import iter_nodes

    for _, node in iter_nodes(model.graph):
        if node.domain not in ("", "ai.onnx"):
            continue
        for version in range(current + 1, target + 1):
            try:
                changed = onnx.defs.get_schema(node.op_type, version).since_version == version
            except onnx.defs.SchemaError:
                return False
            if changed and not (node.op_type in _COMPATIBLE.get(version, ())
                                or (version == 18 and node.op_type in _REDUCE_18 and "axes" not in node.attributes)):  # fmt: skip
                return False
    model.opset_imports[domain] = target
    model.ir_version = max(model.ir_version or 0, 10)
    return True
