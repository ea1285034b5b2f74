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

Written as an onnxscript rewrite rule (``passes.rewriting``; Mul and Add either way round): the
pattern is the five nodes and ``Shape(x)``, the check says which of the conditions above a match
fails (or which op keeps the opset from being raised), and a TRT601 finding left there says so.
"""

from __future__ import annotations

import functools

import numpy as np
import onnx
import onnx_ir as ir

from ..graph.attributes import float_attr
from ..graph.constants import STANDARD_DOMAINS, constant_array
from ..graph.evaluate import Evaluator
from ..graph.traversal import all_nodes
from .rewriting import PatternRule, RewritePass, accept, refuse, rewrite_rule

__all__ = ["PLUGIN_DOMAIN", "UNFIXABLE_EXAMPLES", "CollapseGroupNormPass"]

PLUGIN_DOMAIN = "trt.plugins"
UNFIXABLE_EXAMPLES: list[tuple[str, int, str]] = []
_HEADER = '<ir_version: 10, opset_import: ["" : 21]>'
_OPSET = 21  # GroupNormalization-21: per-channel scale and bias


class CollapseGroupNormPass(RewritePass):
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

    def rules(self, model: ir.Model) -> list[PatternRule]:
        dims = functools.cache(lambda: Evaluator(model).dims)  # shape inference: only once a pattern matches
        opset_problem = functools.cache(lambda: None if self.plugin else _opset_problem(model, _OPSET))

        def check(context, **bound):
            problem = _problem(bound, dims()) or opset_problem()
            return refuse(problem) if problem else accept()

        rule = rewrite_rule(_pattern, check, self._collapse, name=self.name, remove_nodes=False)
        return [PatternRule("Add", variant, main_graph_only=True) for variant in rule.commute()]

    def finish(self, model: ir.Model) -> None:
        if self.plugin:
            model.opset_imports.setdefault(PLUGIN_DOMAIN, 1)
        else:
            _raise_opset(model, _OPSET)

    def _collapse(self, op, x: ir.Value, normed: ir.Value, back: ir.Value, scaled: ir.Value, out: ir.Value, **_):
        """The GroupNorm node; with a non-constant affine, the Mul and Add again after it."""
        norm, mul, add = normed.producer(), scaled.producer(), out.producer()
        groups, gamma, beta = _groups(norm), _operand(mul, back), _operand(add, scaled)
        scale, bias = _affine(gamma, beta, groups)
        folded = scale is not None
        if not folded:
            size = _channels(x, gamma)
            scale, bias = np.ones(size, np.float32), np.zeros(size, np.float32)
        dtype = x.dtype.numpy() if x.dtype is not None else np.float32
        base = norm.name or "gn"
        weights = [op.Constant(value=ir.tensor(a.astype(dtype), name=f"{base}_{k}"), _name=f"{base}_{k}", _outputs=[f"{base}_{k}"])
                   for a, k in ((scale, "scale"), (bias, "bias"))]  # fmt: skip
        collapsed = self._node(
            op, [x, *weights], groups, float_attr(norm, "epsilon", 1e-5), f"{norm.name or 'GroupNorm'}_collapsed"
        )
        if folded:
            return collapsed
        collapsed.type, collapsed.shape = back.type, back.shape
        scaled_again = op.Mul(
            *[collapsed if v is back else v for v in mul.inputs], _name=mul.name, _outputs=[scaled.name]
        )
        return op.Add(*[scaled_again if v is scaled else v for v in add.inputs], _name=add.name)

    def _node(self, op, inputs: list, groups: int, eps: float, name: str) -> ir.Value:
        if self.plugin:
            return op.GroupNormalizationPlugin(
                *inputs, eps=eps, num_groups=groups, plugin_version="1", plugin_namespace="",
                _domain=PLUGIN_DOMAIN, _name=name, _outputs=[f"{name}_output"],
            )  # fmt: skip
        return op.GroupNormalization(*inputs, epsilon=eps, num_groups=groups, _name=name, _outputs=[f"{name}_output"])


def _pattern(op, x, grouped, scale_in, bias_in, gamma, beta):
    xg = op.Reshape(x, grouped, _outputs=["xg"])
    normed = op.InstanceNormalization(xg, scale_in, bias_in, _outputs=["normed"])
    back = op.Reshape(normed, op.Shape(x, _outputs=["x_shape"]), _outputs=["back"])
    scaled = op.Mul(back, gamma, _outputs=["scaled"])
    return op.Add(scaled, beta, _outputs=["out"])


def _problem(bound: dict, dims) -> str | None:
    """Why a match is not the GroupNorm the pass collapses (see the module doc), or None."""
    target = constant_array(bound["grouped"])
    if target is None or target.shape != (3,) or target.tolist()[:1] + target.tolist()[2:] != [0, -1]:
        return "the first Reshape's target is not a constant [0, groups, -1]"
    groups = int(target[1])
    ones, zeros = constant_array(bound["scale_in"]), constant_array(bound["bias_in"])
    if ones is None or zeros is None or ones.shape != (groups,) or not (ones == 1).all() or not (zeros == 0).all():
        return "the InstanceNormalization's scale and bias are not constant ones and zeros over the groups"
    for name in ("xg", "normed", "back", "scaled"):
        value = bound[name]
        if len(value.uses()) != 1:
            return f"the intermediate tensor '{value.name}' is read elsewhere too"
    if bound["x_shape"].producer().attributes:
        return "the second Reshape's target is only part of the input's shape"
    rank = len(dims(bound["x"]) or ()) or None
    gamma, beta = bound["gamma"], bound["beta"]
    for value in (gamma, beta):
        array = constant_array(value)
        if not _per_channel(value.shape if array is None else array.shape, rank):
            return f"the scale or shift '{value.name}' is not one value per channel ([C, 1, ..., 1])"
    if _affine(gamma, beta, groups)[0] is None and _channels(bound["x"], gamma) is None:
        return "the channel count is not known from the declared shapes"
    return None


def _groups(norm: ir.Node) -> int:
    return int(constant_array(norm.inputs[0].producer().inputs[1])[1])


def _operand(node: ir.Node, value: ir.Value) -> ir.Value:
    """The input of the Mul or Add ``node`` other than ``value``."""
    return node.inputs[1] if node.inputs[0] is value else node.inputs[0]


def _affine(gamma: ir.Value, beta: ir.Value, groups: int) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The per-channel scale and shift to fold into the node, when constant (else None, None)."""
    scale, shift = constant_array(gamma), constant_array(beta)
    if scale is None or shift is None or scale.size % groups or shift.size != scale.size:
        return None, None
    return scale.reshape(-1), shift.reshape(-1)


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
    19: frozenset(
        """Cast CastLike Constant Equal Identity If Loop Pad Reshape Resize Scan Shape Size AveragePool
        QuantizeLinear DequantizeLinear""".split()
    ),
    20: frozenset("ConstantOfShape IsInf IsNaN ReduceMax ReduceMin".split()),
    21: frozenset(
        """Cast CastLike Constant ConstantOfShape Flatten Identity If Loop Pad Reshape Scan Shape Size
        Squeeze Transpose Unsqueeze QuantizeLinear DequantizeLinear""".split()
    ),
}
_REDUCE_18 = frozenset(
    "ReduceL1 ReduceL2 ReduceLogSum ReduceLogSumExp ReduceMax ReduceMean ReduceMin ReduceProd ReduceSumSquare".split()
)


