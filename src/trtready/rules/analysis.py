"""Linear-time value analyses shared by the rules.

Each analysis assigns a fact to every value from the facts of its producer's
inputs. Facts are computed on demand, memoised, and walked with an explicit
stack (no recursion), so asking about every value of a graph costs O(graph)
whatever order the nodes are in and however deep the graph is.

- :class:`ValueKinds` says what a value's *contents* depend on:
  ``CONST`` (initializers, Constant nodes, and anything computed only from them
  or from ``Shape``/``Size`` of tensors whose dims are static: foldable at build
  time), ``SHAPE`` (shape arithmetic over dynamic dims: a TensorRT shape tensor)
  or ``DATA`` (reaches a graph input or an activation other than through
  ``Shape``/``Size``).
- :class:`CarriesBatch` says whether a value's dim 0 is the (dynamic) batch dim:
  from its shape when known, else from its producer when that op keeps dim 0.
- :class:`PossiblyEmpty` says whether a value may have a zero-length dim
  because it is downstream of an op with a data-dependent output shape.
"""

from __future__ import annotations

import enum
from typing import Generic, TypeVar

import onnx_ir as ir

__all__ = ["CarriesBatch", "Kind", "PossiblyEmpty", "ValueKinds", "DATA_DEPENDENT_SHAPE_OPS", "dim0_source"]

Fact = TypeVar("Fact")

#: Ops whose output shape depends on input *values* (TensorRT "data-dependent shapes").
DATA_DEPENDENT_SHAPE_OPS = frozenset({"NonZero", "Compress", "Unique", "NonMaxSuppression"})
_RANDOM_OPS = frozenset({"RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike", "Bernoulli", "Multinomial"})
_CONTROL_FLOW_OPS = frozenset({"If", "Loop", "Scan"})


class Kind(enum.IntEnum):
    """What a value's contents depend on; larger is "more dynamic"."""

    CONST = 0
    SHAPE = 1
    DATA = 2


class _ForwardAnalysis(Generic[Fact]):
    """Memoised fact per value: a leaf fact, or one combined from the producer's inputs."""

    cycle_fact: Fact

    def __init__(self) -> None:
        self._facts: dict[ir.Value, Fact] = {}

    def leaf(self, value: ir.Value, node: ir.Node | None) -> Fact | None:
        """The fact when it does not depend on the producer's inputs, else None."""
        raise NotImplementedError

    def combine(self, node: ir.Node, facts: list[Fact]) -> Fact:
        raise NotImplementedError

    def __call__(self, value: ir.Value) -> Fact:
        facts = self._facts
        if value in facts:
            return facts[value]
        stack, expanded = [value], set()
        while stack:
            current = stack[-1]
            if current in facts:
                stack.pop()
                continue
            node = current.producer()
            leaf = self.leaf(current, node)
            if leaf is not None:
                facts[current] = leaf
                stack.pop()
                continue
            pending = [v for v in node.inputs if v is not None and v not in facts]
            if pending and current not in expanded:
                expanded.add(current)
                stack.extend(pending)
                continue
            inputs = [facts.get(v, self.cycle_fact) for v in node.inputs if v is not None]
            facts[current] = self.combine(node, inputs)
            stack.pop()
        return facts[value]


class ValueKinds(_ForwardAnalysis[Kind]):
    """``kinds(value) -> Kind``: constant, shape tensor, or data (see module doc)."""

    cycle_fact = Kind.DATA

    def leaf(self, value: ir.Value, node: ir.Node | None) -> Kind | None:
        if value.const_value is not None:
            return Kind.CONST
        if node is None:  # graph or subgraph input
            return Kind.DATA
        op = node.op_type if node.domain in ("", "ai.onnx") else None
        if op == "Constant":
            return Kind.CONST
        if op in ("Shape", "Size"):
            return Kind.CONST if _dims_static(node) else Kind.SHAPE
        if op is None or op in _RANDOM_OPS or op in _CONTROL_FLOW_OPS or op in DATA_DEPENDENT_SHAPE_OPS:
            return Kind.DATA
        if all(v is None for v in node.inputs):
            return Kind.CONST
        return None

    def combine(self, node: ir.Node, facts: list[Kind]) -> Kind:
        return max(facts, default=Kind.CONST)


class PossiblyEmpty(_ForwardAnalysis[bool]):
    """``possibly_empty(value) -> bool``: downstream of NonZero/Compress/Unique/NMS."""

    cycle_fact = False

    def leaf(self, value: ir.Value, node: ir.Node | None) -> bool | None:
        if node is None or value.const_value is not None:
            return False
        if node.op_type in DATA_DEPENDENT_SHAPE_OPS:
            return True
        return None

    def combine(self, node: ir.Node, facts: list[bool]) -> bool:
        return any(facts)


