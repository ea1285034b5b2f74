"""Real ONNX files for the CLI report tests, exported with torch.onnx from ``report_models``."""

from __future__ import annotations

import warnings
from pathlib import Path

import torch

from . import report_models


def export_dynamo(module: torch.nn.Module, example: tuple, path: Path) -> Path:
    """torch.export-based exporter: nodes carry their Python source lines."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(
            module.eval(), example, dynamo=True, opset_version=18, verbose=False,
            dynamic_shapes=({0: torch.export.Dim("batch")},),
        )  # fmt: skip
    program.save(str(path))
    return path


def export_torchscript(module: torch.nn.Module, example: tuple, path: Path) -> Path:
    """TorchScript exporter: no source lines (findings point at the .onnx file)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module.eval(), example, str(path), dynamo=False, opset_version=18,
            input_names=["x"], dynamic_axes={"x": {0: "batch"}},
        )  # fmt: skip
    return path


def mask_dynamo(folder: Path) -> Path:
    return export_dynamo(*report_models.build_mask(), folder / "mask_dynamo.onnx")


def mask_torchscript(folder: Path) -> Path:
    return export_torchscript(*report_models.build_mask(), folder / "mask_ts.onnx")


def clean(folder: Path) -> Path:
    return export_torchscript(*report_models.build_clean(), folder / "clean.onnx")
