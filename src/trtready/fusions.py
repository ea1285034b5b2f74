"""Exact fusions into ops TensorRT's ONNX parser maps to one layer, as onnxscript rewrite rules.

- A layer norm written out by hand (``(x - mean) / sqrt(var + eps) * w + b`` over the last axes,
  as many repositories write it) becomes one ``LayerNormalization`` (opset 17 or later; the
  onnx-tensorrt parser supports it since TensorRT 8.6, and TensorRT's normalization layer runs it
  with its statistics in float32). The exporters already write ``LayerNormalization`` for
  ``torch.nn.LayerNorm`` / ``F.layer_norm``; this catches the hand-written ones.

- ``Slice(Shape(x), a, b)`` on axis 0 becomes ``Shape(x, start=a, end=b)`` (opset 15), as the
  dynamo exporter writes it (the TorchScript exporter slices the shape: ``x.shape[:2]``).
- Slices of one tensor that cut one axis into consecutive pieces (``x.chunk(2, dim=1)``, as the
  TorchScript exporter writes it) become one ``Split``, as the dynamo exporter writes it.
- A GELU written out by hand, ``0.5 * x * (1 + erf(x / sqrt(2)))`` (BERT's) or its tanh
  approximation ``0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x**3)))`` (GPT-2's
  ``gelu_new``), becomes one ``Gelu`` (opset 20 or later; the onnx-tensorrt parser supports it since
  TensorRT 10.1). At opset 20 both exporters write ``F.gelu`` as ``Gelu`` themselves; at trtready's
  default opset 18 the op does not exist, and nothing is fused.
- A scalar power-of-two factor on the input of a Conv, MatMul or Gemm with constant weights
  (GELU's ``0.5`` in ``x * (0.5 * (1 + erf(x / sqrt(2))))`` followed by a linear layer, as the
  dynamo exporter writes it; a ``x / 2``) moves into the weights: one Mul fewer per layer. Scaling
  by a power of two is exact in floating point, so the products, and the sums over them, are the
  same bits.

A rule fires only when its check proves the replacement computes the same function: the
reduction runs over trailing axes, the exponent is 2, epsilon is a scalar constant, and the
scale and bias are constants (or absent) broadcast along the normalized axes only; the slices
have constant bounds, step 1 and cover the axis exactly. The simplified model is verified
against PyTorch like every other step.
"""

from __future__ import annotations

import math

import numpy as np
import onnx_ir as ir
from onnx_ir.passes import common
from onnxscript.rewriter import pattern

from .graph.constants import constant_array

__all__ = ["FUSION_RULES", "GELU_RULES", "SCALE_RULES", "SHAPE_RULES", "fuse", "slices_to_split"]

MIN_OPSET = 17  # LayerNormalization
GELU_OPSET = 20
MAX_SCALED_WEIGHT_BYTES = 64 << 20  # a larger weight is not copied to fold a factor into it


def _reduced_axes(node_output: ir.Value, axes_value: ir.Value | None) -> list[int] | None:
    """The ReduceMean's axes (input at opset 18+, attribute before), None when not constant."""
    node = node_output.producer()
    if node is None or node.attributes.get("keepdims", ir.AttrInt64("keepdims", 1)).value != 1:
        return None
    if axes_value is not None:
        axes = constant_array(axes_value)
        return None if axes is None else [int(a) for a in axes.reshape(-1)]
    attr = node.attributes.get("axes")
    return None if attr is None else [int(a) for a in attr.value]


def _trailing_axis(axes: list[int], rank: int | None) -> int | None:
    """The first of the normalized axes when ``axes`` are the last ones (negative form), else None."""
    if rank is not None:
        axes = [a - rank if a >= 0 else a for a in axes]
    elif any(a >= 0 for a in axes):
        return None
    axes = sorted(axes)
    return axes[0] if axes == list(range(-len(axes), 0)) else None


