"""The ONNX Runtime session every verification and fix check runs on (no torch import here)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = ["PLUGINS_WITH_REFERENCE", "open_session", "ort_session"]

#: TensorRT plugins ONNX Runtime has no kernel for, that :mod:`trtready.detection.plugin_reference`
#: runs by a reference implementation of their documented semantics.
PLUGINS_WITH_REFERENCE = ("EfficientNMS_TRT",)


def ort_session(path: str, *, mapped_weights: bool = False, initializers: Mapping[str, np.ndarray] | None = None):
    """A CPU session for ``path``, quiet (trtready reports failures itself), on two threads.

    ``mapped_weights``: the weights are external data, which ONNX Runtime memory-maps; the session
    then does not pre-pack them (MatMul/Gemm/Conv weights re-laid out for its kernels), which would
    copy them all into its own memory. The kernels pack on each run instead (the sums may round in
    another order: float differences of an ulp or so, far inside the verification tolerances), and
    activations are freed after each run rather than kept in ONNX Runtime's arena.
    ``initializers``: arrays with the bytes of some of the file's initializers (by name), read
    from where they are (``SessionOptions.add_initializer``: no copy, the file's are not read);
    the session keeps them alive."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 4  # failures are reported by trtready, not logged by ORT
    options.intra_op_num_threads = 2
    if mapped_weights:  # a large model: its weights are what the memory is for
        options.add_session_config_entry("session.disable_prepacking", "1")
        options.enable_cpu_mem_arena = False  # activations go back after each run, not kept for the next
    values = {name: ort.OrtValue.ortvalue_from_numpy(array) for name, array in (initializers or {}).items()}
    for name, value in values.items():
        options.add_initializer(name, value)
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    session.trtready_initializers = values  # ONNX Runtime reads their memory while the session lives
    return session


def open_session(path: str, *, mapped_weights: bool = False, initializers: Mapping[str, np.ndarray] | None = None):
    """ONNX Runtime's session for ``path``; when ONNX Runtime refuses the file for lack of a kernel
    for a plugin with a reference, a :class:`~trtready.detection.plugin_reference.PluginSession`
    (ONNX Runtime around the plugin nodes, the reference for them). Other failures are raised."""
    try:
        return ort_session(path, mapped_weights=mapped_weights, initializers=initializers)
    except Exception as exc:
        if not any(op_type in str(exc) for op_type in PLUGINS_WITH_REFERENCE):
            raise
    from ..detection.plugin_reference import PluginSession  # torch: only for such a file

    return PluginSession(path)
