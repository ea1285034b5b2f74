"""One instrumented eager forward (in-process, on the diagnosis's own copy of the model).

A ``TorchFunctionMode`` sees the tensor -> Python conversions the user's code makes
(``.item()``, ``int()``, ``bool()`` from an ``if``, ``.tolist()``, ``.numpy()``),
``Tensor.data`` reads and in-place updates of buffers/parameters; a temporary
``nn.Module.__setattr__`` hook sees attribute assignments made during forward.
Only calls made directly by user code count (not those inside torch).
"""

from __future__ import annotations

import inspect

import torch
from torch.overrides import TorchFunctionMode
from torch.utils import _pytree as pytree

from ...errors import one_line
from ...inputs import FlatModel, _name, _output_names
from ..evidence import EagerEvidence, Event
from ..source import Site, caller_site
from .nms_watch import NmsWatch, nms_calls

_CONVERSIONS = {
    "item": "item",
    "__int__": "int",
    "__index__": "int",
    "__float__": "float",
    "__bool__": "bool",
    "tolist": "tolist",
    "numpy": "numpy",
}
_INPLACE_DUNDER = {"__setitem__", "__iadd__", "__isub__", "__imul__", "__itruediv__"}


class _Watch(TorchFunctionMode):
    def __init__(self, events: list[Event], state: dict[int, str]):
        super().__init__()
        self.events = events
        self.state = state  # id(tensor) -> "path.name" of buffers and parameters

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        kind = _CONVERSIONS.get(name)
        if name == "__get__" and getattr(getattr(func, "__self__", None), "__name__", "") == "data":
            kind = "data"
        if kind:
            self._record(kind, name)
        elif args and isinstance(args[0], torch.Tensor) and id(args[0]) in self.state and _inplace(name):
            self._record("buffer-inplace", f"{self.state[id(args[0])]}.{name}()")
        return func(*args, **kwargs)

    def _record(self, kind: str, detail: str) -> None:
        site = caller_site(3)
        if site is not None:
            self.events.append(Event(kind, site, detail))


def _inplace(name: str) -> bool:
    return name in _INPLACE_DUNDER or (name.endswith("_") and not name.startswith("_"))


def eager_probe(flat: FlatModel, example: tuple, batch_dim: int = 0) -> EagerEvidence:
    evidence = EagerEvidence()
    root = flat.module
    paths = {id(m): name for name, m in root.named_modules()}
    state = {id(t): n for n, t in list(root.named_parameters()) + list(root.named_buffers())}
    evidence.forward_site = _forward_site(root)
    evidence.none_inputs = _none_inputs(flat)
    original = torch.nn.Module.__setattr__

    def watching_setattr(module, name, value):
        if id(module) in paths and not name.startswith("_"):
            site = caller_site(2)
            if site is not None:
                owner = paths[id(module)]
                evidence.events.append(Event("setattr", site, f"{owner}.{name}" if owner else f"self.{name}"))
        original(module, name, value)

    torch.nn.Module.__setattr__ = watching_setattr
    nms = NmsWatch()  # entered first: _Watch, on top, keeps its frame depth
    try:
        with torch.no_grad(), nms, _Watch(evidence.events, state):
            out = flat.call_nested(example)
    except Exception as exc:  # noqa: BLE001 - recorded
        evidence.ok, evidence.error = False, one_line(exc)
        return evidence
    finally:
        torch.nn.Module.__setattr__ = original
    _describe_outputs(out, evidence)
    evidence.nms = nms_calls(nms, flat, example, batch_dim)
    return evidence


def _describe_outputs(out, evidence: EagerEvidence) -> None:
    leaves = pytree.tree_flatten_with_path(out, is_leaf=lambda v: v is None)[0]
    evidence.outputs = [(_name(p) or "output", type(v).__name__) for p, v in leaves]
    tensors = [p for p, v in leaves if isinstance(v, torch.Tensor)]
    evidence.output_names = _output_names(tensors) if tensors else []


def _none_inputs(flat: FlatModel) -> list[str]:
    """Inputs given as None (FlatModel keeps them as constants)."""
    spec = flat._in_spec
    paths = [p for p, _ in pytree.tree_flatten_with_path(pytree.tree_unflatten([0] * spec.num_leaves, spec))[0]]
    return [
        _name(path) or "input"
        for path, is_tensor, constant in zip(paths, flat._is_tensor, flat._constants)
        if not is_tensor and constant is None
    ]


def _forward_site(module: torch.nn.Module) -> Site | None:
    try:
        forward = inspect.unwrap(type(module).forward)
        file = inspect.getsourcefile(forward)
        line = inspect.getsourcelines(forward)[1]
    except (TypeError, OSError):
        return None
    return Site(file, line, "forward") if file else None
