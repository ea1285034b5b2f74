"""The ONNX Runtime session every verification and fix check runs on (no torch import here)."""

from __future__ import annotations

__all__ = ["PLUGINS_WITH_REFERENCE", "open_session", "ort_session"]

#: TensorRT plugins ONNX Runtime has no kernel for, that :mod:`trtready.detection.plugin_reference`
#: runs by a reference implementation of their documented semantics.
PLUGINS_WITH_REFERENCE = ("EfficientNMS_TRT",)


def ort_session(path: str, *, mapped_weights: bool = False):
    """A CPU session for ``path``, quiet (trtready reports failures itself), on two threads.

    ``mapped_weights``: the weights are external data, which ONNX Runtime memory-maps; the session
    then does not pre-pack them (MatMul/Gemm/Conv weights re-laid out for its kernels), which would
    copy them all into its own memory. The kernels pack on each run instead (the sums may round in
    another order: float differences of an ulp or so, far inside the verification tolerances)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 4  # failures are reported by trtready, not logged by ORT
    options.intra_op_num_threads = 2
    if mapped_weights:
        options.add_session_config_entry("session.disable_prepacking", "1")
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def open_session(path: str, *, mapped_weights: bool = False):
    """ONNX Runtime's session for ``path``; when ONNX Runtime refuses the file for lack of a kernel
    for a plugin with a reference, a :class:`~trtready.detection.plugin_reference.PluginSession`
    (ONNX Runtime around the plugin nodes, the reference for them). Other failures are raised."""
    try:
        return ort_session(path, mapped_weights=mapped_weights)
    except Exception as exc:
        if not any(op_type in str(exc) for op_type in PLUGINS_WITH_REFERENCE):
            raise
    from ..detection.plugin_reference import PluginSession  # torch: only for such a file

    return PluginSession(path)