class _HandWrittenLayerNorm(pattern.RewriteRuleClassBase):
    """``Add(Mul(Div(x - mean, Sqrt(var + eps)), scale), bias)`` -> ``LayerNormalization``."""

    def __init__(self, name: str, *, axes_input: bool, affine: bool):
        super().__init__(name)
        self._axes_input, self._affine = axes_input, affine

    def _mean(self, op, x, axes, name: str):
        return op.ReduceMean(x, axes, _outputs=[name]) if self._axes_input else op.ReduceMean(x, _outputs=[name])

    def pattern(self, op, x, axes1, axes2, two, eps, scale, bias):
        centered = op.Sub(x, self._mean(op, x, axes1, "mean"))
        variance = self._mean(op, op.Pow(centered, two), axes2, "variance")
        normed = op.Div(centered, op.Sqrt(op.Add(variance, eps)))
        return op.Add(op.Mul(normed, scale), bias) if self._affine else normed

    def check(self, context, x, mean, variance, two, eps, axes1=None, axes2=None, scale=None, bias=None, **_):
        result = pattern.MatchResult()
        axes = _reduced_axes(mean, axes1)
        other = _reduced_axes(variance, axes2)
        if axes is None or axes != other:
            return result.fail("the two means are not over the same constant axes with keepdims")
        rank = len(x.shape) if x.shape is not None else None
        axis = _trailing_axis(axes, rank)
        if axis is None:
            return result.fail(f"the mean runs over axes {axes}, not the last ones")
        exponent, epsilon = constant_array(two), constant_array(eps)
        if exponent is None or exponent.size != 1 or float(exponent.reshape(-1)[0]) != 2.0:
            return result.fail("the variance is not a square (Pow with exponent 2)")
        if epsilon is None or epsilon.size != 1:
            return result.fail("epsilon is not a scalar constant")
        if x.dtype not in (ir.DataType.FLOAT, ir.DataType.FLOAT16, ir.DataType.BFLOAT16):
            return result.fail(f"input dtype {x.dtype} is not a float LayerNormalization takes")
        if self._affine:
            for name, value in (("scale", scale), ("bias", bias)):
                array = constant_array(value)
                if array is None or array.ndim > -axis or any(d != 1 for d in array.shape[: array.ndim + axis]):
                    return result.fail(f"the {name} is not a constant along the normalized axes only")
        return result

    def rewrite(self, op, x, mean, eps, axes1=None, scale=None, bias=None, **_):
        axes = _reduced_axes(mean, axes1)
        axis = _trailing_axis(axes, len(x.shape) if x.shape is not None else None)
        epsilon = float(constant_array(eps).reshape(-1)[0])
        dtype = x.dtype.numpy()
        if self._affine:
            w, b = constant_array(scale).astype(dtype), constant_array(bias).astype(dtype)
        else:  # LayerNormalization needs a scale: ones of the normalized shape, from x's static dims
            dims = x.shape[axis:] if x.shape is not None else None
            w = np.ones([int(d) for d in dims], dtype) if dims is not None and all(isinstance(d, int) for d in dims) else None
            b = None if w is None else np.zeros_like(w)
        return op.LayerNormalization(x, op.Constant(value=ir.tensor(w)), op.Constant(value=ir.tensor(b)),
                                     axis=axis, epsilon=epsilon)  # fmt: skip


# The affine rules run first, over the whole model: the plain rule would match inside them earlier
# in node order and leave the scale and bias outside.
FUSION_RULES = [
    [_HandWrittenLayerNorm.rule(f"layer-norm-{kind}{'-affine' if affine else ''}", axes_input=kind == "axes-input", affine=affine)
     for kind in ("axes-input", "axes-attribute")]
    for affine in (True, False)
]  # fmt: skip


class _ShapeSlice(pattern.RewriteRuleClassBase):
    """``Slice(Shape(x), [a], [b], [0])`` -> ``Shape(x, start=a, end=b)``."""

    def pattern(self, op, x, starts, ends, axes):
        return op.Slice(op.Shape(x, _outputs=["shape"]), starts, ends, axes)

    def check(self, context, x, shape, starts, ends, axes, **_) -> pattern.MatchResult:
        result = pattern.MatchResult()
        node = shape.producer()
        if "start" in node.attributes or "end" in node.attributes:
            return result.fail("the Shape already has start/end")
        values = [constant_array(v) for v in (starts, ends, axes)]
        if any(v is None or v.size != 1 for v in values) or int(values[2].reshape(-1)[0]) != 0:
            return result.fail("the slice bounds are not constant single values on axis 0")
        return result

    def rewrite(self, op, x, starts, ends, **_):
        start, end = int(constant_array(starts).reshape(-1)[0]), int(constant_array(ends).reshape(-1)[0])
        return op.Shape(x, start=start, **({} if end >= 2**62 else {"end": end}))


