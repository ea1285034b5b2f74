"""ONNX-text examples shared by the If rules (not a rule module)."""

from __future__ import annotations

HEADER = '<ir_version: 8, opset_import: ["" : 17]>'


def squeeze_if(condition: str, x_type: str = "float[N,C]") -> str:
    """The TorchScript ``x.squeeze(1)`` pattern: If(<condition>) then Squeeze else Identity."""
    return f"""{HEADER}
g ({x_type} x, float[N] gate) => (float[N] y) {{
{condition}
  y = If (cond) <
    then_branch = then_g () => (float[N] t) {{
      axes = Constant <value_ints = [1]> ()
      t = Squeeze(x, axes)
    }},
    else_branch = else_g () => (float[N,C] e) {{
      e = Identity(x)
    }}
  >
}}"""


def same_rank_if(condition: str) -> str:
    """An If whose branches both return rank-2 tensors."""
    return f"""{HEADER}
g (float[N,C] x, float[N] gate) => (float[N,C] y) {{
{condition}
  y = If (cond) <
    then_branch = then_g () => (float[N,C] t) {{
      t = Relu(x)
    }},
    else_branch = else_g () => (float[N,C] e) {{
      e = Identity(x)
    }}
  >
}}"""


SHAPE_CONDITION = """  shape = Shape(x)
  one = Constant <value_ints = [1]> ()
  two = Constant <value_ints = [2]> ()
  dim = Slice(shape, one, two)
  cond = Equal(dim, one)"""

DATA_CONDITION = """  total = ReduceSum <keepdims = 0> (gate)
  zero = Constant <value = float {0}> ()
  cond = Greater(total, zero)"""

CONSTANT_CONDITION = """  cond = Constant <value = bool {1}> ()"""
