"""The ONNX Runtime session every verification and fix check runs on (no torch import here)."""

from __future__ import annotations

__all__ = ["ort_session"]


def ort_session(path: str):
    """A CPU session for ``path``, quiet (trtready reports failures itself), on two threads."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 4  # failures are reported by trtready, not logged by ORT
    options.intra_op_num_threads = 2
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