def slices_to_split(model: ir.Model) -> int:
    """Replace each set of step-1 Slices of one tensor that cut one axis into consecutive pieces
    covering it exactly by one ``Split`` (main graph). Returns how many Splits were made."""
    made = 0
    for value in _sliced_values(model.graph):
        for axis, ordered in _partitions(value):
            _split(model.graph, value, axis, ordered, made)
            made += 1
    return made


def _split(graph: ir.Graph, value: ir.Value, axis: int, ordered: list, index: int) -> None:
    sizes = ir.tensor(np.array([end - start for start, end, _ in ordered], np.int64))
    split_sizes = ir.Value(name=f"{value.name}.split_sizes.{index}", const_value=sizes, shape=sizes.shape,
                           type=ir.TensorType(ir.DataType.INT64))  # fmt: skip
    graph.register_initializer(split_sizes)
    split = ir.node("Split", [value, split_sizes], attributes={"axis": axis}, num_outputs=len(ordered))
    position = {id(n): i for i, n in enumerate(graph)}
    graph.insert_before(min((n for _, _, n in ordered), key=lambda n: position[id(n)]), split)
    for (_, _, node), output in zip(ordered, split.outputs):
        output.shape, output.dtype = node.outputs[0].shape, node.outputs[0].dtype
        ir.convenience.replace_all_uses_with(node.outputs[0], output)
        graph.remove(node, safe=True)


def _sliced_values(graph: ir.Graph) -> list[ir.Value]:
    sliced = (n.inputs[0] for n in graph if n.op_type == "Slice" and n.domain in ("", "ai.onnx") and n.inputs[0] is not None)
    return list({id(value): value for value in sliced}.values())


def _partitions(value: ir.Value) -> list[tuple[int, list]]:
    """``[(axis, [(start, end, slice node)...] in order)]``: disjoint sets of the value's Slices
    that each cut one axis into consecutive pieces covering it exactly."""
    if value.shape is None:
        return []
    cuts: dict[int, list] = {}
    for use in value.uses():
        node = use.node
        if node.op_type != "Slice" or use.idx != 0 or any(o.is_graph_output() for o in node.outputs):
            continue
        bounds = _slice_bounds(node, value.shape, len(value.shape))
        if bounds is not None:
            cuts.setdefault(bounds[0], []).append((bounds[1], bounds[2], node))
    found = []
    for axis, pieces in cuts.items():
        while (chain := _chain(sorted(pieces, key=lambda p: (p[0], p[1])), 0, value.shape[axis])) is not None:
            found.append((axis, chain))
            pieces = [p for p in pieces if not any(p[2] is c[2] for c in chain)]
    return found


def _chain(pieces: list, start: int, size: int) -> list | None:
    """Pieces that run from ``start`` to ``size`` end to end (at least two), or None."""
    for i, piece in enumerate(pieces):
        if piece[0] != start:
            continue
        if piece[1] == size:
            if start > 0:
                return [piece]
            continue  # one piece covering the whole axis is not a split
        rest = _chain(pieces[i + 1 :], piece[1], size)
        if rest is not None:
            return [piece, *rest]
    return None


def _slice_bounds(node: ir.Node, shape: ir.Shape, rank: int) -> tuple[int, int, int] | None:
    """``(axis, start, end)`` of a one-axis, step-1 Slice with constant bounds on a static dim."""
    inputs = list(node.inputs) + [None] * (5 - len(node.inputs))
    starts, ends, axes, steps = (constant_array(v) for v in inputs[1:5])
    if starts is None or ends is None or starts.size != 1 or ends.size != 1:
        return None
    if (inputs[3] is not None and axes is None) or (inputs[4] is not None and (steps is None or steps.reshape(-1)[0] != 1)):
        return None
    axis = int(axes.reshape(-1)[0]) if axes is not None else 0
    axis = axis + rank if axis < 0 else axis
    size = shape[axis] if 0 <= axis < rank else None
    if not isinstance(size, int):
        return None
    start, end = (int(v.reshape(-1)[0]) for v in (starts, ends))
    start, end = (min(max(v + size if v < 0 else v, 0), size) for v in (start, end))
    return (axis, start, end) if start < end else None


