"""The ``TorchRewrite`` base class: one PyTorch-level substitution used while exporting.

A rewrite replaces calls of a few torch functions / Tensor methods (its
``targets``) by an equivalent formulation that exports to ONNX ops TensorRT
accepts. Rewrites run only while ``trtready export`` traces the model (see
:mod:`trtready.rewrites.mode`); the user's model is never changed.

Like a checker rule, a rewrite is a class with class attributes and one method:

* ``spec``: its declaration in :mod:`trtready.catalog.rewrites` (torch-free, so
  ``trtready rules`` / ``explain`` read it without torch), from which the class
  takes ``id`` (``"R001"``), ``name`` (``"rewrite.unique-sort"``), ``why`` (the
  TensorRT fact behind it, with its public ``references``), ``exact`` (True when
  the replacement gives the same values as the original on *every* input, inf
  and nan included, up to float summation order; otherwise ``caveat`` says how
  it differs), ``opt_in`` (off unless asked for by id or name) and ``removes``
  (the ONNX op types the original call exports to that the rewrite keeps out of
  the graph; the tests assert it);
* ``targets``: the callables it replaces;
* ``replacement(func, types, args, kwargs)``: the replacement result, or
  ``NotImplemented`` to decline (the original call then runs unchanged);
* ``example()``: a tiny module using the pattern and inputs (edge cases
  included); the first input tuple is the one to export with. These are the
  rewrite's tests (tests/rewrites).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch

from ..catalog.rewrites import RewriteSpec

__all__ = ["DECLINE", "Example", "TorchRewrite", "target_name"]

DECLINE = NotImplemented  # returned by replacement() to leave the call alone


@dataclass
class Example:
    """A module using a rewrite's pattern, and inputs to run it on (first one: export)."""

    module: torch.nn.Module
    inputs: list[tuple]
    atol: float = 1e-6
    rtol: float = 1e-6
    dynamic_axes: dict | None = None  # for the TorchScript export in the tests
    export_kwargs: dict = field(default_factory=dict)


class TorchRewrite:
    """Base of every PyTorch-level rewrite (see the module doc)."""

    spec: ClassVar[RewriteSpec | None] = None
    targets: ClassVar[tuple[Callable, ...]] = ()
    # taken from ``spec`` (see the module doc; ``addresses``/``remains``: RewriteSpec)
    addresses: ClassVar[tuple[str, ...]] = ()
    remains: ClassVar[str] = ""
    id: ClassVar[str] = ""
    name: ClassVar[str] = ""
    why: ClassVar[str] = ""
    exact: ClassVar[bool] = True
    opt_in: ClassVar[bool] = False
    caveat: ClassVar[str] = ""
    removes: ClassVar[tuple[str, ...]] = ()  # ONNX op types kept out of the export

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        spec = cls.__dict__.get("spec")
        if spec is not None:
            cls.id, cls.name, cls.why, cls.exact = spec.id, spec.name, spec.why, spec.exact
            cls.opt_in, cls.caveat, cls.removes = spec.opt_in, spec.caveat, spec.removes
            cls.addresses, cls.remains = spec.addresses, spec.remains

    def replacement(self, func: Callable, types: tuple, args: tuple, kwargs: dict) -> Any:  # pragma: no cover
        raise NotImplementedError

    @classmethod
    def example(cls) -> Example:  # pragma: no cover - every rewrite defines one
        raise NotImplementedError

    @classmethod
    def summary(cls) -> str:
        return cls.why.strip().split("\n")[0]

    def __repr__(self) -> str:
        return f"<{self.id} {self.name}>"


def target_name(func: Callable) -> str:
    """``torch.unique``, ``Tensor.squeeze``, ``torch.nn.functional.fold``... for reports."""
    name = getattr(func, "__name__", None) or repr(func)
    if isinstance(func, type(torch.Tensor.real.__get__)):  # property access: Tensor.real.__get__
        owner = getattr(func, "__self__", None)
        return f"Tensor.{getattr(owner, '__name__', name)}"
    if getattr(torch.Tensor, name, None) is func or getattr(torch._C.TensorBase, name, None) is func:
        return f"Tensor.{name}"
    for prefix, namespace in (("torch", torch), ("torch.fft", torch.fft), ("torch.nn.functional", torch.nn.functional)):
        if getattr(namespace, name, None) is func:
            return f"{prefix}.{name}"
    module = getattr(func, "__module__", None)
    return f"{module}.{name}" if module else name
