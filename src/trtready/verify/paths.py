"""Which Python values in ``forward`` depend on the input data, and did verification vary them?

A tracer records one path: ``if x.sum() > 0``, ``for _ in range(n)`` with a 0-d
input ``n``, ``.item()`` and ``int(tensor)`` become constants of the traced run.
A file verified only on inputs that take that same path proves nothing about
the others. :class:`DataWatch` is a ``TorchFunctionMode`` active during the
PyTorch reference runs: it taints the model's inputs, propagates the taint
through every torch call, and records each conversion of a *tainted* tensor to
a Python value (``bool()``, ``int()``, ``float()``, ``.item()``, ``.tolist()``,
``.numpy()``) at the user's line, with the value. Conversions of constants
(buffers, literals) are not data-dependent and are ignored; sizes are Python
ints in eager mode and never show up here (the batch sizes cover them);
assertions (``assert``, ``torch._assert``) pass or raise, so they are no path.

A site is *exercised* when the verification runs saw it take different values
(both ``True`` and ``False`` for a branch). :func:`unexercised` lists the sites
that always took the traced value: a file is then verified on the traced path
only.
"""

from __future__ import annotations

import linecache
import sys
import weakref
from collections import defaultdict
from dataclasses import dataclass, field

import torch
from torch.overrides import TorchFunctionMode
from torch.utils import _pytree as pytree

from ..catalog.declared import TRACED_PATH_ONLY
from ..doctor.source import Site, site_of_frame
from ..result import Finding, Severity, VerifyRow

__all__ = ["DataWatch", "PathLog", "traced_path_findings", "traced_path_rows", "unexercised"]

_CONVERSIONS = {
    "__bool__": "bool",
    "__int__": "int",
    "__index__": "int",
    "__float__": "float",
    "item": "item",
    "tolist": "tolist",
    "numpy": "numpy",
}


@dataclass
class PathLog:
    """Per user line: the kind of conversion and the values it took, run by run."""

    values: dict[Site, list] = field(default_factory=lambda: defaultdict(list))
    kinds: dict[Site, str] = field(default_factory=dict)

    def record(self, site: Site, kind: str, value) -> None:
        self.kinds.setdefault(site, kind)
        self.values[site].append(value)


class DataWatch(TorchFunctionMode):
    """Taint ``inputs``; log conversions of tainted tensors into ``log``."""

    def __init__(self, inputs: tuple, log: PathLog):
        super().__init__()
        self.log = log
        self.tainted: dict[int, weakref.ref] = {}
        self._taint(inputs)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        result = func(*args, **kwargs)
        name = getattr(func, "__name__", "")
        if not any(self._is_tainted(v) for v in pytree.tree_leaves((args, kwargs))):
            return result
        kind = _CONVERSIONS.get(name)
        if kind is not None:
            site = _user_site()
            if site is not None and not _is_assertion(site):
                self.log.record(site, kind, _plain(result))
        else:
            self._taint(result)
        return result

    def _taint(self, values) -> None:
        for v in pytree.tree_leaves(values):
            if isinstance(v, torch.Tensor):
                self.tainted[id(v)] = weakref.ref(v)

    def _is_tainted(self, value) -> bool:
        ref = self.tainted.get(id(value)) if isinstance(value, torch.Tensor) else None
        return ref is not None and ref() is value


def unexercised(log: PathLog) -> list[tuple[Site, str, object]]:
    """Sites whose value never changed over the runs: ``(site, kind, the one value)``."""
    out = []
    for site, values in log.values.items():
        distinct = {_key(v) for v in values}
        if len(distinct) <= 1:
            out.append((site, log.kinds[site], values[0] if values else None))
    return out


def _is_assertion(site: Site) -> bool:
    """``assert cond`` / ``torch._assert(cond, ...)``: a check that passes or raises, not another path."""
    code = linecache.getline(site.file, site.line).strip()
    return code.startswith("assert ") or code.startswith("torch._assert(")


def _user_site() -> Site | None:
    """The innermost frame outside torch and trtready."""
    frame = sys._getframe(2)
    while frame is not None:
        site = site_of_frame(frame)
        if site is not None:
            return site
        frame = frame.f_back
    return None


def _plain(value):
    if hasattr(value, "tolist"):
        value = value.tolist()
    return value


def _key(value) -> str:
    return repr(value)[:200]


TRACED_RULE_ID, TRACED_RULE_NAME, TRACED_FIX = TRACED_PATH_ONLY.id, TRACED_PATH_ONLY.name, TRACED_PATH_ONLY.fix  # VER003


def traced_path_rows(log: PathLog, batch: int) -> list[VerifyRow]:
    """An ``unproved`` row per data-dependent value that kept its traced value in every run."""
    return [
        VerifyRow(
            batch=batch, output="*", status="unproved", case="every case",
            message=f"verified on the traced path only: {kind}() at {site.file}:{site.line} took the value "
                    f"{value!r} in every verification run, so the other paths were never compared",
        )  # fmt: skip
        for site, kind, value in unexercised(log)
    ]


def traced_path_findings(log: PathLog) -> list[Finding]:
    """VER003 at each line whose data-dependent value verification never varied."""
    return [
        Finding(
            rule_id=TRACED_RULE_ID, name=TRACED_RULE_NAME, severity=Severity.WARNING, stage="verify",
            message=f"{kind}() of a value computed from the inputs was {value!r} in every verification run: "
                    "the tracer baked that path into the file, and no run checked the others",
            source=site.location(), fix=TRACED_FIX,
        )  # fmt: skip
        for site, kind, value in unexercised(log)
    ]