SHAPE_RULES = [_ShapeSlice.rule("shape-slice-to-shape-start-end")]


class _ScaleIntoWeights(pattern.RewriteRuleClassBase):
    """``Conv(Mul(x, Mul(y, c)), w, ...)`` -> ``Conv(Mul(x, y), w * c, ...)`` (``form="nested"``),
    ``Conv(Mul(x, c), w, ...)`` -> ``Conv(x, w * c, ...)`` (``"mul"``) and ``Conv(Div(x, c), w, ...)``
    -> ``Conv(x, w / c, ...)`` (``"div"``), for a scalar constant ``c`` that is a power of two;
    likewise MatMul and Gemm (their first input)."""

    def __init__(self, name: str, *, consumer: str, form: str, extra_inputs: int):
        super().__init__(name)
        self._consumer, self._form, self._extra = consumer, form, extra_inputs

    def pattern(self, op, x, y, c, w, b):
        if self._form == "nested":
            scaled = op.Mul(x, op.Mul(y, c, _outputs=["inner"]), _outputs=["outer"])
        else:
            scaled = getattr(op, "Mul" if self._form == "mul" else "Div")(x, c, _outputs=["outer"])
        inputs = [scaled, w, b][: 2 + self._extra]
        return getattr(op, self._consumer)(*inputs, _allow_other_attributes=True, _outputs=["linear"])

    def _factor(self, c: ir.Value) -> np.ndarray | None:
        factor = constant_array(c)
        if factor is None or factor.size != 1 or factor.dtype.kind != "f":
            return None
        if not np.isfinite(factor).all() or not factor.any():
            return None
        return np.reciprocal(factor) if self._form == "div" else factor

    def check(self, context, x, c, w, outer, y=None, inner=None, **_) -> pattern.MatchResult:
        result = pattern.MatchResult()
        if w.const_value is not None and w.const_value.nbytes > MAX_SCALED_WEIGHT_BYTES or len(w.uses()) != 1:
            return result.fail("the weights are shared with another node or too large to copy")
        factor, weight = self._factor(c), constant_array(w)
        if factor is None:
            return result.fail("the factor is not a nonzero scalar float constant")
        if np.frexp(factor)[0].reshape(-1)[0] not in (0.5, -0.5):
            return result.fail(f"the factor {factor.reshape(-1)[0]} is not a power of two (folding it would round)")
        scaled_input = y if self._form == "nested" else x
        if factor.ndim > 0 and (scaled_input.shape is None or factor.ndim > len(scaled_input.shape)):
            return result.fail("the factor has more axes than the value it scales")
        if weight is None or weight.nbytes > MAX_SCALED_WEIGHT_BYTES:
            return result.fail("the weights are not constant, or too large to copy")
        if any(len(v.uses()) != 1 or v.is_graph_output() for v in (outer, inner) if v is not None):
            return result.fail("the scaled value is used elsewhere too")
        scalar = factor.reshape(()).astype(weight.dtype)
        if not np.array_equal((weight * scalar) / scalar, weight):
            return result.fail("the scaled weights would overflow or lose bits")
        return result

    def rewrite(self, op, x, c, w, linear, y=None, b=None, **_):
        weight = constant_array(w)
        scaled = weight * self._factor(c).reshape(()).astype(weight.dtype)
        scaled = op.initializer(ir.tensor(scaled), name=f"{w.name}.scaled")
        source = op.Mul(x, y) if self._form == "nested" else x
        inputs = [source, scaled, b][: 2 + self._extra]
        return getattr(op, self._consumer)(*inputs, **dict(linear.producer().attributes.items()))


SCALE_RULES = [
    _ScaleIntoWeights.rule(f"scale-into-{consumer.lower()}-{form}{'-bias' if extra else ''}",
                           consumer=consumer, form=form, extra_inputs=extra)
    for consumer, extras in (("Conv", (1, 0)), ("Gemm", (1, 0)), ("MatMul", (0,)))
    for extra in extras
    for form in ("nested", "mul", "div")
]  # fmt: skip


