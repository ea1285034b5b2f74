"""``defer_sympy()``: import sympy only when something uses it (the lint commands never do).

``onnx_ir`` imports sympy when it is imported, for arithmetic on symbolic dims (``N + 1``), and
builds a table of sympy functions in ``onnx_ir._symbolic_shapes``. Checking never does that
arithmetic, but the import alone was 0.3-0.4 s of a one-second ``trtready check``.

``defer_sympy()`` puts both modules in ``sys.modules`` created but not yet executed (from their
real specs); the first attribute read on one of them executes it, in place, so every holder of
the module object sees the real module. The command line calls it for ``check``, ``rules`` and
``explain`` only, before anything imports onnx_ir; the exporting commands import torch, which
imports sympy anyway. It does nothing once either module is imported, or when one is not found.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
import types

__all__ = ["defer_sympy", "is_deferred"]

_SYMPY, _SHAPES = "sympy", "onnx_ir._symbolic_shapes"


class _Deferred(types.ModuleType):
    """A module not executed yet: reading a missing attribute executes it (once), in this object."""

    def __getattr__(self, name: str):
        spec = self.__spec__
        self.__class__ = types.ModuleType  # from now on a plain module: no second execution
        spec._initializing = True  # as importlib marks a module during its first execution
        try:
            spec.loader.exec_module(self)
        finally:
            spec._initializing = False
        return getattr(self, name)


def defer_sympy() -> bool:
    """Defer sympy and ``onnx_ir._symbolic_shapes`` (see the module doc); True when done."""
    if any(name in sys.modules for name in (_SYMPY, "onnx_ir", _SHAPES)):
        return False
    package = importlib.util.find_spec("onnx_ir")  # finds the package without importing it
    sympy = importlib.util.find_spec(_SYMPY)
    locations = package.submodule_search_locations if package is not None else None
    shapes = importlib.machinery.PathFinder.find_spec(_SHAPES, locations) if locations else None
    if sympy is None or shapes is None or sympy.loader is None or shapes.loader is None:
        return False
    for name, spec in ((_SYMPY, sympy), (_SHAPES, shapes)):
        module = importlib.util.module_from_spec(spec)
        module.__class__ = _Deferred
        sys.modules[name] = module
    return True


def is_deferred(name: str) -> bool:
    """True while module ``name`` is deferred and not executed yet."""
    return type(sys.modules.get(name)) is _Deferred
