"""The doctor's checks, one module each, in report order."""

from __future__ import annotations

from .base import Check
from .batch_constant import BatchConstant
from .batch_graph import BatchGraph
from .capture_failed import CaptureFailed
from .nms_postprocess import NmsPostprocess
from .none_input import NoneInput
from .numpy_constant import NumpyConstant
from .output_structure import OutputStructure
from .python_value import PythonValue
from .shape_inplace import ShapeInplace
from .state_mutation import StateMutation
from .tensor_branch import TensorBranch
from .tensor_data import TensorData
from .training_mode import TrainingMode
from .unconvertible_op import UnconvertibleOp

__all__ = ["Check", "all_checks"]

CHECKS: tuple[type[Check], ...] = (
    UnconvertibleOp, PythonValue, TensorBranch, BatchConstant, BatchGraph, NmsPostprocess, StateMutation,
    NumpyConstant, TensorData, ShapeInplace, TrainingMode, NoneInput, OutputStructure, CaptureFailed,
)  # fmt: skip


def all_checks() -> list[Check]:
    return [cls() for cls in CHECKS]