def _opset_problem(model: ir.Model, target: int) -> str | None:
    """Why raising the default opset to ``target`` could change what a node means, or None."""
    current = _opset(model)
    if current >= target:
        return None
    if current < 17:
        return f"GroupNormalization needs opset {target}, and the model's opset {current} is too old to raise safely"
    for node in all_nodes(model.graph):
        if node.domain not in STANDARD_DOMAINS:
            continue
        for version in range(current + 1, target + 1):
            try:
                changed = onnx.defs.get_schema(node.op_type, version).since_version == version
            except onnx.defs.SchemaError:
                return (
                    f"GroupNormalization needs opset {target}, and {node.op_type} has no definition at opset {version}"
                )
            if changed and not (node.op_type in _COMPATIBLE.get(version, ())
                                or (version == 18 and node.op_type in _REDUCE_18 and "axes" not in node.attributes)):  # fmt: skip
                return (f"GroupNormalization needs opset {target}, and raising the model's opset {current} would "
                        f"change {node.op_type} (redefined at opset {version})")  # fmt: skip
    return None


def _raise_opset(model: ir.Model, target: int) -> None:
    """Raise the default opset to ``target`` (:func:`_opset_problem` said it keeps every node's meaning)."""
    domain = "" if "" in model.opset_imports else "ai.onnx"
    model.opset_imports[domain] = max(_opset(model), target)
    model.ir_version = max(model.ir_version or 0, 10)


def _opset(model: ir.Model) -> int:
    return model.opset_imports.get("", model.opset_imports.get("ai.onnx", 0))