_SQRT_HALF, _TANH_SCALE, _CUBIC = math.sqrt(0.5), math.sqrt(2 / math.pi), 0.044715


class _HandWrittenGelu(pattern.RewriteRuleClassBase):
    """``0.5 * x * (1 + erf(x / sqrt(2)))`` -> ``Gelu(x)``; ``0.5 * x * (1 + tanh(sqrt(2 / pi) *
    (x + 0.044715 * x**3)))`` -> ``Gelu(x, approximate="tanh")``. ``where`` the 0.5 multiplies: ``"x"``
    (``(0.5 * x) * (1 + ...)``), ``"sum"`` (``x * (0.5 * (1 + ...))``) or ``"product"``
    (``(x * (1 + ...)) * 0.5``); the erf argument as ``x / sqrt(2)`` or ``x * sqrt(1/2)``."""

    def __init__(self, name: str, *, tanh: bool, where: str, divide: bool = True):
        super().__init__(name)
        self._tanh, self._where, self._divide = tanh, where, divide

    def _inner(self, op, x, scale, cubic, three):
        if self._tanh:
            return op.Tanh(op.Mul(scale, op.Add(x, op.Mul(cubic, op.Pow(x, three)))))
        return op.Erf(op.Div(x, scale) if self._divide else op.Mul(x, scale))

    def pattern(self, op, x, half, one, scale, cubic, three):
        bracket = op.Add(self._inner(op, x, scale, cubic, three), one)
        if self._where == "x":
            return op.Mul(op.Mul(x, half), bracket)
        if self._where == "sum":
            return op.Mul(x, op.Mul(half, bracket))
        return op.Mul(op.Mul(x, bracket), half)

    def check(self, context, x, half, one, scale, cubic=None, three=None, **_) -> pattern.MatchResult:
        result = pattern.MatchResult()
        if x.dtype not in (ir.DataType.FLOAT, ir.DataType.FLOAT16, ir.DataType.BFLOAT16):
            return result.fail(f"input dtype {x.dtype} is not a float Gelu takes")
        wanted = {"half": (half, 0.5), "one": (one, 1.0)}
        if self._tanh:
            wanted.update(scale=(scale, _TANH_SCALE), cubic=(cubic, _CUBIC), exponent=(three, 3.0))
        else:
            wanted["scale"] = (scale, math.sqrt(2.0) if self._divide else _SQRT_HALF)
        for name, (value, expected) in wanted.items():
            array = constant_array(value)
            found = None if array is None or array.size != 1 else float(array.reshape(-1)[0])
            if found is None or not np.isclose(found, expected, rtol=1e-6, atol=0):
                return result.fail(f"the {name} constant is not the scalar {expected:.7g} of GELU")
        return result

    def rewrite(self, op, x, **_):
        return op.Gelu(x, approximate="tanh") if self._tanh else op.Gelu(x)


GELU_RULES = [
    _HandWrittenGelu.rule(f"gelu-{'tanh' if tanh else 'erf'}-{where}{'' if divide else '-mul'}", tanh=tanh, where=where,
                          divide=divide)
    for tanh in (False, True)
    for where in ("x", "sum", "product")
    for divide in ((True,) if tanh else (True, False))
]  # fmt: skip


def fuse(model: ir.Model) -> int:
    """Apply the fusions the model's opset allows; returns how many fired."""
    opset = model.opset_imports.get("", 0)
    fired = slices_to_split(model) if opset >= 13 else 0
    if opset >= GELU_OPSET:  # before the factors move: GELU's 0.5 is one of them
        fired += pattern.RewriteRuleSet(GELU_RULES, commute=True).apply_to_model(model)
    scaled = pattern.RewriteRuleSet(SCALE_RULES, commute=True).apply_to_model(model)
    if scaled:
        common.RemoveUnusedNodesPass()(model)  # the weights replaced by their scaled copies
    fired += scaled
    if opset >= 15:
        fired += pattern.RewriteRuleSet(SHAPE_RULES).apply_to_model(model)
    if opset >= MIN_OPSET:
        fired += sum(pattern.RewriteRuleSet(rules, commute=True).apply_to_model(model) for rules in FUSION_RULES)
    return fired
