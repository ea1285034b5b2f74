"""Real ONNX files exported with torch.onnx (TorchScript and dynamo exporters) for the check tests."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

import check_models  # noqa: E402  (tests/check is on sys.path: no __init__.py)


def export_torchscript(module, example, path: Path, dynamic: dict[int, str] | None = None) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module.eval(),
            (example,),
            str(path),
            dynamo=False,
            opset_version=18,
            input_names=["x"],
            dynamic_axes={"x": dynamic or {0: "batch"}},
        )
    return path


def export_dynamo(module, example, path: Path) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(
            module.eval(),
            (example,),
            dynamo=True,
            opset_version=18,
            dynamic_shapes=({0: torch.export.Dim("batch")},),
            verbose=False,
        )
    program.save(str(path))
    return path


@pytest.fixture(scope="session")
def onnx_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("onnx")


@pytest.fixture(scope="session")
def squeeze_onnx(onnx_dir) -> Path:
    return export_torchscript(check_models.SqueezeDynamic(), torch.randn(2, 1, 4), onnx_dir / "squeeze.onnx", {0: "batch", 1: "c"})


@pytest.fixture(scope="session")
def unique_onnx(onnx_dir) -> Path:
    return export_torchscript(check_models.Unique(), torch.randn(2, 5), onnx_dir / "unique.onnx")


@pytest.fixture(scope="session")
def mask_onnx(onnx_dir) -> Path:
    return export_torchscript(check_models.BoolMask(), torch.randn(2, 5), onnx_dir / "mask.onnx")


@pytest.fixture(scope="session")
def clean_onnx(onnx_dir) -> Path:
    return export_torchscript(check_models.Clean(), torch.randn(1, 3, 8, 8), onnx_dir / "clean.onnx")


@pytest.fixture(scope="session")
def dynamo_mask_onnx(onnx_dir) -> Path:
    return export_dynamo(check_models.BoolMask(), torch.randn(2, 5), onnx_dir / "dynamo_mask.onnx")


@pytest.fixture(scope="session")
def dynamo_two_masks_onnx(onnx_dir) -> Path:
    return export_dynamo(check_models.TwoMasksOneLine(), torch.randn(2, 5), onnx_dir / "dynamo_two_masks.onnx")


@pytest.fixture(scope="session")
def fasterrcnn_onnx(onnx_dir) -> Path:
    torchvision = pytest.importorskip("torchvision")
    model = torchvision.models.detection.fasterrcnn_mobilenet_v3_large_320_fpn(weights=None, weights_backbone=None)
    path = onnx_dir / "fasterrcnn.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model.eval(),
            ([torch.rand(3, 320, 320)],),
            str(path),
            dynamo=False,
            opset_version=18,
            input_names=["images"],
            dynamic_axes={"images": {0: "batch"}},
        )
    return path