#: Ops whose output dim 0 is their (broadcast) inputs' dim 0.
BATCH_PRESERVING_OPS = frozenset(
    """Abs Add AveragePool BatchNormalization Cast Ceil Clip Conv ConvTranspose Cos Div Dropout Elu Erf Exp
    Floor Gelu GlobalAveragePool GlobalMaxPool GroupNormalization HardSigmoid HardSwish Identity
    InstanceNormalization LayerNormalization LeakyRelu Log LogSoftmax LpNormalization MaxPool Max Min Mish Mod
    Mul Neg Not Pow PRelu Reciprocal Relu Resize Round Selu Sigmoid Sign Sin Softmax Softplus Softsign Sqrt
    Sub Tanh ThresholdedRelu Where""".split()
)


class CarriesBatch(_ForwardAnalysis[bool]):
    """``carries_batch(value) -> bool``: its dim 0 is symbolic, or flows from one unchanged.

    Without shape information, a Reshape/Expand to a shape computed from dynamic
    dims (``x.reshape(x.shape[0], ...)``) is taken to keep the batch dim, and so
    are ops that leave axis 0 alone (a Linear's Gemm/MatMul, a ReduceMean over
    the spatial axes, a Transpose keeping axis 0 first...): see :func:`dim0_source`.
    """

    cycle_fact = False

    def __init__(self, kinds: ValueKinds) -> None:
        super().__init__()
        self._kinds = kinds

    def leaf(self, value: ir.Value, node: ir.Node | None) -> bool | None:
        if value.shape is not None and len(value.shape) > 0:
            return not isinstance(value.shape[0], int)
        if node is not None and node.op_type in ("Reshape", "Expand") and len(node.inputs) > 1:
            target = node.inputs[1]
            return target is not None and self._kinds(target) == Kind.SHAPE
        if node is None or value.const_value is not None:
            return False
        if node.op_type not in BATCH_PRESERVING_OPS and dim0_source(node) is None:
            return False
        return None

    def combine(self, node: ir.Node, facts: list[bool]) -> bool:
        if node.op_type in BATCH_PRESERVING_OPS or node.op_type == "Concat":  # Concat: every input shares dim 0
            return any(facts)
        return bool(facts) and facts[0]  # dim0_source: input 0


#: Ops whose output dim 0 is input 0's dim 0 when ``_keeps_axis0`` says axis 0 is left alone.
_AXIS_OPS = frozenset(
    """ArgMax ArgMin Concat Flatten Gather MatMul ReduceL1 ReduceL2 ReduceLogSum ReduceLogSumExp ReduceMax
    ReduceMean ReduceMin ReduceProd ReduceSum ReduceSumSquare Slice Split Squeeze Transpose Unsqueeze""".split()
)


def dim0_source(node: ir.Node) -> int | None:
    """The input whose dim 0 becomes the output's dim 0 (0, or None when the op may move or change it)."""
    if node.domain not in ("", "ai.onnx") or not node.inputs or node.inputs[0] is None:
        return None
    if node.op_type == "Gemm":
        return None if _int_attr(node, "transA", 0) else 0
    if node.op_type in _AXIS_OPS and _keeps_axis0(node):
        return 0
    return None


def _keeps_axis0(node: ir.Node) -> bool:
    op = node.op_type
    if op == "MatMul":  # x @ W, q @ k^T: the left operand's leading dim
        return True
    if op == "Transpose":
        perm = node.attributes.get("perm")
        return perm is not None and list(perm.value)[:1] == [0]
    if op == "Flatten":
        return _int_attr(node, "axis", 1) == 1
    if op in ("ArgMax", "ArgMin", "Concat", "Gather", "Split"):
        return _int_attr(node, "axis", 0) != 0
    axes = _axes(node)
    if axes is None:  # Reduce* without axes reduces everything; Squeeze without axes may drop dim 0
        return False
    rank = len(node.inputs[0].shape) if node.inputs[0].shape is not None else None
    return all(a != 0 and (rank is None or a % rank != 0) for a in axes)  # -1 on rank 1 is dim 0


def _axes(node: ir.Node) -> list[int] | None:
    """Constant axes from the attribute or (opset 13/18+) the ``axes`` input (Slice: input 3)."""
    attr = node.attributes.get("axes")
    if attr is not None:
        return [int(a) for a in attr.value]
    index = 3 if node.op_type == "Slice" else 1
    value = node.inputs[index] if len(node.inputs) > index else None
    tensor = ir.convenience.get_const_tensor(value) if value is not None else None
    return None if tensor is None else [int(a) for a in tensor.numpy().reshape(-1)]


def _dims_static(shape_node: ir.Node) -> bool:
    """True when the dims a Shape/Size node reads are all known integers."""
    source = shape_node.inputs[0] if shape_node.inputs else None
    if source is None or source.shape is None:
        return False
    dims = list(source.shape)
    if shape_node.op_type == "Shape":
        start = _int_attr(shape_node, "start", 0)
        end = _int_attr(shape_node, "end", len(dims))
        dims = dims[start:end]
    return all(isinstance(d, int) for d in dims)


def _int_attr(node: ir.Node, name: str, default: int) -> int:
    attr = node.attributes.get(name)
    return default if attr is None else int(attr.value)
