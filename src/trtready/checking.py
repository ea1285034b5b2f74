"""``check()``: will TensorRT accept this ONNX model? Rules over a file or an ``onnx_ir.Model``.

>>> result = check("model.onnx", trt="10.1", ignore="perf.")
>>> verdict(result)
'TensorRT 10.1 will refuse this model: 2 errors, 1 warning'

Bad input (unreadable file, unknown release or rule selector) raises a
:class:`~trtready.errors.UserError`; findings never raise, they are recorded.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import onnx_ir as ir

from .onnx_file import OnnxFile, read_onnx
from .result import Result
from .rules import check_model, select_rules
from .trt_ops import load_release
from .verdict import verdict  # one verdict for every command; re-exported for check() users

__all__ = ["check", "verdict"]


def check(
    model: str | os.PathLike | ir.Model,
    *,
    trt: str | None = None,
    plugins: Iterable[str] = (),
    select: Iterable[str] | str | None = None,
    ignore: Iterable[str] | str | None = None,
) -> Result:
    """Check ``model`` against TensorRT release ``trt`` (default: the newest known).

    ``plugins``: op types you provide TensorRT plugins for. ``select``/``ignore``:
    rule ids, names or prefixes (a list or a comma-separated string).
    """
    release = load_release(trt)  # bad options fail before a large file is read
    select_rules(select, ignore)
    plugins = list(plugins)
    name, model, onnx_file = _load(model)
    findings = check_model(
        model,
        trt=release.version,
        plugins=plugins,
        select=select,
        ignore=ignore,
        file_size=onnx_file.file_size if onnx_file else None,
        external_data_paths=onnx_file.external_locations if onnx_file else (),
        proto=onnx_file.proto if onnx_file else None,
    )
    options = {"trt": release.version, "plugins": plugins, "select": _listed(select), "ignore": _listed(ignore)}
    return Result(command="check", model=name, options=options, findings=findings, notes=[release.note] if release.note else [])


def _load(model: str | os.PathLike | ir.Model) -> tuple[str, ir.Model, OnnxFile | None]:
    """``(name for the report, model, the file it was read from)``."""
    if isinstance(model, ir.Model):
        return model.graph.name or "<in-memory model>", model, None
    onnx_file = read_onnx(model)
    return os.fspath(model), onnx_file.model, onnx_file


def _listed(selectors: Iterable[str] | str | None) -> list[str] | None:
    if selectors is None:
        return None
    items = selectors.split(",") if isinstance(selectors, str) else selectors
    return [s.strip() for s in items if s.strip()]

