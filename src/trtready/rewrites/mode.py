"""Running rewrites: a ``TorchFunctionMode`` and two ways to turn it on.

* :func:`apply_to_module` (what ``trtready export`` uses) patches
  ``module.forward`` so that the mode is entered *inside* forward, for the
  duration of each call only. Both exporters honour it (TorchScript tracing
  and torch.export non-strict run the Python forward), and exporter internals
  (ONNX translation, decompositions, constant folding) never see it.
* :func:`rewrite_context` enters the mode around arbitrary code. It also works
  around ``torch.onnx.export(..., dynamo=True)`` (torch.export non-strict
  honours an ambient TorchFunctionMode), but the mode then also sees every
  call the exporter makes internally, so prefer :func:`apply_to_module`.

The mode counts what fired (``mode.fired``, by rewrite id) and remembers the
user source line of the first call of each rewrite (``mode.locations``), so a
report can say "rewrote torch.unique at models.py:12".
"""

from __future__ import annotations

import contextlib
import functools
import linecache
import os
import sys
import warnings
import sysconfig
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import torch
from torch.overrides import TorchFunctionMode

from ..errors import UserError
from ..result import PassRecord, SourceLocation
from .base import TorchRewrite, target_name

__all__ = ["Fired", "RewriteMode", "apply_to_module", "rewrite_context", "select_rewrites"]

_TORCH_DIR = os.path.dirname(torch.__file__) + os.sep
_OWN_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep  # src/trtready/
_USER_CODE_IN_PACKAGE = _OWN_DIR + "demo.py"  # the demo model is user code for reports
_STDLIB_DIR = sysconfig.get_paths()["stdlib"] + os.sep


@dataclass
class Fired:
    """What one rewrite did during an export (picklable: it crosses the fork)."""

    id: str
    name: str
    target: str  # the first function it replaced, e.g. "torch.unique"
    count: int
    source: SourceLocation | None = None  # the first line it rewrote
    exact: bool = True
    sources: list[SourceLocation] = field(default_factory=list)  # every line it rewrote

    def message(self) -> str:
        """``rewrote x[bool_mask] at m.py:12, m.py:30 (3 calls)``: every line it rewrote (the first five)."""
        lines = list(dict.fromkeys(str(s) for s in (self.sources or [self.source]) if s and str(s)))
        shown = ", ".join(lines[:5]) + (f" and {len(lines) - 5} more lines" if len(lines) > 5 else "")
        where = f" at {shown}" if shown else ""
        times = f" ({self.count} calls)" if self.count > 1 else ""
        return f"rewrote {self.target}{where}{times}"

    def pass_record(self) -> PassRecord:
        """As a record in ``Result.passes`` (name ``rewrite.<what>``)."""
        return PassRecord(name=self.name, modified=True, message=f"{self.id}: {self.message()}", sources=list(self.sources))


def select_rewrites(
    enabled: Iterable[str] | None = None, disabled: Iterable[str] = (), opt_in: Iterable[str] = ()
) -> list[TorchRewrite]:
    """The rewrites to run, as instances, by id or name.

    ``enabled=None``: every rewrite that is not opt-in, plus those named in
    ``opt_in``; a set: exactly those (opt-in ones included). ``disabled`` is
    removed last. Unknown ids or names raise :class:`UserError`.
    """
    from . import ALL_REWRITES, find_rewrite

    def resolve(keys: Iterable[str]) -> set[type[TorchRewrite]]:
        found = set()
        for key in keys:
            rewrite = find_rewrite(key)
            if rewrite is None:
                known = ", ".join(f"{r.id} ({r.name})" for r in ALL_REWRITES)
                raise UserError(f"unknown rewrite '{key}'", hint=f"choose from {known}")
            found.add(rewrite)
        return found

    if enabled is None:
        chosen = {r for r in ALL_REWRITES if not r.opt_in} | resolve(opt_in)
    else:
        chosen = resolve([enabled] if isinstance(enabled, str) else enabled)
    chosen -= resolve([disabled] if isinstance(disabled, str) else disabled)
    return [r() for r in ALL_REWRITES if r in chosen]


