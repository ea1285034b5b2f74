"""Which node inputs TensorRT needs as build-time constants, and which it treats as shape tensors.

Facts from onnx-tensorrt docs/operators.md (11.1) and the 10.1 importer source
(``ShapeTensor`` helper): https://github.com/onnx/onnx-tensorrt.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BUILD_TIME_INPUTS", "SHAPE_INPUTS", "Slot"]

_REDUCE_OPS = (
    "ReduceL1",
    "ReduceL2",
    "ReduceLogSum",
    "ReduceLogSumExp",
    "ReduceMax",
    "ReduceMean",
    "ReduceMin",
    "ReduceProd",
    "ReduceSum",
    "ReduceSumSquare",
)


@dataclass(frozen=True)
class Slot:
    index: int  # input position
    label: str  # the ONNX input name, for messages
    initializer_only: bool = False  # the parser wants weights, not a foldable expression
    strict_until: str | None = None  # releases before this one want weights (relaxed later)

    def needs_initializer(self, trt) -> bool:
        return self.initializer_only or (self.strict_until is not None and not trt.at_least(self.strict_until))


#: Inputs whose *values* must be known when the engine is built.
BUILD_TIME_INPUTS: dict[str, tuple[Slot, ...]] = {
    **{op: (Slot(1, "axes", initializer_only=True),) for op in _REDUCE_OPS},
    "Squeeze": (Slot(1, "axes"),),
    "Unsqueeze": (Slot(1, "axes"),),
    "CumSum": (Slot(1, "axis", strict_until="10.14"),),
    "OneHot": (Slot(1, "depth"),),
    "Dropout": (Slot(2, "training_mode", initializer_only=True),),
    "STFT": (Slot(1, "frame_step", initializer_only=True), Slot(2, "window", initializer_only=True)),
}

#: Inputs TensorRT turns into shape tensors: they should come from Shape arithmetic or constants.
SHAPE_INPUTS: dict[str, tuple[Slot, ...]] = {
    "Reshape": (Slot(1, "shape"),),
    "Expand": (Slot(1, "shape"),),
    "ConstantOfShape": (Slot(0, "input"),),
    "Range": (Slot(0, "start"), Slot(1, "limit"), Slot(2, "delta")),
    "Slice": (Slot(1, "starts"), Slot(2, "ends"), Slot(3, "axes"), Slot(4, "steps")),
    "Tile": (Slot(1, "repeats"),),
    "Resize": (Slot(2, "scales"), Slot(3, "sizes")),
    "Split": (Slot(1, "split"),),
    "Pad": (Slot(1, "pads"),),
    "TopK": (Slot(1, "K"),),
}
