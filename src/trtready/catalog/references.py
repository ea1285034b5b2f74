"""The public sources the catalog cites, by name and address.

Every ``why`` and ``fix`` in the catalog comes from one of these (or from what
the tool measured itself). Cite a section with ``SOURCE.section(title, anchor)``.
"""

from __future__ import annotations

from .unit import Reference

_ONNX_TRT = "https://github.com/onnx/onnx-tensorrt/blob/main"
_TRT_DOCS = "https://docs.nvidia.com/deeplearning/tensorrt"
_TORCH_DOCS = "https://docs.pytorch.org/docs/stable"

# -- NVIDIA TensorRT and its ONNX parser ------------------------------------------------------------
ONNX_TRT_OPERATORS = Reference(
    "onnx-tensorrt operator support (docs/operators.md)", f"{_ONNX_TRT}/docs/operators.md"
)
ONNX_TRT_FAQ = Reference("onnx-tensorrt FAQ (docs/faq.md)", f"{_ONNX_TRT}/docs/faq.md")
ONNX_TRT_MODEL_IMPORTER = Reference("onnx-tensorrt parser source, ModelImporter.cpp", f"{_ONNX_TRT}/ModelImporter.cpp")
ONNX_TRT_PROTO_UTILS = Reference("onnx-tensorrt parser source, onnxProtoUtils.hpp", f"{_ONNX_TRT}/onnxProtoUtils.hpp")
ONNX_TRT_WEIGHTS = Reference("onnx-tensorrt parser source, WeightsContext.cpp", f"{_ONNX_TRT}/WeightsContext.cpp")
TRT_OPSET_GUIDE = Reference(
    "NVIDIA TensorRT documentation, ONNX opset guide", f"{_TRT_DOCS}/latest/reference/onnx-opset-guide.html"
)
TRT_SHUFFLE = Reference("NVIDIA TensorRT operator documentation, Shuffle", f"{_TRT_DOCS}/operators/docs/Shuffle.html")
TRT_CONDITIONALS = Reference(
    "NVIDIA TensorRT documentation, Working with Conditionals",
    f"{_TRT_DOCS}/latest/inference-library/work-with-conditionals.html",
)
TRT_DYNAMIC_SHAPES = Reference(
    "NVIDIA TensorRT documentation, Working with Dynamic Shapes",
    f"{_TRT_DOCS}/latest/inference-library/work-dynamic-shapes.html",
)
TRT_PLUGINS = Reference(
    "NVIDIA TensorRT documentation, Extending TensorRT with Custom Layers",
    f"{_TRT_DOCS}/latest/inference-library/extending-custom-layers.html",
)
EFFICIENT_NMS_PLUGIN = Reference(
    "NVIDIA TensorRT, EfficientNMS plugin README", "https://github.com/NVIDIA/TensorRT/tree/main/plugin/efficientNMSPlugin"
)
POLYGRAPHY = Reference("NVIDIA Polygraphy", "https://github.com/NVIDIA/TensorRT/tree/main/tools/Polygraphy")

#: NVIDIA's export guide for TensorRT (NVIDIA/DL4AGX); cite a section with ``.section(title, anchor)``.
TRT_EXPORT_GUIDANCE = Reference(
    "NVIDIA, TorchScript-based ONNX Export Guidance for TensorRT",
    "https://github.com/NVIDIA/DL4AGX/blob/master/AV-Solutions/onnx-export-guidance/README.md",
)
NVIDIA_PACKNET_POST = Reference(
    "NVIDIA Technical Blog, Estimating Depth with ONNX Models and Custom Layers Using NVIDIA TensorRT",
    "https://developer.nvidia.com/blog/estimating-depth-beyond-2d-using-custom-layers-on-tensorrt-and-onnx-models/",
)

# -- PyTorch and ONNX ---------------------------------------------------------------------------------
TORCH_ONNX = Reference("PyTorch, torch.onnx documentation", f"{_TORCH_DOCS}/onnx.html")
TORCH_ONNX_TORCHSCRIPT = Reference(
    "PyTorch, TorchScript-based ONNX exporter documentation", f"{_TORCH_DOCS}/onnx_torchscript.html"
)
TORCH_EXPORT = Reference("PyTorch, torch.export documentation", f"{_TORCH_DOCS}/export.html")
ONNX_OPERATORS = Reference("ONNX operator specification", "https://onnx.ai/onnx/operators/")
ONNX_EXTERNAL_DATA = Reference(
    "ONNX documentation, External Data", "https://github.com/onnx/onnx/blob/main/docs/ExternalData.md"
)
LEIMAO_ATEN = Reference("Lei Mao, PyTorch Model Export to ONNX Failed Due to ATen", "https://leimao.github.io/blog/PyTorch-ATen-ONNX/")
TORCHPIPE_ONNX = Reference(
    "torchpipe documentation, converting a Torch model to ONNX", "https://torchpipe.github.io/docs/faq/onnx"
)


def guidance(title: str, anchor: str) -> Reference:
    """A section of NVIDIA's TorchScript-based ONNX export guidance for TensorRT."""
    return TRT_EXPORT_GUIDANCE.section(title, anchor)


def torchscript_exporter(title: str, anchor: str) -> Reference:
    """A section of the TorchScript-based ONNX exporter documentation."""
    return TORCH_ONNX_TORCHSCRIPT.section(title, anchor)
