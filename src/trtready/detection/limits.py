"""TensorRT limits the detection export respects (torch-free, so options can read them)."""

TOPK_LIMIT = 3840  # TensorRT's TopK needs K < 3840 (onnx-tensorrt's operator docs)