class RewriteMode(TorchFunctionMode):
    """Dispatches calls of the rewrites' targets to their replacements while active."""

    def __init__(
        self,
        rewrites: Iterable[TorchRewrite] | None = None,
        *,
        enabled: Iterable[str] | None = None,
        disabled: Iterable[str] = (),
        opt_in: Iterable[str] = (),
    ):
        super().__init__()
        self.rewrites = list(rewrites) if rewrites is not None else select_rewrites(enabled, disabled, opt_in)
        self.fired: dict[str, int] = {}
        self.locations: dict[str, SourceLocation | None] = {}
        self.first_target: dict[str, str] = {}
        self.all_locations: dict[str, list[SourceLocation]] = {}
        self.errors: dict[str, str] = {}  # a replacement that raised: the original call ran instead
        self._table: dict = {}
        for rewrite in self.rewrites:
            for target in rewrite.targets:
                self._table.setdefault(target, []).append(rewrite)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        try:
            candidates = self._table.get(func, ())
        except TypeError:  # an unhashable callable
            candidates = ()
        for rewrite in candidates:
            try:
                out = rewrite.replacement(func, types, args, kwargs)
            except Exception as exc:  # noqa: BLE001 - a rewrite must never break the export
                self.errors.setdefault(rewrite.id, f"{type(exc).__name__}: {exc}")
                continue
            if out is not NotImplemented:
                self._record(rewrite, func)
                return out
        return _call_with_user_warnings(func, args, kwargs)

    def _record(self, rewrite: TorchRewrite, func: Callable) -> None:
        location = user_location()
        if rewrite.id not in self.fired:
            self.fired[rewrite.id] = 0
            self.locations[rewrite.id] = location
            self.first_target[rewrite.id] = getattr(rewrite, "target_label", None) or target_name(func)
        lines = self.all_locations.setdefault(rewrite.id, [])
        if location is not None and location not in lines:
            lines.append(location)
        self.fired[rewrite.id] += 1

    def reset(self) -> None:
        self.fired.clear()
        self.locations.clear()
        self.all_locations.clear()
        self.first_target.clear()
        self.errors.clear()

    def summary(self) -> list[Fired]:
        """One :class:`Fired` per rewrite that fired, in rewrite order."""
        by_id = {r.id: r for r in self.rewrites}
        return [
            Fired(id=i, name=by_id[i].name, target=self.first_target[i], count=n,
                  source=self.locations.get(i), exact=by_id[i].exact, sources=self.all_locations.get(i, []))
            for i, n in sorted(self.fired.items())
        ]  # fmt: skip


def _call_with_user_warnings(func: Callable, args, kwargs):
    """Call ``func``; warnings it raises (TracerWarnings) are re-issued at the user's line.

    Without this they would point at this module, the frame that called ``func``.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = func(*args, **kwargs)
    for w in caught:
        where = user_location() if w.filename == __file__ else None
        filename, lineno = (where.file, where.line) if where else (w.filename, w.lineno)
        warnings.warn_explicit(w.message, w.category, filename, lineno)
    return out


def user_location(skip_dirs: tuple[str, ...] = ()) -> SourceLocation | None:
    """The innermost stack frame outside torch, trtready and the standard library."""
    frame = sys._getframe(1)
    skip = (_TORCH_DIR, _OWN_DIR, _STDLIB_DIR, *skip_dirs)
    while frame is not None:
        path = frame.f_code.co_filename
        if (path == _USER_CODE_IN_PACKAGE or not path.startswith(skip)) and not path.startswith("<"):
            code = linecache.getline(path, frame.f_lineno).strip() or None
            return SourceLocation(file=path, line=frame.f_lineno, function=frame.f_code.co_name, code=code)
        frame = frame.f_back
    return None


@contextlib.contextmanager
def rewrite_context(
    enabled: Iterable[str] | None = None, disabled: Iterable[str] = (), opt_in: Iterable[str] = ()
) -> Iterator[RewriteMode]:
    """``with rewrite_context() as mode: ...``: rewrites active for the block."""
    mode = RewriteMode(enabled=enabled, disabled=disabled, opt_in=opt_in)
    with mode:
        yield mode


@contextlib.contextmanager
def apply_to_module(
    module: torch.nn.Module,
    enabled: Iterable[str] | None = None,
    disabled: Iterable[str] = (),
    opt_in: Iterable[str] = (),
    *,
    rewrites: Iterable[TorchRewrite] | None = None,
) -> Iterator[RewriteMode]:
    """Patch ``module.forward`` so every call runs under a :class:`RewriteMode`; undone on exit.

    Yields the mode. Its ``fired``/``locations`` describe the *latest* forward
    call (they are reset when a call starts), so an exporter that runs forward
    more than once does not double the counts; ``mode.calls`` counts the calls.
    A ``torch.jit.ScriptModule`` cannot be patched: the mode is yielded unused.
    """
    mode = RewriteMode(rewrites, enabled=enabled, disabled=disabled, opt_in=opt_in)
    mode.calls = 0
    if isinstance(module, torch.jit.ScriptModule) or not mode.rewrites:
        yield mode
        return
    had_own = "forward" in module.__dict__
    original = module.forward
    active = []

    @functools.wraps(original)
    def forward(*args, **kwargs):
        if active:  # re-entrant call (the module calls itself): the mode is already on
            return original(*args, **kwargs)
        mode.reset()
        mode.calls += 1
        active.append(True)
        try:
            with mode:
                return original(*args, **kwargs)
        finally:
            active.pop()

    module.forward = forward
    try:
        yield mode
    finally:
        if had_own:
            module.forward = original
        else:
            del module.forward
