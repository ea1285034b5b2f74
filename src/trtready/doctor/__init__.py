"""``trtready doctor``: find, in one run, everything that stands between a PyTorch
model and a clean ONNX file for TensorRT, for both exporters, at the user's lines.

    from trtready.doctor import diagnose
    result = diagnose(model, (x,))          # Result(command="doctor", findings=[...])
"""

from __future__ import annotations

__all__ = ["diagnose", "all_checks"]


def diagnose(*args, **kwargs):
    from .core import diagnose as _diagnose

    return _diagnose(*args, **kwargs)


diagnose.__doc__ = "See :func:`trtready.doctor.core.diagnose`."


def all_checks():
    from .checks import all_checks as _all

    return _all()
