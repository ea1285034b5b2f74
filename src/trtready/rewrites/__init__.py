"""PyTorch-level rewrites, active only while ``trtready export`` traces the model.

Each rewrite (:class:`~trtready.rewrites.base.TorchRewrite`) replaces a torch
function by a formulation that exports to ONNX ops TensorRT accepts (mostly
from NVIDIA's ONNX export guidance for TensorRT; each rewrite's ``spec`` in
:mod:`trtready.catalog.rewrites` names its sources). They run under a
``TorchFunctionMode``; :func:`apply_to_module` enters it inside the model's
forward, which works for both the TorchScript and the torch.export exporter.

=====  ============================  =====  ======  ==========================================
id     name                          exact  opt-in  replaces
=====  ============================  =====  ======  ==========================================
R001   rewrite.unique-sort           yes    no      torch.unique (sorted, dim=None)
R002   rewrite.atan2-atan            yes    no      torch.atan2
R003   rewrite.squeeze-index         yes    no      squeeze(d) on size-1 axes
R004   rewrite.unsqueeze-index       yes    yes     unsqueeze(d)
R005   rewrite.bool-bitwise-arith    yes    yes     & | ^ ~ on bool tensors
R006   rewrite.bool-index-long       yes    no      x[bool_mask]
R007   rewrite.fold-conv-transpose   no     no      F.fold / nn.Fold (Col2Im)
R008   rewrite.unique-consecutive    yes    no      torch.unique_consecutive (dim=None)
R009   rewrite.fft-matmul            no     no      torch.fft.rfft / fft of a real fixed-size axis
R010   rewrite.where-arith           no     yes     torch.where(cond, a, b)
=====  ============================  =====  ======  ==========================================
"""

from __future__ import annotations

from .atan2 import Atan2
from .base import DECLINE, Example, TorchRewrite, target_name
from .bool_index import BoolIndexLong
from .bool_ops import BoolBitwiseArith
from .fft import FftMatmul
from .fold import FoldConvTranspose
from .mode import Fired, RewriteMode, apply_to_module, rewrite_context, select_rewrites
from .squeeze import SqueezeIndex, UnsqueezeIndex
from .unique import UniqueSort
from .unique_consecutive import UniqueConsecutive
from .where import WhereArith

__all__ = [
    "ALL_REWRITES",
    "DECLINE",
    "Example",
    "Fired",
    "RewriteMode",
    "TorchRewrite",
    "apply_to_module",
    "find_rewrite",
    "rewrite_context",
    "select_rewrites",
    "target_name",
]

ALL_REWRITES: list[type[TorchRewrite]] = [
    UniqueSort, Atan2, SqueezeIndex, UnsqueezeIndex, BoolBitwiseArith,
    BoolIndexLong, FoldConvTranspose, UniqueConsecutive, FftMatmul, WhereArith,
]  # fmt: skip


def find_rewrite(key: str) -> type[TorchRewrite] | None:
    """The rewrite class with this id (``R001``, any case) or name (``rewrite.unique-sort``)."""
    key = key.strip()
    for rewrite in ALL_REWRITES:
        if key.upper() == rewrite.id or key == rewrite.name or f"rewrite.{key}" == rewrite.name:
            return rewrite
    return None
