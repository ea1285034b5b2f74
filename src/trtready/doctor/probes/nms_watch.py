"""Where the user's code calls torchvision's NMS, how often, and on what (eager runs).

:class:`NmsWatch` is a ``TorchFunctionMode`` active during the eager probe. For every torch call it
looks at the Python stack: a call made from inside ``torchvision.ops.boxes``' NMS functions belongs
to one user-level call of ``batched_nms`` / ``nms`` (counted once however many ops it runs, even
when it returns early on an empty input), placed at the user's line that made it, with the user's
calling frames out to ``forward`` (the check finds the loops around it in their source). A call
made by trtready's own code (``nms_fixed``'s eager kernel) is not the user's and is not recorded.

It also taints the outputs of ops whose size depends on the data (boolean-mask indexing,
``nonzero``, ``torch.where(condition)``, ``masked_select``, ``unique``) and follows the taint
through every torch call, so an NMS call says where its candidates got a data-dependent count.

:func:`nms_calls` runs the model once more, one image larger, when NMS was called at all: a call
site whose count grows with the batch runs once per image.
"""

from __future__ import annotations

import functools
import os
import sys

import torch
from torch.overrides import TorchFunctionMode
from torch.utils import _pytree as pytree
from torch.utils.weak import WeakIdKeyDictionary

from ...inputs import FlatModel, batch_size_of, resize_batch
from ..evidence import NmsCall
from ..source import Site, _package_dir, is_user_file

_TORCH_DIR = _package_dir("torch") or "\0"
_TORCHVISION_DIR = _package_dir("torchvision") or "\0"
_TRTREADY_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))) + os.sep
_BOXES_FILE = os.path.join("ops", "boxes.py")
_PROBES_DIR = os.path.dirname(os.path.abspath(__file__))
_NMS_FUNCTIONS = {"nms", "batched_nms"}
_SIZE_FROM_DATA = {
    "nonzero": "torch.nonzero", "argwhere": "torch.argwhere", "masked_select": "torch.masked_select",
    "unique": "torch.unique", "unique_consecutive": "torch.unique_consecutive",
}  # fmt: skip
MAX_FRAMES = 12  # user frames kept per call


class NmsWatch(TorchFunctionMode):
    """Record the user's NMS calls (``sites``) and taint data-dependent sizes."""

    def __init__(self) -> None:
        super().__init__()
        self.sites: dict[tuple, NmsCall] = {}
        self.counts: dict[tuple, int] = {}
        self._tainted = WeakIdKeyDictionary()  # tensor -> (where, how) its size came from the data
        self._last_call = None  # the outermost torchvision frame of the NMS call in progress

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        result = func(*args, **kwargs)
        frame = sys._getframe(1)
        inputs = pytree.tree_leaves((args, kwargs))
        origin = next((self._tainted[t] for t in inputs if isinstance(t, torch.Tensor) and t in self._tainted), None)
        how = _size_from_data(func, args, kwargs)
        if how and origin is None:
            site = _user_frames(frame)
            origin = (site[0], how) if site else None
        if origin is not None:
            for leaf in pytree.tree_leaves(result):
                if isinstance(leaf, torch.Tensor):
                    self._tainted[leaf] = origin
        self._note_nms(frame, inputs)
        return result

    def _note_nms(self, frame, inputs: list) -> None:
        region = _torchvision_nms_region(frame)
        if region is None or region[-1] is self._last_call:
            return
        outermost = region[-1]
        self._last_call = outermost  # held until the next call: its id cannot be reused meanwhile
        stack = _user_frames(outermost.f_back)
        if not stack:
            return  # made by trtready's own code, or outside any user frame
        key = stack[0].key()
        self.counts[key] = self.counts.get(key, 0) + 1
        if key in self.sites:
            return
        candidates = [outermost.f_locals.get(name) for name in ("scores", "boxes")] + inputs
        origin = next((self._tainted[t] for t in candidates if isinstance(t, torch.Tensor) and t in self._tainted), None)
        self.sites[key] = NmsCall(
            api=_api_name(outermost), stack=stack, iou_threshold=_iou(region),
            length_from=origin[0] if origin else None, length_how=origin[1] if origin else "",
        )  # fmt: skip

    def forget_call(self) -> None:
        self._last_call = None


