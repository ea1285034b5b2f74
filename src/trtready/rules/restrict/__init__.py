"""Per-op restrictions from the TensorRT ONNX-parser docs (TRT5xx)."""
