"""Data types TensorRT lacks or does not accept for an op (TRT4xx)."""