def nms_calls(watch: NmsWatch, flat: FlatModel, example: tuple, batch_dim: int) -> list[NmsCall]:
    """The NMS call sites ``watch`` saw on ``example``, each with its call counts at the example's
    batch and (one more run, only when NMS was called) at one image more."""
    watch.forget_call()
    if not watch.sites:
        return []
    batch = batch_size_of(example, batch_dim) or 0
    runs = [(batch, dict(watch.counts))]
    if batch:
        runs.append((batch + 1, _count_calls(flat, resize_batch(example, batch_dim, batch + 1))))
    calls = []
    for key, call in watch.sites.items():
        call.calls = tuple((size, counts.get(key, 0)) for size, counts in runs if counts is not None)
        calls.append(call)
    return calls


def _count_calls(flat: FlatModel, inputs: tuple) -> dict | None:
    watch = NmsWatch()
    try:
        with torch.no_grad(), watch:
            flat.call_nested(inputs)
    except Exception:  # noqa: BLE001 - no count at this batch; the check says less
        return None
    return watch.counts


def _size_from_data(func, args: tuple, kwargs: dict) -> str | None:
    """How ``func(*args)`` gets an output size from the data, or None."""
    name = getattr(func, "__name__", "")
    if name == "__getitem__" and len(args) > 1 and _has_mask(args[1]):
        return "boolean-mask indexing"
    if name == "where" and len(args) + len(kwargs) == 1:
        return "torch.where(condition)"
    return _SIZE_FROM_DATA.get(name)


def _has_mask(index) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, torch.Tensor) and p.dtype == torch.bool and p.dim() > 0 for p in parts)


def _torchvision_nms_region(frame) -> list | None:
    """The torchvision frames the current torch call is made from, innermost first, when the
    outermost of them is ``torchvision.ops.nms`` or ``batched_nms`` (called by the user); else None."""
    while frame is not None and _kind(frame) in (TRTREADY, TORCH):
        frame = frame.f_back  # the watch's own frames, the modes and torch's wrappers
    region = []
    while frame is not None and _kind(frame) in (TORCHVISION, TORCH):
        if _kind(frame) == TORCHVISION:
            region.append(frame)
        frame = frame.f_back
    if not region or region[-1].f_code.co_name not in _NMS_FUNCTIONS:
        return None
    return region if region[-1].f_code.co_filename.endswith(_BOXES_FILE) else None


def _user_frames(frame) -> tuple[Site, ...]:
    """The user's frames from ``frame`` outwards (torch's and torchvision's skipped) until trtready's
    code: the model's caller, or trtready's own code making the call (then there are none)."""
    sites: list[Site] = []
    while frame is not None and len(sites) < MAX_FRAMES:
        kind = _kind(frame)
        if kind == TRTREADY and (sites or not _is_probe(frame)):
            break
        if kind == USER:
            sites.append(Site(frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name))
        frame = frame.f_back
    return tuple(sites)


TRTREADY, TORCH, TORCHVISION, USER, OTHER = "trtready", "torch", "torchvision", "user", "other"


def _kind(frame) -> str:
    return _file_kind(frame.f_code.co_filename)


@functools.lru_cache(maxsize=4096)
def _file_kind(filename: str) -> str:
    path = os.path.abspath(filename)
    for root, kind in ((_TRTREADY_DIR, TRTREADY), (_TORCH_DIR, TORCH), (_TORCHVISION_DIR, TORCHVISION)):
        if path.startswith(root):
            return kind
    return USER if is_user_file(filename) else OTHER


def _is_probe(frame) -> bool:
    return os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == _PROBES_DIR


def _api_name(frame) -> str:
    module = frame.f_globals.get("__name__", "torchvision")
    name = frame.f_code.co_name
    return f"torchvision.ops.{name}" if module == "torchvision.ops.boxes" else f"{module}.{name}"


def _iou(region: list) -> float | None:
    for frame in reversed(region):
        value = frame.f_locals.get("iou_threshold")
        if isinstance(value, (int, float)):
            return float(value)
    return None
