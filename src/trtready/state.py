"""Keeping the user's model as it was given, although ``forward`` may change its own state.

``self.frames += 1``, ``self.running_mean.mul_(0.9)``, ``self.prev = emb``: every
call trtready makes (naming the outputs, the PyTorch references) would otherwise
move the state on, so the exporters would capture a later state than the user
handed over, and each reference would start from another one. A
:class:`StateSnapshot` records each submodule's buffers and plain attributes
(tensors cloned, the rest by reference) and puts them back after a call.
Parameters are only watched (their version counters): restoring them would cost
a copy of every weight.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

__all__ = ["StateSnapshot"]

_SKIP = {"_parameters", "_buffers", "_modules", "training", "_non_persistent_buffers_set"}


@dataclass
class _Saved:
    owner: Any  # the module's __dict__ or its buffer dict
    name: str
    value: Any  # the object that was there
    copy: Any = None  # its contents: a tensor's clone, a list's or dict's shallow copy


@dataclass
class StateSnapshot:
    """What ``forward`` could change in ``module``, as it is now."""

    saved: list[_Saved] = field(default_factory=list)
    versions: list[tuple[str, torch.Tensor, int]] = field(default_factory=list)

    @classmethod
    def of(cls, module: torch.nn.Module) -> StateSnapshot:
        snap = cls()
        for path, sub in module.named_modules():
            for name, value in sub.__dict__.items():
                if name not in _SKIP and not name.startswith("_") and not callable(value):
                    snap.saved.append(_save(sub.__dict__, f"{path}.{name}".lstrip("."), value))
            for name, value in sub._buffers.items():
                snap.saved.append(_save(sub._buffers, f"{path}.{name}".lstrip("."), value))
            for name, param in sub._parameters.items():
                if param is not None:
                    snap.versions.append((f"{path}.{name}".lstrip("."), param, param._version))
        return snap

    def changed(self) -> list[str]:
        """Names of the buffers, attributes and parameters that differ from the snapshot."""
        names = [s.name for s in self.saved if _differs(s)]
        return names + [name for name, param, version in self.versions if param._version != version]

    def restore(self) -> None:
        """Put every buffer and attribute back (parameters are left as they are)."""
        with torch.no_grad():
            for s in self.saved:
                key = s.name.rsplit(".", 1)[-1]
                if isinstance(s.value, torch.Tensor):
                    s.value.set_(s.copy.clone()) if s.value.shape != s.copy.shape else s.value.copy_(s.copy)
                elif isinstance(s.value, list):
                    s.value[:] = s.copy
                elif isinstance(s.value, dict):
                    s.value.clear()
                    s.value.update(s.copy)
                s.owner[key] = s.value


def _save(owner: dict, name: str, value: Any) -> _Saved:
    if isinstance(value, torch.Tensor):
        return _Saved(owner, name, value, value.detach().clone())
    if isinstance(value, (list, dict)):
        return _Saved(owner, name, value, value.copy())
    return _Saved(owner, name, value)


def _differs(saved: _Saved) -> bool:
    key = saved.name.rsplit(".", 1)[-1]
    current = saved.owner.get(key, _MISSING)
    if current is not saved.value:
        return True
    if isinstance(current, torch.Tensor):
        return current.shape != saved.copy.shape or not torch.equal(current.detach(), saved.copy)
    if isinstance(current, list):
        return len(current) != len(saved.copy) or any(a is not b for a, b in zip(current, saved.copy))
    if isinstance(current, dict):
        return current.keys() != saved.copy.keys() or any(current[k] is not saved.copy[k] for k in current)
    return False


_MISSING = object()
